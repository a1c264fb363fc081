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
from ...graphs.kernels import gap_positions, gap_positions_one
from ...model.metrics import COUNTERS
from ...streams import Draws
from .replicate import Shared, per_replicate

#: response policies that only ever act on detected negative sharers (IC has none)
_INERT_POLICIES = {"none", "fixed_delay", "capacity", "threshold"}
_STAMP_LIMIT = np.iinfo(np.int32).max


#: the scenario keys whose values may differ between the replicates of one batch of the
#: kernel (a batch of parameter points; replicate.VARYING for the general rules)
IC_VARYING = ("wom.transmissibility", "seeding.kol_reach", "wom.share_prob")

#: bytes per agent row of a batch in the IC kernel (the int32 stamp)
IC_ROW_BYTES = 4
#: bytes per agent the IC kernel keeps for all batches: out-degree and (first arc, degree), int64
IC_AGENT_BYTES = 16


def ic_ineligible(sc: Any, graph: CSRGraph | None = None) -> str | None:
    """Why the scenario is not a pure IC (None when the kernel applies); without the
    graph, what the scenario file alone says."""
    w = sc.wom
    if w.mode != "cascade":
        return "mode is not cascade"
    if sc.funnel.kind != "none":
        return "the funnel is not none"
    if w.active_steps != 1:
        return "active_steps is not 1"
    if w.p_external > 0:
        return "advertising (p_external > 0)"
    if w.weak_ties_per_step:
        return "weak ties (wom.weak_ties_per_step > 0)"
    if sc.seeding.complainer_count:
        return "initial complainers"
    if sc.response.policy not in _INERT_POLICIES:
        return "a custom response policy"
    if (graph.complete if graph is not None else sc.graph.kind == "complete"):
        return "complete mixing (mean field)"
    if (graph.weights is not None if graph is not None else sc.graph.weighted):
        return "per-arc weights"
    return None


class ICKernel:
    """Runs batches of IC replicates on one graph; the stamp array is reused across batches.

    Replicate b's agent i is row b*n + i of the stamp array (a block-diagonal graph by
    index arithmetic), and every replicate draws from its own stream (streams.Draws),
    so a replicate's numbers do not depend on the batch it runs in."""

    def __init__(self, eng: Shared) -> None:
        self.g, self.f = eng.g, eng.funnel
        self.n = eng.n
        self.deg = eng.out_degree
        # an agent's first arc and out-degree in one int64 (start << 32 | degree), read with
        # one random gather per teller instead of two (the CSR's rows are where a cascade
        # misses the caches); None when the arcs pass 2^32
        ip = self.g.indptr
        self.rowinfo = ((ip[:-1].astype(np.int64) << 32) | (ip[1:] - ip[:-1])
                        if self.g.n_arcs < 1 << 32 else None)
        self.stamp = np.zeros(0, dtype=np.int32)
        self.counter = 1  # stamps start at 0: nobody is active
        sc = eng.sc
        self.p_kol = float(sc.seeding.kol_reach)
        self.p = float(sc.wom.transmissibility)
        self.share_prob = float(sc.wom.share_prob)
        self.realtime = bool(self.f.realtime_share)
        self.steps = sc.scenario.steps

    def _hits(self, tellers: np.ndarray, p: float | np.ndarray, draws: Draws, bounds: np.ndarray) -> np.ndarray:
        """Target rows of the tellers' successful arcs (one Bernoulli(p) per arc; p one
        number, or one per replicate); `tellers` are rows of the batch, replicate-major;
        `bounds`: each replicate's first row (b * n), and one past the last."""
        if tellers.size == 0 or (p <= 0 if isinstance(p, float) else not (p > 0).any()):
            return tellers[:0]
        B = bounds.size - 1
        if B == 1:
            loc = tellers
        else:  # a replicate's tellers are a run of the array: their agents are rows - b * n
            cuts = np.searchsorted(tellers, bounds)
            loc = tellers - np.repeat(bounds[:-1], np.diff(cuts))
        if self.rowinfo is not None:
            info = self.rowinfo[loc]
            d = info & 0xFFFFFFFF
            start = info >> 32
        else:
            d = self.deg[loc]
            start = self.g.indptr[loc]
        cum = np.zeros(d.size + 1, dtype=np.int64)
        ends = np.cumsum(d, out=cum[1:])
        if B == 1:
            pos = gap_positions_one(draws, int(ends[-1]), float(p))
        else:  # each replicate's arcs
            pos, prep = gap_positions(draws, np.diff(cum[cuts]), p, concat=True)
        owner = np.searchsorted(ends, pos, side="right")
        # arc = first arc of the owner + (pos - its start in the concatenation): one
        # gather per hit of a per-teller offset, not three
        offset = start - cum[:-1]
        pos += offset[owner]
        if B == 1:
            return self.g.indices[pos].astype(np.int64)  # (int64 rows index without a cast)
        hits = bounds[prep]
        hits += self.g.indices[pos]
        return hits

    def run(self, draws: Draws, kols: list[np.ndarray], on_step: Callable[[int], None] | None = None,
            params: dict[str, Any] | None = None) -> np.ndarray:
        """A batch of replicates (kols[b]: replicate b's KOLs): the counters
        (model.metrics), shape (B, steps + 1, counters), or fewer steps when the run ends
        early (metrics.hold gives the rest). `params`: keys of IC_VARYING with a value
        per replicate (each replicate's numbers as alone with its values)."""
        n, T, B = self.n, self.steps, draws.B
        params = dict(params or {})
        unknown = sorted(set(params) - set(IC_VARYING))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} cannot differ between the replicates of an IC batch")
        p = per_replicate(params, "wom.transmissibility", self.p, B)
        p_kol = per_replicate(params, "seeding.kol_reach", self.p_kol, B)
        share = per_replicate(params, "wom.share_prob", self.share_prob, B)
        # replicate b's agent i is row b * n + i; rows stay replicate-major in every array,
        # so a replicate's rows are a run of it, found by a binary search on `bounds`
        # (the stamp is as small as it can be: no rows padded to a power of two)
        bounds = np.arange(B + 1, dtype=np.int64) * n
        N = B * n
        if self.stamp.size < N:  # zeros: the pages are the OS's, touched as the cascades reach them
            self.stamp = np.zeros(N, dtype=np.int32)
            self.counter = 1
        if self.counter > _STAMP_LIMIT - N - 1:
            self.stamp.fill(0)
            self.counter = 1
        base = c = self.counter
        stamp = self.stamp
        k = np.array([kk.size for kk in kols], dtype=np.int64)
        seeds = np.concatenate([np.asarray(kk, dtype=np.int64) + b * n for b, kk in enumerate(kols)])
        stamp[seeds] = np.arange(c, c + seeds.size, dtype=np.int32)
        c += seeds.size

        def per_rep(x: np.ndarray) -> Any:
            """How many of the rows `x` (replicate-major) belong to each replicate (a plain
            count for one)."""
            return x.size if B == 1 else np.diff(np.searchsorted(x, bounds))

        end = T  # the last step run
        new_adopt = np.zeros((B, T + 1), dtype=np.int64)
        new_share = np.zeros((B, T + 1), dtype=np.int64)
        new_msgs = np.zeros((B, T + 1), dtype=np.int64)
        pending = seeds[:0]  # last step's distinct new hearers
        queued = seeds[:0]   # sharers made last step who tell this step (realtime_share false)
        for t in range(1, T + 1):
            # receive: last step's distinct new hearers adopt; some of them share
            if pending.size:
                new_adopt[:, t] = heard = per_rep(pending)
                if isinstance(share, np.ndarray):  # one per replicate: a coin where it is under 1
                    sure = share >= 1
                    coins = np.repeat(~sure, heard)
                    keep = np.ones(pending.size, dtype=bool)
                    keep[coins] = draws.uniform(np.where(sure, 0, heard)) < np.repeat(share, heard)[coins]
                    sharers = np.compress(keep, pending)
                    new_share[:, t] = per_rep(sharers)
                elif share >= 1:
                    sharers = pending
                    new_share[:, t] = heard
                else:  # a coin each, from its replicate's stream (the rows are replicate-major)
                    sharers = np.compress(draws.uniform(np.atleast_1d(heard)) < share, pending)
                    new_share[:, t] = per_rep(sharers)
            else:
                sharers = pending
            # tell: the KOLs' broadcast at step 1, then every sharer once, in the step it
            # is made (real-time sharing) or in the next
            if self.realtime:
                tellers = sharers
            else:
                tellers, queued = queued, sharers
            hits = (self._hits(seeds, p_kol, draws, bounds) if t == 1
                    else self._hits(tellers, p, draws, bounds))
            new_msgs[:, t] = per_rep(hits)
            if hits.size:
                hits = np.compress(stamp[hits] < base, hits)
            if hits.size:
                ids = np.arange(c, c + hits.size, dtype=np.int32)
                stamp[hits] = ids
                hits = np.compress(stamp[hits] == ids, hits)  # one survivor per agent hit more than once
                c += ids.size
            pending = hits
            if pending.size == 0 and queued.size == 0:  # nothing in flight: later steps repeat this one
                end = t
                break
            if on_step is not None:
                on_step(t)
        self.counter = c
        if on_step is not None:
            on_step(T)
        # the counters up to the last step run (later steps hold it: metrics.hold, metrics.table)
        return self._counters(k, new_adopt[:, :end + 1], new_share[:, :end + 1], new_msgs[:, :end + 1])

    def _counters(self, k: np.ndarray, new_adopt: np.ndarray, new_share: np.ndarray,
                  new_msgs: np.ndarray) -> np.ndarray:
        """The general engine's counters (B, T + 1, counters) from the per-step counts
        (B, T + 1) of the first T steps and the KOLs per replicate `k`."""
        n, f = self.n, self.f
        B, T = k.size, new_adopt.shape[1] - 1
        out = np.zeros((B, T + 1, len(COUNTERS) + f.n_codes), dtype=np.float64)
        col = {name: i for i, name in enumerate(COUNTERS)}
        kk = k[:, None]
        adopters = kk + np.cumsum(new_adopt, axis=1)
        first = (np.arange(T + 1) >= 1)[None, :]
        shared = np.cumsum(new_share, axis=1)
        out[..., col["aware"]] = adopters
        out[..., col["adopters"]] = adopters
        out[..., col["new_adopters"]] = new_adopt
        out[..., col["new_pos_messages"]] = new_msgs
        stage = len(COUNTERS)
        told = shared - (0 if self.realtime else new_share)  # sharers who have told
        waiting = np.where(~first, kk, 0) + (0 if self.realtime else new_share)
        out[..., stage + f.UNAWARE] = n - adopters
        out[..., stage + f.ACTION] = adopters - kk - shared
        out[..., stage + f.SHARE] = waiting
        out[..., stage + f.DONE] = told + np.where(first, kk, 0)
        return out
