"""A dedicated kernel for the pure independent cascade (IC) special case of the model.

docs/model.md section 4 says that `funnel = "none"`, `mode = "cascade"` and
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

It reports the same counters as the general engine, rule for rule (KOLs broadcast at
step 1 with `kol_reach`; hearers adopt in the next step and, with `share_prob`, tell in
that same step, or in the step after when `funnel.realtime_share` is false; the run
stops early once nothing can change). Its random draws
differ from the general engine's, so the two agree in distribution, not draw for draw:
tests/test_ic_kernel.py holds them to each other and to exact expectations.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...graphs.csr import CSRGraph
from ...graphs.kernels import success_positions
from ...model.metrics import COUNTERS
from .replicate import Shared

#: response policies that only ever act on detected negative sharers (IC has none)
_INERT_POLICIES = {"none", "fixed_delay", "capacity", "threshold"}
_STAMP_LIMIT = np.iinfo(np.int32).max


def ic_ineligible(sc: Any, graph: CSRGraph) -> str | None:
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

    def __init__(self, eng: Shared) -> None:
        self.g, self.f = eng.g, eng.funnel
        self.n = eng.n
        self.deg = eng.out_degree.astype(np.int32)
        self.stamp = np.full(self.n, -1, dtype=np.int32)
        self.counter = 0
        sc = eng.sc
        self.p_kol = float(sc.seeding.kol_reach)
        self.p = float(sc.wom.transmissibility)
        self.share_prob = float(sc.wom.share_prob)
        self.realtime = bool(self.f.realtime_share)
        self.steps = sc.scenario.steps

    def _hits(self, tellers: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
        """Targets of the tellers' successful arcs (one Bernoulli(p) per arc)."""
        if tellers.size == 0 or p <= 0:
            return tellers[:0]
        d = self.deg[tellers]
        ends = np.cumsum(d, dtype=np.int64)
        total = int(ends[-1])
        if total == 0:
            return tellers[:0]
        pos = success_positions(rng, total, p)
        owner = np.searchsorted(ends, pos, side="right")
        arc = self.g.indptr[tellers[owner]] + pos
        arc -= ends[owner]
        arc += d[owner]
        return self.g.indices[arc]

    def run(self, rng: np.random.Generator, kols: np.ndarray,
            on_step: Callable[[int], None] | None = None) -> np.ndarray:
        """One replicate: the counters (model.metrics), shape (steps + 1, counters)."""
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
        pending = kols[:0]  # last step's distinct new hearers
        queued = kols[:0]   # sharers made last step who tell this step (realtime_share false)
        for t in range(1, T + 1):
            # receive: last step's distinct new hearers adopt; some of them share
            if pending.size:
                new_adopt[t] = pending.size
                sharers = pending if self.share_prob >= 1 else pending[rng.random(pending.size) < self.share_prob]
                new_share[t] = sharers.size
            else:
                sharers = pending
            # tell: the KOLs' broadcast at step 1, then every sharer once, in the step it
            # is made (real-time sharing) or in the next
            if self.realtime:
                tellers = sharers
            else:
                tellers, queued = queued, sharers
            hits = self._hits(kols, self.p_kol, rng) if t == 1 else self._hits(tellers, self.p, rng)
            new_msgs[t] = hits.size
            if hits.size:
                hits = hits[stamp[hits] < base]
            if hits.size:
                ids = np.arange(c, c + hits.size, dtype=np.int32)
                stamp[hits] = ids
                hits = hits[stamp[hits] == ids]  # one survivor per agent hit more than once
                c += ids.size
            pending = hits.astype(np.int64)
            if pending.size == 0 and queued.size == 0:  # nothing in flight: later steps repeat this one
                break
            if on_step is not None:
                on_step(t)
        self.counter = c
        if on_step is not None:
            on_step(T)
        return self._counters(k, new_adopt, new_share, new_msgs)

    def _counters(self, k: int, new_adopt: np.ndarray, new_share: np.ndarray, new_msgs: np.ndarray) -> np.ndarray:
        """The general engine's counters from the per-step counts."""
        n, f, T = self.n, self.f, self.steps
        out = np.zeros((T + 1, len(COUNTERS) + f.n_codes), dtype=np.float64)
        col = {name: i for i, name in enumerate(COUNTERS)}
        adopters = k + np.cumsum(new_adopt)
        t = np.arange(T + 1)
        out[:, col["aware"]] = adopters
        out[:, col["adopters"]] = adopters
        out[:, col["new_adopters"]] = new_adopt
        out[:, col["new_pos_messages"]] = new_msgs
        stage = len(COUNTERS)
        told = np.cumsum(new_share) - (0 if self.realtime else new_share)  # sharers who have told
        waiting = np.where(t == 0, k, 0) + (0 if self.realtime else new_share)
        out[:, stage + f.UNAWARE] = n - adopters
        out[:, stage + f.ACTION] = adopters - k - np.cumsum(new_share)
        out[:, stage + f.SHARE] = waiting
        out[:, stage + f.DONE] = told + np.where(t >= 1, k, 0)
        return out
