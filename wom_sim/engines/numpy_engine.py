"""The vectorized NumPy core: MODEL.md sections 2-7 for one replicate at a time.

Every per-step operation is an array operation over an *active set*: the agents who
received messages last step (the inbox), the agents inside the funnel, and the
sharers. Stage counts are kept incrementally, so a quiet step on a 10M-agent graph
costs little. Replicates are independent: each gets its own Generator from a
SeedSequence stream, so the numbers never depend on how replicates are scheduled.

Step order (synchronous; decisions read the state at the start of the step):
  1. exposure and persuasion by last step's messages   (_receive)
  2. advertising exposure                               (_advertise)
  3. funnel progression; reaching Action is a purchase  (_progress, _purchase)
  4. SICAS: the brand senses aware agents               (_sense)
  5. telling: KOL broadcast (step 1), retell or cascade (_tell)
  6. detection of complainers who told, responses due   (_respond)
  7. metrics                                            (_record)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..funnels import Funnel, build_funnel
from ..graphs.csr import CSRGraph
from ..policies import EngineView, make_policy
from ..scenario import FunnelSpec, Scenario
from .ic_kernel import ICKernel, ic_ineligible
from .sampling import accumulate, bernoulli_arcs, distinct_neighbours, draw_tells

BASE_METRICS = ["aware", "adopters", "new_adopters", "rejected", "negative_reach",
                "pos_messages", "neg_messages", "new_pos_messages", "new_neg_messages",
                "responses", "new_responses", "net_sentiment", "npv"]


def metric_names(funnel: Funnel) -> list[str]:
    return BASE_METRICS + [f"stage_{s}" for s in funnel.code_names()]


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class _Inbox:
    ids: np.ndarray
    pos: np.ndarray
    neg: np.ndarray


class NumpyEngine:
    """Runs replicates of one scenario on one graph with one set of KOLs."""

    def __init__(self, graph: CSRGraph, scenario: Scenario, kols=(), fast_ic: bool = True) -> None:
        """`fast_ic=False` keeps the general rules even for a pure IC scenario (tests
        use it to hold the IC kernel to the general engine)."""
        self.g = graph
        self.sc = scenario
        self.kols = np.asarray(kols, dtype=np.int64)  # default KOLs of run_replicate
        # Bass mode has no funnel: adoption is the only change of state
        self.funnel = build_funnel(FunnelSpec(kind="none") if scenario.wom.mode == "bass" else scenario.funnel)
        self.metrics = metric_names(self.funnel)
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
        if self._out_degree is None:
            self._out_degree = self.g.out_degree()
        return self._out_degree

    # ------------------------------------------------------------------ replicate
    def run_replicate(self, rng: np.random.Generator,
                      on_step: Callable[[int], None] | None = None,
                      kols: np.ndarray | None = None) -> np.ndarray:
        """Simulate `steps` steps from KOLs `kols` (default: the engine's); return the
        metrics table, shape (steps + 1, metrics)."""
        kols = self.kols if kols is None else np.asarray(kols, dtype=np.int64)
        if self.sc.wom.mode == "bass":
            from .bass import run_bass
            return run_bass(self, rng, on_step, kols)
        if self.fast_ic:
            if self._ic is None:
                self._ic = ICKernel(self)
            return self._ic.run(rng, kols, on_step)
        rep = _Replicate(self, rng, kols)
        steps = self.sc.scenario.steps
        out = np.zeros((steps + 1, len(self.metrics)), dtype=np.float64)
        out[0] = rep.record()
        for t in range(1, steps + 1):
            rep.step(t)
            out[t] = rep.record()
            if t < steps and rep.quiescent():
                # nothing can change any more: the remaining steps repeat this state
                rep.new_adopters = rep.new_pos = rep.new_neg = rep.new_responses = 0
                out[t + 1:] = rep.record()
                if on_step is not None:
                    on_step(steps)
                break
            if on_step is not None:
                on_step(t)
        return out


class _Replicate:
    """The state of one replicate and the step rules that change it."""

    def __init__(self, eng: NumpyEngine, rng: np.random.Generator, kols: np.ndarray | None = None) -> None:
        self.e, self.g, self.f, self.rng = eng, eng.g, eng.funnel, rng
        self.kols = eng.kols if kols is None else kols
        sc = eng.sc
        self.wom, self.resp, self.econ = sc.wom, sc.response, sc.economics
        self.cascade = sc.wom.mode == "cascade"
        n, f = eng.n, self.f
        self.n = n
        # --- agent state (MODEL.md section 2); small dtypes, ~16 bytes an agent
        self.stage = np.zeros(n, dtype=np.int8)
        self.experience = np.zeros(n, dtype=np.int8)   # +1 / -1 after purchase
        self.valence = np.zeros(n, dtype=np.int8)      # what a sharer tells: +1 / -1
        self.tells_left = np.zeros(n, dtype=np.int32)  # retell: tells; cascade: active steps
        self.aware = np.zeros(n, dtype=bool)
        self.heard_neg = np.zeros(n, dtype=bool)
        self.sensed = np.zeros(n, dtype=bool)
        self.detected = np.zeros(n, dtype=bool)
        self.telling = np.zeros(n, dtype=bool)         # member of self.tellers
        self.kpos = np.zeros(n, dtype=np.int32)        # scratch: positive messages this step
        self._kpos_ids: np.ndarray | None = None       # where kpos is non-zero
        # --- active sets
        self.pre = _empty()       # agents in pre-purchase stages
        self.tellers = _empty()   # sharers who tell this step
        self.pending = _empty()   # sharers who start telling next step
        self.inbox = _Inbox(_empty(), np.zeros(0, np.int32), np.zeros(0, np.int32))
        # --- counters
        self.counts = np.zeros(f.n_codes, dtype=np.int64)
        self.counts[0] = n
        self.n_aware = self.n_neg_reach = self.adopters = 0
        self.new_adopters = 0
        self.pos_msgs = self.neg_msgs = self.new_pos = self.new_neg = 0
        self.responses = self.new_responses = 0
        self.npv = 0.0
        self.policy = make_policy(sc.response)
        self.view = EngineView(eng.out_degree if self.policy.monitors else np.zeros(0), 0, rng)
        self._seed()

    # ------------------------------------------------------------------ helpers
    def move(self, idx: np.ndarray, code: int | np.ndarray) -> None:
        """Set the stage of distinct agents `idx`, keeping the stage counts exact."""
        if idx.size == 0:
            return
        c = self.f.n_codes
        self.counts -= np.bincount(self.stage[idx], minlength=c)
        if np.isscalar(code):
            self.counts[code] += idx.size
        else:
            self.counts += np.bincount(code, minlength=c)
        self.stage[idx] = code

    def mark_aware(self, idx: np.ndarray) -> None:
        new = idx[~self.aware[idx]]
        self.aware[new] = True
        self.n_aware += new.size

    def mark_heard_neg(self, idx: np.ndarray) -> None:
        new = idx[~self.heard_neg[idx]]
        self.heard_neg[new] = True
        self.n_neg_reach += new.size

    def make_sharers(self, idx: np.ndarray, valence: int, tells: np.ndarray | None = None,
                     now: bool = False) -> None:
        """Agents `idx` start telling (valence +1/-1): now (this step) or next step."""
        if idx.size == 0:
            return
        if tells is None:
            if self.cascade:
                tells = np.full(idx.size, self.wom.active_steps, dtype=np.int32)
            else:
                mean = self.wom.positive_tells if valence > 0 else self.wom.negative_tells
                tells = draw_tells(self.rng, idx.size, mean, self.wom.tells_distribution)
        self.valence[idx] = valence
        self.tells_left[idx] = tells
        live = idx[(tells > 0) & ~self.telling[idx]]
        self.telling[live] = True
        if now:
            self.tellers = np.concatenate([self.tellers, live])
        else:
            self.pending = np.concatenate([self.pending, live])

    def share_prob(self, valence: int) -> float:
        w = self.wom
        if valence < 0 and w.share_prob_negative is not None:
            return w.share_prob_negative
        return w.share_prob

    def finish_telling(self, idx: np.ndarray) -> None:
        """Sharers out of tells: buyers go DONE; rejecters stay REJECTED."""
        self.tells_left[idx] = 0
        self.telling[idx] = False
        buyers = idx[self.stage[idx] == self.f.SHARE]
        self.move(buyers, self.f.DONE)

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
            tells = None if self.cascade else np.maximum(
                draw_tells(self.rng, pick.size, self.wom.negative_tells, self.wom.tells_distribution), 1)
            self.make_sharers(pick, -1, tells, now=True)

    # ------------------------------------------------------------------ one step
    def step(self, t: int) -> None:
        self.new_adopters = self.new_pos = self.new_neg = self.new_responses = 0
        self.t = t
        start_pre = self.pre
        new_aware = self._receive()
        new_aware = np.concatenate([new_aware, self._advertise()])
        buyers = self._progress(start_pre, new_aware)
        self._purchase(buyers)
        self._sense()
        neg_tellers = self._tell(t)
        self._respond(t, neg_tellers)
        if self.pending.size:
            self.tellers = np.concatenate([self.tellers, self.pending])
            self.pending = _empty()
        self.npv += self.new_adopters * self.econ.margin * (1.0 + self.econ.discount_rate) ** (-t)

    def _receive(self) -> np.ndarray:
        """Exposure and persuasion by the messages of last step. Returns new funnel entrants."""
        f, w, ib = self.f, self.wom, self.inbox
        self.inbox = _Inbox(_empty(), np.zeros(0, np.int32), np.zeros(0, np.int32))
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
            sharers = rej[self.rng.random(rej.size) < self.share_prob(-1)]
            self.make_sharers(sharers, -1, now=f.realtime_share)
            self._adopt(adopt, positive=True)
            return _empty()
        # unaware hearers enter the funnel at its first stage
        entering = ids[st == f.UNAWARE]
        self.move(entering, 1)
        # each negative message rejects a not-yet-buying agent with reject_per_negative
        if got_neg.any() and w.reject_per_negative > 0:
            cand = got_neg & (self.stage[ids] <= f.n_pre) & (self.stage[ids] >= 1)
            c_ids, c_k = ids[cand], ib.neg[cand]
            p_rej = 1.0 - (1.0 - w.reject_per_negative) ** c_k
            rej = c_ids[self.rng.random(c_ids.size) < p_rej]
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
                    adv[lift] = 1.0 - (1.0 - adv[lift]) * np.float32(1.0 - f.positive_boost) ** k[lift]
            if f.brand_engagement > 0:
                lift = np.flatnonzero(e.brand_by_code[s] & self.sensed[pre])
                if lift.size:
                    adv[lift] = 1.0 - (1.0 - adv[lift]) * np.float32(1.0 - f.brand_engagement)
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

    def _adopt(self, idx: np.ndarray, positive: bool | None = None) -> None:
        """Purchase: count the adopters, then draw experience and sharing (step 4).

        Buyers who do not share stay at Action; sharers go to Share (or straight to
        DONE when they drew no retellings). One stage move for all of them."""
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
        for valence, rows in ((1, np.flatnonzero(~neg)), (-1, np.flatnonzero(neg))):
            if rows.size == 0:
                continue
            sp = self.share_prob(valence)
            rows = rows if sp >= 1 else rows[self.rng.random(rows.size) < sp]
            if rows.size == 0:
                continue
            if self.cascade:
                tells = np.full(rows.size, w.active_steps, dtype=np.int32)
            else:
                mean = w.positive_tells if valence > 0 else w.negative_tells
                tells = draw_tells(self.rng, rows.size, mean, w.tells_distribution)
            codes[rows] = np.where(tells > 0, f.SHARE, f.DONE)
            self.make_sharers(idx[rows], valence, tells, now=f.realtime_share)
        self.move(idx, codes)

    def _purchase(self, buyers: np.ndarray) -> None:
        self._adopt(buyers, positive=None)

    def _sense(self) -> None:
        """SICAS (a): the brand's monitoring finds aware agents, then engages them."""
        if self.f.brand_engagement <= 0 or self.resp.detect_prob <= 0 or self.pre.size == 0:
            return
        cand = self.pre[~self.sensed[self.pre]]
        found = cand[self.rng.random(cand.size) < self.resp.detect_prob]
        self.sensed[found] = True

    def _tell(self, t: int) -> np.ndarray:
        """Telling (step 5). Returns the negative sharers who told this step."""
        g, w, n = self.g, self.wom, self.n
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
        neg_tellers = _empty()
        if tellers.size:
            deg = self.e.out_degree[tellers]
            if self.cascade:
                o, tg = bernoulli_arcs(g, tellers, w.transmissibility, self.rng,
                                       use_weights=g.weights is not None, deg=deg)
                self.tells_left[tellers] -= 1
            else:
                k = np.minimum(self.tells_left[tellers], w.tells_per_step)
                o, tg, told = distinct_neighbours(g, tellers, k, self.rng, deg=deg)
                # an isolated sharer has nobody to tell: it is finished
                told = np.where(deg == 0, self.tells_left[tellers], told)
                self.tells_left[tellers] -= told.astype(np.int32)
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
            # a message can change only an agent not yet buying (unaware or in the
            # funnel), or make a first negative hearing; the rest are counted, not kept
            useful = self.stage[targets] <= self.f.n_pre
            if neg.any():
                useful |= neg & ~self.heard_neg[targets]
            targets, neg = targets[useful], neg[useful]
            ids, pos_c, neg_c = accumulate(targets, neg, n)
            self.inbox = _Inbox(ids, pos_c, neg_c)
        self.pos_msgs += self.new_pos
        self.neg_msgs += self.new_neg
        return neg_tellers

    def _respond(self, t: int, neg_tellers: np.ndarray) -> None:
        """Monitoring, then the responses due at the end of step t (MODEL.md section 5)."""
        if not self.policy.monitors:
            return
        r, f, w = self.resp, self.f, self.wom
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
        self.responses += due.size
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
            if self.cascade:
                tells = np.full(rec.size, w.active_steps, dtype=np.int32)
            else:
                tells = draw_tells(self.rng, rec.size, w.positive_tells, w.tells_distribution)
            self.move(rec[tells > 0], f.SHARE)
            self.move(rec[tells == 0], f.DONE)
            self.make_sharers(rec, 1, tells, now=False)
        # public reply: each REJECTED neighbour reconsiders with repair_prob
        if r.repair_prob > 0:
            self._repair(due)

    def _repair(self, answered: np.ndarray) -> None:
        f, g = self.f, self.g
        if g.complete:
            rejected = np.flatnonzero(self.stage == f.REJECTED)
            hits = rejected[self.rng.random(rejected.size) < 1 - (1 - self.resp.repair_prob) ** answered.size]
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

    # ------------------------------------------------------------------ metrics
    def record(self) -> np.ndarray:
        tot = self.pos_msgs + self.neg_msgs
        sentiment = (self.pos_msgs - self.neg_msgs) / tot if tot else 0.0
        base = [self.n_aware, self.adopters, self.new_adopters, self.counts[self.f.REJECTED],
                self.n_neg_reach, self.pos_msgs, self.neg_msgs, self.new_pos, self.new_neg,
                self.responses, self.new_responses, sentiment, self.npv]
        return np.concatenate([np.asarray(base, dtype=np.float64), self.counts.astype(np.float64)])
