"""Run a funnel step by step and record what a class needs to see, beyond the metrics.

The NumPy engine reports stage counts, adopters and messages. A lesson also needs who
the brand sensed, who jumped Sense -> Action, how far each agent got in the funnel,
when each buyer first told, which advances had a peer message behind them, and the
stage of every drawn agent at every step. So this module drives the engine's
per-replicate state (`_Replicate`) one step at a time and reads its arrays between
steps, on the same streams and KOLs as `wom-sim run` (replicate r draws from
stream(seed, 2, r); KOLs from the seeding plan). Reading never draws a random number,
so the metric tables equal those of `wom_sim.run` on the same scenario and seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..engines.numpy_engine import NumpyEngine, _Replicate
from ..funnels import Funnel
from ..graphs.csr import CSRGraph
from ..runner import stream
from ..scenario import Scenario
from ..seeding import SeedPlan

#: longest purchase -> first-telling lag kept apart (longer ones share the last bin)
MAX_LAG = 5

# categories of the network snapshot, after the funnel's own stage codes
NEG_SHARE = -1  # a sharer telling a negative story (buyer or rejecter)


class _Observed(_Replicate):
    """A replicate that notes the first step each agent tells: who takes a turn in
    `_tell` is known only inside the step (a SICAS buyer can buy, tell and finish in one
    step), so this wraps the engine's telling rule and only reads its arguments."""

    def __init__(self, eng: NumpyEngine, rng: np.random.Generator, kols: np.ndarray) -> None:
        super().__init__(eng, rng, kols)
        self.first_told = np.full(self.n, -1, dtype=np.int32)        # any telling (rejecters too)
        self.first_told_buyer = np.full(self.n, -1, dtype=np.int32)  # telling as a buyer (stage Share)

    def _tell(self, t: int) -> np.ndarray:
        tel = self.tellers
        if tel.size:
            live = tel[self.tells_left[tel] > 0]
            self.first_told[live[self.first_told[live] < 0]] = t
            buyers = live[(self.stage[live] == self.f.SHARE) & (self.first_told_buyer[live] < 0)]
            self.first_told_buyer[buyers] = t
        return super()._tell(t)


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


def _categories(rep: _Replicate, nodes: np.ndarray) -> np.ndarray:
    """Stage codes of `nodes`, with sharers telling bad news set apart (NEG_SHARE)."""
    f = rep.f
    st = rep.stage[nodes].astype(np.int8)
    sharing = (st == f.SHARE) | rep.telling[nodes]
    neg = sharing & (rep.valence[nodes] < 0)
    st = np.where(sharing & ~neg, f.SHARE, st)
    return np.where(neg, NEG_SHARE, st).astype(np.int8)


def record(sc: Scenario, graph: CSRGraph, plan: SeedPlan, nodes: np.ndarray,
           progress: Callable[[int], None] | None = None) -> FunnelRecord:
    """Run every replicate of `sc` on `graph` with the plan's KOLs, recording the
    teaching quantities. `nodes`: the agents the network snapshot draws.
    `progress(steps_done)` is called after every step."""
    eng = NumpyEngine(graph, sc, plan.fixed if plan.fixed is not None else ())
    f = eng.funnel
    R, T, n, P = sc.scenario.replicates, sc.scenario.steps, graph.n, f.n_pre
    M = len(eng.metrics)
    series = np.zeros((R, T + 1, M))
    sensed = np.zeros((R, T + 1))
    skips = np.zeros((R, T + 1))
    at_risk = np.zeros((R, P, 2, 2))
    advanced = np.zeros((R, P, 2, 2))
    expected = np.zeros((R, P, 2, 2))
    base = np.asarray(f.advance)
    msg_stage = np.asarray(f.message_boost, dtype=bool)
    brand_stage = np.asarray(f.brand_boost, dtype=bool)
    boosted = np.zeros(R)
    lags = np.zeros((R, MAX_LAG + 1))
    reached = np.zeros((R, P + 2))
    bought_n = np.zeros(R)
    n_seeds = np.zeros(R)
    snapshot = np.zeros((T + 1, nodes.size), dtype=np.int8)
    buy_codes = np.array([f.ACTION, f.SHARE, f.DONE])
    kols0 = plan.for_replicate(0)
    done = 0
    for r in range(R):
        kols = np.asarray(plan.for_replicate(r), dtype=np.int64)
        rep = _Observed(eng, stream(sc.scenario.seed, 2, r), kols)
        seed = rep.stage != 0  # KOLs and initial complainers start outside the funnel
        n_seeds[r] = seed.sum()
        furthest = np.zeros(n, dtype=np.int8)       # furthest pre-purchase stage seen
        buy_step = np.full(n, -1, dtype=np.int32)
        skipped = np.zeros(n, dtype=bool)
        kpos = np.zeros(n, dtype=np.int32)
        series[r, 0] = rep.record()
        if r == 0:
            snapshot[0] = _categories(rep, nodes)
        quiet = False
        for t in range(1, T + 1):
            if quiet:  # as run_replicate: nothing can change, the state repeats
                series[r, t] = series[r, t - 1]
                series[r, t, [eng.metrics.index(m) for m in
                              ("new_adopters", "new_pos_messages", "new_neg_messages", "new_responses")]] = 0
                sensed[r, t], skips[r, t] = sensed[r, t - 1], skips[r, t - 1]
                if r == 0:
                    snapshot[t] = snapshot[t - 1]
                done += 1
                if progress:
                    progress(done)
                continue
            # the state at the start of the step, which the step's decisions read
            st0 = rep.stage.copy()
            was_sensed = rep.sensed.copy()
            ids0 = rep.inbox.ids
            kpos[ids0] = rep.inbox.pos  # positive messages each agent reads this step
            rep.step(t)
            st1 = rep.stage
            pre = np.flatnonzero((st0 >= 1) & (st0 <= P) & (st1 != f.REJECTED))
            if pre.size:
                s0 = st0[pre].astype(np.int64)
                s1 = st1[pre]
                buys = np.isin(s1, buy_codes)
                jump = (s0 == 1) & buys if P > 1 else np.zeros(pre.size, dtype=bool)
                adv = np.where(s0 < P, s1 == s0 + 1, buys)
                adv &= ~jump
                has_msg = (kpos[pre] > 0).astype(np.int64)
                sen = was_sensed[pre].astype(np.int64)
                np.add.at(at_risk[r], (s0 - 1, sen, has_msg), 1)
                np.add.at(advanced[r], (s0 - 1, sen, has_msg), adv)
                np.add.at(expected[r], (s0 - 1, sen, has_msg),
                          _rule(f, base[s0 - 1], msg_stage[s0 - 1], brand_stage[s0 - 1], kpos[pre], sen == 1))
                if f.message_boost[P - 1] and f.positive_boost > 0:
                    boosted[r] += int((adv & (s0 == P) & (has_msg == 1)).sum())
                new_buyers = pre[buys]
                buy_step[new_buyers] = t
                skipped[pre[jump]] = True
                skips[r, t] = skips[r, t - 1] + int(jump.sum())
            else:
                skips[r, t] = skips[r, t - 1]
            kpos[ids0] = 0
            in_pre = (st1 >= 1) & (st1 <= P)
            np.maximum(furthest, np.where(in_pre, st1, 0).astype(np.int8), out=furthest)
            series[r, t] = rep.record()
            sensed[r, t] = rep.sensed.sum()
            if r == 0:
                snapshot[t] = _categories(rep, nodes)
            if t < T and rep.quiescent():
                quiet = True
            done += 1
            if progress:
                progress(done)
        # how far each agent got (seeds excluded)
        walker = ~seed
        bought = walker & (buy_step >= 0)
        told = rep.first_told_buyer
        shared = bought & (told >= 0)
        reached[r, 0] = (walker & rep.aware).sum()
        for k in range(2, P + 1):
            reached[r, k - 1] = (walker & (furthest >= k)).sum()
        reached[r, P] = (bought & ~skipped).sum()
        reached[r, P + 1] = shared.sum()
        bought_n[r] = bought.sum()
        lag = np.minimum(told[shared] - buy_step[shared], MAX_LAG)
        lags[r] = np.bincount(lag, minlength=MAX_LAG + 1)[:MAX_LAG + 1]
    return FunnelRecord(sc, f, eng.metrics, series, sensed, skips, at_risk, advanced, expected, boosted, lags,
                        reached, bought_n, n_seeds, snapshot, np.asarray(kols0, dtype=np.int64))


def _rule(f: Funnel, p: np.ndarray, msg: np.ndarray, brand: np.ndarray, k: np.ndarray,
          sensed: np.ndarray) -> np.ndarray:
    """The advance probability MODEL.md gives each agent-step (section 4.2 and 3(a)):
    p = 1 - (1 - base)(1 - boost)^k on message-boosted stages, then the brand's lift
    1 - (1 - p)(1 - brand_engagement) on brand-boosted stages for sensed agents."""
    p = np.where(msg & (k > 0), 1.0 - (1.0 - p) * (1.0 - f.positive_boost) ** k, p)
    return np.where(brand & sensed, 1.0 - (1.0 - p) * (1.0 - f.brand_engagement), p)


def levels(f: Funnel) -> list[str]:
    """Stage names of the columns of FunnelRecord.reached: the first stage (every agent
    who became aware entered it), each later pre-purchase stage, Action reached through
    the last pre-purchase stage (SICAS skips are counted apart), and Share (told at
    least once after buying)."""
    return list(f.stages[:f.n_pre + 2])
