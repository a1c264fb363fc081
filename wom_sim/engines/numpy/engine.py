"""The vectorized NumPy core: docs/model.md sections 2-7, many replicates at a time.

`NumpyEngine` holds what replicates of one scenario share (the graph, the funnel's
lookup tables, the default KOLs) and runs replicates on three paths, all reporting the
same counters (wom_sim.model.metrics) from which the metric table is derived once:

    replicate.py   the general rules (any funnel, retell or cascade, responses)
    ic.py          a kernel for the pure independent cascade special case
    bass.py        Bass mode (adoption only)

The first two run a batch of replicates as one vectorized problem (`run_batch`).
Replicates are independent: each gets its own Generator from a SeedSequence stream and
draws from it alone (streams.Draws), so the numbers never depend on how replicates are
scheduled or batched.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...graphs.csr import CSRGraph
from ...model import metrics, rules
from ...seeding.complainers import complainer_order
from ...streams import Draws
from .bass import run_bass
from .ic import ICKernel, ic_ineligible
from .replicate import Batch, Observer, Replicate, leave_tables


class NumpyEngine:
    """Runs replicates of one scenario on one graph with one set of KOLs.

    >>> import numpy as np, wom_sim
    >>> from wom_sim.graphs.generators import erdos_renyi
    >>> sc = wom_sim.load_scenario({"scenario": {"steps": 10}, "seeding": {"budget": 3}})
    >>> eng = NumpyEngine(erdos_renyi(500, 6.0, np.random.default_rng(1)), sc, kols=[0, 1, 2])
    >>> table = eng.run_replicate(np.random.default_rng(7))
    >>> table.shape == (11, len(eng.metrics))
    True
    """

    def __init__(self, graph: CSRGraph, scenario: Any, kols: Any = (), fast_ic: bool = True) -> None:
        """`fast_ic=False` keeps the general rules even for a pure IC scenario (tests
        use it to hold the IC kernel to the general engine)."""
        self.g = graph
        self.sc = scenario
        self.kols = np.asarray(kols, dtype=np.int64)  # default KOLs of run_replicate
        # Bass mode has no funnel: adoption is the only change of state
        self.funnel = rules.funnel_of(scenario)
        self.metrics = metrics.metric_names(self.funnel)
        self.n = graph.n
        self._out_degree: np.ndarray | None = None
        self.fast_ic = fast_ic and ic_ineligible(scenario, graph) is None
        # funnel lookups indexed by stage code (0 = unaware; codes past the funnel: 0)
        f = self.funnel
        codes = max(f.n_codes, 1)
        self.message_by_code = np.zeros(codes, dtype=bool)
        self.brand_by_code = np.zeros(codes, dtype=bool)
        if f.n_pre:
            self.message_by_code[1:f.n_pre + 1] = f.message_boost
            self.brand_by_code[1:f.n_pre + 1] = f.brand_boost
        # per code and sensed: a step's advance, leaving the stage, log(1 - leaving)
        self.p_step, self.p_leave, self.log_stay = leave_tables(f)
        self._ic: ICKernel | None = None
        # fixed initial complainers (top followers, labels): candidates best first, else None
        self.complainer_order = complainer_order(graph, scenario.seeding, getattr(scenario, "source", "<scenario>"))

    @property
    def out_degree(self) -> np.ndarray:
        """Followers of every agent (computed once)."""
        if self._out_degree is None:
            self._out_degree = self.g.out_degree()
        return self._out_degree

    def spend(self, kols: list[Any]) -> np.ndarray:
        """What each replicate's KOLs cost (metrics.kol_cost), for net_npv."""
        return metrics.kol_spend(self.out_degree, kols, self.sc.seeding)

    def replicate(self, rng: np.random.Generator, kols: Any = None, observer: Observer | None = None) -> Replicate:
        """A replicate at step 0, to step by hand: ``rep.step(t)``, ``rep.counters()``
        (always the general rules, even where the IC kernel would run)."""
        return Replicate(self, rng, None if kols is None else np.asarray(kols, dtype=np.int64), observer)

    def run_counters(self, rng: np.random.Generator, on_step: Callable[[int], None] | None = None,
                     kols: Any = None, observer: Observer | None = None) -> np.ndarray:
        """One replicate's counters (steps + 1, counters); row 0 is the initial state."""
        kols = self.kols if kols is None else np.asarray(kols, dtype=np.int64)
        return self.batch_counters([rng], [kols], on_step, observer)[0]

    def batch_counters(self, rngs: list[np.random.Generator], kols: list[Any] | None = None,
                       on_step: Callable[[int], None] | None = None, observer: Observer | None = None) -> np.ndarray:
        """The counters of one replicate per Generator, (B, steps + 1, counters), run as
        one batch; the same numbers as running them one at a time."""
        return metrics.hold(self._counters(rngs, kols, on_step, observer=observer), self.sc.scenario.steps)

    def _counters(self, rngs: list[np.random.Generator], kols: list[Any] | None,
                  on_step: Callable[[int], None] | None, params: dict[str, Any] | None = None,
                  observer: Observer | None = None) -> np.ndarray:
        """batch_counters up to the step after which nothing could change in any
        replicate (metrics.hold and metrics.table give the held steps). `params`: keys
        of replicate.VARYING (the general rules) or ic.IC_VARYING (the IC kernel) with one
        value per replicate."""
        kl = [self.kols] * len(rngs) if kols is None else [np.asarray(k, dtype=np.int64) for k in kols]
        if self.sc.wom.mode == "bass":  # Bass: one at a time (cheap; mean-field or a sparse neighbour sum)
            if params:
                raise ValueError("parameters cannot differ between the replicates of a batch in Bass mode")
            if observer is not None:
                raise ValueError("an observer watches the general rules; Bass mode has no funnel to watch")
            return np.stack([run_bass(self, g, on_step, k) for g, k in zip(rngs, kl)])
        draws = Draws(rngs)
        if self.fast_ic and observer is None:
            if self._ic is None:
                self._ic = ICKernel(self)
            return self._ic.run(draws, kl, on_step, params)
        return self._run(Batch(self, draws, kl, observer=observer, params=params), on_step)

    def _run(self, batch: Batch, on_step: Callable[[int], None] | None) -> np.ndarray:
        """The counters of a batch, (B, steps + 1, counters), step by step, up to the step after
        which nothing can change any more (the later steps hold it: metrics.hold)."""
        steps = self.sc.scenario.steps
        observer = batch.observer
        out = np.zeros((batch.B, steps + 1, len(metrics.COUNTERS) + self.funnel.n_codes), dtype=np.float64)
        out[:, 0] = batch.counters()
        for t in range(1, steps + 1):
            batch.step(t)
            out[:, t] = batch.counters()
            if t < steps and batch.quiescent():
                # nothing can change any more: the remaining steps repeat this state
                out = out[:, :t + 1]
                if observer is not None:
                    observer.finish(t, batch)
                if on_step is not None:
                    on_step(steps)
                break
            if on_step is not None:
                on_step(t)
        else:
            if observer is not None:
                observer.finish(steps, batch)
        return out

    def run_batch(self, rngs: list[np.random.Generator], kols: list[Any] | None = None,
                  on_step: Callable[[int], None] | None = None, out: np.ndarray | None = None,
                  params: dict[str, Any] | None = None, observer: Observer | None = None) -> np.ndarray:
        """Metric tables of one replicate per Generator, (B, steps + 1, metrics), run as
        one vectorized batch (kols[b]: replicate b's KOLs, default the engine's), written
        into `out` when given. `on_step(t)` is called after step t of the whole batch.
        `params`: replicate b runs with params[key][b] for each key given of
        replicate.VARYING, or ic.IC_VARYING on the IC kernel (a batch of parameter points;
        each replicate's numbers as if run alone with its values). An `observer` watches
        the general rules (never the IC kernel) over the batch's agent rows."""
        kl = [self.kols] * len(rngs) if kols is None else kols
        return metrics.table(self._counters(rngs, kols, on_step, params, observer), self.funnel, self.sc.economics,
                             self.spend(kl), self.sc.response, steps=self.sc.scenario.steps, out=out)

    def run_replicate(self, rng: np.random.Generator, on_step: Callable[[int], None] | None = None,
                      kols: Any = None, observer: Observer | None = None) -> np.ndarray:
        """Simulate `steps` steps from KOLs `kols` (default: the engine's); return the
        metric table, shape (steps + 1, metrics). `on_step(t)` is called after step t;
        an `observer` watches the general rules step by step."""
        return metrics.table(self.run_counters(rng, on_step, kols, observer), self.funnel, self.sc.economics,
                             self.spend([self.kols if kols is None else kols])[0], self.sc.response)
