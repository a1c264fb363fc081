"""Random graph generators that build CSR arrays straight in NumPy.

Every generator is vectorized (no Python loop per node or per edge, no networkx), is
seeded only by its ``rng: np.random.Generator`` argument, and returns a simple
:class:`~wom_sim.graphs.csr.CSRGraph` (no self-loops, no duplicate arcs; undirected
graphs store both arcs of each edge) whose ``name`` is the kind and ``meta`` the
parameters.

Sampling "each pair independently with probability p" uses geometric skips over the
linear index of the pair space (pairs i > j, or the ordered pairs when directed),
which is exact G(n, p) in O(edges) time. Preferential attachment uses the
linearized-chord-diagram trick (Batagelj & Brandes 2005): the target of each new
edge is the node held in a uniformly random earlier endpoint slot, resolved for all
edges at once by vectorized pointer jumping, in blocks of rows taken in time order
(so a slot copied by a later edge holds its final node, after any redraw of a
duplicate target).

Sample use::

    >>> import numpy as np
    >>> from wom_sim.graphs.generators import barabasi_albert
    >>> g = barabasi_albert(10_000, 5, np.random.default_rng(1))
    >>> g.n, round(float(g.out_degree().mean()), 2)
    (10000, 9.99)
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .csr import CSRGraph, complete_graph, from_arc_list, from_arcs, repeat_index
from .kernels import success_positions

__all__ = ["erdos_renyi", "barabasi_albert", "watts_strogatz", "powerlaw_cluster", "sbm",
           "chung_lu", "complete"]

_MAX_NODES = 2**31 - 2  # int32 node ids
_RESAMPLE_ROUNDS = 64  # watts_strogatz: rounds of redraws before an edge stays put
_ROW_BLOCK = 1 << 18  # rows per block of random draws
_MIN_BLOCK_EDGES = 1024  # edges in the first blocks of pointer resolution


# ----------------------------------------------------------------------------- checks

def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if value > _MAX_NODES:
        raise ValueError(f"{name} = {value} is too large (node ids are int32)")
    return value


def _check_prob(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return rng


def _check_mean_degree(mean_degree, n: int) -> float:
    if isinstance(mean_degree, bool) or not isinstance(mean_degree, Real) \
            or not math.isfinite(float(mean_degree)) or float(mean_degree) < 0:
        raise ValueError(f"mean_degree must be a finite number >= 0, got {mean_degree!r}")
    mean_degree = float(mean_degree)
    if mean_degree > max(n - 1, 0):
        raise ValueError(f"mean_degree = {mean_degree:g} is impossible with n = {n} nodes "
                         f"(at most n - 1 = {max(n - 1, 0)})")
    return mean_degree


# ------------------------------------------------------------------- sampling helpers

def _lower_triangle(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert k = i (i - 1) / 2 + j (0 <= j < i): the pair (i, j) of linear index k.

    Ascending k gives pairs sorted by (i, j), the order from_arcs takes without a sort.
    """
    i = np.floor((1.0 + np.sqrt(1.0 + 8.0 * k.astype(np.float64))) / 2.0).astype(np.int64)
    i -= (i * (i - 1) // 2 > k)  # float rounding is off by at most one either way
    i += ((i + 1) * i // 2 <= k)
    return i, k - i * (i - 1) // 2


def _gnp_pairs(n: int, p: float, rng: np.random.Generator,
               directed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Arcs of G(n, p) on nodes 0..n-1: undirected as (i, j) with j < i, sorted."""
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if directed:
        k = success_positions(rng, n * (n - 1), p)
        u = k // (n - 1)
        v = k - u * (n - 1)
        v += (v >= u)  # skip the diagonal
        return u, v
    return _lower_triangle(success_positions(rng, n * (n - 1) // 2, p))


def _uniform_below(high: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform integer in [0, high[i]) for each i (high >= 1, < 2**53)."""
    r = (rng.random(high.shape[0]) * high).astype(high.dtype)
    np.minimum(r, high - 1, out=r)  # guard the rare round-up to high
    return r


# ---------------------------------------------------------------------- Erdős–Rényi

def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator,
                directed: bool = False) -> CSRGraph:
    """Exact G(n, p) with p = mean_degree / (n - 1), in O(n + edges).

    Each unordered pair (each ordered pair when ``directed``: then mean_degree is the
    mean out-degree) is an edge independently with probability p. Pairs are found by
    geometric skips over the linear index of the pair space.

    >>> g = erdos_renyi(1000, 10.0, np.random.default_rng(0))
    >>> g.name, g.meta["p"] == 10 / 999
    ('erdos_renyi', True)
    """
    n = _check_int("n", n, 1)
    mean_degree = _check_mean_degree(mean_degree, n)
    rng = _check_rng(rng)
    p = mean_degree / (n - 1) if n > 1 else 0.0
    u, v = _gnp_pairs(n, p, rng, directed)
    return from_arcs(n, u, v, directed=bool(directed), name="erdos_renyi",
                     meta={"n": n, "mean_degree": mean_degree, "p": p,
                           "directed": bool(directed)})


# ------------------------------------------------------------ preferential attachment

def _attachment_targets(n: int, m: int, p_triad: float, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Targets of the linearized chord diagram, with optional Holme–Kim triad steps.

    Layout: nodes 0..m start as a star (0 joined to 1..m, edges 0..m-1, stored as
    (source = leaf, target = 0)). Each node t = m+1..n-1 then adds m edges, rows of an
    (n - m - 1, m) table; edge e has two endpoint slots: 2e (its source t) and 2e+1
    (its target). A target slot holds a pointer to an earlier slot and takes that
    slot's node, so a uniformly random pointer below 2 * (edges before t) picks a node
    with probability proportional to its degree at time t (exact BA / LCD). A triad
    pointer names the partner slot (s ^ 1) of the slot s the row's previous
    (preferential) column drew: that slot holds a neighbour of the node u that draw
    reached, so the new edge closes a triangle (u is among t's targets even when its
    draw repeated an earlier one).

    Duplicates: a row's targets are the first m distinct nodes among its m pointers
    followed by fresh preferential redraws (for BA this is networkx's
    ``_random_subset``: successive sampling without replacement, proportional to
    degree). A target slot holds its row's *final* node, after any redraw, so a
    later pointer to that slot copies the redrawn node (``_resolve_block``).
    """
    nn = n - m - 1  # nodes that attach
    n_edges = m + nn * m
    idx = np.int32 if 2 * n_edges < 2**31 - 1 else np.int64
    # Pointers, one row per attaching node t = m + 1 + row: uniform below the
    # 2 m (row + 1) slots of the edges before t. Drawn in blocks of rows to bound the
    # float temporaries (the stream is the same for any block size).
    # the targets are built in place in the tail of the dst array (no copy at the end)
    dst_all = np.empty(n_edges, dtype=idx)
    ptr = dst_all[m:].reshape(nn, m)
    triad_steps = 0
    for a in range(0, nn, _ROW_BLOCK):
        b = min(nn, a + _ROW_BLOCK)
        high = (2 * m * np.arange(a + 1, b + 1, dtype=np.int64))[:, None]
        r = rng.random((b - a, m))
        r *= high
        blk = ptr[a:b]
        blk[:] = r  # truncation = floor for r >= 0
        np.minimum(blk, (high - 1).astype(idx), out=blk)  # guard a round-up to high
        if p_triad > 0 and m > 1:
            triad_steps += _triad_pointers(blk, p_triad, rng)
        del r

    # Resolve the pointers to nodes, in place, block by block in row order: blocks of
    # rows, each 1/8 of what precedes it, so ~1/9 of a block's pointers point into
    # the block itself and the rest into earlier blocks, whose nodes are final.
    flat = ptr.reshape(-1)
    redrawn = 0
    ra = 0
    while ra < nn:
        rb = min(nn, ra + max(-(-_MIN_BLOCK_EDGES // m), ra // 8))
        redrawn += _resolve_block(flat, m, ra, rb, rng)
        ra = rb
    targets = ptr  # now node ids
    # Rows sorted ascending so the edge list is sorted by (t, target): from_arcs then
    # needs no sort.
    targets.sort(axis=1)
    del ptr, targets, flat
    src = np.empty(n_edges, dtype=np.int32)
    src[:m] = np.arange(1, m + 1, dtype=np.int32)
    src[m:].reshape(nn, m)[:] = np.arange(m + 1, n, dtype=np.int32)[:, None]
    dst_all[:m] = 0
    dst = dst_all if dst_all.dtype == np.int32 else dst_all.astype(np.int32)
    del dst_all
    return src, dst, {"triad_steps": triad_steps, "duplicates_redrawn": redrawn,
                      "duplicates_dropped": 0}


def _resolve_block(flat: np.ndarray, m: int, ra: int, rb: int,
                   rng: np.random.Generator) -> int:
    """Turn the pointers of rows ra..rb-1 of ``flat`` into final nodes, in place.

    ``flat[:ra * m]`` already holds the final nodes of the earlier rows. First every
    pointer is resolved as if no column were redrawn: pointers into earlier rows take
    that row's node in one gather; pointers into this block follow chains within it
    by pointer jumping (path compression: a pointer may be replaced by the pointer of
    the slot it names, which holds the same node). Rows with a repeated node are then
    re-evaluated with their redraw streams (``_RowStreams``), and so is every row of
    the block with a pointer (original or redraw) into a slot whose node changed,
    round after round until nothing changes. Pointers only point backwards, so this
    worklist reaches the unique fixed point: each row's nodes are what the sequential
    process would give, and copies of a redrawn slot see the redrawn node. (Leaving
    those copies on the pre-redraw node, which is nearly always an early hub, gave
    node 0 about twice its BA degree.) Returns the number of targets taken from
    redraws.
    """
    ea, eb = ra * m, rb * m
    blk = flat[ea:eb]  # view: pointers now, nodes when done
    raw = blk.copy()
    lo = 2 * (m + ea)  # first slot of this block's edges
    active = np.flatnonzero(((blk & 1) == 1) & (blk >= lo))
    while active.size:
        c = blk[(blk[active] >> 1) - (m + ea)]
        blk[active] = c
        active = active[((c & 1) == 1) & (c >= lo)]
    # Slots to nodes: odd slot 2e+1 (e >= m) holds target flat[e - m] (an earlier
    # block: final); even slot 2e of a new edge holds its source m + 1 + (e - m) // m;
    # star slots: leaf e + 1 (even) or 0 (odd).
    e = blk >> 1
    node = e - m
    odd = np.flatnonzero(((blk & 1) == 1) & (e >= m))
    gathered = flat[node[odd]]
    node //= m
    node += m + 1
    node[odd] = gathered
    del gathered, odd
    star = np.flatnonzero(e < m)
    if star.size:
        node[star] = np.where(blk[star] & 1, 0, e[star] + 1)
    blk[:] = node
    del e, node, star
    if m == 1:
        return 0
    nodes = blk.reshape(-1, m)
    work = np.flatnonzero(_rows_with_duplicates(nodes))
    if work.size == 0:
        return 0
    streams = _RowStreams(flat, raw.reshape(-1, m), m, ra, rng)
    while work.size:
        new = streams.evaluate(work)
        changed = new != nodes[work]
        nodes[work] = new
        if not changed.any():
            break
        # next round: the rows after the first changed one with a pointer (original
        # or redraw) at a slot whose node changed
        ch_edges = (work[:, None] * m + np.arange(m))[changed]
        first = int(ch_edges.min()) // m + 1
        slots = 2 * (m + ea + ch_edges) + 1
        tail = raw[first * m:]
        if slots.size <= 16:  # usual in the bulk: one pass per changed slot
            hit = np.zeros(tail.size, dtype=bool)
            for slot in slots.tolist():
                hit |= tail == slot
        else:
            mark = np.zeros(eb - ea + 1, dtype=bool)
            mark[ch_edges] = True
            into = ((tail & 1) == 1) & (tail >= lo)
            hit = mark[np.where(into, (tail >> 1) - (m + ea), eb - ea)]
        work = np.union1d(np.flatnonzero(hit.reshape(-1, m).any(axis=1)) + first,
                          streams.rows_pointing_at(slots, first))
    return streams.redrawn()


class _RowStreams:
    """Redraw streams of the rows of one block, and the rule that picks each row's nodes.

    A row's candidates are its m original pointers, in column order, followed by its
    redraws: uniform pointers below the row's slot count (preferential), drawn on
    demand and kept, so re-evaluating a row after an earlier change reuses the same
    draws. The row's nodes are the first m distinct nodes among its candidates, in
    order (for plain BA this is networkx's ``_random_subset``: successive sampling
    without replacement, proportional to degree). Vectorized over rows and columns.
    """

    def __init__(self, flat, raw_rows, m, ra, rng):
        self.flat, self.raw, self.m, self.ra, self.rng = flat, raw_rows, m, ra, rng
        self.row_of = np.full(raw_rows.shape[0], -1, dtype=np.int64)  # row -> stream
        self.rows = np.zeros(16, dtype=np.int64)  # stream -> row
        self.ext = np.full((16, 8), -1, dtype=np.int64)  # stream -> redraws (-1: none)
        self.n_ext = np.zeros(16, dtype=np.int64)  # redraws drawn per stream
        self.n_red = np.zeros(16, dtype=np.int64)  # redraws used per stream
        self.k = 0  # streams in use

    def redrawn(self) -> int:
        return int(self.n_red[:self.k].sum())

    def rows_pointing_at(self, slots: np.ndarray, first: int) -> np.ndarray:
        """Rows >= first (streams only) with a redraw pointing at one of ``slots``."""
        k = self.k
        sel = self.rows[:k] >= first
        if not sel.any():
            return np.zeros(0, dtype=np.int64)
        hit = np.isin(self.ext[:k][sel], slots).any(axis=1)
        return self.rows[:k][sel][hit]

    def _more(self, rows: np.ndarray) -> None:
        """Draw more redraws for the given rows (doubling their count, at least 4)."""
        new = rows[self.row_of[rows] < 0]
        if new.size:
            k0, k1 = self.k, self.k + new.size
            if k1 > self.rows.size:
                cap = max(k1, 2 * self.rows.size)
                grow = cap - self.rows.size
                self.rows = np.concatenate([self.rows, np.zeros(grow, np.int64)])
                self.ext = np.concatenate([self.ext, np.full((grow, self.ext.shape[1]), -1,
                                                             np.int64)])
                self.n_ext = np.concatenate([self.n_ext, np.zeros(grow, np.int64)])
                self.n_red = np.concatenate([self.n_red, np.zeros(grow, np.int64)])
            self.row_of[new] = np.arange(k0, k1)
            self.rows[k0:k1] = new
            self.k = k1
        k = self.row_of[rows]
        have = self.n_ext[k]
        want = np.maximum(4, 2 * have)
        if want.max() > self.ext.shape[1]:
            grow = max(int(want.max()), 2 * self.ext.shape[1]) - self.ext.shape[1]
            self.ext = np.concatenate([self.ext, np.full((self.ext.shape[0], grow), -1,
                                                         np.int64)], axis=1)
        count = want - have
        kk = np.repeat(k, count)
        pos = np.arange(kk.size) - np.repeat(np.cumsum(count) - count, count) \
            + np.repeat(have, count)
        high = 2 * self.m * (np.repeat(rows, count) + self.ra + 1)
        self.ext[kk, pos] = _uniform_below(high, self.rng)
        self.n_ext[k] = want

    def evaluate(self, rows: np.ndarray) -> np.ndarray:
        """Nodes of the given block rows (sorted local indices) under the current nodes:
        (len(rows), m), in the order they were drawn."""
        m = self.m
        out = np.empty((rows.size, m), dtype=np.int64)
        todo = np.arange(rows.size)
        while todo.size:
            r = rows[todo]
            k = self.row_of[r]
            width = int(self.n_ext[k[k >= 0]].max()) if (k >= 0).any() else 0
            cand = np.full((r.size, m + width), -1, dtype=np.int64)
            cand[:, :m] = self.raw[r]
            if width:
                has = np.flatnonzero(k >= 0)
                cand[has, m:] = self.ext[k[has], :width]
            valid = cand >= 0
            vals = np.full(cand.shape, -1, dtype=np.int64)
            vals[valid] = _slot_values(cand[valid], self.flat, m)
            # first occurrence of each node in its row (-1 for undrawn: never new)
            order = np.argsort(vals, axis=1, kind="stable")
            srt = np.take_along_axis(vals, order, axis=1)
            new = np.ones(srt.shape, dtype=bool)
            new[:, 1:] = srt[:, 1:] != srt[:, :-1]
            first = np.empty_like(new)
            np.put_along_axis(first, order, new, axis=1)
            first &= valid
            rank = np.cumsum(first, axis=1)
            ok = rank[:, -1] >= m
            take = first & (rank <= m)
            take[~ok] = False
            done = todo[ok]
            out[done] = vals[take].reshape(-1, m)
            used = take[:, m:].sum(axis=1)
            kd = k[ok]
            self.n_red[kd[kd >= 0]] = used[ok][kd >= 0]
            short = r[~ok]
            if short.size:
                self._more(short)
            todo = todo[~ok]
        return out


def _rows_with_duplicates(rows: np.ndarray) -> np.ndarray:
    """Mask of the rows of a 2-D int array that hold some value twice."""
    m = rows.shape[1]
    if m > 24:
        dup = _row_duplicates(rows).any(axis=1)
        assert isinstance(dup, np.ndarray)  # a 2-D array's rows: an array (numpy's stubs allow a scalar)
        return dup
    out = np.zeros(rows.shape[0], dtype=bool)
    for j in range(1, m):
        col = rows[:, j]
        for i in range(j):
            out |= col == rows[:, i]
    return out


def _slot_values(slot: np.ndarray, targets_flat: np.ndarray, m: int) -> np.ndarray:
    """Node held by each endpoint slot, given the resolved targets of the new edges."""
    slot = slot.astype(np.int64)
    e = slot >> 1
    odd = (slot & 1) == 1
    star = slot < 2 * m
    out = np.zeros(slot.size, dtype=np.int64)  # star odd slots: node 0
    sel = star & ~odd
    out[sel] = e[sel] + 1
    sel = ~star & ~odd
    out[sel] = m + 1 + (e[sel] - m) // m
    sel = ~star & odd
    out[sel] = targets_flat[e[sel] - m]
    return out


def _row_duplicates(rows: np.ndarray) -> np.ndarray:
    """Mask of entries equal to an earlier entry in the same row (2-D int array)."""
    dup = np.zeros(rows.shape, dtype=bool)
    m = rows.shape[1]
    if m <= 24:
        for j in range(1, m):  # m (m - 1) / 2 column comparisons, vectorized over rows
            for i in range(j):
                dup[:, j] |= rows[:, j] == rows[:, i]
        return dup
    order = np.argsort(rows, axis=1, kind="stable")
    srt = np.take_along_axis(rows, order, axis=1)
    same = np.zeros(rows.shape, dtype=bool)
    same[:, 1:] = srt[:, 1:] == srt[:, :-1]
    np.put_along_axis(dup, order, same, axis=1)
    return dup


def _triad_pointers(ptr: np.ndarray, p: float, rng: np.random.Generator) -> int:
    """Turn some preferential pointers into Holme–Kim triad pointers (in place).

    Column j >= 1 of a row is a triad step with probability p when column j - 1 is a
    preferential step (a triad never follows a triad). Column j - 1 drew slot s,
    uniform among the endpoint slots of the node u it reached; the triad step points
    at the partner slot s ^ 1, the other end of that edge: a uniformly random
    neighbour of u at time t. So t links to u and to a neighbour of u (a triangle).
    Returns the number of triad steps.
    """
    m = ptr.shape[1]
    triad = rng.random(ptr.shape) < p
    triad[:, 0] = False
    for j in range(1, m):  # m columns, each vectorized over all rows
        triad[:, j] &= ~triad[:, j - 1]
    cols = ptr[:, 1:]  # view
    mask = triad[:, 1:]
    cols[mask] = ptr[:, :-1][mask] ^ 1
    return int(mask.sum())


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> CSRGraph:
    """Barabási–Albert preferential attachment, vectorized (linearized chord diagram).

    Nodes 0..m start as a star; each later node t attaches m edges whose targets are
    drawn with probability proportional to degree among nodes < t (a uniformly random
    earlier endpoint slot; Batagelj & Brandes 2005), all resolved by pointer jumping.
    A target repeated within one node's m edges is redrawn preferentially until the
    node has m distinct targets (successive sampling, as networkx's
    ``barabasi_albert_graph``), and later edges that copy a redrawn slot copy the
    redrawn node, so the model is exact: same distribution as networkx, including
    the degrees of the oldest nodes, E[k_i] ~ m sqrt(n / i) (node 0, the star's
    centre, ~1010 at n = 1e5, m = 5). Edges: exactly m (n - m), mean degree
    2 m (n - m) / n; degree distribution P(k) = 2 m (m + 1) / (k (k + 1) (k + 2)) for
    k >= m, i.e. k^-3. ``meta["duplicates_redrawn"]`` counts the targets taken from
    redraws (``duplicates_dropped`` is always 0).

    >>> g = barabasi_albert(2000, 3, np.random.default_rng(0))
    >>> int(g.n_arcs) // 2
    5991
    """
    n = _check_int("n", n, 1)
    m = _check_int("m", m, 1)
    if m >= n:
        raise ValueError(f"barabasi_albert needs m < n (each new node links to m earlier "
                         f"nodes), got m = {m}, n = {n}")
    rng = _check_rng(rng)
    src, dst, stats = _attachment_targets(n, m, 0.0, rng)
    del stats["triad_steps"]
    arcs = [src, dst]
    del src, dst  # from_arc_list frees them once used (2 GB each at 100M agents)
    return from_arc_list(n, arcs, directed=False, name="barabasi_albert",
                         meta={"n": n, "m": m, **stats})


def powerlaw_cluster(n: int, m: int, p: float, rng: np.random.Generator) -> CSRGraph:
    """Holme–Kim growth: preferential attachment plus triad formation, vectorized.

    Exactly what it does: nodes 0..m start as a star and each later node t adds m
    edges, in order. Edge 0 is a preferential step: a target u drawn with probability
    proportional to degree among nodes < t (as in :func:`barabasi_albert`). Each
    later edge is, with probability p, a triad step *if the previous edge was a
    preferential step*, and a preferential step otherwise. A triad step links t to a
    uniformly random neighbour of the node u the previous edge reached (at time t),
    closing the triangle t-u-neighbour, as in Holme & Kim (2002). The one departure
    from their model (and networkx's ``powerlaw_cluster_graph``) is that a triad
    step never follows another triad step: that keeps every step exact in the
    vectorized endpoint-slot construction (the triad pointer is the partner of the
    slot the previous step drew), so at most floor(m / 2) of a node's m edges are
    triad steps and clustering for a given p is lower than networkx's at large p
    (m = 5, n = 2e4: average clustering 0.004, 0.08, 0.13, 0.16 at p = 0, 0.3, 0.6,
    0.9; networkx 0.004, 0.10, 0.21, 0.35). Each step attaches proportionally to
    degree (a neighbour of a degree-biased node is itself degree-biased), so the
    degree tail stays the BA one, P(k >= K) ~ m (m + 1) / K^2. A target repeated
    within a node's m edges is replaced by a preferential redraw, and later edges
    that copy its slot copy the redrawn node, as in barabasi_albert. (A triad step
    follows the previous step's own draw: if that draw repeated an earlier target u,
    the triangle still closes on u.)
    """
    n = _check_int("n", n, 1)
    m = _check_int("m", m, 1)
    p = _check_prob("p", p)
    if m >= n:
        raise ValueError(f"powerlaw_cluster needs m < n, got m = {m}, n = {n}")
    rng = _check_rng(rng)
    src, dst, stats = _attachment_targets(n, m, p, rng)
    arcs = [src, dst]
    del src, dst
    return from_arc_list(n, arcs, directed=False, name="powerlaw_cluster",
                         meta={"n": n, "m": m, "p": p, **stats})


# ------------------------------------------------------------------- Watts–Strogatz

def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> CSRGraph:
    """Watts–Strogatz small world: ring lattice with each edge rewired with prob p.

    Each node i is joined to its k nearest neighbours (k/2 on each side). Each lattice
    edge (i, i + d) is chosen for rewiring with probability p and moved to (i, w), w
    uniform over the nodes, redrawn while w = i or (i, w) is already an edge (in
    vectorized rounds of redraws, each edge keeping its place until it moves, as in
    networkx; an edge that finds no free place in 64 rounds stays). The edge count
    stays n k / 2; ``meta["rewired"]`` counts the edges moved. Clustering:
    3 (k - 2) / (4 (k - 1)) at p = 0, about that times (1 - p)^3 for small p
    (Barrat & Weigt 2000).
    """
    n = _check_int("n", n, 1)
    k = _check_int("k", k, 0)
    p = _check_prob("p", p)
    if k % 2:
        raise ValueError(f"watts_strogatz needs an even k (k/2 neighbours on each side), "
                         f"got k = {k}")
    if k >= n:
        raise ValueError(f"watts_strogatz needs k < n, got k = {k}, n = {n}")
    rng = _check_rng(rng)
    half = k // 2
    u = repeat_index(np.full(n, half))
    v = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    rewire = np.flatnonzero(rng.random(u.size) < p) if p > 0 else np.zeros(0, np.int64)
    moved = 0
    if rewire.size:
        # An edge being rewired still occupies its place until it moves (as in
        # networkx, where (u, v) exists while w is chosen), so a move never collides,
        # and an edge that finds no free place in all rounds simply stays.
        # Occupied = lattice edges - those that moved + the places they moved to.
        vacated = np.zeros(0, dtype=np.int64)
        taken = np.zeros(0, dtype=np.int64)
        pending = rewire
        for _ in range(_RESAMPLE_ROUNDS):
            if pending.size == 0:
                break
            a = u[pending]
            w = rng.integers(0, n, size=pending.size)
            key = np.minimum(a, w) * n + np.maximum(a, w)
            ring = (w - a) % n  # a lattice edge iff the ring distance is 1..k/2
            lattice = (ring <= half) | (ring >= n - half)
            occupied = (lattice & ~_in_sorted(vacated, key)) | _in_sorted(taken, key)
            ok = (w != a) & ~occupied & _first_occurrence(key)
            go = pending[ok]
            vacated = np.sort(np.concatenate([vacated, np.minimum(a[ok], v[go]) * n
                                              + np.maximum(a[ok], v[go])]))
            taken = np.sort(np.concatenate([taken, key[ok]]))
            v[go] = w[ok]
            moved += int(go.size)
            pending = pending[~ok]
    return from_arcs(n, u, v, directed=False, name="watts_strogatz",
                     meta={"n": n, "k": k, "p": p, "rewired": moved})


def _first_occurrence(key: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each value of key."""
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(ks.size, dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    out = np.empty_like(first)
    out[order] = first
    return out


def _in_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.searchsorted(sorted_keys, keys)
    pos[pos == sorted_keys.size] = 0
    return sorted_keys[pos] == keys


# ----------------------------------------------------------- stochastic block model

def sbm(sizes: list[int], p_in: float, p_out: float, rng: np.random.Generator,
        directed: bool = False) -> CSRGraph:
    """Stochastic block model: pairs within a block link with p_in, across with p_out.

    Blocks are consecutive node ranges (block 0 first). Exact and O(n + edges): the
    within-block pairs of each block are sampled by geometric skips over that block's
    pair index space; the across-block pairs by geometric skips over all pairs with
    p_out, discarding the hits that fall within a block. ``blocks`` holds each node's
    block (int32).
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) == 0:
        raise ValueError(f"sbm needs a non-empty list of block sizes, got {sizes!r}")
    sizes = [_check_int(f"sizes[{i}]", s, 0) for i, s in enumerate(sizes)]
    n = sum(sizes)
    if n < 1:
        raise ValueError("sbm needs at least one node (all block sizes are 0)")
    if n > _MAX_NODES:
        raise ValueError(f"sbm: {n} nodes is too many (node ids are int32)")
    p_in = _check_prob("p_in", p_in)
    p_out = _check_prob("p_out", p_out)
    rng = _check_rng(rng)
    directed = bool(directed)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    blocks = repeat_index(np.asarray(sizes), np.int32)
    src_parts, dst_parts = [], []
    for b, size in enumerate(sizes):  # one iteration per block, vectorized inside
        if size > 1 and p_in > 0:
            u, v = _gnp_pairs(size, p_in, rng, directed)
            src_parts.append(u + offsets[b])
            dst_parts.append(v + offsets[b])
    if p_out > 0 and len(sizes) > 1:
        u, v = _gnp_pairs(n, p_out, rng, directed)
        across = blocks[u] != blocks[v]
        src_parts.append(u[across])
        dst_parts.append(v[across])
    src = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, np.int64)
    return from_arcs(n, src, dst, directed=directed, blocks=blocks, name="sbm",
                     meta={"sizes": sizes, "p_in": p_in, "p_out": p_out,
                           "directed": directed})


# ----------------------------------------------------------------------- Chung–Lu

def _chung_lu_weights(n: int, exponent: float, mean_degree: float) -> tuple[np.ndarray, float]:
    """Expected degrees w_i = C (i + i0)^(-1/(exponent-1)), mean mean_degree, decreasing.

    i0 >= 1 is the smallest offset keeping the largest weight at or below the
    structural cut-off sqrt(n * mean_degree), so every w_i w_j / S <= 1 (S = sum w)
    and the expected degrees are met without capping. Returns (w, i0).
    """
    alpha = 1.0 / (exponent - 1.0)
    total = n * mean_degree
    cutoff = math.sqrt(total)

    def max_weight(i0: float) -> float:
        # sum_{i<n} (i + i0)^-alpha by the midpoint rule (accurate to ~1e-3 here)
        a, b = i0 - 0.5, n + i0 - 0.5
        if abs(alpha - 1.0) < 1e-12:
            s = math.log(b / a)
        else:
            s = (b ** (1 - alpha) - a ** (1 - alpha)) / (1 - alpha)
        return total * i0 ** -alpha / s

    i0 = 1.0
    if max_weight(i0) > cutoff:
        lo, hi = 1.0, 2.0
        while max_weight(hi) > cutoff:
            lo, hi = hi, hi * 2
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if max_weight(mid) > cutoff else (lo, mid)
        i0 = hi
    w = (np.arange(n, dtype=np.float64) + i0) ** -alpha
    w *= total / w.sum()
    return w, i0


def chung_lu(n: int, exponent: float, mean_degree: float, rng: np.random.Generator,
             directed: bool = False) -> CSRGraph:
    """Chung–Lu expected-degree graph with power-law weights (tail exponent ``exponent``).

    Weights w_i ∝ (i + i0)^(-1/(exponent - 1)) scaled to mean mean_degree (see
    ``_chung_lu_weights`` for i0, which caps the largest weight at sqrt(n * mean_degree)).
    Exact Chung–Lu: each pair i < j is an edge independently with probability
    min(1, w_i w_j / S), S = sum(w); directed: each ordered pair i != j is an arc with
    that probability (in- and out-weights are the same w). Sampled with the
    Miller & Hagberg (2011) skip-and-thin method, vectorized over all source nodes at
    once (one loop step per candidate of the busiest node, ~sqrt(n * mean_degree)
    steps), O(n + edges). Expected degree of i: w_i (1 - w_i / S).
    """
    n = _check_int("n", n, 1)
    if isinstance(exponent, bool) or not isinstance(exponent, Real) \
            or not math.isfinite(float(exponent)) or float(exponent) <= 2.0:
        raise ValueError(f"chung_lu needs a finite exponent > 2 (finite mean degree), "
                         f"got {exponent!r}")
    exponent = float(exponent)
    mean_degree = _check_mean_degree(mean_degree, n)
    rng = _check_rng(rng)
    directed = bool(directed)
    meta = {"n": n, "exponent": exponent, "mean_degree": mean_degree, "directed": directed}
    if mean_degree == 0 or n == 1:
        return from_arcs(n, np.zeros(0, np.int64), np.zeros(0, np.int64), directed=directed,
                         name="chung_lu", meta={**meta, "i0": 1.0})
    w, i0 = _chung_lu_weights(n, exponent, mean_degree)
    meta["i0"] = i0
    inv_s = 1.0 / w.sum()
    # Candidate index space of source u: v over u+1..n-1 (undirected) or over the n-1
    # nodes other than u (directed); weights along it never increase.
    u = np.arange(n, dtype=np.int64)
    pos = u + 1 if not directed else np.zeros(n, dtype=np.int64)  # next candidate index
    limit = n if not directed else n - 1

    def node_of(uu, vv):
        return vv if not directed else vv + (vv >= uu)

    ok = pos < limit
    u, pos = u[ok], pos[ok]
    prob = np.minimum(1.0, w[u] * w[node_of(u, pos)] * inv_s)
    src_parts, dst_parts = [], []
    while u.size:
        # skip ahead: next candidate accepted under the (upper bound) probability prob
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.log1p(-rng.random(u.size)) / np.log1p(-prob)  # Geometric(prob) - 1
        gap[np.isnan(gap)] = limit  # (0/0 cannot happen with w > 0; be safe)
        np.minimum(gap, limit, out=gap)  # huge or inf skips: past the end, no overflow
        pos = pos + gap.astype(np.int64)
        inside = pos < limit
        u, pos, prob = u[inside], pos[inside], prob[inside]
        if u.size == 0:
            break
        v = node_of(u, pos)
        q = np.minimum(1.0, w[u] * w[v] * inv_s)
        accept = rng.random(u.size) * prob < q
        src_parts.append(u[accept])
        dst_parts.append(v[accept])
        prob = q
        pos = pos + 1
        inside = pos < limit
        u, pos, prob = u[inside], pos[inside], prob[inside]
    src = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, np.int64)
    return from_arcs(n, src, dst, directed=directed, name="chung_lu", meta=meta)


# ----------------------------------------------------------------------- complete

def complete(n: int, rng: np.random.Generator | None = None) -> CSRGraph:
    """Mean-field mixing of n agents (every agent is everyone's neighbour; no arcs).
    `rng` is accepted like every graph kind's builder takes it, and not used."""
    n = _check_int("n", n, 1)
    g = complete_graph(n)
    g.meta.update({"n": n})
    return g


# ------------------------------------------------------------------------- timing

def _time_builds(n: int = 1_000_000, repeats: int = 3, seed: int = 1,
                 networkx: bool = False) -> None:  # pragma: no cover
    """Print build times: first call and median of ``repeats`` (fresh memory is slow
    to touch the first time on some VMs, so the first call can be ~1.5x slower)."""
    import statistics
    import time

    rng = np.random.default_rng(seed)
    cases = [
        (f"barabasi_albert n={n:,} m=5", lambda: barabasi_albert(n, 5, rng)),
        (f"powerlaw_cluster n={n:,} m=5 p=0.5", lambda: powerlaw_cluster(n, 5, 0.5, rng)),
        (f"erdos_renyi n={n:,} c=10", lambda: erdos_renyi(n, 10.0, rng)),
        (f"erdos_renyi directed n={n:,} c=10", lambda: erdos_renyi(n, 10.0, rng, directed=True)),
        (f"watts_strogatz n={n:,} k=10 p=0.1", lambda: watts_strogatz(n, 10, 0.1, rng)),
        (f"sbm 10 blocks n={n:,} c_in=8 c_out=2",
         lambda: sbm([n // 10] * 10, 8.0 / (n // 10), 2.0 / (n - n // 10), rng)),
        (f"chung_lu n={n:,} exponent=2.5 c=10", lambda: chung_lu(n, 2.5, 10.0, rng)),
    ]
    if networkx:
        import networkx as nx

        m = min(n, 100_000)
        cases.append((f"networkx barabasi_albert_graph n={m:,} m=5",
                      lambda: nx.barabasi_albert_graph(m, 5, seed=seed)))
        cases.append((f"barabasi_albert n={m:,} m=5 (this module)",
                      lambda: barabasi_albert(m, 5, rng)))
    print(f"{'graph':44s} {'first':>8s} {'median':>8s}   edges")
    for label, build in cases:
        times = []
        for _ in range(repeats if "networkx" not in label else 1):
            t0 = time.perf_counter()
            g = build()
            times.append(time.perf_counter() - t0)
        edges = (g.number_of_edges() if hasattr(g, "number_of_edges")
                 else g.n_arcs // (1 if g.directed else 2))
        print(f"{label:44s} {times[0]:7.3f}s {statistics.median(times):7.3f}s   {edges:,d}")
        del g


if __name__ == "__main__":  # pragma: no cover
    # python -m wom_sim.graphs.generators [n] [--networkx]
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    _time_builds(int(float(args[0])) if args else 1_000_000,
                 networkx="--networkx" in sys.argv)
