"""Vectorized kernels on graphs, shared by the engines, the generators and the seeding
strategies: Bernoulli successes by geometric skips, who tells whom, inboxes.

Every function works on a whole batch at once (no per-agent Python loop). The telling
kernels return, for each message, the index of its teller in the batch (`owner`) and
the receiving agent (`target`); their cost follows the tellers' arcs, not N.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..streams import Draws, as_draws, ranges
from .csr import CSRGraph, repeat_index

_EMPTY = np.zeros(0, dtype=np.int64)


def out_degree_of(graph: CSRGraph, agents: np.ndarray) -> np.ndarray:
    if graph.complete:
        return np.full(agents.size, graph.n - 1, dtype=np.int64)
    return graph.indptr[agents + 1] - graph.indptr[agents]


def _targets(graph: CSRGraph, tellers: np.ndarray, owner: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Map (teller, position in its neighbour list) to the neighbour's id."""
    src = tellers[owner].astype(np.int64)
    if graph.complete:  # neighbours of u are 0..n-1 without u
        return (offset + (offset >= src)).astype(np.int32)
    return graph.indices[graph.indptr[src] + offset]


def _all_arcs(deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """owner/offset for every arc of every teller (deg arcs each)."""
    total = int(deg.sum())
    if total == 0:
        return _EMPTY, _EMPTY
    owner = repeat_index(deg)
    offset = ranges(np.zeros(deg.size, dtype=np.int64), deg)
    return owner, offset


#: rows of a sparse telling plan are drawn in buckets of similar width (at most twice
#: the work of the exact width)
_PLAN_WIDTHS = np.array([2, 4, 8, 16, 32])
#: a plan of m of d arcs is drawn by iid draws (with redraws) when d > _SPARSE * m: the
#: random keys of all d arcs would cost more
_SPARSE = 8
#: plans of up to this many are drawn by a partial Fisher-Yates shuffle of the row's arcs
#: (one draw a told follower, one vectorized pass per place in the plan)
_SHUFFLE_MAX = 64


def _buckets(widths: np.ndarray, size: np.ndarray, rows: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Rows grouped by the smallest width that holds their size. A row's width depends
    on that row alone, so the numbers a row draws do not depend on the other rows of
    the batch (nor on the other replicates)."""
    if rows.size == 0:
        return []
    b = np.searchsorted(widths, size[rows])
    lo, hi = int(b.min()), int(b.max())
    if lo == hi:
        return [(rows, int(widths[lo]))]
    return [(rows[b == k], int(widths[k])) for k in range(lo, hi + 1) if (b == k).any()]


def _uniform_rows(draws: Draws, rep: np.ndarray | None, rows: np.ndarray, w: int) -> np.ndarray:
    """A (rows, w) array of uniforms, row i from replicate rep[rows[i]]'s stream."""
    return draws.uniform_for(None if rep is None else rep[rows], rows.size, each=w).reshape(rows.size, w)


def _first_distinct(vals: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each value in each row of a 2-D array of
    non-negative ints (at most 64 columns). One sort of packed keys value * 64 + column
    per row (a plain sort of integers is several times faster than an argsort): equal
    values come together in column order, and the first of each run is kept."""
    w = vals.shape[1]
    cols = np.arange(w, dtype=np.int64)
    packed = np.sort((vals << 6) | cols, axis=1)
    first_sorted = np.ones(vals.shape, dtype=bool)
    first_sorted[:, 1:] = (packed[:, 1:] >> 6) != (packed[:, :-1] >> 6)
    first = np.empty_like(first_sorted)
    r = np.arange(vals.shape[0])[:, None]
    first[r, packed & 63] = first_sorted
    return first


def _shuffled_heads(deg: np.ndarray, m: np.ndarray, draws: Draws, rep: np.ndarray | None) -> np.ndarray:
    """For each row, the first m of a uniformly random permutation of its deg arcs, rows
    concatenated: a partial Fisher-Yates shuffle of every row at once. Place j of a row
    takes the arc at a uniform position among its arcs not yet taken (j .. deg - 1),
    which then moves there; row i uses m[i] consecutive numbers of its stream."""
    start = np.cumsum(deg) - deg
    arcs = ranges(np.zeros(deg.size, dtype=np.int64), deg).astype(np.int32)
    u = draws.uniform_runs(rep, m)
    ustart = np.cumsum(m) - m
    ostart = ustart
    out = np.empty(int(m.sum()), dtype=np.int64)
    act = np.arange(deg.size)
    j = 0
    while act.size:
        left = deg[act] - j
        pick = np.minimum((u[ustart[act] + j] * left).astype(np.int64), left - 1)
        here = start[act] + j
        pick += here
        out[ostart[act] + j] = arcs[pick]
        arcs[pick] = arcs[here]
        j += 1
        act = np.compress(m[act] > j, act)
    return out


def ordered_offsets(deg: np.ndarray, m: np.ndarray, draws: Draws | np.random.Generator,
                    rep: np.ndarray | None = None) -> np.ndarray:
    """For each row i, m[i] distinct offsets in [0, deg[i]) in uniformly random order
    (a uniformly random ordered sample without replacement), rows concatenated. Row i
    draws from replicate rep[i]'s stream (None: a batch of one).

    A row whose plan is a fair part of its arcs (deg <= 8 m) and of up to 64 takes the
    head of a random permutation of its arcs, a partial Fisher-Yates shuffle
    (_shuffled_heads). A sparse row (a plan of at most 32) draws m iid offsets and keeps
    them when they are distinct; a row with a repeat draws again, with room to spare,
    and keeps its first m distinct values (the first m distinct values of an iid uniform
    sequence are an ordered sample without replacement). Other rows (long plans of many
    arcs) sort random keys over all their arcs with a lexsort.
    """
    draws = as_draws(draws)
    m = np.asarray(m, dtype=np.int64)
    deg = np.asarray(deg, dtype=np.int64)
    start = np.cumsum(m) - m
    out = np.empty(int(m.sum()), dtype=np.int64)
    has = m > 0
    sparse = has & (deg > _SPARSE * m) & (m <= _PLAN_WIDTHS[-1])  # a short plan of many arcs: iid draws
    shuffled = has & ~sparse & (m <= _SHUFFLE_MAX)  # a fair part of its arcs: shuffle them
    rows = np.flatnonzero(shuffled)
    if rows.size:
        out[ranges(start[rows], m[rows])] = _shuffled_heads(deg[rows], m[rows], draws,
                                                            None if rep is None else rep[rows])
    todo = np.flatnonzero(sparse)
    extra = 0  # first m draws each; a row with a repeat draws again with room to spare
    while todo.size:  # iid draws; the first m distinct of each row
        short = []
        for rows, w in _buckets(_PLAN_WIDTHS, m, todo):
            mm, dd = m[rows], deg[rows]
            vals = (_uniform_rows(draws, rep, rows, w + extra) * dd[:, None]).astype(np.int64)
            np.minimum(vals, dd[:, None] - 1, out=vals)
            first = _first_distinct(vals)
            rank = np.cumsum(first, axis=1) - 1
            take = first & (rank < mm[:, None])
            full = take.sum(axis=1) == mm
            take &= full[:, None]
            tk = take.ravel()
            out[np.compress(tk, (start[rows][:, None] + rank).ravel())] = np.compress(tk, vals.ravel())
            short.append(rows[~full])
        todo = np.concatenate(short)
        extra = _PLAN_WIDTHS[-1]
    rows = np.flatnonzero(has & ~sparse & ~shuffled)
    if rows.size:  # long plans (over 64): each row's m smallest random keys over all its arcs, in key order
        mm, dd = m[rows], deg[rows]
        o, off = _all_arcs(dd)
        keys = draws.uniform_for(None if rep is None else rep[rows][o], o.size)
        order = np.lexsort((keys, o))
        o, off = o[order], off[order]
        rank = np.arange(o.size) - (np.cumsum(dd) - dd)[o]
        keep = rank < mm[o]
        out[start[rows[o[keep]]] + rank[keep]] = off[keep]
    return out


def distinct_neighbours(graph: CSRGraph, tellers: np.ndarray, k: np.ndarray,
                        draws: Draws | np.random.Generator, rep: np.ndarray | None = None,
                        deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each teller i (a local agent id, of replicate rep[i]) draws min(k[i], deg)
    distinct out-neighbours, a uniformly random ordered sample: the set is uniform and,
    within each teller, so is the order.

    Returns (owner, target, told): told[i] neighbours for teller i, its targets (local
    ids) contiguous, in drawn order, tellers in batch order (owner ascending). This is a
    sharer's telling plan (docs/model.md section 9.2); see :func:`ordered_offsets`.
    """
    tellers = np.asarray(tellers, dtype=np.int64)
    deg = out_degree_of(graph, tellers) if deg is None else deg
    told = np.maximum(np.minimum(np.asarray(k, dtype=np.int64), deg), 0)
    if int(told.sum()) == 0:
        return _EMPTY, np.zeros(0, dtype=np.int32), told
    offset = ordered_offsets(deg, told, draws, rep)
    owner = repeat_index(told)
    return owner, _targets(graph, tellers, owner, offset), told


def success_positions(rng: np.random.Generator, total: int, prob: float) -> np.ndarray:
    """Sorted positions (int64) of the successes among `total` Bernoulli(`prob`) trials,
    from a plain Generator (the generators and the seeding strategies; the engines'
    batched twin is :func:`gap_positions`, on uniforms of each replicate's stream).

    Only the successes are drawn: the gaps between them are geometric, made as
    floor(E / -log(1 - p)) + 1 from standard exponentials E (numpy's ziggurat, about
    twice as fast as rng.geometric, and float32 while p >= 1e-4: see _gaps).

    >>> import numpy as np
    >>> pos = success_positions(np.random.default_rng(0), 1_000_000, 0.01)
    >>> 9_500 < pos.size < 10_500 and bool((np.diff(pos) > 0).all())
    True
    """
    if total <= 0 or prob <= 0:
        return _EMPTY
    if prob >= 1:
        return np.arange(total, dtype=np.int64)
    dtype = np.float32 if prob >= _FLOAT32_PROB else np.float64
    expected = total * prob
    return _skip_positions(lambda k: _gaps(rng.standard_exponential(k, dtype=dtype), prob, total),
                           total, int(expected + 6 * math.sqrt(expected) + 16))


#: gap_positions draws a replicate's expected number of gaps plus this many standard
#: deviations plus a few at a time, then again for the few that ran short: small
#: slack, because in a batch of hundreds of small replicates the slack is most draws
_SLACK_SD, _SLACK = 2.0, 4


def gap_positions(draws: Draws, totals: np.ndarray, prob: float | np.ndarray,
                  concat: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each replicate r of a batch, the sorted positions of the successes among
    totals[r] Bernoulli(`prob`) trials, drawn from its own stream: (positions, rep),
    replicate-major. `concat`: positions in the concatenation of the replicates' trials
    (replicate r's from sum(totals[:r])), the same numbers. The batched twin of
    :func:`success_positions`, on uniforms: the gaps between successes are
    1 + floor(E / -log(1 - p)), E = -log(1 - U) standard exponential (_exponentials, _gaps);
    a replicate draws its expected count plus two standard deviations at a time, and
    again while it has not passed its total. `prob` may be one number per replicate (a
    batch of parameter points): each replicate draws exactly what it would alone.

    >>> from wom_sim.streams import Draws, stream
    >>> pos, rep = gap_positions(Draws([stream(0, 2, 0)]), np.array([1_000_000]), 0.01)
    >>> 9_500 < pos.size < 10_500 and bool((np.diff(pos) > 0).all())
    True
    """
    totals = np.asarray(totals, dtype=np.int64)
    B = totals.size
    if np.ndim(prob):
        return _gap_positions_each(draws, totals, np.asarray(prob, dtype=np.float64), concat)
    prob = float(prob)
    if B == 1:  # one replicate: one running sum (the same numbers, fewer steps)
        pos = gap_positions_one(draws, int(totals[0]), prob)
        return pos, np.zeros(pos.size, dtype=np.int64)
    if prob <= 0 or int(totals.sum()) == 0:
        return _EMPTY, _EMPTY
    # each replicate's positions run from its own origin: 0, or its start in the concatenation
    origin = np.cumsum(totals) - totals if concat else np.zeros(B, dtype=np.int64)
    if prob >= 1:
        return ranges(origin, totals), repeat_index(totals)
    cap = int(totals.max())  # a gap past every total ends the draws
    return _gap_rounds(draws, totals, origin, _per_round(totals, totals * prob),
                       lambda u, rep: _gaps(_exponentials(u, prob), prob, cap))


def _per_round(totals: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The gaps a replicate draws at a time: its expected count plus _SLACK_SD standard
    deviations plus _SLACK (none for a replicate with no trials)."""
    return np.where(totals > 0, np.ceil(expected + _SLACK_SD * np.sqrt(expected) + _SLACK), 0).astype(np.int64)


def _gap_rounds(draws: Draws, totals: np.ndarray, origin: np.ndarray, per: np.ndarray,
                gaps_of: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """gap_positions' rounds: `per[r]` gaps for each replicate r with trials left, from
    its uniforms (`gaps_of(u, rep)`), until every replicate has passed its total."""
    B = totals.size
    end = origin + totals
    parts_pos, parts_rep = [], []
    start = origin - 1  # the last position drawn so far
    todo = per
    while True:
        rep = repeat_index(todo)
        gaps = gaps_of(draws.uniform(todo), rep)
        pos = np.cumsum(gaps)
        nz = todo > 0
        seg = (np.cumsum(todo) - todo)[nz]
        base = np.zeros(B, dtype=np.int64)
        base[nz] = pos[seg] - gaps[seg] - start[nz]
        pos -= np.repeat(base, todo)  # each replicate's own running sum, from its start
        last = end.copy()
        last[nz] = pos[(np.cumsum(todo) - 1)[nz]]
        keep = pos < end[rep]
        parts_pos.append(np.compress(keep, pos))
        parts_rep.append(np.compress(keep, rep))
        short = nz & (last < end)
        if not short.any():
            break
        start = np.where(short, last, start)
        todo = np.where(short, per, 0)
    if len(parts_pos) == 1:
        return parts_pos[0], parts_rep[0]
    return _replicate_major(np.concatenate(parts_pos), np.concatenate(parts_rep))


def _replicate_major(pos: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions from several rounds (or classes of replicates), each replicate-major, put
    replicate-major again: a replicate's parts in the order given (positions ascending)."""
    order = np.argsort(rep, kind="stable")
    return pos[order], rep[order]


def _gap_positions_each(draws: Draws, totals: np.ndarray, prob: np.ndarray,
                        concat: bool) -> tuple[np.ndarray, np.ndarray]:
    """gap_positions with one probability per replicate. A replicate takes the path it
    would take alone: no draws at p <= 0 or p >= 1, float32 exponentials from
    _FLOAT32_PROB, float64 below, its own -1 / log(1 - p) (math.log1p, as alone)."""
    B = totals.size
    origin = np.cumsum(totals) - totals if concat else np.zeros(B, dtype=np.int64)
    live = totals > 0
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    sure = live & (prob >= 1)
    if sure.any():
        t = np.where(sure, totals, 0)
        parts.append((ranges(origin, t), repeat_index(t)))
    for cls, dtype in ((live & (prob >= _FLOAT32_PROB) & (prob < 1), np.float32),
                       (live & (prob > 0) & (prob < _FLOAT32_PROB), np.float64)):
        if not cls.any():
            continue
        t = np.where(cls, totals, 0)
        factor = np.array([-1.0 / math.log1p(-float(p)) if c else 0.0 for p, c in zip(prob.tolist(), cls.tolist())],
                          dtype=dtype)
        cap = int(t.max())
        one = float(prob[np.flatnonzero(cls)[0]])  # a probability of the class: the exponentials' precision

        def gaps_of(u: np.ndarray, rep: np.ndarray, f: np.ndarray = factor, c: int = cap, q: float = one) -> np.ndarray:
            return _scaled_gaps(_exponentials(u, q), f[rep], c)
        parts.append(_gap_rounds(draws, t, origin, _per_round(t, t * prob), gaps_of))
    if not parts:
        return _EMPTY, _EMPTY
    if len(parts) == 1:
        return parts[0]
    return _replicate_major(np.concatenate([p for p, _ in parts]), np.concatenate([r for _, r in parts]))


#: below this probability gaps are computed in float64 (the mean gap 1/p must stay small
#: against float32's 2^24 resolution)
_FLOAT32_PROB = 1e-4


def _gaps(e: np.ndarray, prob: float, total: int) -> np.ndarray:
    """Gap lengths 1 + floor(E / -log(1 - p)) from standard exponentials `e` (float32 or
    float64, used in place), capped just past `total`: a longer gap ends the trials
    anyway, and the cap keeps tiny p from overflowing int64."""
    return _scaled_gaps(e, e.dtype.type(-1.0 / math.log1p(-prob)), total)


def _scaled_gaps(e: np.ndarray, factor: Any, total: int) -> np.ndarray:
    """_gaps with the factor -1 / log(1 - p) given (one, or one per element, in e's dtype)."""
    e *= factor
    gaps = np.minimum(e, e.dtype.type(total + 1)).astype(np.int64)
    gaps += 1
    return gaps


def _exponentials(u: np.ndarray, prob: float) -> np.ndarray:
    """Standard exponentials -log(1 - U) from uniforms `u` (used in place): float32 logs
    (8x faster) while p >= _FLOAT32_PROB; 1 - U in (0, 1] stays positive in float32."""
    if prob < _FLOAT32_PROB:
        return np.negative(np.log1p(np.negative(u, out=u), out=u), out=u)
    e = np.log(np.subtract(1.0, u, out=u).astype(np.float32))
    return np.negative(e, out=e)


def geometric_waits(u: np.ndarray, log_stay: np.ndarray) -> np.ndarray:
    """Waiting times (int32, >= 1) until the first success of per-step trials, one per
    uniform u (used in place), element i failing a step with probability exp(log_stay[i])
    (float32): 1 + floor(E / -log_stay), E = -log(1 - u), as _gaps with a probability per
    element (the funnel's waits, replicate.py); 2**30 + 1, past any run, where p = 0.
    The float32 exponentials' relative error, ~1e-7, moves a wait by one step only that
    close to a whole number."""
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.floor(_exponentials(u, 1.0) / np.negative(log_stay, dtype=np.float32))
    wait = np.where(log_stay < 0, np.minimum(wait, np.float32(1 << 30)), np.float32(1 << 30))
    return wait.astype(np.int32) + np.int32(1)


def _skip_positions(gaps: Callable[[int], np.ndarray], total: int, per: int) -> np.ndarray:
    """Positions below `total` of the successes whose gap lengths `gaps(per)` gives,
    `per` at a time, drawing again while the running sum has not passed `total`."""
    pos = np.cumsum(gaps(per)) - 1
    while pos[-1] < total:  # rare: ran short of hits, draw more
        pos = np.concatenate([pos, np.cumsum(gaps(per)) + pos[-1]])
    return pos[:np.searchsorted(pos, total)]


def gap_positions_one(draws: Draws, total: int, prob: float) -> np.ndarray:
    """gap_positions for a batch of one (the same numbers, in scalar arithmetic): the
    sorted positions of the successes among `total` Bernoulli(`prob`) trials."""
    if total <= 0 or prob <= 0:
        return _EMPTY
    if prob >= 1:
        return np.arange(total, dtype=np.int64)
    expected = total * prob
    per = int(math.ceil(expected + _SLACK_SD * math.sqrt(expected) + _SLACK))
    return _skip_positions(lambda k: _gaps(_exponentials(draws.gens[0].random(k), prob), prob, total), total, per)


def bernoulli_arcs(graph: CSRGraph, tellers: np.ndarray, prob: float, draws: Draws | np.random.Generator,
                   rep: np.ndarray | None = None, use_weights: bool = False,
                   deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every out-arc of every teller (a local agent id, of replicate rep[i]) carries a
    message independently with `prob` (or the arc's weight when `use_weights`).
    Returns (owner, target): the teller's index in `tellers` and the local target.

    With one probability, only the successes are drawn: geometric gaps between hits
    over each replicate's concatenated arcs (its tellers in their order), so the cost
    follows the messages sent, not the arcs examined (REFERENCE.md: drawing one number
    per arc caps the rate).
    """
    draws = as_draws(draws)
    tellers = np.asarray(tellers, dtype=np.int64)
    deg = out_degree_of(graph, tellers) if deg is None else deg
    total = int(deg.sum())
    if total == 0 or (prob <= 0 and not use_weights):
        return _EMPTY, np.zeros(0, dtype=np.int32)
    if use_weights and graph.weights is not None and not graph.complete:
        owner, offset = _all_arcs(deg)
        w = graph.weights[graph.indptr[tellers[owner]] + offset]
        hit = draws.uniform_for(None if rep is None else rep[owner], owner.size) < w
        owner, offset = owner[hit], offset[hit]
    elif prob >= 1:
        owner, offset = _all_arcs(deg)
    else:
        order = None
        if rep is not None and draws.B > 1:
            if rep.size > 1 and not bool((rep[1:] >= rep[:-1]).all()):
                order = np.argsort(rep, kind="stable")  # each replicate's tellers together, in order
                tellers, deg, rep = tellers[order], deg[order], rep[order]
            totals = np.bincount(rep, weights=deg, minlength=draws.B).astype(np.int64)
            pos, prep = gap_positions(draws, totals, prob, concat=True)  # into the batch's concatenated arcs
        else:
            pos = gap_positions_one(draws, total, prob)
        ends = np.cumsum(deg)
        owner = np.searchsorted(ends, pos, side="right")
        offset = pos - (ends[owner] - deg[owner])
        target = _targets(graph, tellers, owner, offset)
        return (owner if order is None else order[owner]), target
    return owner, _targets(graph, tellers, owner, offset)


def weak_tie_hits(n: int, tellers: np.ndarray, ties: int, prob: float, draws: Draws | np.random.Generator,
                  rep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weak ties (docs/model.md section 4.5): each teller (a local agent id, of replicate
    rep[i]) meets `ties` strangers this step, each a uniformly random other agent of the
    n, drawn anew every step (with replacement), and each hears with `prob`. Returns
    (owner, target) like bernoulli_arcs, owners ascending. Draws, per replicate: `ties`
    uniforms per teller (who hears), then one per hearer (who it is).

    >>> from wom_sim.streams import Draws, stream
    >>> o, tg = weak_tie_hits(100, np.array([3, 7]), 50, 1.0, Draws([stream(0, 2, 0)]))
    >>> o.size, bool((tg[o == 0] != 3).all() and (tg < 100).all())
    (100, True)
    """
    draws = as_draws(draws)
    tellers = np.asarray(tellers, dtype=np.int64)
    k = tellers.size
    if k == 0 or ties <= 0 or prob <= 0 or n < 2:
        return _EMPTY, np.zeros(0, dtype=np.int32)
    hit = draws.uniform_for(rep, k, each=ties).reshape(k, ties) < prob
    owner = np.nonzero(hit)[0]
    v = draws.uniform_for(None if rep is None else rep[owner], owner.size)
    target = np.minimum((v * (n - 1)).astype(np.int64), n - 2)
    target += target >= tellers[owner]  # never the teller itself
    return owner, target.astype(np.int32)


def accumulate(targets: np.ndarray, negative: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inbox: the distinct receivers with their counts of positive and negative messages.

    A counting pass over N is used only when messages are many (> N/16); otherwise a
    sort of the messages, so a quiet step costs little on a huge graph.
    """
    if targets.size == 0:
        z = np.zeros(0, dtype=np.int32)
        return z.astype(np.int64), z, z
    if targets.size * 16 > n:
        tot = np.bincount(targets, minlength=n)
        ids = np.flatnonzero(tot)
        neg = np.bincount(targets[negative], minlength=n)[ids] if negative.any() else np.zeros(ids.size, np.int64)
        return ids, (tot[ids] - neg).astype(np.int32), neg.astype(np.int32)
    # one sort of (target, valence) packed in an int64: no argsort, no gather
    key = np.sort(targets.astype(np.int64) * 2 + negative)
    t = key >> 1
    first = np.empty(t.size, dtype=bool)
    first[0] = True
    np.not_equal(t[1:], t[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, t.size))
    neg = np.add.reduceat(key & 1, starts)
    return t[starts], (counts - neg).astype(np.int32), neg.astype(np.int32)
