"""The rules of the model (docs/model.md) that every engine path applies, written once.

The NumPy core (whole arrays), the Mesa agents (one agent at a time), the IC kernel and
the teach recorder all call these functions, so a rule cannot drift between them. Each
function works on NumPy arrays and on plain numbers alike.

    funnel_of             the funnel a scenario runs (none in Bass mode)
    advance_probability   funnel progression with message and brand lifts (section 4.2, 3a)
    message_lift          one positive message raises the advance: p = 1-(1-base)(1-boost)^k
    brand_lift            SICAS sensing lifts it once more: 1-(1-p)(1-brand_engagement)
    rejection_probability k negative messages reject with 1-(1-r)^k (section 4.2)
    repair_probability    k public replies win a rejecter back with 1-(1-repair_prob)^k (section 5)
    bass_adoption_probability   Bass mode: min(1, p + q f) (section 4.6)
    share_probability     who becomes a sharer after a purchase, by valence (section 4.4)
    tells_from_uniform    the retelling distribution (fixed | poisson | geometric), by inversion
    draw_tells            the same from a Generator
    new_tells             a new sharer's tells (retell) or active steps (cascade)
    telling_plan_size     how many distinct people a sharer will tell (section 9.2)
    message_may_act       which messages can still act when they are read (9.1)
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..funnels import Funnel, build_funnel, no_funnel


def funnel_of(scenario: Any) -> Funnel:
    """The funnel a scenario runs: its [funnel] section, or none in Bass mode (adoption
    is the only change of state)."""
    return no_funnel() if scenario.wom.mode == "bass" else build_funnel(scenario.funnel)


def message_lift(p: Any, k: Any, positive_boost: Any) -> Any:
    """Advance probability after k positive messages: 1 - (1 - p)(1 - boost)^k."""
    return 1.0 - (1.0 - p) * (1.0 - positive_boost) ** k


def brand_lift(p: Any, brand_engagement: float | np.floating) -> Any:
    """SICAS: the advance of an agent the brand has sensed: 1 - (1 - p)(1 - engagement)."""
    return 1.0 - (1.0 - p) * (1.0 - brand_engagement)


def advance_probability(base: Any, k_pos: Any, positive_boost: float, sensed: Any,
                        brand_engagement: float) -> Any:
    """The probability that an agent in a pre-purchase stage advances this step.

    `base` is the stage's advance probability; `k_pos` the positive messages it reads
    this step (0 where the stage is not boosted by messages); `sensed` whether the brand
    has sensed it (False where the stage is not lifted by the brand).

    >>> round(advance_probability(0.2, 2, 0.15, True, 0.3), 4)
    0.5954
    """
    if not isinstance(base, np.ndarray) and not isinstance(k_pos, np.ndarray) \
            and not isinstance(sensed, np.ndarray):  # one agent (Mesa): plain Python, no array overhead
        q = float(base)
        if k_pos > 0:
            q = message_lift(q, k_pos, positive_boost)
        return brand_lift(q, brand_engagement) if sensed else q
    p = np.where(np.asarray(k_pos) > 0, message_lift(base, k_pos, positive_boost), base)
    return np.where(sensed, brand_lift(p, brand_engagement), p)


def rejection_probability(k_neg: Any, reject_per_negative: Any) -> Any:
    """Each of k negative messages rejects independently: 1 - (1 - r)^k."""
    return 1.0 - (1.0 - reject_per_negative) ** k_neg


def repair_probability(replies: Any, repair_prob: float) -> Any:
    """A rejecter who sees k public replies (one per answered complainer it follows)
    reconsiders with 1 - (1 - repair_prob)^k."""
    return 1.0 - (1.0 - repair_prob) ** replies


def bass_adoption_probability(p: float, q: float, adopted_fraction: Any) -> Any:
    """Bass mode (Rand & Rust 2011): a non-adopter adopts with min(1, p + q f)."""
    if not isinstance(adopted_fraction, np.ndarray):  # one agent (Mesa), or everyone under complete mixing
        return min(1.0, p + q * float(adopted_fraction))
    return np.minimum(1.0, p + q * np.asarray(adopted_fraction, dtype=np.float64))


def share_probability(wom: Any, valence: int) -> float:
    """P(a buyer, or a contagion hearer, becomes a sharer) given its valence (+1/-1)."""
    if valence < 0 and wom.share_prob_negative is not None:
        return float(wom.share_prob_negative)
    return float(wom.share_prob)


def tells_need_draws(wom: Any) -> bool:
    """Whether new sharers' tells are random (one uniform each), so engines draw only then."""
    return wom.mode != "cascade" and wom.tells_distribution != "fixed"


@functools.lru_cache(maxsize=4096)  # (a batch of parameter points asks for one per point, every step)
def _poisson_cdf(mean: float) -> np.ndarray:
    """P(X <= k) for k = 0, 1, ... until the tail is below 2^-53 (float64 resolution)."""
    if mean <= 0:
        return np.ones(1)
    k = np.arange(int(mean + 12 * math.sqrt(mean) + 40))
    logpmf = k * math.log(mean) - mean - np.array([math.lgamma(x + 1.0) for x in k])
    return np.cumsum(np.exp(logpmf))


def tells_from_uniform(u: np.ndarray | None, size: int, mean: float | np.ndarray, dist: str) -> np.ndarray:
    """Retellings of `size` new sharers: fixed (rounded mean, `u` unused), poisson, or
    geometric (>= 1), each by inversion of one uniform of `u` (so the batched engine
    can take them from each replicate's own stream). `mean` may be one per sharer (a
    batch of parameter points): each sharer gets what that mean alone gives it.

    >>> tells_from_uniform(np.array([0.0, 0.5, 0.999]), 3, 5, "poisson").tolist()
    [0, 5, 13]
    """
    if size == 0:
        return np.zeros(0, dtype=np.int32)
    if np.ndim(mean):
        return _tells_each(u, np.asarray(mean, dtype=np.float64), dist)
    mean = float(mean)
    if dist == "fixed":
        return np.full(size, int(round(mean)), dtype=np.int32)
    assert u is not None and u.size == size
    if dist == "poisson":
        cdf = _poisson_cdf(float(mean))
        return np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1).astype(np.int32)
    sure = _geometric_sure(mean)
    if sure is not None:
        return np.full(size, sure, dtype=np.int32)
    return _geometric_tells(u, _geometric_log_stay(mean))


def _geometric_sure(mean: float) -> int | None:
    """Geometric retellings (>= 1) with this mean that need no draw: 0 at a mean <= 0,
    1 at a mean <= 1; None otherwise."""
    if mean <= 0:
        return 0
    return 1 if mean <= 1 else None


def _geometric_log_stay(mean: float) -> float:
    """log(1 - q), q = 1 / mean the chance of stopping after each retelling."""
    return math.log1p(-min(1.0, 1.0 / max(mean, 1.0)))


def _geometric_tells(u: np.ndarray, log_stay: Any) -> np.ndarray:
    """P(X > k) = (1-q)^k: X = 1 + floor(log(1-u) / log(1-q)), capped far in the tail
    (`log_stay` one number, or one per uniform)."""
    x = np.floor(np.log1p(-u) / log_stay) + 1
    return np.minimum(x, 1e9).astype(np.int32)


def _tells_each(u: np.ndarray | None, means: np.ndarray, dist: str) -> np.ndarray:
    """tells_from_uniform with a mean per sharer, vectorized over the distinct means
    (a batch's points): for each sharer the very number its mean alone gives (the same
    table, the same comparisons, the same float operations)."""
    uniq, inv = np.unique(means, return_inverse=True)
    if dist == "fixed":
        return np.array([int(round(m)) for m in uniq.tolist()], dtype=np.int32)[inv]
    assert u is not None and u.size == means.size
    if dist == "poisson":
        # np.searchsorted(cdf, u, side="right") of each sharer's own table, as one
        # binary search over the tables stacked (the count of entries <= u)
        tables = [_poisson_cdf(m) for m in uniq.tolist()]
        size = np.array([t.size for t in tables], dtype=np.int64)
        flat = np.concatenate(tables)
        start = (np.cumsum(size) - size)[inv]
        lo, hi = np.zeros(u.size, dtype=np.int64), size[inv]
        while True:
            live = np.flatnonzero(lo < hi)
            if live.size == 0:
                break
            mid = (lo[live] + hi[live]) >> 1
            right = flat[start[live] + mid] <= u[live]
            lo[live] = np.where(right, mid + 1, lo[live])
            hi[live] = np.where(right, hi[live], mid)
        return np.minimum(lo, size[inv] - 1).astype(np.int32)
    # geometric, as tells_from_uniform: the sure counts without a draw, else by inversion
    sure = [_geometric_sure(m) for m in uniq.tolist()]
    log_stay = np.array([-1.0 if s is not None else _geometric_log_stay(m) for s, m in zip(sure, uniq.tolist())])
    out = _geometric_tells(u, log_stay[inv])
    known = np.array([s is not None for s in sure])[inv]
    out[known] = np.array([-1 if s is None else s for s in sure], dtype=np.int32)[inv][known]
    return out


def draw_tells(rng: np.random.Generator, size: int, mean: float, dist: str) -> np.ndarray:
    """Retellings of `size` new sharers from a Generator (tells_from_uniform).

    >>> int(draw_tells(np.random.default_rng(0), 3, 5, "fixed").sum())
    15
    """
    u = rng.random(size) if dist != "fixed" and size else None
    return tells_from_uniform(u, size, mean, dist)


def new_tells_from(u: np.ndarray | None, wom: Any, valence: int, size: int, *,
                   complainer: bool = False, mean: float | np.ndarray | None = None) -> np.ndarray:
    """What `size` new sharers of one valence will tell: in cascade mode their active
    steps, in retell mode a draw with mean positive_tells or negative_tells (or `mean`,
    one per sharer in a batch of parameter points), from the uniforms `u` (one each;
    None when tells_need_draws is False). An initial complainer tells at least once
    (docs/model.md, section 9.5)."""
    if wom.mode == "cascade":
        return np.full(size, wom.active_steps, dtype=np.int32)
    if mean is None:
        mean = wom.positive_tells if valence > 0 else wom.negative_tells
    tells = tells_from_uniform(u, size, mean, wom.tells_distribution)
    return np.maximum(tells, 1) if complainer else tells


def new_tells(rng: np.random.Generator, wom: Any, valence: int, size: int, *, complainer: bool = False) -> np.ndarray:
    """new_tells_from with the uniforms drawn from `rng` (the Mesa agents)."""
    u = rng.random(size) if tells_need_draws(wom) and size else None
    return new_tells_from(u, wom, valence, size, complainer=complainer)


def telling_plan_size(tells: Any, followers: Any) -> Any:
    """Retell mode: a sharer tells DISTINCT people over its telling life, so it will tell
    min(tells, followers) of them (section 9.2)."""
    return np.minimum(tells, followers)


def message_may_act(negative: Any, heard_neg: Any, bought: Any) -> Any:
    """Messages are judged when they are READ, against the hearer's state then (section
    9.1). At sending, an engine may drop only the messages that can act on nothing at
    reading: those to agents who have bought (a purchase is never undone), unless they
    are a first piece of bad news (negative reach). A message to a rejecter is kept: the
    firm's public reply may send it back to the funnel before it reads."""
    if not isinstance(bought, np.ndarray):  # one message (Mesa): plain Python
        return not bought or (bool(negative) and not heard_neg)
    return ~np.asarray(bought) | (negative & ~heard_neg)
