"""The vectorized NumPy core: docs/model.md sections 2-7, one replicate at a time.

`NumpyEngine` holds what replicates of one scenario share (the graph, the funnel's
lookup tables, the default KOLs) and runs replicates on three paths, all reporting the
same counters (wom_sim.model.metrics) from which the metric table is derived once:

    replicate.py   the general rules (any funnel, retell or cascade, responses)
    ic.py          a kernel for the pure independent cascade special case
    bass.py        Bass mode (adoption only)

Replicates are independent: each gets its own Generator from a SeedSequence stream, so
the numbers never depend on how replicates are scheduled.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...graphs.csr import CSRGraph
from ...model import metrics, rules
from .bass import run_bass
from .ic import ICKernel, ic_ineligible
from .replicate import Observer, Replicate


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
        self.advance_by_code = np.zeros(codes, dtype=np.float32)
        self.message_by_code = np.zeros(codes, dtype=bool)
        self.brand_by_code = np.zeros(codes, dtype=bool)
        if f.n_pre:
            self.advance_by_code[1:f.n_pre + 1] = f.advance
            self.message_by_code[1:f.n_pre + 1] = f.message_boost
            self.brand_by_code[1:f.n_pre + 1] = f.brand_boost
        self._ic: ICKernel | None = None

    @property
    def out_degree(self) -> np.ndarray:
        """Followers of every agent (computed once)."""
        if self._out_degree is None:
            self._out_degree = self.g.out_degree()
        return self._out_degree

    def replicate(self, rng: np.random.Generator, kols: Any = None, observer: Observer | None = None) -> Replicate:
        """A replicate at step 0, to step by hand: ``rep.step(t)``, ``rep.counters()``."""
        return Replicate(self, rng, None if kols is None else np.asarray(kols, dtype=np.int64), observer)

    def run_counters(self, rng: np.random.Generator, on_step: Callable[[int], None] | None = None,
                     kols: Any = None, observer: Observer | None = None) -> np.ndarray:
        """One replicate's counters (steps + 1, counters); row 0 is the initial state."""
        kols = self.kols if kols is None else np.asarray(kols, dtype=np.int64)
        if self.sc.wom.mode == "bass":
            return run_bass(self, rng, on_step, kols)
        if self.fast_ic and observer is None:
            if self._ic is None:
                self._ic = ICKernel(self)
            return self._ic.run(rng, kols, on_step)
        rep = Replicate(self, rng, kols, observer)
        steps = self.sc.scenario.steps
        out = np.zeros((steps + 1, len(metrics.COUNTERS) + self.funnel.n_codes), dtype=np.float64)
        out[0] = rep.counters()
        for t in range(1, steps + 1):
            rep.step(t)
            out[t] = rep.counters()
            if t < steps and rep.quiescent():
                # nothing can change any more: the remaining steps repeat this state
                rep.new_adopters = rep.new_pos = rep.new_neg = rep.new_responses = 0
                out[t + 1:] = rep.counters()
                if observer is not None:
                    observer.finish(t, rep)
                if on_step is not None:
                    on_step(steps)
                break
            if on_step is not None:
                on_step(t)
        else:
            if observer is not None:
                observer.finish(steps, rep)
        return out

    def run_replicate(self, rng: np.random.Generator, on_step: Callable[[int], None] | None = None,
                      kols: Any = None, observer: Observer | None = None) -> np.ndarray:
        """Simulate `steps` steps from KOLs `kols` (default: the engine's); return the
        metric table, shape (steps + 1, metrics). `on_step(t)` is called after step t;
        an `observer` watches the general rules step by step."""
        return metrics.table(self.run_counters(rng, on_step, kols, observer), self.funnel, self.sc.economics)
