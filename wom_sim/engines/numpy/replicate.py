"""A batch of replicates of the vectorized core: the agent state and the step rules.

B replicates run as ONE problem: replicate r's agent i is row r*n + i of every state
array (a block-diagonal graph that is never built: neighbours are found by index
arithmetic on the one CSR). Small graphs are where a step's fixed cost (some hundred
NumPy calls) dominates; a batch pays it once for all B. Every random number of
replicate r comes from its own stream (streams.Draws), and the elements of one
replicate are always taken in the same order, so a replicate gives the same numbers
alone or in a batch of any size (tests/test_batch.py).

Every per-step operation is an array operation over an *active set*: the agents who
received messages last step (the inbox), the agents of the funnel whose drawn waiting
time ends this step (_progress: an agent is touched when it advances, not every step),
and the sharers. Stage counts are kept incrementally, so a quiet step on a 10M-agent
graph costs little. The rules themselves (advance, rejection, sharing, tells, which messages
can act) come from wom_sim.model.rules; the metrics from wom_sim.model.metrics.

Step order (synchronous; decisions read the state at the start of the step):
  1. exposure and persuasion by the messages sent last step, judged now (_receive)
  2. advertising exposure                               (_advertise)
  3. funnel progression; reaching Action is a purchase  (_progress, _adopt)
  4. SICAS: the brand senses aware agents               (_sense)
  5. telling: KOL broadcast (step 1), retell or cascade (_tell)
  6. detection of complainers who told, responses due   (_respond)

Filters use ``np.compress(mask, a)``, not ``a[mask]``: on NumPy 2.4 boolean indexing
with an unpredictable mask costs ~4.5 ns an element, compress ~0.6 (benchmarks/, REFERENCE
pitfall).

The public stepping API: ``Batch(engine, draws, kols)`` (or ``Replicate(engine, rng,
kols, observer)`` for one), then ``step(t)`` for t = 1, 2, ..., ``counters()`` (one row
per replicate) after any step, ``quiescent()`` when nothing can change any more in any
replicate, ``place(rows, stage)`` to put agents in a funnel stage by hand. An
:class:`Observer` (batches of one) sees the state before and after every step and the
sharers who take a turn in telling (the teach recorder uses it).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from ...funnels import Funnel
from ...graphs.csr import CSRGraph
from ...graphs.kernels import (
    accumulate,
    bernoulli_arcs,
    distinct_neighbours,
    gap_positions,
    geometric_waits,
    ranges,
    repeat_index,
    weak_tie_hits,
)
from ...model import rules
from ...policies import EngineView, make_policy
from ...seeding.complainers import pick_from_order
from ...streams import Draws


class Shared(Protocol):
    """What the replicates of one scenario share (NumpyEngine provides it)."""
    g: CSRGraph
    sc: Any
    funnel: Funnel
    kols: np.ndarray
    n: int
    message_by_code: np.ndarray
    brand_by_code: np.ndarray
    p_step: np.ndarray      # leave_tables(funnel)
    p_leave: np.ndarray
    log_stay: np.ndarray
    complainer_order: np.ndarray | None

    @property
    def out_degree(self) -> np.ndarray: ...


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


class Observer:
    """Watches a batch of replicates (or one) step by step; every method is optional (the
    base does nothing). It reads the batch's public arrays, indexed by agent rows
    (Batch.rep_of, Batch.local), and must not change them or draw numbers. The batch
    steps until all its replicates are quiet, so `finish` comes once, for the batch."""

    def start(self, rep: Batch) -> None:
        """The initial state (step 0), after the seeds are placed."""

    def before_step(self, t: int, rep: Batch) -> None:
        """The state at the start of step t, which the step's decisions read."""

    def told(self, t: int, rep: Batch, tellers: np.ndarray) -> None:
        """The sharers taking a turn in telling in step t (KOL broadcasts excluded)."""

    def sent(self, t: int, rep: Batch, tellers: np.ndarray, hearers: np.ndarray, negative: np.ndarray) -> None:
        """Every message sent in step t (KOL posts included), read in step t + 1: its
        teller, its hearer (agent rows) and whether it is bad news."""

    def after_step(self, t: int, rep: Batch) -> None:
        """The state after step t."""

    def finish(self, last: int, rep: Batch) -> None:
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
    buffer is compacted when finished plans make up three quarters of it."""

    #: below this many entries the buffer is never compacted
    COMPACT_FROM = 1 << 16

    def __init__(self, n: int) -> None:
        self.dtype = np.int32 if n < 2**31 else np.int64  # targets are agent ids of the batch
        self.buf = np.zeros(1 << 12, dtype=self.dtype)
        self.used = 0
        self.pos = np.zeros(n, dtype=np.int64)  # next target of each agent's plan (in the buffer)
        self.unplanned: list[np.ndarray] = []    # sharers made since the last draw

    def add(self, agents: np.ndarray, targets: np.ndarray, sizes: np.ndarray) -> None:
        need = self.used + targets.size
        if need > self.buf.size:
            grown = np.zeros(max(need, 2 * self.buf.size), dtype=self.dtype)
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
        if self.used <= max(self.COMPACT_FROM, 4 * int(left.sum())):
            return
        keep = self.buf[ranges(self.pos[agents], left)]
        self.buf = np.zeros(max(keep.size * 2, 1 << 12), dtype=self.dtype)
        self.buf[:keep.size] = keep
        self.pos[agents] = np.cumsum(left) - left
        self.used = keep.size


#: the scenario keys that may differ between the replicates of one batch (a batch of
#: parameter points: the fit's proposals, `Batch(..., params=)`); each is read per agent
#: row from its replicate's value, and a replicate draws exactly what it would alone
VARYING = ("wom.p_external", "wom.p_negative_experience", "wom.reject_per_negative", "wom.rejecter_shares",
           "wom.positive_tells", "wom.negative_tells", "wom.share_prob", "wom.share_prob_negative",
           "funnel.positive_boost")


def per_replicate(params: dict[str, Any], key: str, default: float, B: int) -> float | np.ndarray:
    """A parameter of a batch: one number when every replicate has the same (the
    scenario's when not given), else one per replicate, (B,)."""
    v = params.get(key)
    if v is None:
        return float(default)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.size != B:
        raise ValueError(f"{key}: {v.size} values for a batch of {B} replicates")
    return float(v[0]) if bool((v == v[0]).all()) else v


def _share_probabilities(wom: Any, params: dict[str, Any], B: int) -> dict[int, float | np.ndarray]:
    """rules.share_probability for each valence: one number, or one per replicate when
    the batch's points differ in share_prob or share_prob_negative (the rule applied to
    each replicate's own values)."""
    if "wom.share_prob" not in params and "wom.share_prob_negative" not in params:
        return {v: rules.share_probability(wom, v) for v in (1, -1)}
    sp = np.broadcast_to(np.asarray(params.get("wom.share_prob", wom.share_prob), dtype=np.float64), (B,))
    spn = params.get("wom.share_prob_negative", wom.share_prob_negative)
    spn_b = [None] * B if spn is None else np.broadcast_to(np.asarray(spn, dtype=np.float64), (B,)).tolist()
    views = [SimpleNamespace(share_prob=a, share_prob_negative=b) for a, b in zip(sp.tolist(), spn_b)]
    return {v: per_replicate({"p": [rules.share_probability(x, v) for x in views]}, "p", 0.0, B) for v in (1, -1)}


def row_shift(n: int) -> int:
    """Bits of an agent id in a batch of the general engine: replicate r's agent i is
    row r << row_shift(n) | i (memory.py sizes batches by the rows this pads to)."""
    return max(int(n - 1).bit_length(), 1)


#: a step that never comes (an advance of probability 0)
NEVER = np.iinfo(np.int32).max


class _Calendar:
    """Agent rows filed by the step at which something is due to them (an advance, a
    sensing). Entries go stale when the agent's plans change (it is rejected, repaired,
    sensed, lifted): the caller keeps the current due step per agent and drops entries
    that no longer match it."""

    def __init__(self) -> None:
        self.slots: dict[int, list[np.ndarray]] = {}

    def add(self, rows: np.ndarray, at: np.ndarray) -> None:
        """File distinct rows (< 2**32) at steps `at` (< 2**31)."""
        if rows.size == 0:
            return
        key = np.sort((at.astype(np.int64) << 32) | rows)  # by step, then row: one plain sort
        at_s = key >> 32
        cuts = np.flatnonzero(at_s[1:] != at_s[:-1]) + 1
        rows = key & 0xFFFFFFFF
        slots = self.slots
        bounds = [0, *cuts.tolist(), rows.size]
        for i, when in enumerate(at_s[bounds[:-1]].tolist()):
            part = rows[bounds[i]:bounds[i + 1]]
            if when in slots:
                slots[when].append(part)
            else:
                slots[when] = [part]

    def pop(self, t: int) -> np.ndarray:
        """The distinct rows filed for step t, sorted (stale ones included)."""
        parts = self.slots.pop(t, None)
        if not parts:
            return _empty()
        rows = np.sort(np.concatenate(parts) if len(parts) > 1 else parts[0])
        if rows.size > 1:
            rows = rows[np.concatenate(([True], rows[1:] != rows[:-1]))]
        return rows


class Batch:
    """The state of B replicates and the step rules that change it."""

    def __init__(self, eng: Shared, draws: Draws, kols: list[np.ndarray] | None = None,
                 observer: Observer | None = None, params: dict[str, Any] | None = None) -> None:
        """`params`: values of keys of VARYING per replicate (B each), for a batch of
        parameter points; the scenario's values otherwise."""
        B, n = draws.B, eng.n
        self.e, self.g, self.f, self.draws = eng, eng.g, eng.funnel, draws
        # replicate r's agent i is row r * stride + i: a power of two, so the replicate
        # and the agent of a row are a shift and a mask, not a division
        self.shift = row_shift(n) if B > 1 else 0
        self.stride = 1 << self.shift if B > 1 else n
        self.B, self.n, self.N = B, n, B * self.stride
        kol_list = [eng.kols] * B if kols is None else [np.asarray(k, dtype=np.int64) for k in kols]
        self.kols = (np.concatenate([k + r * self.stride for r, k in enumerate(kol_list)]) if B > 1
                     else kol_list[0])
        self.observer = observer
        sc = eng.sc
        self.wom, self.resp = sc.wom, sc.response
        params = dict(params or {})
        unknown = sorted(set(params) - set(VARYING))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} cannot differ between the replicates of a batch")
        # the parameters VARYING names: a number, or one per replicate (read with _at)
        self.p_external = per_replicate(params, "wom.p_external", sc.wom.p_external, B)
        self.p_negative_experience = per_replicate(params, "wom.p_negative_experience",
                                                    sc.wom.p_negative_experience, B)
        self.reject_per_negative = per_replicate(params, "wom.reject_per_negative", sc.wom.reject_per_negative, B)
        self.rejecter_shares = per_replicate(params, "wom.rejecter_shares", sc.wom.rejecter_shares, B)
        self.positive_boost = per_replicate(params, "funnel.positive_boost", self.f.positive_boost, B)
        # retellings' means by valence (rules.new_tells_from) and who shares (rules.share_probability)
        self.tells_mean = {1: per_replicate(params, "wom.positive_tells", sc.wom.positive_tells, B),
                           -1: per_replicate(params, "wom.negative_tells", sc.wom.negative_tells, B)}
        self.share = _share_probabilities(sc.wom, params, B)
        self.cascade = sc.wom.mode == "cascade"
        f, N = self.f, self.N
        self.t = 0
        # --- agent state (docs/model.md section 2), row r*n + i; small dtypes
        self.stage = np.zeros(N, dtype=np.int8)
        self.experience = np.zeros(N, dtype=np.int8)   # +1 / -1 after purchase
        self.valence = np.zeros(N, dtype=np.int8)      # what a sharer tells: +1 / -1
        self.tells_left = np.zeros(N, dtype=np.int32)  # retell: tells; cascade: active steps
        self.aware = np.zeros(N, dtype=bool)
        self.heard_neg = np.zeros(N, dtype=bool)
        self.sensed = np.zeros(N, dtype=bool)
        self.detected = np.zeros(N, dtype=bool)
        self.telling = np.zeros(N, dtype=bool)         # member of self.tellers or self.pending
        self.kpos = np.zeros(N, dtype=np.int32)        # scratch: positive messages read this step
        self._kpos_ids: np.ndarray | None = None       # where kpos is non-zero
        self.plans = None if self.cascade else _Plans(N)
        # --- funnel progression by waiting times (see _progress)
        self.next_at = np.full(N if f.n_pre else 0, NEVER, dtype=np.int32)  # step of the next advance
        self._advances = _Calendar()
        self._lifted = _empty()   # agents whose advance this step is lifted by positive messages
        self.sensing = f.brand_engagement > 0 and sc.response.detect_prob > 0 and f.n_pre > 0
        self.sense_at = np.full(N if self.sensing else 0, NEVER, dtype=np.int32)
        self._sensings = _Calendar()
        # --- active sets (agent rows of the batch)
        self.tellers = _empty()   # sharers who tell this step
        self.pending = _empty()   # sharers who start telling next step
        self.inbox = Inbox.empty()
        # --- counters per replicate (model.metrics.COUNTERS)
        self.counts = np.zeros((B, f.n_codes), dtype=np.int64)
        self.counts[:, 0] = n
        z = np.zeros(B, dtype=np.int64)
        self.n_aware, self.n_neg_reach, self.adopters = z.copy(), z.copy(), z.copy()
        self._zero_step()
        # one policy per replicate (it keeps that replicate's queue); a policy that draws
        # numbers gets a child of the replicate's stream, so it cannot shift the engine's
        proto = make_policy(sc.response)
        self.monitors = proto.monitors
        # a per-agent policy serves the whole batch at once (it sees agent rows)
        self.one_policy = B == 1 or bool(type(proto).__dict__.get("per_agent", False))
        deg = eng.out_degree if proto.monitors else np.zeros(0)
        if not proto.monitors:
            self.policies, self.views = [], []
        elif self.one_policy:
            self.policies, self.views = [proto], [EngineView(deg, 0, draws.gens[0].spawn(1)[0])]
        else:
            self.policies = [proto] + [make_policy(sc.response) for _ in range(B - 1)]
            self.views = [EngineView(deg, 0, g.spawn(1)[0]) for g in draws.gens]
        self._seed(kol_list)
        if observer is not None:
            observer.start(self)

    def _zero_step(self) -> None:
        z = np.zeros(self.B, dtype=np.int64)
        self.new_adopters, self.new_pos, self.new_neg, self.new_responses = z, z.copy(), z.copy(), z.copy()

    # ------------------------------------------------------------------ helpers
    def rep_of(self, idx: np.ndarray) -> np.ndarray | None:
        """The replicate of each agent row (None in a batch of one)."""
        return None if self.B == 1 else idx >> self.shift

    def local(self, idx: np.ndarray) -> np.ndarray:
        """The agents' ids in the graph."""
        return idx if self.B == 1 else idx & (self.stride - 1)

    def per_rep(self, idx: np.ndarray) -> np.ndarray:
        """How many of `idx` belong to each replicate."""
        if self.B == 1:
            return np.array([idx.size], dtype=np.int64)
        return np.bincount(idx >> self.shift, minlength=self.B)

    def uniform(self, idx: np.ndarray) -> np.ndarray:
        """One uniform per agent of `idx`, from its replicate's stream."""
        return self.draws.uniform_for(self.rep_of(idx), idx.size)

    def _at(self, value: float | np.ndarray, idx: np.ndarray) -> float | np.ndarray:
        """A parameter's value for agent rows `idx`: the one number, or each row's
        replicate's (a batch of parameter points)."""
        return value if isinstance(value, float) else value[idx >> self.shift]

    def coin_each(self, idx: np.ndarray, p: float | np.ndarray) -> np.ndarray:
        """coin with a parameter of the batch (_at): a replicate whose probability is 1
        or more keeps its agents without a draw, as it would alone."""
        return np.compress(self._chances(idx, p), idx) if idx.size else idx

    def _chances(self, idx: np.ndarray, p: float | np.ndarray) -> np.ndarray:
        """Whether the event of probability p (one number, or one per replicate) happens
        to each row: no draw where p >= 1, one uniform each elsewhere."""
        if isinstance(p, float):
            return np.ones(idx.size, dtype=bool) if p >= 1 else self.uniform(idx) < p
        pe = p[idx >> self.shift]
        keep = pe >= 1
        draw = np.flatnonzero(~keep)
        keep[draw] = self.uniform(idx[draw]) < pe[draw]
        return keep

    def coin(self, idx: np.ndarray, p: float | np.ndarray) -> np.ndarray:
        """The agents of `idx` for whom an event of probability p happens."""
        if idx.size == 0:
            return idx
        if np.ndim(p) == 0 and p >= 1:
            return idx
        return np.compress(self.uniform(idx) < p, idx)

    def move(self, idx: np.ndarray, code: int | np.ndarray) -> None:
        """Set the stage of distinct agents `idx`, keeping the stage counts exact."""
        if idx.size == 0:
            return
        c = self.f.n_codes
        if self.B == 1:
            self.counts[0] -= np.bincount(self.stage[idx], minlength=c)
            if isinstance(code, np.ndarray):
                self.counts[0] += np.bincount(code, minlength=c)
            else:
                self.counts[0, code] += idx.size
        else:
            base = (idx >> self.shift) * c
            flat = self.counts.reshape(-1)
            flat -= np.bincount(base + self.stage[idx], minlength=self.B * c)
            flat += np.bincount(base + code, minlength=self.B * c)
        self.stage[idx] = code

    def mark_aware(self, idx: np.ndarray) -> None:
        new = np.compress(~self.aware[idx], idx)
        self.aware[new] = True
        self.n_aware += self.per_rep(new)

    def mark_heard_neg(self, idx: np.ndarray) -> None:
        new = np.compress(~self.heard_neg[idx], idx)
        self.heard_neg[new] = True
        self.n_neg_reach += self.per_rep(new)

    def make_sharers(self, idx: np.ndarray, valence: int | np.ndarray, now: bool, tells: np.ndarray | None = None,
                     complainer: bool = False) -> np.ndarray:
        """Agents `idx` start telling with valence +1/-1 (one for all, or one each): now
        (this step) or next step.

        Draws their tells (rules.new_tells_from) unless given; in retell mode each draws
        its plan of distinct followers (rules.telling_plan_size of them). Returns what
        each will tell (0: nobody to tell; the caller decides its stage)."""
        if idx.size == 0:
            return np.zeros(0, dtype=np.int32)
        if tells is None:
            assert np.ndim(valence) == 0, "tells are drawn for one valence at a time"
            u = self.uniform(idx) if rules.tells_need_draws(self.wom) else None
            tells = rules.new_tells_from(u, self.wom, int(valence), idx.size, complainer=complainer,
                                         mean=self._at(self.tells_mean[int(valence)], idx))
        if self.plans is not None:  # it will tell this many distinct followers; drawn at telling time
            tells = rules.telling_plan_size(tells, self.e.out_degree[self.local(idx)]).astype(np.int32)
            self.plans.unplanned.append(idx)
        self.valence[idx] = valence
        self.tells_left[idx] = tells
        live = np.compress((tells > 0) & ~self.telling[idx], idx)
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
        idx = np.compress(self.tells_left[idx] > 0, idx)
        if idx.size:
            loc, rep = self.local(idx), self.rep_of(idx)
            owner, targets, size = distinct_neighbours(self.g, loc, self.tells_left[idx], self.draws, rep,
                                                       deg=self.e.out_degree[loc])
            plans.add(idx, self.to_rows(targets, owner, rep), size)

    def to_rows(self, targets: np.ndarray, owner: np.ndarray, rep: np.ndarray | None) -> np.ndarray:
        """Local targets of messages from tellers of replicates `rep` (by owner) as rows."""
        if rep is None:
            return targets
        return targets + (rep[owner] << self.shift)

    def finish_telling(self, idx: np.ndarray) -> None:
        """Sharers out of tells: buyers go DONE; rejecters stay REJECTED."""
        self.tells_left[idx] = 0
        self.telling[idx] = False
        buyers = np.compress(self.stage[idx] == self.f.SHARE, idx)
        self.move(buyers, self.f.DONE)

    def bought(self, idx: np.ndarray) -> np.ndarray:
        """Whether each agent has bought (Action, Share or Done: a purchase is never undone)."""
        s = self.stage[idx]
        return (s > self.f.n_pre) & (s != self.f.REJECTED)

    # ------------------------------------------------------------------ step 0
    def _seed(self, kol_list: list[np.ndarray]) -> None:
        f, n, stride = self.f, self.n, self.stride
        kols = self.kols
        if kols.size:
            # KOLs are positive sharers who broadcast once at step 1, then are DONE
            self.move(kols, f.SHARE)
            self.experience[kols] = 1
            self.valence[kols] = 1
            self.mark_aware(kols)
            self.adopters += self.per_rep(kols)
        k = self.e.sc.seeding.complainer_count
        order = self.e.complainer_order
        if k and order is not None:  # fixed complainers (seeding.complainers): no draw
            pick = np.concatenate([pick_from_order(order, k, kk) + r * stride for r, kk in enumerate(kol_list)])
        elif k:
            pools = np.array([n - kk.size for kk in kol_list], dtype=np.int64)
            take = np.minimum(k, pools)
            picks = sample_distinct(self.draws, pools, take)
            rows = []
            for r, kk in enumerate(kol_list):  # map 0..pool-1 onto the replicate's non-KOL agents
                pick = picks[r]
                if kk.size:
                    others = np.setdiff1d(np.arange(n, dtype=np.int64), kk, assume_unique=True)
                    pick = others[pick]
                rows.append(pick + r * stride)
            pick = np.concatenate(rows)
        if k:
            # customers with a bad experience: a complaint is out
            self.move(pick, f.SHARE)
            self.experience[pick] = -1
            self.mark_aware(pick)
            self.mark_heard_neg(pick)
            self.adopters += self.per_rep(pick)
            told = self.make_sharers(pick, -1, now=True, complainer=True)
            self.move(pick[told == 0], f.DONE)

    # ------------------------------------------------------------------ one step
    def step(self, t: int) -> None:
        """Advance every replicate by step t (t = 1, 2, ... in order)."""
        self._zero_step()
        self.t = t
        if self.observer is not None:
            self.observer.before_step(t, self)
        new_aware = self._receive()
        new_aware = np.concatenate([new_aware, self._advertise()])
        buyers = self._progress(new_aware)
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
        f, ib = self.f, self.inbox
        self.inbox = Inbox.empty()
        ids = ib.ids
        if ids.size == 0:
            return _empty()
        self.mark_aware(ids)
        got_neg = ib.neg > 0
        if got_neg.any():
            self.mark_heard_neg(np.compress(got_neg, ids))
        st = self.stage[ids]
        if np.any(self.positive_boost > 0) and not f.is_contagion:  # in the funnel since before this step, and lifted
            lift = (ib.pos > 0) & (st >= 1) & (st <= f.n_pre) & self.e.message_by_code[st]
            if not isinstance(self.positive_boost, float):  # (not in a replicate without the boost)
                lift &= self._at(self.positive_boost, ids) > 0
            self._lifted = np.compress(lift, ids)
        if f.is_contagion:
            # hearing is deciding: negative wins if both arrive in one step
            free = st == f.UNAWARE
            rej = ids[free & got_neg]
            adopt = ids[free & ~got_neg & (ib.pos > 0)]
            self.move(rej, f.REJECTED)
            sharers = self.coin_each(rej, self.share[-1])
            self.make_sharers(sharers, -1, now=f.realtime_share)
            self._adopt(adopt, positive=True)
            return _empty()
        # unaware hearers enter the funnel at its first stage
        entering = np.compress(st == f.UNAWARE, ids)
        self.move(entering, 1)
        # each negative message rejects a not-yet-buying agent with reject_per_negative
        r = self.reject_per_negative
        if got_neg.any() and np.any(r > 0):
            st = self.stage[ids]
            cand = got_neg & (st <= f.n_pre) & (st >= 1)
            if not isinstance(r, float):  # (no draws in a replicate that never rejects)
                cand &= self._at(r, ids) > 0
            c_ids, c_k = np.compress(cand, ids), np.compress(cand, ib.neg)
            rej = self.coin(c_ids, rules.rejection_probability(c_k, self._at(r, c_ids)))
            self.move(rej, f.REJECTED)
            tellers = self.coin_each(rej, self.rejecter_shares)
            self.make_sharers(tellers, -1, now=f.realtime_share)
        # positive messages boost this step's advance (read in _progress)
        self.kpos[ids] = ib.pos
        self._kpos_ids = ids
        return np.compress(self.stage[entering] == 1, entering)

    def _advertise(self) -> np.ndarray:
        """Advertising: each unaware agent becomes aware with p_external.

        Only the hits are drawn (geometric gaps over each replicate's n agents); those
        not unaware are dropped."""
        p = self.p_external
        if not np.any(p > 0):
            return _empty()
        pos, rep = gap_positions(self.draws, np.full(self.B, self.n, dtype=np.int64), p)
        hit = pos + (rep << self.shift) if self.B > 1 else pos
        hit = np.compress(self.stage[hit] == self.f.UNAWARE, hit)
        self.mark_aware(hit)
        if self.f.is_contagion:  # no funnel: advertising persuades at once (innovators)
            self._adopt(hit, positive=True)
            return _empty()
        self.move(hit, 1)
        return hit

    def _progress(self, new_aware: np.ndarray) -> np.ndarray:
        """Each agent in a pre-purchase stage since before this step advances one stage
        with its probability (docs/model.md 4.2); returns the agents who reached Action.

        Drawn by waiting times, not a coin per agent and step: an agent entering a stage
        draws the step of its next advance, geometric with the stage's base probability
        (brand-lifted once sensed), and is touched again only then. That is exact, the
        per-step coins being memoryless: a step where positive messages lift the advance
        is decided by its own coin instead (``_lifted``), and if that coin says no, the
        wait from the next step is again geometric (kept if it was later, drawn anew if
        it was this step); sensing redraws the wait with the lifted probability. The
        SICAS jump from Sense to Action shares the first stage's wait (the stage is left
        with 1 - (1 - p)(1 - skip) a step, for Action with skip / that)."""
        f, e, t = self.f, self.e, self.t
        if f.is_contagion:
            return _empty()
        due = self._advances.pop(t)
        if due.size:  # scheduled now and still in the stage it was scheduled for
            s = self.stage[due]
            ok = (s >= 1) & (s <= f.n_pre) & (self.next_at[due] == t)
            if not ok.all():
                due, s = np.compress(ok, due), np.compress(ok, s)
        rows: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        missed = _empty()
        lifted, self._lifted = self._lifted, _empty()
        if lifted.size:
            sl = self.stage[lifted]
            ok = (sl >= 1) & (sl <= f.n_pre)  # not rejected this step
            if not ok.all():
                lifted, sl = np.compress(ok, lifted), np.compress(ok, sl)
            if due.size:  # the lifted are decided by their own coin below
                own = (self.kpos[due] > 0) & e.message_by_code[s]
                if not isinstance(self.positive_boost, float):  # (a replicate without the boost lifts nobody)
                    own &= self._at(self.positive_boost, due) > 0
                if own.any():
                    due, s = np.compress(~own, due), np.compress(~own, s)
            adv = rules.message_lift(self._p_adv(lifted, sl), self.kpos[lifted], self._at(self.positive_boost, lifted))
            new_l = sl + (self.uniform(lifted) < adv).view(np.int8)
            if f.skip > 0:  # SICAS: a jump from Sense straight to Action
                first = np.flatnonzero(sl == 1)
                new_l[first[self.uniform(lifted[first]) < f.skip]] = f.ACTION
            moved = new_l != sl
            missed = np.compress(~moved & (self.next_at[lifted] == t), lifted)
            rows.append(np.compress(moved, lifted))
            codes.append(np.compress(moved, new_l))
        if due.size:
            new_d = s + np.int8(1)
            if f.skip > 0:  # leaving the first stage: for Action or the next stage
                first = np.flatnonzero(s == 1)
                q = f.skip / e.p_leave[1, self.sensed[due[first]].view(np.int8)]
                new_d[first[self.uniform(due[first]) < q]] = f.ACTION
            rows.append(due)
            codes.append(new_d)
        if self._kpos_ids is not None:
            self.kpos[self._kpos_ids] = 0
            self._kpos_ids = None
        buyers = advanced = _empty()
        if rows:
            moved_rows = np.concatenate(rows) if len(rows) > 1 else rows[0]
            new_codes = np.concatenate(codes) if len(codes) > 1 else codes[0]
            self.move(moved_rows, new_codes)
            bought = new_codes == f.ACTION
            # sorted: a replicate's agents in a fixed order (its draws do not depend on
            # the batch), replicates apart (no sort to hand out the numbers)
            buyers = np.sort(np.compress(bought, moved_rows))
            advanced = np.compress(~bought, moved_rows)
        self._schedule(np.sort(np.concatenate([advanced, missed, new_aware])))
        if self.sensing and new_aware.size:
            self._schedule_sensing(np.sort(new_aware), first=t)
        return buyers

    def _p_adv(self, rows: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The base advance probability of agents `rows` in stages `s` (brand-lifted if sensed)."""
        p = self.e.p_step
        return p[s, self.sensed[rows].view(np.int8)] if self.sensing else p[s, 0]

    def place(self, idx: np.ndarray, code: int) -> None:
        """Put agents `idx` (sorted, distinct) in pre-purchase stage `code` at the end of
        the current step: they advance, and can be sensed, from the next step on (a
        repaired rejecter; tests set a state by hand this way)."""
        self.move(idx, code)
        self._schedule(idx)
        if self.sensing:
            self._schedule_sensing(idx, first=self.t + 1)

    def _schedule(self, rows: np.ndarray) -> None:
        """Draw when agents `rows` (sorted, each in a pre-purchase stage) next leave their
        stage by the base rule, from the next step on."""
        if rows.size == 0:
            return
        s = self.stage[rows]
        ls = self.e.log_stay
        lq = ls[s, self.sensed[rows].view(np.int8)] if self.sensing else ls[s, 0]
        at = self.t + geometric_waits(self.uniform(rows), lq)
        self.next_at[rows] = at
        self._advances.add(rows, at)

    def _schedule_sensing(self, rows: np.ndarray, first: int) -> None:
        """Draw when the brand senses agents `rows` (sorted, in the funnel), from step `first` on."""
        rows = np.compress(~self.sensed[rows], rows)
        if rows.size == 0:
            return
        with np.errstate(divide="ignore"):
            lq = np.full(rows.size, np.log1p(-self.resp.detect_prob), dtype=np.float32)
        at = first - 1 + geometric_waits(self.uniform(rows), lq)
        self.sense_at[rows] = at
        self._sensings.add(rows, at)

    def _adopt(self, idx: np.ndarray, positive: bool) -> None:
        """Purchase (step 4): count the adopters, then draw experience and sharing.

        `positive`: the experience is good without a draw (contagion hearers and
        innovators: hearing is deciding). Buyers who do not share stay at Action;
        sharers go to Share, or straight to DONE with nobody to tell."""
        if idx.size == 0:
            return
        f, w = self.f, self.wom
        got = self.per_rep(idx)
        self.adopters += got
        self.new_adopters += got
        if positive:
            neg = np.zeros(idx.size, dtype=bool)
        else:
            neg = self.uniform(idx) < self._at(self.p_negative_experience, idx)
        self.experience[idx] = np.where(neg, -1, 1)
        codes = np.full(idx.size, f.ACTION, dtype=np.int8)
        # who shares, and their tells, by valence; then the plans of all of them at once
        parts: list[tuple[np.ndarray, int, np.ndarray]] = []
        for valence, rows in ((1, np.flatnonzero(~neg)), (-1, np.flatnonzero(neg))):
            if rows.size:  # who shares (no coin where the probability is 1)
                rows = np.compress(self._chances(idx[rows], self.share[valence]), rows)
            if rows.size:
                u = self.uniform(idx[rows]) if rules.tells_need_draws(w) else None
                parts.append((rows, valence, rules.new_tells_from(u, w, valence, rows.size,
                                                                  mean=self._at(self.tells_mean[valence], idx[rows]))))
        if parts:
            rows = np.concatenate([p[0] for p in parts])
            told = self.make_sharers(idx[rows], np.concatenate([np.full(p[0].size, p[1], np.int8) for p in parts]),
                                     now=f.realtime_share, tells=np.concatenate([p[2] for p in parts]))
            codes[rows] = np.where(told > 0, f.SHARE, f.DONE)
        self.move(idx, codes)

    def _sense(self) -> None:
        """SICAS (a): the brand's monitoring finds agents in the funnel (each with
        detect_prob a step, drawn as a waiting time when it enters), then engages them:
        a brand-lifted stage's wait is drawn again with the lifted probability."""
        if not self.sensing:
            return
        t = self.t
        due = self._sensings.pop(t)
        if due.size == 0:
            return
        s = self.stage[due]
        found = np.compress((s >= 1) & (s <= self.f.n_pre) & ~self.sensed[due] & (self.sense_at[due] == t), due)
        self.sensed[found] = True
        self._schedule(np.compress(self.e.brand_by_code[self.stage[found]], found))

    def _arcs(self, tellers: np.ndarray, prob: float, use_weights: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """bernoulli_arcs for agent rows: (owner index, target row)."""
        loc, rep = self.local(tellers), self.rep_of(tellers)
        o, tg = bernoulli_arcs(self.g, loc, prob, self.draws, rep, use_weights=use_weights,
                               deg=self.e.out_degree[loc])
        return o, self.to_rows(tg, o, rep)

    def _weak(self, tellers: np.ndarray, ties: int, prob: float) -> tuple[np.ndarray, np.ndarray]:
        """weak_tie_hits for agent rows: (owner index, target row)."""
        loc, rep = self.local(tellers), self.rep_of(tellers)
        o, tg = weak_tie_hits(self.n, loc, ties, prob, self.draws, rep)
        return o, self.to_rows(tg, o, rep)

    def _count_messages(self, tg: np.ndarray, is_neg: np.ndarray | None) -> None:
        allm = self.per_rep(tg)
        nn = self.per_rep(np.compress(is_neg, tg)) if is_neg is not None else 0
        self.new_neg += nn
        self.new_pos += allm - nn

    def _tell(self, t: int) -> np.ndarray:
        """Telling (step 5). Returns the negative sharers who told this step."""
        g, w = self.g, self.wom
        owners_t: list[np.ndarray] = []
        negs: list[np.ndarray] = []
        senders: list[np.ndarray] = []  # who sent each message, for an observer only
        if t == 1 and self.kols.size:
            kols = self.kols
            ko, tg = self._arcs(kols, self.e.sc.seeding.kol_reach)
            if self.observer is not None:
                senders.append(kols[ko])
            owners_t.append(tg)
            negs.append(np.zeros(tg.size, dtype=bool))
            self._count_messages(tg, None)
            self.move(kols, self.f.DONE)
            self.valence[kols] = 0
        tellers = self.tellers
        if tellers.size:
            tellers = np.compress(self.tells_left[tellers] > 0, tellers)
        if self.plans is not None:
            # every step, whether or not anyone tells now: a replicate's plans are drawn
            # at the same point of its stream alone or in a batch
            self._draw_plans()
        if self.observer is not None:
            self.observer.told(t, self, tellers)
        neg_tellers = _empty()
        if tellers.size:
            if self.plans is None:  # cascade: one independent trial per out-arc
                o, tg = self._arcs(tellers, w.transmissibility, use_weights=g.weights is not None)
                if w.weak_ties_per_step:  # and per stranger met this step (weak ties)
                    o2, tg2 = self._weak(tellers, w.weak_ties_per_step, w.transmissibility)
                    o, tg = np.concatenate([o, o2]), np.concatenate([tg, tg2])
                self.tells_left[tellers] -= 1
            else:  # retell: the next tells_per_step people of each sharer's plan
                if self.plans.used > _Plans.COMPACT_FROM:  # every live plan: this step's tellers, next step's
                    live = np.concatenate([tellers, self.pending])
                    self.plans.compact(live, self.tells_left[live])
                c = np.minimum(self.tells_left[tellers], w.tells_per_step)
                o, tg = self.plans.take(tellers, c)
                self.tells_left[tellers] -= c
            teller_neg = self.valence[tellers] < 0
            if teller_neg.any():
                is_neg = teller_neg[o]
                neg_tellers = np.compress(teller_neg, tellers)
            else:
                is_neg = np.zeros(tg.size, dtype=bool)
            if self.observer is not None:
                senders.append(tellers[o])
            owners_t.append(tg)
            negs.append(is_neg)
            self._count_messages(tg, is_neg if teller_neg.any() else None)
            done = self.tells_left[tellers] <= 0
            self.finish_telling(np.compress(done, tellers))
            tellers = np.compress(~done, tellers)
        self.tellers = tellers
        if owners_t:
            targets = np.concatenate(owners_t) if len(owners_t) > 1 else owners_t[0]
            neg = np.concatenate(negs) if len(negs) > 1 else negs[0]
            if self.observer is not None:
                self.observer.sent(t, self, np.concatenate(senders), targets, neg)
            # every message is counted as sent; those that can act on nothing when read
            # are not kept (rules.message_may_act)
            keep = rules.message_may_act(neg, self.heard_neg[targets], self.bought(targets))
            targets, neg = np.compress(keep, targets), np.compress(keep, neg)
            self.inbox = Inbox(*accumulate(targets, neg, self.N))
        return neg_tellers

    def _respond(self, t: int, neg_tellers: np.ndarray) -> None:
        """Monitoring, then the responses due at the end of step t (docs/model.md section 5)."""
        if not self.monitors:
            return
        r, f, n = self.resp, self.f, self.stride
        if self.one_policy:
            self.views[0].neg_messages_step = int(self.new_neg.sum())  # read only by a batch of one
        else:
            for b, view in enumerate(self.views):
                view.neg_messages_step = int(self.new_neg[b])
        if neg_tellers.size and r.detect_prob > 0:
            cand = np.compress(~self.detected[neg_tellers], neg_tellers)
            found = self.coin(cand, r.detect_prob)
            self.detected[found] = True
            if self.one_policy:
                self.policies[0].on_detected(t, found, self.views[0])
            else:  # every replicate that had negative tellers, as alone (maybe with nobody found)
                rep = found >> self.shift
                order = np.argsort(rep, kind="stable")
                cuts = np.searchsorted(rep[order], np.arange(self.B + 1))
                for b in np.flatnonzero(self.per_rep(neg_tellers)).tolist():
                    self.policies[b].on_detected(t, found[order[cuts[b]:cuts[b + 1]]] - b * n, self.views[b])
        if self.one_policy:
            # (a replicate's complainers in the order it would see them alone)
            due = np.asarray(self.policies[0].due(t, self.views[0]), dtype=np.int64)
        else:
            parts = [np.asarray(p.due(t, v), dtype=np.int64) for p, v in zip(self.policies, self.views)]
            sizes = np.array([d.size for d in parts], dtype=np.int64)
            due = np.concatenate(parts) + np.repeat(np.arange(self.B, dtype=np.int64) * n, sizes)
        if due.size == 0:
            return
        self.new_responses = self.per_rep(due)
        u0, u1 = self.uniform(due), self.uniform(due)
        # backfire: a tone-deaf reply; drawn only when it can happen (so 0 changes no draw)
        ok = self.uniform(due) >= r.backfire_prob if r.backfire_prob > 0 else np.ones(due.size, dtype=bool)
        backfired = np.compress(~ok, due)
        # resolve: the complainer stops telling
        resolved = due[(u0 < r.resolve_prob) & ok & (self.valence[due] < 0) & (self.tells_left[due] > 0)]
        if resolved.size:
            self.finish_telling(resolved)
        # service recovery: a complaining buyer becomes a positive sharer
        rec = due[(u1 < r.recovery_prob) & ok & (self.experience[due] < 0)]
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
        if backfired.size:  # it complains anew: a fresh negative telling life from next step
            self.tells_left[backfired] = 0
            self.telling[backfired] = False
            self.tellers = self.tellers[self.tells_left[self.tellers] > 0]
            self.pending = self.pending[self.tells_left[self.pending] > 0]
            told = self.make_sharers(backfired, -1, now=False)
            buyers = self.bought(backfired)  # a rejecter tells from REJECTED; a buyer from Share
            self.move(backfired[buyers & (told > 0)], f.SHARE)
            self.move(backfired[buyers & (told == 0)], f.DONE)
        # public reply: each REJECTED neighbour reconsiders with repair_prob
        if r.repair_prob > 0:
            self._repair(due)
        # answered sharers who stopped leave the telling lists now: a stale entry would
        # come back to life (and tell twice a step) if the agent shared again later
        self.tellers = np.compress(self.telling[self.tellers], self.tellers)
        self.pending = np.compress(self.telling[self.pending], self.pending)

    def _repair(self, answered: np.ndarray) -> None:
        f, g = self.f, self.g
        if g.complete:  # every other agent follows each answered complainer
            rejected = np.flatnonzero(self.stage == f.REJECTED)
            per = self.per_rep(answered)
            mine = per if self.B == 1 else per[rejected >> self.shift]
            if self.B > 1:  # only the replicates that answered someone (as each would alone)
                rejected, mine = rejected[mine > 0], mine[mine > 0]
            replies = mine - np.isin(rejected, answered)  # not its own reply
            hits = self.coin(rejected, rules.repair_probability(replies, self.resp.repair_prob))
        else:
            _, nb = self._arcs(answered, 1.0)
            nb = np.compress(self.stage[nb] == f.REJECTED, nb).astype(np.int64)
            hits = np.unique(self.coin(nb, self.resp.repair_prob))
        if hits.size == 0:
            return
        # reconsidering ends any negative story they were telling
        self.tells_left[hits] = 0
        self.telling[hits] = False
        self.valence[hits] = 0
        if f.is_contagion:
            self.move(hits, f.UNAWARE)
        else:
            self.place(hits, 1)

    def quiescent(self) -> bool:
        """True when no rule can change the state of any replicate again: no messages
        in flight, no sharers, nobody in the funnel, no advertising, no response
        scheduled. (A quiet replicate in a busy batch steps on, drawing nothing.)"""
        return (self.inbox.ids.size == 0 and self.tellers.size == 0 and self.pending.size == 0
                and not self.counts[:, 1:self.f.n_pre + 1].any() and not np.any(self.p_external > 0)
                and all(p.idle() for p in self.policies)
                and (self.t >= 1 or self.kols.size == 0))

    # ------------------------------------------------------------------ counters
    def counters(self) -> np.ndarray:
        """This step's counters, one row per replicate (model.metrics.counter_names order)."""
        base = np.column_stack([self.n_aware, self.adopters, self.new_adopters, self.n_neg_reach, self.new_pos,
                                self.new_neg, self.new_responses])
        return np.concatenate([base, self.counts], axis=1).astype(np.float64)


class Replicate(Batch):
    """A batch of one, stepped by hand: its counters() is one row, as `run` reports.

    >>> import numpy as np, wom_sim
    >>> from wom_sim.engines.numpy import NumpyEngine
    >>> from wom_sim.graphs.generators import erdos_renyi
    >>> sc = wom_sim.load_scenario({"scenario": {"steps": 3}, "seeding": {"budget": 2}})
    >>> rep = Replicate(NumpyEngine(erdos_renyi(200, 5.0, np.random.default_rng(1)), sc, [0, 1]),
    ...                 np.random.default_rng(2))
    >>> rep.step(1); rep.counters().shape[0] > 1
    True
    """

    def __init__(self, eng: Shared, rng: np.random.Generator, kols: np.ndarray | None = None,
                 observer: Observer | None = None) -> None:
        super().__init__(eng, Draws([rng]), None if kols is None else [np.asarray(kols, dtype=np.int64)], observer)

    def counters(self) -> np.ndarray:
        return super().counters()[0]


def sample_distinct(draws: Draws, pools: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
    """For each replicate r, k[r] distinct integers of [0, pools[r]), uniformly, from its
    own stream: iid draws keeping the first k distinct (again, with more, for a row
    with too few), or a random permutation's head when k is most of the pool."""
    B = pools.size
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * B
    todo = np.flatnonzero(k > 0)
    factor = 1.25
    while todo.size:
        counts = np.zeros(B, dtype=np.int64)
        dense = 2 * k > pools
        counts[todo] = np.where(dense[todo], pools[todo], np.ceil(k[todo] * factor + 8).astype(np.int64))
        u = draws.uniform(counts)
        starts = np.cumsum(counts) - counts
        left = []
        for r in todo.tolist():
            ur = u[starts[r]:starts[r] + counts[r]]
            if dense[r]:
                out[r] = np.argsort(ur, kind="stable")[:k[r]].astype(np.int64)
                continue
            vals = np.minimum((ur * pools[r]).astype(np.int64), pools[r] - 1)
            _, first = np.unique(vals, return_index=True)
            if first.size >= k[r]:
                out[r] = vals[np.sort(first)[:k[r]]]
            else:
                left.append(r)
        todo = np.array(left, dtype=np.int64)
        factor *= 2
    return out


def leave_tables(f: Funnel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per stage code and sensed (0/1): the base advance probability of a step (the
    stage's, brand-lifted when sensed), the probability of leaving the stage in a step
    (with SICAS's jump from the first stage), and log(1 - that) for waiting times."""
    p = np.zeros((max(f.n_codes, 1), 2), dtype=np.float64)
    for c in range(1, f.n_pre + 1):
        base = float(f.advance[c - 1])
        p[c] = base, rules.brand_lift(base, f.brand_engagement) if f.brand_boost[c - 1] else base
    leave = p.copy()
    if f.skip > 0 and f.n_pre:
        leave[1] = 1.0 - (1.0 - p[1]) * (1.0 - f.skip)
    with np.errstate(divide="ignore"):
        return p, leave, np.log1p(-leave).astype(np.float32)

