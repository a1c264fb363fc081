"""One replicate of the vectorized core: the agent state and the step rules that change it.

Every per-step operation is an array operation over an *active set*: the agents who
received messages last step (the inbox), the agents inside the funnel, and the
sharers. Stage counts are kept incrementally, so a quiet step on a 10M-agent graph
costs little. The rules themselves (advance, rejection, sharing, tells, which messages
can act) come from wom_sim.model.rules; the metrics from wom_sim.model.metrics.

Step order (synchronous; decisions read the state at the start of the step):
  1. exposure and persuasion by the messages sent last step, judged now (_receive)
  2. advertising exposure                               (_advertise)
  3. funnel progression; reaching Action is a purchase  (_progress, _adopt)
  4. SICAS: the brand senses aware agents               (_sense)
  5. telling: KOL broadcast (step 1), retell or cascade (_tell)
  6. detection of complainers who told, responses due   (_respond)

The public stepping API: ``Replicate(engine, rng, kols, observer)``, then ``step(t)``
for t = 1, 2, ..., ``counters()`` after any step, ``quiescent()`` when nothing can
change any more. An :class:`Observer` sees the state before and after every step and
the sharers who take a turn in telling (the teach recorder uses it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ...funnels import Funnel
from ...graphs.csr import CSRGraph
from ...graphs.kernels import accumulate, bernoulli_arcs, distinct_neighbours, ranges, repeat_index
from ...model import rules
from ...policies import EngineView, make_policy


class Shared(Protocol):
    """What the replicates of one scenario share (NumpyEngine provides it)."""
    g: CSRGraph
    sc: Any
    funnel: Funnel
    kols: np.ndarray
    n: int
    advance_by_code: np.ndarray
    message_by_code: np.ndarray
    brand_by_code: np.ndarray

    @property
    def out_degree(self) -> np.ndarray: ...


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


class Observer:
    """Watches a replicate step by step; every method is optional (the base does nothing).
    It reads the replicate's public arrays and must not change them or draw numbers."""

    def start(self, rep: Replicate) -> None:
        """The initial state (step 0), after the seeds are placed."""

    def before_step(self, t: int, rep: Replicate) -> None:
        """The state at the start of step t, which the step's decisions read."""

    def told(self, t: int, rep: Replicate, tellers: np.ndarray) -> None:
        """The sharers taking a turn in telling in step t (KOL broadcasts excluded)."""

    def after_step(self, t: int, rep: Replicate) -> None:
        """The state after step t."""

    def finish(self, last: int, rep: Replicate) -> None:
        """No step ran after `last`: the replicate was quiescent, later steps repeat it."""


@dataclass
class Inbox:
    """The messages sent in one step, read in the next: distinct receivers and counts."""
    ids: np.ndarray
    pos: np.ndarray
    neg: np.ndarray

    @staticmethod
    def empty() -> Inbox:
        z = np.zeros(0, np.int32)
        return Inbox(_empty(), z, z)


class _Plans:
    """The retell sharers' telling plans in one growing buffer (docs/model.md, 9.2).

    A new sharer draws, once, the distinct followers it will tell over its life, in
    random order; it tells `tells_per_step` of them per step from `pos[agent]` on. The
    plans of the sharers made in a step are drawn together, just before the step's
    telling (one call of the sampler a step, not one per rule that makes sharers). The
    buffer is compacted when finished plans make up most of it."""

    #: below this many entries the buffer is never compacted
    COMPACT_FROM = 1 << 16

    def __init__(self, n: int) -> None:
        self.buf = np.zeros(1 << 12, dtype=np.int32)
        self.used = 0
        self.pos = np.zeros(n, dtype=np.int64)  # next target of each agent's plan
        self.unplanned: list[np.ndarray] = []    # sharers made since the last draw

    def add(self, agents: np.ndarray, targets: np.ndarray, sizes: np.ndarray) -> None:
        need = self.used + targets.size
        if need > self.buf.size:
            grown = np.zeros(max(need, 2 * self.buf.size), dtype=np.int32)
            grown[:self.used] = self.buf[:self.used]
            self.buf = grown
        self.buf[self.used:need] = targets
        self.pos[agents] = self.used + np.cumsum(sizes) - sizes
        self.used = need

    def take(self, agents: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The next `count` targets of each agent's plan: (owner index, target)."""
        at = ranges(self.pos[agents], count)
        self.pos[agents] += count
        return repeat_index(count), self.buf[at]

    def compact(self, agents: np.ndarray, left: np.ndarray) -> None:
        """Keep only the untold rest of the plans of `agents` (the live sharers)."""
        if self.used <= max(self.COMPACT_FROM, 2 * int(left.sum())):
            return
        keep = self.buf[ranges(self.pos[agents], left)]
        self.buf = np.zeros(max(keep.size * 2, 1 << 12), dtype=np.int32)
        self.buf[:keep.size] = keep
        self.pos[agents] = np.cumsum(left) - left
        self.used = keep.size


class Replicate:
    """The state of one replicate and the step rules that change it."""

    def __init__(self, eng: Shared, rng: np.random.Generator, kols: np.ndarray | None = None,
                 observer: Observer | None = None) -> None:
        self.e, self.g, self.f, self.rng = eng, eng.g, eng.funnel, rng
        self.kols = eng.kols if kols is None else np.asarray(kols, dtype=np.int64)
        self.observer = observer
        sc = eng.sc
        self.wom, self.resp = sc.wom, sc.response
        self.cascade = sc.wom.mode == "cascade"
        n, f = eng.n, self.f
        self.n = n
        self.t = 0
        # --- agent state (docs/model.md section 2); small dtypes
        self.stage = np.zeros(n, dtype=np.int8)
        self.experience = np.zeros(n, dtype=np.int8)   # +1 / -1 after purchase
        self.valence = np.zeros(n, dtype=np.int8)      # what a sharer tells: +1 / -1
        self.tells_left = np.zeros(n, dtype=np.int32)  # retell: tells; cascade: active steps
        self.aware = np.zeros(n, dtype=bool)
        self.heard_neg = np.zeros(n, dtype=bool)
        self.sensed = np.zeros(n, dtype=bool)
        self.detected = np.zeros(n, dtype=bool)
        self.telling = np.zeros(n, dtype=bool)         # member of self.tellers or self.pending
        self.kpos = np.zeros(n, dtype=np.int32)        # scratch: positive messages read this step
        self._kpos_ids: np.ndarray | None = None       # where kpos is non-zero
        self.plans = None if self.cascade else _Plans(n)
        # --- active sets
        self.pre = _empty()       # agents in pre-purchase stages
        self.tellers = _empty()   # sharers who tell this step
        self.pending = _empty()   # sharers who start telling next step
        self.inbox = Inbox.empty()
        # --- counters (model.metrics.COUNTERS)
        self.counts = np.zeros(f.n_codes, dtype=np.int64)
        self.counts[0] = n
        self.n_aware = self.n_neg_reach = self.adopters = 0
        self.new_adopters = self.new_pos = self.new_neg = self.new_responses = 0
        self.policy = make_policy(sc.response)
        self.view = EngineView(eng.out_degree if self.policy.monitors else np.zeros(0), 0, rng)
        self._seed()
        if observer is not None:
            observer.start(self)

    # ------------------------------------------------------------------ helpers
    def move(self, idx: np.ndarray, code: int | np.ndarray) -> None:
        """Set the stage of distinct agents `idx`, keeping the stage counts exact."""
        if idx.size == 0:
            return
        c = self.f.n_codes
        self.counts -= np.bincount(self.stage[idx], minlength=c)
        if isinstance(code, np.ndarray):
            self.counts += np.bincount(code, minlength=c)
        else:
            self.counts[code] += idx.size
        self.stage[idx] = code

    def mark_aware(self, idx: np.ndarray) -> None:
        new = idx[~self.aware[idx]]
        self.aware[new] = True
        self.n_aware += new.size

    def mark_heard_neg(self, idx: np.ndarray) -> None:
        new = idx[~self.heard_neg[idx]]
        self.heard_neg[new] = True
        self.n_neg_reach += new.size

    def make_sharers(self, idx: np.ndarray, valence: int | np.ndarray, now: bool, tells: np.ndarray | None = None,
                     complainer: bool = False) -> np.ndarray:
        """Agents `idx` start telling with valence +1/-1 (one for all, or one each): now
        (this step) or next step.

        Draws their tells (rules.new_tells) unless given; in retell mode each draws its
        plan of distinct followers (rules.telling_plan_size of them). Returns what each
        will tell (0: nobody to tell; the caller decides its stage)."""
        if idx.size == 0:
            return np.zeros(0, dtype=np.int32)
        if tells is None:
            assert np.ndim(valence) == 0, "tells are drawn for one valence at a time"
            tells = rules.new_tells(self.rng, self.wom, int(valence), idx.size, complainer=complainer)
        if self.plans is not None:  # it will tell this many distinct followers; drawn at telling time
            tells = rules.telling_plan_size(tells, self.e.out_degree[idx]).astype(np.int32)
            self.plans.unplanned.append(idx)
        self.valence[idx] = valence
        self.tells_left[idx] = tells
        live = idx[(tells > 0) & ~self.telling[idx]]
        self.telling[live] = True
        if now:
            self.tellers = np.concatenate([self.tellers, live])
        else:
            self.pending = np.concatenate([self.pending, live])
        return np.asarray(tells, dtype=np.int32)

    def _draw_plans(self) -> None:
        """The telling plans of the sharers made since the last draw, all at once: each
        tells its tells_left distinct followers, in random order (a sharer made again
        before telling, or stopped, is drawn once, with what it has left)."""
        plans = self.plans
        assert plans is not None
        if not plans.unplanned:
            return
        idx = np.concatenate(plans.unplanned) if len(plans.unplanned) > 1 else plans.unplanned[0]
        plans.unplanned = []
        if idx.size > 1:  # distinct (a sort, not np.unique's hashing: REFERENCE.md pitfall)
            idx = np.sort(idx)
            idx = idx[np.concatenate(([True], idx[1:] != idx[:-1]))]
        idx = idx[self.tells_left[idx] > 0]
        if idx.size:
            _, targets, size = distinct_neighbours(self.g, idx, self.tells_left[idx], self.rng,
                                                   deg=self.e.out_degree[idx])
            plans.add(idx, targets, size)

    def finish_telling(self, idx: np.ndarray) -> None:
        """Sharers out of tells: buyers go DONE; rejecters stay REJECTED."""
        self.tells_left[idx] = 0
        self.telling[idx] = False
        buyers = idx[self.stage[idx] == self.f.SHARE]
        self.move(buyers, self.f.DONE)

    def bought(self, idx: np.ndarray) -> np.ndarray:
        """Whether each agent has bought (Action, Share or Done: a purchase is never undone)."""
        s = self.stage[idx]
        return (s > self.f.n_pre) & (s != self.f.REJECTED)

    # ------------------------------------------------------------------ step 0
    def _seed(self) -> None:
        f = self.f
        kols = self.kols
        if kols.size:
            # KOLs are positive sharers who broadcast once at step 1, then are DONE
            self.move(kols, f.SHARE)
            self.experience[kols] = 1
            self.valence[kols] = 1
            self.mark_aware(kols)
            self.adopters += kols.size
        k = self.e.sc.seeding.initial_complainers
        if k:
            pool = self.n - kols.size
            pick = self.rng.choice(pool, size=min(k, pool), replace=False).astype(np.int64)
            if kols.size:  # map 0..pool-1 onto the non-KOL agents
                others = np.setdiff1d(np.arange(self.n, dtype=np.int64), kols, assume_unique=True)
                pick = others[pick]
            # customers with a bad experience: a complaint is out
            self.move(pick, f.SHARE)
            self.experience[pick] = -1
            self.mark_aware(pick)
            self.mark_heard_neg(pick)
            self.adopters += pick.size
            told = self.make_sharers(pick, -1, now=True, complainer=True)
            self.move(pick[told == 0], f.DONE)

    # ------------------------------------------------------------------ one step
    def step(self, t: int) -> None:
        """Advance the replicate by step t (t = 1, 2, ... in order)."""
        self.new_adopters = self.new_pos = self.new_neg = self.new_responses = 0
        self.t = t
        if self.observer is not None:
            self.observer.before_step(t, self)
        start_pre = self.pre
        new_aware = self._receive()
        new_aware = np.concatenate([new_aware, self._advertise()])
        buyers = self._progress(start_pre, new_aware)
        self._adopt(buyers, positive=False)
        self._sense()
        neg_tellers = self._tell(t)
        self._respond(t, neg_tellers)
        if self.pending.size:
            self.tellers = np.concatenate([self.tellers, self.pending])
            self.pending = _empty()
        if self.observer is not None:
            self.observer.after_step(t, self)

    def _receive(self) -> np.ndarray:
        """Exposure and persuasion by the messages of last step, judged against the
        hearers' state now (docs/model.md 9.1). Returns new funnel entrants."""
        f, w, ib = self.f, self.wom, self.inbox
        self.inbox = Inbox.empty()
        ids = ib.ids
        if ids.size == 0:
            return _empty()
        self.mark_aware(ids)
        got_neg = ib.neg > 0
        if got_neg.any():
            self.mark_heard_neg(ids[got_neg])
        st = self.stage[ids]
        if f.is_contagion:
            # hearing is deciding: negative wins if both arrive in one step
            free = st == f.UNAWARE
            rej = ids[free & got_neg]
            adopt = ids[free & ~got_neg & (ib.pos > 0)]
            self.move(rej, f.REJECTED)
            sharers = rej[self.rng.random(rej.size) < rules.share_probability(w, -1)]
            self.make_sharers(sharers, -1, now=f.realtime_share)
            self._adopt(adopt, positive=True)
            return _empty()
        # unaware hearers enter the funnel at its first stage
        entering = ids[st == f.UNAWARE]
        self.move(entering, 1)
        # each negative message rejects a not-yet-buying agent with reject_per_negative
        if got_neg.any() and w.reject_per_negative > 0:
            st = self.stage[ids]
            cand = got_neg & (st <= f.n_pre) & (st >= 1)
            c_ids, c_k = ids[cand], ib.neg[cand]
            rej = c_ids[self.rng.random(c_ids.size) < rules.rejection_probability(c_k, w.reject_per_negative)]
            self.move(rej, f.REJECTED)
            tellers = rej[self.rng.random(rej.size) < w.rejecter_shares]
            self.make_sharers(tellers, -1, now=f.realtime_share)
        # positive messages boost this step's advance (read in _progress)
        self.kpos[ids] = ib.pos
        self._kpos_ids = ids
        return entering[self.stage[entering] == 1]

    def _advertise(self) -> np.ndarray:
        """Advertising: each unaware agent becomes aware with p_external.

        Bernoulli(p) for all N agents equals a Binomial(N, p) count of uniformly chosen
        distinct agents, so only the hits are drawn; the non-unaware ones are dropped.
        """
        p = self.wom.p_external
        if p <= 0:
            return _empty()
        k = self.rng.binomial(self.n, p)
        if k == 0:
            return _empty()
        hit = self.rng.choice(self.n, size=k, replace=False).astype(np.int64)
        hit = hit[self.stage[hit] == self.f.UNAWARE]
        self.mark_aware(hit)
        if self.f.is_contagion:  # no funnel: advertising persuades at once (innovators)
            self._adopt(hit, positive=True)
            return _empty()
        self.move(hit, 1)
        return hit

    def _progress(self, pre: np.ndarray, new_aware: np.ndarray) -> np.ndarray:
        """Each agent aware at the start of the step advances one stage with its probability.

        The largest per-step cost of the full model (it touches every agent in the
        funnel), so: one gather of the stages, per-code lookup tables, float32 draws,
        and the message and brand lifts computed only for the agents they apply to."""
        f, e = self.f, self.e
        if f.is_contagion:
            return _empty()
        buyers = _empty()
        if pre.size:
            s = self.stage[pre]
            live = (s >= 1) & (s <= f.n_pre)  # drop agents rejected this step
            if not live.all():
                pre, s = pre[live], s[live]
        if pre.size:
            adv = e.advance_by_code[s]
            if f.positive_boost > 0:
                k = self.kpos[pre]
                lift = np.flatnonzero((k > 0) & e.message_by_code[s])
                if lift.size:
                    adv[lift] = rules.message_lift(adv[lift], k[lift], np.float32(f.positive_boost))
            if f.brand_engagement > 0:
                lift = np.flatnonzero(e.brand_by_code[s] & self.sensed[pre])
                if lift.size:
                    adv[lift] = rules.brand_lift(adv[lift], np.float32(f.brand_engagement))
            step = self.rng.random(pre.size, dtype=np.float32) < adv
            new_s = s + step.view(np.int8)
            if f.skip > 0:  # SICAS: a jump from Sense straight to Action
                jump = (s == 1) & (self.rng.random(pre.size, dtype=np.float32) < f.skip)
                new_s[jump] = f.ACTION
            changed = np.flatnonzero(new_s != s)
            self.move(pre[changed], new_s[changed])
            bought = new_s == f.ACTION
            buyers = pre[bought]
            pre = pre[~bought]
        if self._kpos_ids is not None:
            self.kpos[self._kpos_ids] = 0
            self._kpos_ids = None
        self.pre = np.concatenate([pre, new_aware]) if new_aware.size else pre
        return buyers

    def _adopt(self, idx: np.ndarray, positive: bool) -> None:
        """Purchase (step 4): count the adopters, then draw experience and sharing.

        `positive`: the experience is good without a draw (contagion hearers and
        innovators: hearing is deciding). Buyers who do not share stay at Action;
        sharers go to Share, or straight to DONE with nobody to tell."""
        if idx.size == 0:
            return
        f, w = self.f, self.wom
        self.adopters += idx.size
        self.new_adopters += idx.size
        if positive:
            neg = np.zeros(idx.size, dtype=bool)
        else:
            neg = self.rng.random(idx.size) < w.p_negative_experience
        self.experience[idx] = np.where(neg, -1, 1)
        codes = np.full(idx.size, f.ACTION, dtype=np.int8)
        # who shares, and their tells, by valence; then the plans of all of them at once
        parts: list[tuple[np.ndarray, int, np.ndarray]] = []
        for valence, rows in ((1, np.flatnonzero(~neg)), (-1, np.flatnonzero(neg))):
            sp = rules.share_probability(w, valence)
            rows = rows if sp >= 1 else rows[self.rng.random(rows.size) < sp]
            if rows.size:
                parts.append((rows, valence, rules.new_tells(self.rng, w, valence, rows.size)))
        if parts:
            rows = np.concatenate([p[0] for p in parts])
            told = self.make_sharers(idx[rows], np.concatenate([np.full(p[0].size, p[1], np.int8) for p in parts]),
                                     now=f.realtime_share, tells=np.concatenate([p[2] for p in parts]))
            codes[rows] = np.where(told > 0, f.SHARE, f.DONE)
        self.move(idx, codes)

    def _sense(self) -> None:
        """SICAS (a): the brand's monitoring finds aware agents, then engages them."""
        if self.f.brand_engagement <= 0 or self.resp.detect_prob <= 0 or self.pre.size == 0:
            return
        cand = self.pre[~self.sensed[self.pre]]
        found = cand[self.rng.random(cand.size) < self.resp.detect_prob]
        self.sensed[found] = True

    def _tell(self, t: int) -> np.ndarray:
        """Telling (step 5). Returns the negative sharers who told this step."""
        g, w = self.g, self.wom
        owners_t: list[np.ndarray] = []
        negs: list[np.ndarray] = []
        if t == 1 and self.kols.size:
            kols = self.kols
            _, tg = bernoulli_arcs(g, kols, self.e.sc.seeding.kol_reach, self.rng)
            owners_t.append(tg)
            negs.append(np.zeros(tg.size, dtype=bool))
            self.new_pos += tg.size
            self.move(kols, self.f.DONE)
            self.valence[kols] = 0
        tellers = self.tellers
        if tellers.size:
            tellers = tellers[self.tells_left[tellers] > 0]
        if self.observer is not None:
            self.observer.told(t, self, tellers)
        neg_tellers = _empty()
        if tellers.size:
            if self.plans is None:  # cascade: one independent trial per out-arc
                o, tg = bernoulli_arcs(g, tellers, w.transmissibility, self.rng,
                                       use_weights=g.weights is not None, deg=self.e.out_degree[tellers])
                self.tells_left[tellers] -= 1
            else:  # retell: the next tells_per_step people of each sharer's plan
                self._draw_plans()
                if self.plans.used > _Plans.COMPACT_FROM:  # every live plan: this step's tellers, next step's
                    live = np.concatenate([tellers, self.pending])
                    self.plans.compact(live, self.tells_left[live])
                c = np.minimum(self.tells_left[tellers], w.tells_per_step)
                o, tg = self.plans.take(tellers, c)
                self.tells_left[tellers] -= c
            teller_neg = self.valence[tellers] < 0
            if teller_neg.any():
                is_neg = teller_neg[o]
                neg_tellers = tellers[teller_neg]
            else:
                is_neg = np.zeros(tg.size, dtype=bool)
            owners_t.append(tg)
            negs.append(is_neg)
            nn = int(is_neg.sum())
            self.new_neg += nn
            self.new_pos += tg.size - nn
            done = self.tells_left[tellers] <= 0
            self.finish_telling(tellers[done])
            tellers = tellers[~done]
        self.tellers = tellers
        if owners_t:
            targets = np.concatenate(owners_t) if len(owners_t) > 1 else owners_t[0]
            neg = np.concatenate(negs) if len(negs) > 1 else negs[0]
            # every message is counted as sent; those that can act on nothing when read
            # are not kept (rules.message_may_act)
            keep = rules.message_may_act(neg, self.heard_neg[targets], self.bought(targets))
            targets, neg = targets[keep], neg[keep]
            self.inbox = Inbox(*accumulate(targets, neg, self.n))
        return neg_tellers

    def _respond(self, t: int, neg_tellers: np.ndarray) -> None:
        """Monitoring, then the responses due at the end of step t (docs/model.md section 5)."""
        if not self.policy.monitors:
            return
        r, f = self.resp, self.f
        self.view.neg_messages_step = self.new_neg
        if neg_tellers.size and r.detect_prob > 0:
            cand = neg_tellers[~self.detected[neg_tellers]]
            found = cand[self.rng.random(cand.size) < r.detect_prob]
            self.detected[found] = True
            self.policy.on_detected(t, found, self.view)
        due = np.asarray(self.policy.due(t, self.view), dtype=np.int64)
        if due.size == 0:
            return
        self.new_responses = due.size
        u = self.rng.random((3, due.size))
        # resolve: the complainer stops telling
        resolved = due[(u[0] < r.resolve_prob) & (self.valence[due] < 0) & (self.tells_left[due] > 0)]
        if resolved.size:
            self.finish_telling(resolved)
        # service recovery: a complaining buyer becomes a positive sharer
        rec = due[(u[1] < r.recovery_prob) & (self.experience[due] < 0)]
        if rec.size:
            self.experience[rec] = 1
            # drop any negative telling first, so that no agent is listed twice
            self.tells_left[rec] = 0
            self.telling[rec] = False
            self.tellers = self.tellers[self.tells_left[self.tellers] > 0]
            self.pending = self.pending[self.tells_left[self.pending] > 0]
            told = self.make_sharers(rec, 1, now=False)
            self.move(rec[told > 0], f.SHARE)
            self.move(rec[told == 0], f.DONE)
        # public reply: each REJECTED neighbour reconsiders with repair_prob
        if r.repair_prob > 0:
            self._repair(due)

    def _repair(self, answered: np.ndarray) -> None:
        f, g = self.f, self.g
        if g.complete:  # every other agent follows each answered complainer
            rejected = np.flatnonzero(self.stage == f.REJECTED)
            replies = answered.size - np.isin(rejected, answered)  # not its own reply
            hits = rejected[self.rng.random(rejected.size) < rules.repair_probability(replies, self.resp.repair_prob)]
        else:
            _, nb = bernoulli_arcs(g, answered, 1.0, self.rng)
            nb = nb[self.stage[nb] == f.REJECTED].astype(np.int64)
            hits = np.unique(nb[self.rng.random(nb.size) < self.resp.repair_prob])
        if hits.size == 0:
            return
        # reconsidering ends any negative story they were telling
        self.tells_left[hits] = 0
        self.telling[hits] = False
        self.valence[hits] = 0
        if f.is_contagion:
            self.move(hits, f.UNAWARE)
        else:
            self.move(hits, 1)
            self.pre = np.concatenate([self.pre, hits])

    def quiescent(self) -> bool:
        """True when no rule can change the state again: no messages in flight, no
        sharers, nobody in the funnel, no advertising, no response scheduled."""
        return (self.inbox.ids.size == 0 and self.tellers.size == 0 and self.pending.size == 0
                and self.pre.size == 0 and self.wom.p_external <= 0 and self.policy.idle()
                and (self.t >= 1 or self.kols.size == 0))

    # ------------------------------------------------------------------ counters
    def counters(self) -> np.ndarray:
        """This step's counters (model.metrics.counter_names order)."""
        base = [self.n_aware, self.adopters, self.new_adopters, self.n_neg_reach, self.new_pos,
                self.new_neg, self.new_responses]
        return np.concatenate([np.asarray(base, dtype=np.float64), self.counts.astype(np.float64)])
