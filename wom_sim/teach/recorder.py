"""Run a funnel step by step and record what a class needs to see, beyond the metrics.

The engine reports stage counts, adopters and messages. A lesson also needs who the
brand sensed, who jumped Sense -> Action, how far each agent got in the funnel, when
each buyer first told, which advances had a peer message behind them, and the stage of
every drawn agent at every step. A `_Recorder` (an engine Observer) reads the
replicate's public arrays before and after every step, on the same streams, KOLs and
run loop as `wom-sim run` (replicate r draws from stream(seed, 2, r); KOLs from the
seeding plan). Observing never draws a random number, so the metric tables are those
of `wom_sim.run` on the same scenario and seed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engines.numpy import Batch, NumpyEngine, Observer
from ..execution.memory import even_batch, numpy_batch
from ..funnels import Funnel
from ..graphs.csr import CSRGraph
from ..model.rules import advance_probability
from ..scenario import Scenario
from ..seeding import SeedPlan
from ..streams import streams
from ..viz.style import NEG_SHARE

#: longest purchase -> first-telling lag kept apart (longer ones share the last bin)
MAX_LAG = 5


@dataclass
class FunnelRecord:
    """Everything recorded for one funnel over R replicates of T steps.

    Arrays indexed [replicate, ...]; `series` is exactly the engine's metric table.
    Advance tables are indexed [replicate, stage - 1, sensed, had_message]: agent-steps
    at a pre-purchase stage at the start of a step (`at_risk`) and how many of those
    advanced one stage in that step (`advanced`).
    """
    scenario: Scenario
    funnel: Funnel
    metrics: list[str]
    series: np.ndarray        # (R, T+1, M) the `wom-sim run` metrics
    sensed: np.ndarray        # (R, T+1) agents the brand has sensed so far
    skips: np.ndarray         # (R, T+1) cumulative Sense -> Action jumps
    at_risk: np.ndarray       # (R, n_pre, 2, 2)
    advanced: np.ndarray      # (R, n_pre, 2, 2)
    expected: np.ndarray      # (R, n_pre, 2, 2) sum over those agent-steps of the rule's advance probability
    boosted_advances: np.ndarray  # (R,) advances out of the last pre-purchase stage the messages boosted
    lags: np.ndarray          # (R, MAX_LAG + 1) buyers who shared, by purchase -> first-telling lag (steps)
    reached: np.ndarray       # (R, n_pre + 2) non-seed agents per level of `levels(funnel)`
    bought: np.ndarray        # (R,) non-seed buyers (path + skips)
    n_seeds: np.ndarray       # (R,) KOLs and initial complainers (not counted in conversions)
    snapshot: np.ndarray      # (T+1, len(nodes)) replicate 0: snapshot category of each drawn agent
    kols0: np.ndarray         # replicate 0's KOLs

    def metric(self, name: str) -> np.ndarray:
        return self.series[:, :, self.metrics.index(name)]

    @property
    def kind(self) -> str:
        return self.funnel.kind


def _categories(rep: Batch, nodes: np.ndarray) -> np.ndarray:
    """Stage codes of `nodes`, with sharers telling bad news set apart (NEG_SHARE)."""
    f = rep.f
    st = rep.stage[nodes].astype(np.int8)
    sharing = (st == f.SHARE) | rep.telling[nodes]
    neg = sharing & (rep.valence[nodes] < 0)
    st = np.where(sharing & ~neg, f.SHARE, st)
    return np.where(neg, NEG_SHARE, st).astype(np.int8)


class _Recorder(Observer):
    """Collects the teaching quantities of a batch of B replicates as the engine steps it.

    Per-agent arrays are over the batch's agent rows (Batch.N of them, replicate b's agent
    i at row b * Batch.stride + i; padding rows never change), made when the batch starts;
    per-replicate tallies are indexed by b.
    A replicate that is quiet while others in its batch step on records what it would
    alone: its state no longer changes, and `finish` holds the last step as alone."""

    def __init__(self, f: Funnel, T: int, B: int, nodes: np.ndarray | None) -> None:
        P = f.n_pre
        self.f, self.T, self.B, self.nodes = f, T, B, nodes
        self.sensed = np.zeros((B, T + 1))
        self.skips = np.zeros((B, T + 1))
        self.at_risk = np.zeros((B, P, 2, 2))
        self.advanced = np.zeros((B, P, 2, 2))
        self.expected = np.zeros((B, P, 2, 2))
        self.boosted = np.zeros(B)
        self.snapshot = None if nodes is None else np.zeros((T + 1, nodes.size), dtype=np.int8)

    def start(self, rep: Batch) -> None:
        rows = rep.N
        self.stride = rep.stride
        self.furthest = np.zeros(rows, dtype=np.int8)       # furthest pre-purchase stage seen
        self.buy_step = np.full(rows, -1, dtype=np.int32)
        self.skipped = np.zeros(rows, dtype=bool)
        self.first_told_buyer = np.full(rows, -1, dtype=np.int32)  # first telling as a buyer (stage Share)
        self.kpos = np.zeros(rows, dtype=np.int32)
        self.seed = rep.stage != 0  # KOLs and initial complainers start outside the funnel
        if self.snapshot is not None:
            assert self.nodes is not None  # the snapshot draws these agents (replicate 0: rows = ids)
            self.snapshot[0] = _categories(rep, self.nodes)

    def before_step(self, t: int, rep: Batch) -> None:
        # the state at the start of the step, which the step's decisions read
        self.st0 = rep.stage.copy()
        self.was_sensed = rep.sensed.copy()
        self.ids0 = rep.inbox.ids
        self.kpos[self.ids0] = rep.inbox.pos  # positive messages each agent reads this step

    def told(self, t: int, rep: Batch, tellers: np.ndarray) -> None:
        # who takes a turn in telling is known only inside the step (a SICAS buyer can
        # buy, tell and finish in one step)
        buyers = tellers[(rep.stage[tellers] == self.f.SHARE) & (self.first_told_buyer[tellers] < 0)]
        self.first_told_buyer[buyers] = t

    def after_step(self, t: int, rep: Batch) -> None:
        f, P, B = self.f, self.f.n_pre, self.B
        st0, st1 = self.st0, rep.stage
        pre = np.flatnonzero((st0 >= 1) & (st0 <= P) & (st1 != f.REJECTED))
        self.skips[:, t] = self.skips[:, t - 1]
        if pre.size:
            b = _replicate_of(rep, pre)
            s0 = st0[pre].astype(np.int64)
            s1 = st1[pre]
            buys = np.isin(s1, [f.ACTION, f.SHARE, f.DONE])
            jump = (s0 == 1) & buys if P > 1 else np.zeros(pre.size, dtype=bool)
            adv = np.where(s0 < P, s1 == s0 + 1, buys)
            adv &= ~jump
            has_msg = (self.kpos[pre] > 0).astype(np.int64)
            sen = self.was_sensed[pre].astype(np.int64)
            cell = ((b * P + s0 - 1) * 2 + sen) * 2 + has_msg  # [replicate, stage - 1, sensed, had_message]
            size = B * P * 4
            self.at_risk += np.bincount(cell, minlength=size).reshape(self.at_risk.shape)
            self.advanced += np.bincount(cell, weights=adv, minlength=size).reshape(self.advanced.shape)
            msg = np.asarray(f.message_boost, dtype=bool)[s0 - 1]
            brand = np.asarray(f.brand_boost, dtype=bool)[s0 - 1]
            p = advance_probability(np.asarray(f.advance)[s0 - 1], np.where(msg, self.kpos[pre], 0),
                                    f.positive_boost, brand & (sen == 1), f.brand_engagement)
            self.expected += np.bincount(cell, weights=p, minlength=size).reshape(self.expected.shape)
            if f.message_boost[P - 1] and f.positive_boost > 0:
                self.boosted += np.bincount(b, weights=adv & (s0 == P) & (has_msg == 1), minlength=B)
            self.buy_step[pre[buys]] = t
            self.skipped[pre[jump]] = True
            self.skips[:, t] += np.bincount(b, weights=jump, minlength=B)
        self.kpos[self.ids0] = 0
        in_pre = (st1 >= 1) & (st1 <= P)
        np.maximum(self.furthest, np.where(in_pre, st1, 0).astype(np.int8), out=self.furthest)
        self.sensed[:, t] = rep.sensed.reshape(B, -1).sum(axis=1)
        if self.snapshot is not None:
            assert self.nodes is not None
            self.snapshot[t] = _categories(rep, self.nodes)

    def finish(self, last: int, rep: Batch) -> None:
        # nothing changed after step `last`: the remaining steps repeat its state
        self.sensed[:, last + 1:] = self.sensed[:, last:last + 1]
        self.skips[:, last + 1:] = self.skips[:, last:last + 1]
        if self.snapshot is not None:
            self.snapshot[last + 1:] = self.snapshot[last]
        self.aware = rep.aware.copy()


def _replicate_of(rep: Batch, rows: np.ndarray) -> np.ndarray:
    """The replicate (0 .. B - 1) of each agent row."""
    b = rep.rep_of(rows)
    return np.zeros(rows.size, dtype=np.int64) if b is None else b


def record(sc: Scenario, graph: CSRGraph, plan: SeedPlan, nodes: np.ndarray,
           progress: Callable[[int], None] | None = None) -> FunnelRecord:
    """Run every replicate of `sc` on `graph` with the plan's KOLs, recording the
    teaching quantities. `nodes`: the agents the network snapshot draws.
    `progress(steps_done)` is called as steps complete.

    Replicates run as batches (the NumPy core's, sized by memory like `wom-sim run`'s);
    every replicate draws from its own stream, so the record does not depend on the
    batch size (tests/test_teach.py)."""
    eng = NumpyEngine(graph, sc, plan.fixed if plan.fixed is not None else ())
    f = eng.funnel
    R, T, P = sc.scenario.replicates, sc.scenario.steps, f.n_pre
    series = np.zeros((R, T + 1, len(eng.metrics)))
    sensed = np.zeros((R, T + 1))
    skips = np.zeros((R, T + 1))
    at_risk = np.zeros((R, P, 2, 2))
    advanced = np.zeros((R, P, 2, 2))
    expected = np.zeros((R, P, 2, 2))
    boosted = np.zeros(R)
    lags = np.zeros((R, MAX_LAG + 1))
    reached = np.zeros((R, P + 2))
    bought_n = np.zeros(R)
    n_seeds = np.zeros(R)
    snapshot = np.zeros((T + 1, nodes.size), dtype=np.int8)
    batch = even_batch(R, numpy_batch(sc, graph.n, graph.n_arcs, R))
    for a in range(0, R, batch):
        part = list(range(a, min(R, a + batch)))
        B = len(part)
        rec = _Recorder(f, T, B, nodes if a == 0 else None)

        def tick(t: int, base: int = a * T, size: int = B) -> None:
            if progress:
                progress(base + t * size)
        eng.run_batch(streams(sc.scenario.seed, (2,), part),
                      [np.asarray(plan.for_replicate(r), dtype=np.int64) for r in part], tick,
                      out=series[a:a + B], observer=rec)
        sl = slice(a, a + B)
        sensed[sl], skips[sl], boosted[sl] = rec.sensed, rec.skips, rec.boosted
        at_risk[sl], advanced[sl], expected[sl] = rec.at_risk, rec.advanced, rec.expected
        if rec.snapshot is not None:
            snapshot = rec.snapshot

        def per_agent(x: np.ndarray, s: int = rec.stride, b: int = B) -> np.ndarray:
            """A per-row array as (replicate, agent), padding rows dropped."""
            return x.reshape(b, s)[:, :graph.n]
        seed = per_agent(rec.seed)
        n_seeds[sl] = seed.sum(axis=1)
        # how far each agent got (seeds excluded)
        walker = ~seed
        buy_step, told = per_agent(rec.buy_step), per_agent(rec.first_told_buyer)
        bought = walker & (buy_step >= 0)
        shared = bought & (told >= 0)
        furthest = per_agent(rec.furthest)
        reached[sl, 0] = (walker & per_agent(rec.aware)).sum(axis=1)
        for k in range(2, P + 1):
            reached[sl, k - 1] = (walker & (furthest >= k)).sum(axis=1)
        reached[sl, P] = (bought & ~per_agent(rec.skipped)).sum(axis=1)
        reached[sl, P + 1] = shared.sum(axis=1)
        bought_n[sl] = bought.sum(axis=1)
        lag = np.minimum(told - buy_step, MAX_LAG)
        which = np.nonzero(shared)  # (replicate, agent) of every sharing buyer
        lags[sl] = np.bincount(which[0] * (MAX_LAG + 1) + lag[which], minlength=B * (MAX_LAG + 1)).reshape(B, -1)
    return FunnelRecord(sc, f, eng.metrics, series, sensed, skips, at_risk, advanced, expected, boosted, lags,
                        reached, bought_n, n_seeds, snapshot, np.asarray(plan.for_replicate(0), dtype=np.int64))


def levels(f: Funnel) -> list[str]:
    """Stage names of the columns of FunnelRecord.reached: the first stage (every agent
    who became aware entered it), each later pre-purchase stage, Action reached through
    the last pre-purchase stage (SICAS skips are counted apart), and Share (told at
    least once after buying)."""
    return list(f.stages[:f.n_pre + 2])
