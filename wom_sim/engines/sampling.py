"""Vectorized sampling kernels shared by the engines: who tells whom.

Every function works on a whole batch of tellers at once (no per-agent Python loop)
and returns, for each message, the index of its teller in the batch (`owner`) and the
receiving agent (`target`). Their cost follows the tellers' arcs, not N.
"""
from __future__ import annotations

import math

import numpy as np

from ..graphs.csr import CSRGraph

_EMPTY = np.zeros(0, dtype=np.int64)

#: above this many tells per step, Floyd's O(k^2) per teller loses to random keys
_FLOYD_MAX_K = 24


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
    owner = np.repeat(np.arange(deg.size, dtype=np.int64), deg)
    starts = np.cumsum(deg) - deg
    offset = np.arange(total, dtype=np.int64) - np.repeat(starts, deg)
    return owner, offset


def distinct_neighbours(graph: CSRGraph, tellers: np.ndarray, k: np.ndarray,
                        rng: np.random.Generator, deg: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each teller i tells min(k[i], deg) distinct out-neighbours chosen uniformly.

    Returns (owner, target, told) with told[i] the number of messages teller i sent.
    Floyd's algorithm is run column by column over all tellers at once (k columns x
    tellers rows), so a step costs O(tellers x k^2) vectorized operations; for large k
    random sort keys over the tellers' arcs are used instead.
    """
    tellers = np.asarray(tellers, dtype=np.int64)
    deg = out_degree_of(graph, tellers) if deg is None else deg
    k = np.minimum(np.asarray(k, dtype=np.int64), deg)
    told = k.copy()
    owners, offsets = [], []

    every = (k == deg) & (k > 0)  # tells all its neighbours
    if every.any():
        rows = np.flatnonzero(every)
        o, off = _all_arcs(deg[rows])
        owners.append(rows[o])
        offsets.append(off)

    some = np.flatnonzero((k < deg) & (k > 0))
    if some.size:
        kk, dd = k[some], deg[some]
        kmax = int(kk.max())
        if kmax <= _FLOYD_MAX_K:
            chosen = np.full((some.size, kmax), -1, dtype=np.int64)
            for s in range(kmax):
                active = s < kk
                j = dd - kk + s  # Floyd: draw t in [0, j]; if taken, take j
                t = (rng.random(some.size) * (j + 1)).astype(np.int64)
                np.minimum(t, j, out=t)
                if s:
                    dup = (chosen[:, :s] == t[:, None]).any(axis=1)
                    t = np.where(dup, j, t)
                chosen[:, s] = np.where(active, t, -1)
            rr, cc = np.nonzero(chosen >= 0)
            owners.append(some[rr])
            offsets.append(chosen[rr, cc])
        else:  # random keys: the k smallest keys of each teller's arcs
            o, off = _all_arcs(dd)
            keys = rng.random(o.size)
            order = np.lexsort((keys, o))
            o, off = o[order], off[order]
            starts = np.cumsum(dd) - dd
            rank = np.arange(o.size) - starts[o]
            keep = rank < kk[o]
            owners.append(some[o[keep]])
            offsets.append(off[keep])

    if not owners:
        return _EMPTY, np.zeros(0, dtype=np.int32), told
    owner = np.concatenate(owners)
    offset = np.concatenate(offsets)
    return owner, _targets(graph, tellers, owner, offset), told


def success_positions(rng: np.random.Generator, total: int, prob: float) -> np.ndarray:
    """Sorted positions of the successes among `total` Bernoulli(`prob`) trials, 0 < prob < 1.

    Only the successes are drawn: the gaps between them are geometric, made as
    floor(E / -log(1 - p)) + 1 from standard exponentials E (numpy's ziggurat, about
    twice as fast as rng.geometric). float32 exponentials suffice while the mean gap
    1/p is small against float32's 2^24 resolution."""
    lam = -math.log1p(-prob)
    dtype = np.float32 if prob >= 1e-4 else np.float64
    expected = total * prob
    draws = int(expected + 6 * math.sqrt(expected) + 16)

    def more(start: int) -> np.ndarray:
        e = rng.standard_exponential(draws, dtype=dtype)
        e *= dtype(1.0 / lam)
        gaps = e.astype(np.int64)
        gaps += 1
        return np.cumsum(gaps, out=gaps) + start

    parts = [more(-1)]
    while parts[-1][-1] < total:  # rare: ran short of hits, draw more
        parts.append(more(int(parts[-1][-1])))
    pos = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return pos[: np.searchsorted(pos, total)]


def bernoulli_arcs(graph: CSRGraph, tellers: np.ndarray, prob: float,
                   rng: np.random.Generator, use_weights: bool = False,
                   deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every out-arc of every teller carries a message independently with `prob`
    (or the arc's weight when `use_weights`).

    With one probability, only the successes are drawn: geometric gaps between hits
    over the tellers' concatenated arcs, so the cost follows the messages sent, not
    the arcs examined (REFERENCE.md: drawing one number per arc caps the rate).
    """
    tellers = np.asarray(tellers, dtype=np.int64)
    deg = out_degree_of(graph, tellers) if deg is None else deg
    total = int(deg.sum())
    if total == 0 or (prob <= 0 and not use_weights):
        return _EMPTY, np.zeros(0, dtype=np.int32)
    ends = np.cumsum(deg)
    if use_weights and graph.weights is not None and not graph.complete:
        owner, offset = _all_arcs(deg)
        w = graph.weights[graph.indptr[tellers[owner]] + offset]
        hit = rng.random(total, dtype=np.float32) < w
        owner, offset = owner[hit], offset[hit]
    elif prob >= 1:
        owner, offset = _all_arcs(deg)
    else:
        pos = success_positions(rng, total, prob)
        owner = np.searchsorted(ends, pos, side="right")
        offset = pos - (ends[owner] - deg[owner])
    return owner, _targets(graph, tellers, owner, offset)


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


def draw_tells(rng: np.random.Generator, size: int, mean: float, dist: str) -> np.ndarray:
    """Retellings of new sharers: fixed (rounded mean), poisson, or geometric (>= 1)."""
    if size == 0:
        return np.zeros(0, dtype=np.int32)
    if dist == "fixed":
        return np.full(size, int(round(mean)), dtype=np.int32)
    if dist == "poisson":
        return rng.poisson(mean, size).astype(np.int32)
    if mean <= 0:
        return np.zeros(size, dtype=np.int32)
    return rng.geometric(min(1.0, 1.0 / max(mean, 1.0)), size).astype(np.int32)
