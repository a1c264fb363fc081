"""What theory says about a scenario: the surrogates the seeding strategies optimise,
and the percolation view of the response delay. One place for every approximation.

    ICModel, ic_approximation      the independent cascade that greedy and ris optimise
    sharer_probability             P(a hearer becomes a positive sharer)
    purchase_probability           P(walking the funnel to Action within a horizon)
    retell_tell_probability        P(a retell sharer tells a given follower)
    uniform_transmissibility       one p for the scenario (degree_discount's surrogate)
    delay_transmissibility         T(delay): a complainer's transmissibility under a response
    threshold_T                    the bond-percolation threshold <k>/(<k^2> - <k>)
    outbreak_size                  the share a large outbreak reaches at transmissibility T
    large_outbreak_probability     P(one seed of degree k starts a large outbreak)
    delay_theory                   T(d) per delay and the critical delay (bench-response)
    bass_cdf                       the Bass model's closed form F(t) (the fit's baseline)

Live-edge formulation of the IC surrogate (the exact objective greedy and ris estimate).
Each arc a draws one uniform U_a. It is *live* (later hop) if U_a < p_a and *first-hop
live* if U_a < max(first, p_a). Then

    reach(S) = S  U  closure_live( S  U  first-hop-live out-neighbours of S ),

and spread(S) = E|reach(S)|. When ``first >= p_a`` (the usual case: kol_reach 0.3,
T 0.05) this is exactly "KOLs broadcast once with kol_reach, every hearer relays with
p_a; a KOL never relays", since a live arc is then also first-hop live. When
``first < p_a`` a KOL's arc counts as live with p_a instead (as if a KOL also retold):
a small overestimate for such arcs. reach(S) is a union of per-seed reach sets in every
live-edge world, so spread is monotone and submodular.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..funnels import build_funnel
from ..graphs.csr import CSRGraph

#: transmissibility used when neither a scenario, p nor arc weights say it (the same
#: default as degree_discount's, so that strategies compare on one model)
DEFAULT_P = 0.01

@dataclass(frozen=True, eq=False)
class HopTiming:
    """When things happen in the time-bounded IC (the ``ris`` surrogate with a horizon,
    Chen, Lu & Zhang 2012's time-critical influence): the engine's step order, in steps.

    A KOL broadcasts in step 1 and its followers read it in ``first_read`` = 2. An agent
    who reads a message in step h buys in step h + tau, tau ~ ``buy_cdf`` (the funnel
    walked with its base advance probabilities; 0 without a funnel), and a follower it
    tells reads it in step h + tau + delay + 1, delay ~ ``tell_cdf``. An agent counts
    for the objective if it buys by the ``horizon`` (``count_aware``: if it reads a
    message by then); KOLs count from step 0. Advertising makes each agent hear with
    ``p_external`` a step (from step 1), as a message would: ris then values covering a
    root by the chance it would not count anyway.
    """

    horizon: int
    first_read: int
    buy_cdf: np.ndarray   # P(tau <= t), t = 0 .. horizon
    tell_cdf: np.ndarray  # P(delay <= j), j = 0 .. horizon
    count_aware: bool = False
    p_external: float = 0.0  # advertising: P(an agent first hears from an ad) each step


@dataclass(frozen=True, eq=False)
class ICModel:
    """An independent-cascade model on a graph: first-hop and later-hop arc probabilities.

    Exactly one of ``p`` (one probability for every arc), ``node_p`` (per agent: the
    probability of each of its out-arcs) or ``arc_p`` (per arc, aligned with
    ``graph.indices``) gives the later hops p_a. A seed's arc carries its broadcast with
    max(first, p_a) (module docstring), so first = 0 means "the arc's own p_a".
    """

    first: float
    p: float | None = None
    node_p: np.ndarray | None = None
    arc_p: np.ndarray | None = None
    terms: dict = field(default_factory=dict)  # the factors it was derived from
    description: str = ""
    timing: HopTiming | None = None  # the steps a hop takes: the cascade ends at a horizon (ris)

    @property
    def uniform(self) -> bool:
        return self.p is not None

    def arc_probs(self, graph: CSRGraph) -> np.ndarray:
        """Later-hop probability of every arc (float64, aligned with graph.indices)."""
        if self.p is not None:
            return np.full(graph.indices.size, self.p, dtype=np.float64)
        if self.node_p is not None:
            return np.repeat(self.node_p.astype(np.float64), np.diff(graph.indptr))
        return np.asarray(self.arc_p, dtype=np.float64)

    def max_p(self) -> float:
        if self.p is not None:
            return float(self.p)
        arr = self.node_p if self.node_p is not None else self.arc_p
        assert arr is not None  # exactly one of p, node_p and arc_p is given
        return float(arr.max()) if arr.size else 0.0


def ic_approximation(graph: CSRGraph, scenario=None, *, p: float | None = None,
                     first: float | None = None, timed: bool = False) -> ICModel:
    """The independent cascade that ``greedy`` and ``ris`` optimise for a scenario.

    First hop (a KOL's broadcast): each follower is reached with ``first`` =
    ``seeding.kol_reach`` (docs/model.md section 4, exactly the engine's rule).

    Later hops: an agent u who heard the message (IC-"active" = aware) tells each
    out-neighbour v with

        p_uv = b * tell_uv,

    b    = P(a hearer becomes a positive sharer):
           funnel "none": ``share_prob`` (a positive hearer adopts at once);
           other funnels: P_buy(H) * (1 - p_negative_experience) * share_prob, where
           P_buy(H) is the probability of walking through every pre-purchase stage
           within H = steps - 2 steps (the most a follower of a KOL has) with the base
           advance probabilities and the SICAS skip, computed exactly by a Markov chain
           (see :func:`purchase_probability`). Approximations: positive-message and
           brand boosts are ignored (P_buy is a lower bound for them), rejection by
           negative word of mouth is ignored (an upper bound), and later hearers are
           given the same horizon (an upper bound).
    tell = P(a sharer tells a given out-neighbour), given its out-degree d:
           cascade: 1 - (1 - T)^active_steps, with T the arc weight when the graph
           has weights, else ``transmissibility`` (exact for the engine);
           retell: a sharer with X tells (X from ``tells_distribution`` with mean
           ``positive_tells``) tells min(X, d) distinct neighbours over its life, so
           tell = E_X[min(X, d)] / d, per source out-degree (exact for one sharer,
           see :func:`retell_tell_probability`).

    The IC treats the arcs out of one agent as independent; in the engine they are
    correlated through that agent's purchase and its number of tells (same marginals).
    The IC reach approximates the ``aware`` count (seeds included); under funnel
    "none" with share_prob 1 in cascade mode it is exactly the engine's model.

    ``timed`` (with a scenario): the time-bounded IC of :class:`HopTiming` instead: b
    leaves out P_buy(H) (the purchase is certain) and the model carries the hop timing,
    so that a cascade counts only what it reaches by the horizon (ris).

    Without a scenario: ``first`` = later = ``p`` (or each arc's weight, or DEFAULT_P):
    the plain IC. ``p`` overrides the later-hop probability and ``first`` the first
    hop in any case. Bass mode has no telling cascade and is refused (ValueError).
    """
    if p is not None and not 0.0 <= p <= 1.0:
        raise ValueError(f"p = {p} must lie in [0, 1]")
    if first is not None and not 0.0 <= first <= 1.0:
        raise ValueError(f"first = {first} must lie in [0, 1]")
    if scenario is None:
        if p is None and graph.weights is not None:
            w = np.clip(graph.weights.astype(np.float64), 0.0, 1.0)
            # first = 0: a seed's arc is first-hop live with max(0, w) = its own weight
            return ICModel(first=0.0 if first is None else float(first), arc_p=w,
                           terms={"weights": True}, description="plain IC on the arc weights")
        pp = DEFAULT_P if p is None else float(p)
        return ICModel(first=pp if first is None else float(first), p=pp,
                       terms={"p": pp}, description=f"plain IC, p = {pp:g}")

    w = scenario.wom
    kol_reach = float(scenario.seeding.kol_reach) if first is None else float(first)
    if w.mode == "bass":
        raise ValueError("greedy and ris optimise an independent-cascade approximation of "
                         "the telling modes (retell, cascade); wom.mode = 'bass' has no "
                         "telling: use the degree or random strategy")
    b, terms = sharer_probability(scenario, timed)
    model = _later_hops(graph, scenario, b, {**terms, "b": b}, kol_reach, p)
    if not timed:
        return model
    timing = hop_timing(scenario)
    return replace(model, terms={**model.terms, "timed": True}, timing=timing,
                   description=model.description + f", by step {timing.horizon} (time-bounded)")


def _later_hops(graph: CSRGraph, scenario, b: float, terms: dict, kol_reach: float,
                p: float | None) -> ICModel:
    """The IC of ic_approximation given b = P(a hearer becomes a positive sharer):
    later hops b * tell (or ``p`` when given)."""
    w = scenario.wom
    if p is not None:
        return ICModel(first=kol_reach, p=float(p), terms={**terms, "p_override": float(p)},
                       description=f"IC, first hop {kol_reach:g}, later hops p = {p:g}")
    if w.mode == "cascade":
        a = w.active_steps
        if graph.weights is not None and not graph.complete:
            wts = np.clip(graph.weights.astype(np.float64), 0.0, 1.0)
            arc_p = b * (1.0 - (1.0 - wts) ** a)
            return ICModel(first=kol_reach, arc_p=arc_p, terms={**terms, "tell": "weights"},
                           description=f"IC, first hop {kol_reach:g}, later hops b * (1-(1-w)^{a})")
        tell = 1.0 - (1.0 - w.transmissibility) ** a
        terms = {**terms, "tell": tell}
        return ICModel(first=kol_reach, p=b * tell, terms=terms,
                       description=f"IC, first hop {kol_reach:g}, later hops {b * tell:.4g}")
    # retell: per-source probability from its out-degree
    deg = graph.out_degree()
    node_p = np.zeros(graph.n, dtype=np.float64)
    pos = deg > 0
    if pos.any():
        ud = np.flatnonzero(np.bincount(deg[pos]))  # distinct degrees (no hashing unique)
        tell = np.zeros(int(ud[-1]) + 1)
        tell[ud] = retell_tell_probability(ud, w.positive_tells, w.tells_distribution,
                                           w.tells_per_step)
        node_p[pos] = b * tell[deg[pos]]
    return ICModel(first=kol_reach, node_p=node_p, terms={**terms, "tell": "per out-degree"},
                   description=f"IC, first hop {kol_reach:g}, later hops b * tell(out-degree)")


def hop_timing(scenario) -> HopTiming:
    """The HopTiming of a scenario (telling modes), judged on seeding.objective.

    tau: the steps from reading a message to buying, by the stage chain of
    :func:`purchase_probability` (the first advance is tried the step after reading,
    and the purchase happens in the step of the last advance; the SICAS skip counts;
    message and brand boosts are ignored, so tau is a little long). Funnel "none":
    hearing is deciding, tau = 0.

    delay: the steps from buying to telling a given follower, given it is told: a
    sharer starts in the step it is made (``realtime_share``) or the next, and tells
    ``tells_per_step`` of its plan per step; a told follower's place J in the plan
    has P(J = j) = P(X > j) / E[X] for X tells (the plan is assumed no longer than the
    sharer's followers), so delay = start + floor(J / tells_per_step). Cascade mode: the
    first of the ``active_steps`` trials that succeeds, P(k) proportional to T (1 - T)^k.
    """
    w, T = scenario.wom, int(scenario.scenario.steps)
    f = build_funnel(scenario.funnel)
    start = 0 if f.realtime_share else 1
    if f.is_contagion:
        buy = np.ones(T + 1)
    else:
        buy = purchase_cdf(f.advance, f.skip, T)
    if w.mode == "cascade":
        a, p = int(w.active_steps), float(w.transmissibility)
        k = np.arange(min(a, T + 1))
        pk = p * (1 - p) ** k
        pmf = np.zeros(T + 1)
        pmf[np.minimum(k + start, T)] += pk / pk.sum() if pk.sum() > 0 else 0
    else:
        xs, px = _tells_pmf(w.positive_tells, w.tells_distribution)
        mean = float((xs * px).sum())
        j = np.arange(int(xs.max()) if xs.size else 0)
        pj = np.array([px[xs > jj].sum() for jj in j]) / mean if mean > 0 else np.zeros(0)
        pmf = np.zeros(T + 1)
        np.add.at(pmf, np.minimum(start + j // int(w.tells_per_step), T), pj)
    tell = np.minimum(np.cumsum(pmf), 1.0)
    tell[T] = 1.0  # delays past the horizon are all the same: too late
    return HopTiming(horizon=T, first_read=2, buy_cdf=buy, tell_cdf=tell,
                     count_aware=scenario.seeding.objective == "aware", p_external=float(w.p_external))


def purchase_cdf(advance, skip: float, horizon: int) -> np.ndarray:
    """P(an agent entering the first stage reaches Action within t steps), t = 0..horizon
    (:func:`purchase_probability` for every t at once)."""
    adv = [float(a) for a in advance]
    F = len(adv)
    if F == 0:
        return np.ones(horizon + 1)
    M = _stage_chain(adv, skip)
    out = np.empty(horizon + 1)
    v = np.zeros(F + 1)
    v[0] = 1.0
    for t in range(horizon + 1):
        out[t] = v[F]
        v = v @ M
    return out


def _stage_chain(adv: list[float], skip: float) -> np.ndarray:
    """One step of the pre-purchase stages (and Action, absorbing) as a Markov chain."""
    F = len(adv)
    M = np.zeros((F + 1, F + 1))
    for s, a in enumerate(adv):
        j = skip if s == 0 else 0.0
        M[s, s] = (1 - j) * (1 - a)
        M[s, s + 1] += (1 - j) * a
        M[s, F] += j
    M[F, F] = 1.0
    return M


def sharer_probability(scenario, timed: bool = False) -> tuple[float, dict]:
    """b = P(a hearer of a positive message becomes a positive sharer), with its factors.
    `timed`: the purchase is certain and its time is left to a HopTiming (the funnel
    is walked to the end unless the horizon stops it)."""
    w = scenario.wom
    f = build_funnel(scenario.funnel)
    if f.is_contagion:
        return float(w.share_prob), {"p_buy": 1.0, "p_positive": 1.0, "share_prob": w.share_prob}
    horizon = max(scenario.scenario.steps - 2, 0)
    p_buy = 1.0 if timed and all(a > 0 for a in f.advance) else purchase_probability(f.advance, f.skip, horizon)
    p_pos = 1.0 - w.p_negative_experience
    return p_buy * p_pos * w.share_prob, {"p_buy": p_buy, "p_positive": p_pos,
                                          "share_prob": w.share_prob, "horizon": horizon}


def purchase_probability(advance, skip: float, horizon: int) -> float:
    """P(an agent entering the first stage reaches Action within `horizon` steps).

    Each step an agent in pre-purchase stage s advances with advance[s]; from the first
    stage it jumps straight to Action with `skip` first (the engine's SICAS rule).
    Exact for the base probabilities, by a power of the stage transition matrix.
    """
    adv = [float(a) for a in advance]
    F = len(adv)
    if F == 0:
        return 1.0
    return float(np.linalg.matrix_power(_stage_chain(adv, skip), int(horizon))[0, F])


def _tells_pmf(mean: float, dist: str) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of a sharer's number of tells (the engine's draw_tells)."""
    if dist == "fixed":
        return np.array([int(round(mean))]), np.array([1.0])
    if dist == "poisson":
        from scipy.stats import poisson
        hi = int(poisson.isf(1e-13, mean)) + 1 if mean > 0 else 0
        xs = np.arange(hi + 1)
        return xs, poisson.pmf(xs, mean)
    if mean <= 0:
        return np.array([0]), np.array([1.0])
    q = min(1.0, 1.0 / max(mean, 1.0))
    if q >= 1.0:
        return np.array([1]), np.array([1.0])
    hi = int(math.ceil(math.log(1e-13) / math.log1p(-q))) + 1
    xs = np.arange(1, hi + 1)
    return xs, q * (1 - q) ** (xs - 1)


def retell_tell_probability(degrees, mean: float, dist: str, per_step: int) -> np.ndarray:
    """P(a retell sharer of out-degree d tells a given out-neighbour), for each d >= 1.

    A sharer tells distinct people over its whole telling life (docs/model.md, 9.2): with
    X tells it tells min(X, d) of its d followers, each equally likely, so a given one
    is told with E[min(X, d)] / d. `per_step` sets only the pace, not who is told."""
    d = np.asarray(degrees, dtype=np.float64)
    xs, px = _tells_pmf(mean, dist)
    out = np.empty(d.size)
    chunk = max(1, 4_000_000 // max(xs.size, 1))
    for a in range(0, d.size, chunk):
        dd = d[a:a + chunk, None]
        out[a:a + chunk] = (np.minimum(xs[None, :], dd) / dd) @ px
    return np.clip(out, 0.0, 1.0)


def uniform_transmissibility(scenario, graph) -> float:
    """The independent-cascade probability p that stands for the scenario's telling.

    - ``scenario is None``: ``DEFAULT_P`` (0.01).
    - ``cascade`` mode: a sharer active for ``active_steps`` steps tells each follower
      with probability T per step, so it tells a given follower with probability
      1 - (1 - T)^active_steps (= T for classic IC). With per-arc weights (which
      override T), the mean of that over the arcs.
    - ``retell`` mode (approximation): a sharer with mean tells mu tells a given one
      of its d neighbours with probability about min(1, mu / d); with d the graph's
      mean out-degree and the share probability, averaged over the experience:
      p = (1 - q) s+ min(1, mu+ / d) + q s- min(1, mu- / d),
      q = ``p_negative_experience``, mu+/- = ``positive_tells``/``negative_tells``,
      s+/- = ``share_prob``/``share_prob_negative`` (default ``share_prob``). When both
      means are below d and s+ = s-, this is share_prob * min(1, mu / d) with mu the
      mixture (1 - q) mu+ + q mu-. It ignores the degree spread (hubs tell a
      smaller share of their followers) and the funnel (a hearer must still go through
      it and buy before it retells).
    - ``bass`` mode: each adopted neighbour adds q / d to an agent's per-step adoption
      probability; p = min(1, q_imitation / d), with d the mean degree.
    A graph without arcs gives min(1, mu / d) = 1 (a sharer tells all of nobody).
    """
    if scenario is None:
        return DEFAULT_P
    w = scenario.wom
    if w.mode == "cascade":
        steps = w.active_steps
        if graph.weights is not None and graph.weights.size:
            wt = graph.weights.astype(np.float64)
            return float(np.mean(1.0 - (1.0 - np.clip(wt, 0.0, 1.0)) ** steps))
        return float(1.0 - (1.0 - w.transmissibility) ** steps)
    dbar = float(graph.out_degree().mean()) if graph.n else 0.0

    def told(mu: float) -> float:
        return 1.0 if dbar <= 0 else min(1.0, mu / dbar)

    if w.mode == "retell":
        q = w.p_negative_experience
        s_pos = w.share_prob
        s_neg = w.share_prob if w.share_prob_negative is None else w.share_prob_negative
        return float((1 - q) * s_pos * told(w.positive_tells) + q * s_neg * told(w.negative_tells))
    if w.mode == "bass":
        return float(told(w.q_imitation))
    raise ValueError(f"uniform_transmissibility: unknown wom.mode {w.mode!r}")


def delay_transmissibility(b: float, delay: int, detect: float, resolve: float, active: int) -> float:
    """T = 1 - E[(1 - b)^L] for a cascade-mode complainer who tells each follower with
    probability b per step for L steps: until it is found (geometric with `detect`,
    counting the step it first tells) plus `delay`, when the answer stops it with
    `resolve`; never more than its `active` steps."""
    q = 1.0 - b
    if detect <= 0:
        return 1.0 - q ** active
    g = np.arange(1, min(active, 10_000) + 1)
    pg = detect * (1 - detect) ** (g - 1)
    stopped = np.minimum(active, g + delay)
    e = float((pg * (resolve * q ** stopped + (1 - resolve) * q ** active)).sum())
    e += (1 - float(pg.sum())) * q ** active  # never found within its active steps
    return 1.0 - e


def threshold_T(degrees: np.ndarray) -> float:
    """Bond-percolation threshold from the degree distribution: <k> / (<k^2> - <k>)."""
    k = degrees.astype(np.float64)
    m1, m2 = k.mean(), (k * k).mean()
    return m1 / (m2 - m1) if m2 > m1 else math.inf


def _branch_miss(degrees: np.ndarray, T: float) -> tuple[float, np.ndarray]:
    """u, the probability that an arc followed from an agent does not lead to the giant
    cluster of bond percolation at transmissibility T (u = G1(1 - T + T u), smallest root,
    by fixed-point iteration from 0), and the degree distribution p_k."""
    k = np.bincount(np.asarray(degrees, dtype=np.int64)).astype(np.float64)
    pk = k / k.sum()
    ks = np.arange(pk.size, dtype=np.float64)
    mean = float((ks * pk).sum())
    if mean == 0 or T <= 0:
        return 1.0, pk
    qk = (ks[1:] * pk[1:]) / mean  # excess degree distribution: q_{k-1} = k p_k / <k>
    u = 0.0
    for _ in range(10_000):
        new = float(np.polyval(qk[::-1], 1 - T + T * u))
        if abs(new - u) < 1e-12:
            return new, pk
        u = new
    return u, pk


def outbreak_size(degrees: np.ndarray, T: float) -> float:
    """The share of agents a large outbreak reaches in bond percolation with
    transmissibility T on a configuration-model graph of these degrees (Newman 2002):
    u = G1(1 - T + T u), S = 1 - G0(1 - T + T u). Zero at or below the threshold.

    >>> round(outbreak_size(np.random.default_rng(0).poisson(10, 200_000), 0.2), 2)  # ER c = 10
    0.8
    """
    u, pk = _branch_miss(degrees, T)
    return max(0.0, 1.0 - float(np.polyval(pk[::-1], 1 - T + T * u)))


def large_outbreak_probability(degrees: np.ndarray, T: float, k: int | np.ndarray) -> float | np.ndarray:
    """The probability that one seed of degree k starts a large outbreak (a global
    cascade) in bond percolation: 1 - (1 - T + T u)^k, u as in outbreak_size. On average
    over seeds drawn at random it equals outbreak_size on an undirected graph.

    >>> deg = np.random.default_rng(0).poisson(10, 200_000)
    >>> round(float(large_outbreak_probability(deg, 0.12, 25)), 2)
    0.62
    """
    u, _ = _branch_miss(degrees, T)
    return 1.0 - (1 - T + T * u) ** np.asarray(k, dtype=np.float64)


def delay_theory(scenario: Any, degrees: np.ndarray, delays: list[int], erdos_renyi: bool = False) -> dict[str, Any]:
    """Percolation view of the response delay in cascade mode: T(d) for each delay, the
    generating-function threshold and the smallest delay that crosses it (and 1/c on an
    Erdős–Rényi graph). Empty for other modes."""
    if scenario.wom.mode != "cascade":
        return {}
    r = scenario.response
    b = scenario.wom.transmissibility

    def T(d: int) -> float:
        return delay_transmissibility(b, d, r.detect_prob, r.resolve_prob, scenario.wom.active_steps)

    def critical(Tc: float) -> int | None:
        """The smallest whole delay whose T exceeds the threshold (listed or not)."""
        return next((d for d in range(0, max(delays) * 4 + 64) if T(d) > Tc), None)

    Tc_gf = threshold_T(degrees)
    out: dict[str, Any] = {"T_by_delay": {d: T(d) for d in delays},
                           "outbreak_by_delay": {d: outbreak_size(degrees, T(d)) for d in delays},
                           "T_c_generating_function": Tc_gf,
                           "critical_delay_generating_function": critical(Tc_gf)}
    if erdos_renyi:
        c = float(np.mean(degrees))
        out["T_c_erdos_renyi"] = 1.0 / c
        out["critical_delay_erdos_renyi"] = critical(1.0 / c)
    return out


def bass_cdf(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """The Bass (1969) model's share of the market adopted by time t, in closed form:
    F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), F(0) = 0. The continuous-time
    solution of dF/dt = (p + q F)(1 - F); wom-sim's `mode = "bass"` runs the discrete
    recursion F_{t+1} = F_t + (p + q F_t)(1 - F_t), which it approaches for small p + q.

    >>> round(float(bass_cdf(10.0, 0.03, 0.38)), 4)
    0.8128
    """
    t = np.asarray(t, dtype=np.float64)
    e = np.exp(-(p + q) * np.maximum(t, 0.0))
    return (1.0 - e) / (1.0 + (q / p) * e)
