"""A dedicated kernel for the pure independent cascade (IC) special case of the model.

MODEL.md section 4 says that `funnel = "none"`, `mode = "cascade"` and
`active_steps = 1` is exactly the IC model. In that case most of the general engine's
bookkeeping (funnel stages, valences, inboxes with counts, tells left, response queues)
cannot change anything, yet costs ~25 scattered array accesses per activated agent.
This kernel keeps only what IC needs, one int32 array of N:

  ``stamp[v] >= base``  <=>  v is active in the current replicate,

where `base` is a counter taken at the start of each replicate, so the array is not
cleared between replicates (it is reset only when the counter nears 2^31). Writing
``stamp[hits] = c + arange`` and keeping the hits that read their own number back
also removes duplicate hits without a sort. Per step: the tellers' degrees, the
successes among their concatenated arcs as geometric gaps (the cost follows the
messages sent, not the arcs examined), one gather into the CSR, one stamp test.

It reports the same metrics table as the general engine, rule for rule (KOLs broadcast
at step 1 with `kol_reach`, hearers adopt in the next step and, with `share_prob`, tell
in that same step; the run stops early once nothing can change). Its random draws
differ from the general engine's, so the two agree in distribution, not draw for draw:
tests/test_ic_kernel.py holds them to each other and to exact expectations.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from .sampling import success_positions

if TYPE_CHECKING:  # pragma: no cover
    from ..graphs.csr import CSRGraph
    from ..scenario import Scenario
    from .numpy_engine import NumpyEngine

#: response policies that only ever act on detected negative sharers (IC has none)
_INERT_POLICIES = {"none", "fixed_delay", "capacity", "threshold"}
_STAMP_LIMIT = np.iinfo(np.int32).max


def ic_ineligible(sc: "Scenario", graph: "CSRGraph") -> str | None:
    """Why the scenario is not a pure IC (None when the kernel applies)."""
    w = sc.wom
    if w.mode != "cascade":
        return "mode is not cascade"
    if sc.funnel.kind != "none":
        return "the funnel is not none"
    if w.active_steps != 1:
        return "active_steps is not 1"
    if w.p_external > 0:
        return "advertising (p_external > 0)"
    if sc.seeding.initial_complainers:
        return "initial complainers"
    if sc.response.policy not in _INERT_POLICIES:
        return "a custom response policy"
    if graph.complete:
        return "complete mixing (mean field)"
    if graph.weights is not None:
        return "per-arc weights"
    return None


class ICKernel:
    """Runs IC replicates on one graph; the stamp array is reused across replicates."""

    def __init__(self, eng: "NumpyEngine") -> None:
        self.eng, self.g, self.f = eng, eng.g, eng.funnel
        self.n = eng.n
        self.deg = eng.out_degree.astype(np.int32)
        self.stamp = np.full(self.n, -1, dtype=np.int32)
        self.counter = 0
        sc = eng.sc
        self.p_kol = float(sc.seeding.kol_reach)
        self.p = float(sc.wom.transmissibility)
        self.share_prob = float(sc.wom.share_prob)
        self.margin, self.rate = sc.economics.margin, sc.economics.discount_rate
        self.steps = sc.scenario.steps
        m = eng.metrics
        self.col = {name: m.index(name) for name in m}
        f = self.f
        self.stage_col = {code: m.index(f"stage_{name}") for code, name in enumerate(f.code_names())}

    def _hits(self, tellers: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
        """Targets of the tellers' successful arcs (one Bernoulli(p) per arc)."""
        if tellers.size == 0 or p <= 0:
            return tellers[:0]
        d = self.deg[tellers]
        ends = np.cumsum(d, dtype=np.int64)
        total = int(ends[-1])
        if total == 0:
            return tellers[:0]
        if p >= 1:
            owner = np.repeat(np.arange(tellers.size), d)
            pos = np.arange(total, dtype=np.int64)
        else:
            pos = success_positions(rng, total, p)
            owner = np.searchsorted(ends, pos, side="right")
        arc = self.g.indptr[tellers[owner]] + pos
        arc -= ends[owner]
        arc += d[owner]
        return self.g.indices[arc]

    def run(self, rng: np.random.Generator, kols: np.ndarray,
            on_step: Callable[[int], None] | None = None) -> np.ndarray:
        """One replicate: the metrics table, shape (steps + 1, metrics)."""
        n, T = self.n, self.steps
        kols = np.asarray(kols, dtype=np.int64)
        if self.counter > _STAMP_LIMIT - n - 1:
            self.stamp.fill(-1)
            self.counter = 0
        base = c = self.counter
        stamp = self.stamp
        k = kols.size
        stamp[kols] = np.arange(c, c + k, dtype=np.int32)
        c += k

        new_adopt = np.zeros(T + 1, dtype=np.int64)
        new_share = np.zeros(T + 1, dtype=np.int64)
        new_msgs = np.zeros(T + 1, dtype=np.int64)
        pending = kols[:0]
        last = T
        for t in range(1, T + 1):
            # receive: last step's distinct new hearers adopt; some of them share now
            if pending.size:
                new_adopt[t] = pending.size
                sharers = pending if self.share_prob >= 1 else pending[rng.random(pending.size) < self.share_prob]
                new_share[t] = sharers.size
            else:
                sharers = pending
            # tell: the KOLs' broadcast at step 1, then every new sharer once
            if t == 1:
                hits = self._hits(kols, self.p_kol, rng)
            else:
                hits = self._hits(sharers, self.p, rng)
            new_msgs[t] = hits.size
            if hits.size:
                hits = hits[stamp[hits] < base]
            if hits.size:
                ids = np.arange(c, c + hits.size, dtype=np.int32)
                stamp[hits] = ids
                hits = hits[stamp[hits] == ids]  # one survivor per agent hit more than once
                c += ids.size
            pending = hits.astype(np.int64)
            if pending.size == 0:  # nothing in flight: the remaining steps repeat this one
                last = t
                break
            if on_step is not None:
                on_step(t)
        self.counter = c
        if on_step is not None:
            on_step(T)
        return self._table(k, new_adopt, new_share, new_msgs, last)

    def _table(self, k: int, new_adopt: np.ndarray, new_share: np.ndarray,
               new_msgs: np.ndarray, last: int) -> np.ndarray:
        """The general engine's metrics from the per-step counts (steps after `last` repeat it)."""
        n, f, col, T = self.n, self.f, self.col, self.steps
        out = np.zeros((T + 1, len(self.col)), dtype=np.float64)
        adopters = k + np.cumsum(new_adopt)
        msgs = np.cumsum(new_msgs)
        t = np.arange(T + 1)
        npv = np.cumsum(new_adopt * self.margin * (1.0 + self.rate) ** (-t.astype(np.float64)))
        out[:, col["aware"]] = adopters
        out[:, col["adopters"]] = adopters
        out[:, col["new_adopters"]] = new_adopt
        out[:, col["pos_messages"]] = msgs
        out[:, col["new_pos_messages"]] = new_msgs
        out[:, col["net_sentiment"]] = (msgs > 0).astype(np.float64)
        out[:, col["npv"]] = npv
        sharers = np.cumsum(new_share)
        done = sharers + np.where(t >= 1, k, 0)
        out[:, self.stage_col[f.UNAWARE]] = n - adopters
        out[:, self.stage_col[f.ACTION]] = adopters - k - sharers
        out[:, self.stage_col[f.SHARE]] = np.where(t == 0, k, 0)
        out[:, self.stage_col[f.DONE]] = done
        return out
