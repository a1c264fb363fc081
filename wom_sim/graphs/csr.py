"""The graph type every engine reads: compressed sparse rows of out-arcs.

Out-neighbours of u are ``indices[indptr[u]:indptr[u+1]]``. For a directed graph an
arc u -> v means "v follows u, so v hears what u says": the out-degree of u is its
follower count. An undirected graph stores both arcs of every edge.

``complete=True`` marks mean-field mixing: no arcs are stored (N^2 would not fit);
engines treat every agent as everyone's neighbour.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import DTypeLike


def repeat_index(counts: np.ndarray, dtype: DTypeLike = np.int64) -> np.ndarray:
    """[0]*counts[0] + [1]*counts[1] + ...: the owner of each item of concatenated rows
    (of a CSR's row lengths: the source of every arc).

    >>> repeat_index(np.array([2, 0, 1])).tolist()
    [0, 0, 2]
    """
    return np.repeat(np.arange(np.asarray(counts).size, dtype=dtype), counts)


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A social graph as compressed sparse rows of out-arcs (u -> v: v hears u).

    Build one from arc lists with :func:`from_arcs` (or read an edge list with
    wom_sim.graphs.io.read_edgelist, convert networkx with from_networkx):

    >>> import numpy as np
    >>> g = from_arcs(4, np.array([0, 0, 1]), np.array([1, 2, 3]), directed=False)
    >>> g.n, g.n_arcs, g.out_degree().tolist(), g.neighbours(0).tolist()
    (4, 6, [2, 2, 1, 1], [1, 2])
    """

    indptr: np.ndarray  # int64, length n + 1
    indices: np.ndarray  # int32, length = number of arcs
    directed: bool = False
    weights: np.ndarray | None = None  # float32 per arc (cascade: per-arc transmissibility)
    blocks: np.ndarray | None = None  # int32 block/community of each node (SBM)
    complete: bool = False
    name: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def n_arcs(self) -> int:
        return int(self.indices.shape[0]) if not self.complete else self.n * (self.n - 1)

    def out_degree(self) -> np.ndarray:
        """Followers of each node (out-degree), int64. For complete mixing: n - 1."""
        if self.complete:
            return np.full(self.n, self.n - 1, dtype=np.int64)
        return np.diff(self.indptr)

    def arc_sources(self, dtype: type = np.int32) -> np.ndarray:
        """The source agent of every stored arc (aligned with `indices`)."""
        return repeat_index(np.diff(self.indptr), dtype)

    def in_degree(self) -> np.ndarray:
        if self.complete or not self.directed:
            return self.out_degree()
        return np.bincount(self.indices, minlength=self.n).astype(np.int64)

    def neighbours(self, u: int) -> np.ndarray:
        if self.complete:
            return np.delete(np.arange(self.n, dtype=np.int32), u)
        return self.indices[self.indptr[u]:self.indptr[u + 1]]

    def nbytes(self) -> int:
        total = self.indptr.nbytes + self.indices.nbytes
        for extra in (self.weights, self.blocks):
            if extra is not None:
                total += extra.nbytes
        return total

    def degree_stats(self) -> dict:
        """Summary printed by `wom-sim graph`: nodes, arcs and out-degree statistics."""
        deg = self.out_degree()
        return {
            "nodes": self.n,
            "arcs": self.n_arcs,
            "directed": self.directed,
            "degree_mean": float(deg.mean()) if self.n else 0.0,
            "degree_std": float(deg.std()) if self.n else 0.0,
            "degree_min": int(deg.min()) if self.n else 0,
            "degree_median": float(np.median(deg)) if self.n else 0.0,
            "degree_max": int(deg.max()) if self.n else 0,
            "isolated": int((deg == 0).sum()),
        }


def from_arcs(n: int, src: np.ndarray, dst: np.ndarray, *, directed: bool,
              weights: np.ndarray | None = None, dedup: bool = True,
              drop_self_loops: bool = True, **kwargs) -> CSRGraph:
    """See :func:`from_arc_list` (the same, for arrays the caller keeps)."""
    return from_arc_list(n, [src, dst], directed=directed, weights=weights, dedup=dedup,
                         drop_self_loops=drop_self_loops, **kwargs)


def from_arc_list(n: int, arcs: list[np.ndarray], *, directed: bool,
                  weights: np.ndarray | None = None, dedup: bool = True,
                  drop_self_loops: bool = True, **kwargs) -> CSRGraph:
    """Build a CSR from arc lists in O(arcs + n) time and memory, no Python loop.

    Undirected input lists each edge once (either orientation); both arcs are stored.
    Duplicate arcs and self-loops are dropped by default (simple graphs), keeping the
    first weight seen (for an undirected graph both arcs of an edge get that weight).

    No comparison sort: arcs are ordered by stable counting sorts (scipy's C++ coo->csr
    kernel; an LSD radix sort on (src, dst)), several times faster than np.sort of one
    int64 key and ~100x faster than np.unique on numpy 2.4 (REFERENCE.md pitfall).
    Input already sorted by (src, dst) (undirected: by (max, min)), as the ER and BA
    generators emit it, skips the sort entirely. Undirected graphs sort and
    deduplicate the edges once, then add the reverse arcs with one transpose and a
    row-wise merge, block by block of rows (no temporary the size of the graph).

    `arcs` is [src, dst]; the list is emptied, so when the caller keeps no other
    reference (the generators) the input arrays are freed as soon as they are used:
    at 100M agents each is 2 GB.
    """
    n = int(n)
    src = np.asarray(arcs.pop(0)).ravel()
    dst = np.asarray(arcs.pop(0)).ravel()
    if src.shape != dst.shape:
        raise ValueError(f"src and dst differ in length ({src.size} vs {dst.size})")
    w = None if weights is None else np.asarray(weights, dtype=np.float32).ravel()
    if w is not None and w.shape != src.shape:
        raise ValueError(f"weights has {w.size} entries for {src.size} arcs")
    if src.size:
        low = min(src.min(), dst.min())
        high = max(src.max(), dst.max())
        if low < 0 or high >= n:
            raise ValueError(f"node ids must lie in [0, {n}), got ids from {low} to {high}")
    idx = np.int32 if (n < _I32_MAX and 2 * src.size < _I32_MAX) else np.int64
    src = src.astype(idx, copy=False)
    dst = dst.astype(idx, copy=False)
    if drop_self_loops:
        keep = src != dst
        if not keep.all():
            src, dst = src[keep], dst[keep]
            w = None if w is None else w[keep]
    if directed:
        indptr, indices, w_sorted = _sorted_csr(n, src, dst, w, idx)
        if dedup:
            indptr, indices, w_sorted = _dedup_rows(indptr, indices, w_sorted)
    else:
        # Lower triangle L: row max(u, v), column min(u, v); the arcs (min -> max)
        # are L's transpose U. Row s of the result is L's row s (columns < s)
        # followed by U's row s (columns > s): sorted without another sort.
        if _all_blocks(lambda a, b: bool((src[a:b] >= dst[a:b]).all()), src.size):
            hi, lo = src, dst  # already (max, min), as the BA and ER generators emit: no copies
        else:
            hi = np.maximum(src, dst)
            lo = np.minimum(src, dst)
        del src, dst
        lp, li, lw = _sorted_csr(n, hi, lo, w, idx)
        del hi, lo
        if dedup:
            lp, li, lw = _dedup_rows(lp, li, lw)
        up, ui, uw = _transpose(n, lp, li, lw, idx)
        indptr = lp + up
        if indptr[-1] < _I32_MAX:  # the merge holds the graph twice: smaller row pointers
            lp, up = lp.astype(np.int32), up.astype(np.int32)
        # Row s of the result: L's row s then U's row s, merged block by block of rows
        # with a mask of the block's places.
        indices = np.empty(li.size + ui.size, dtype=idx)
        w_sorted = None if lw is None else np.empty(indices.size, dtype=np.float32)
        rows = max(1, _MERGE_BLOCK * n // max(indices.size, 1))
        for a in range(0, n, rows):
            b = min(n, a + rows)
            counts = np.empty(2 * (b - a), dtype=np.int64)
            counts[0::2] = np.diff(lp[a:b + 1])
            counts[1::2] = np.diff(up[a:b + 1])
            from_l = np.repeat(np.tile(np.array([True, False]), b - a), counts)
            out = indices[indptr[a]:indptr[b]]
            out[from_l] = li[lp[a]:lp[b]]
            out[~from_l] = ui[up[a]:up[b]]
            if w_sorted is not None:
                assert lw is not None and uw is not None
                wo = w_sorted[indptr[a]:indptr[b]]
                wo[from_l] = lw[lp[a]:lp[b]]
                wo[~from_l] = uw[up[a]:up[b]]
        del li, ui, lp, up
    return CSRGraph(indptr=indptr.astype(np.int64, copy=False),
                    indices=indices.astype(np.int32, copy=False),
                    directed=directed, weights=w_sorted, **kwargs)


_I32_MAX = 2**31 - 1
_CHECK_BLOCK = 1 << 22
#: arcs merged at a time when an undirected CSR is assembled (bounds the temporaries)
_MERGE_BLOCK = 1 << 24


def _all_blocks(test: Callable[[int, int], bool], size: int) -> bool:
    """test(a, b) holds on every block [a, b) of _CHECK_BLOCK items (small temporaries)."""
    return all(test(a, min(size, a + _CHECK_BLOCK)) for a in range(0, size, _CHECK_BLOCK))


def _sorted_csr(n: int, rows: np.ndarray, cols: np.ndarray, data: np.ndarray | None,
                idx: type) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Arcs ordered by (row, col), ties in input order (stable): (indptr, cols, data)."""
    m = rows.size
    def pairs_sorted(a: int, b: int) -> bool:  # arcs i and i + 1 for i in [a, b)
        r0, r1, c0, c1 = rows[a:b], rows[a + 1:b + 1], cols[a:b], cols[a + 1:b + 1]
        return bool(((r1 > r0) | ((r1 == r0) & (c1 >= c0))).all())
    if _all_blocks(pairs_sorted, max(m - 1, 0)):  # row starts from where the (sorted) row changes, block by block
        first = np.full(n + 1, m, dtype=np.int64)  # first arc of each row present
        for a in range(0, m, _CHECK_BLOCK):
            b = min(m, a + _CHECK_BLOCK)
            blk = rows[a:b]
            at = np.flatnonzero(blk[1:] != blk[:-1]) + 1
            if a == 0 or rows[a - 1] != blk[0]:
                at = np.concatenate([[0], at])
            first[blk[at]] = at + a
        # a row with no arcs starts where the next row present starts
        indptr = np.minimum.accumulate(first[::-1])[::-1].copy()
        return indptr, cols, data
    # LSD radix sort: stable group by column, then stable group by row.
    cp, rows_by_col, data = group_by_key(n, cols, rows, data, idx)
    cols_by_col = repeat_index(np.diff(cp), idx)
    del cp
    return group_by_key(n, rows_by_col, cols_by_col, data, idx)


def _transpose(n: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray | None,
               idx: type) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """CSR of the transpose (stable counting sort; columns ascending in each row)."""
    return group_by_key(n, indices, repeat_index(np.diff(indptr), idx), data, idx)


_BUCKET_BITS = 10  # about 2**10 buckets in the first pass of a bucketed counting sort
_DIRECT_MAX_N = 1 << 19  # up to this many rows the counters fit in cache: one pass


def group_by_key(n: int, key: np.ndarray, payload: np.ndarray, data: np.ndarray | None,
           idx: type) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Stable counting sort by key in [0, n): (indptr, payload, data) in key order.

    Uses scipy's C++ coo->csr kernel (a counting sort). For large n and no data it
    runs two passes, first by the high bits of the key (about 1000 buckets, whose
    write heads stay in cache) then by the full key on the bucketed order: ~3x
    faster than one scatter into a random place of a large array.
    """
    m = key.size
    try:
        from scipy.sparse import _sparsetools
        coo_tocsr = _sparsetools.coo_tocsr
    except (ImportError, AttributeError):  # pragma: no cover - scipy is a dependency
        order = np.argsort(key, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=n), out=indptr[1:])
        return indptr, payload[order], None if data is None else data[order]
    key = np.ascontiguousarray(key, dtype=idx)
    payload = np.ascontiguousarray(payload, dtype=idx)
    if data is None and n > _DIRECT_MAX_N:
        shift = max(int(n - 1).bit_length() - _BUCKET_BITS, 0)
        nb = ((n - 1) >> shift) + 1
        bp: np.ndarray = np.empty(nb + 1, dtype=idx)
        b_payload: np.ndarray = np.empty(m, dtype=idx)
        b_key: np.ndarray = np.empty(m, dtype=idx)
        coo_tocsr(nb, n, m, key >> shift, payload, key, bp, b_payload, b_key)
        key, payload = b_key, b_payload
        del bp, b_key, b_payload
    x = np.zeros(m, dtype=np.int8) if data is None else np.ascontiguousarray(data)
    indptr = np.empty(n + 1, dtype=idx)
    out: np.ndarray = np.empty(m, dtype=idx)
    out_x = np.empty(m, dtype=x.dtype)
    coo_tocsr(n, n, m, key, payload, x, indptr, out, out_x)
    return indptr.astype(np.int64), out, None if data is None else out_x


def _dedup_rows(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Drop repeated columns within each (sorted) row, keeping the first."""
    m = indices.size
    if m < 2:
        return indptr, indices, data
    dup = np.empty(m, dtype=bool)
    dup[0] = False
    np.equal(indices[1:], indices[:-1], out=dup[1:])
    starts = indptr[:-1]
    dup[starts[starts < m]] = False
    if not dup.any():
        return indptr, indices, data
    keep = ~dup
    kept_before = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return (kept_before[indptr], indices[keep], None if data is None else data[keep])


def complete_graph(n: int) -> CSRGraph:
    """Mean-field mixing of n agents: no arcs are materialised."""
    return CSRGraph(indptr=np.zeros(n + 1, dtype=np.int64), indices=np.zeros(0, dtype=np.int32),
                    complete=True, name="complete")


_TRANSPOSES: weakref.WeakKeyDictionary[CSRGraph, tuple] = weakref.WeakKeyDictionary()


def transpose(graph: CSRGraph, with_ids: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """In-arcs of the graph, built once per graph and cached: (ptr, sources, arc ids).

    Row v of the transpose lists the agents u with an arc u -> v; ``arc ids`` give the
    place of each in-arc in graph.indices (needed only for per-arc probabilities). An
    undirected graph stores both arcs of every edge, so it is its own transpose: its
    arrays are used as they are (ids None) unless ids are asked for.
    """
    hit = _TRANSPOSES.get(graph)
    if hit is not None and (hit[2] is not None or not with_ids):
        return hit
    if not graph.directed and not with_ids:
        out: tuple[np.ndarray, np.ndarray, np.ndarray | None] = (graph.indptr, graph.indices, None)
    else:
        n, m = graph.n, graph.indices.size
        ids = np.arange(m, dtype=np.int64)
        idx = np.int32 if (n < _I32_MAX and m < _I32_MAX) else np.int64
        tptr, tsrc, tid = _transpose(n, graph.indptr, graph.indices, ids, idx)
        out = (tptr.astype(np.int64), tsrc.astype(np.int32), None if tid is None else tid.astype(np.int64))
    _TRANSPOSES[graph] = out
    return out
