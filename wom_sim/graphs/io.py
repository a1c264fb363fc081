"""Graphs in and out: edge lists, ``.npz`` CSR files and networkx.

Edge lists are text, one edge per line: ``u v`` or, with ``weighted=True``, ``u v w``
where w in [0, 1] is the arc's transmissibility. Fields are separated by any
whitespace (``delimiter=None``) or by a given character such as ``","``. ``#``
starts a comment; blank lines are skipped. Node tokens that are all non-negative
integers are used as ids directly (n = max id + 1, so ids that never appear are
isolated nodes; the ``# wom_sim edge list: ... n=N`` header that write_edgelist
writes raises n to N, so trailing isolated nodes survive a round trip); if any
token is something else, tokens are numbered in order of first appearance and
``meta["labels"]`` keeps them.

Reading is one pass of NumPy's C parser (``np.loadtxt``): 10M lines take ~1 s
(~3 s weighted). Only if that fails does a line-by-line pass run, to find and report
the first bad line, or to number label tokens. Every problem raises
:class:`~wom_sim.errors.GraphInputError` naming the file and, for a bad line, its
number, its text and what was expected.

Sample use::

    >>> g = read_edgelist("contacts.csv", delimiter=",", weighted=True)  # doctest: +SKIP
    >>> write_npz(g, "contacts.npz")                                     # doctest: +SKIP
"""
from __future__ import annotations

import codecs
import json
import math
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from ..errors import GraphInputError
from ..files import atomic_write
from .csr import CSRGraph, complete_graph, from_arcs, repeat_index

__all__ = ["read_edgelist", "write_edgelist", "read_npz", "write_npz", "from_networkx",
           "to_networkx"]

_MAX_ID = 2**31 - 2  # node ids are int32
_SNIPPET = 60  # characters of a bad line quoted in an error message
_INT_TOKEN = re.compile(r"[0-9]+\Z")
_CHECK_CHUNK = 1 << 24  # bytes read at a time when checking that a file is text


# ----------------------------------------------------------------------- edge lists

def read_edgelist(path, *, delimiter: str | None = None, weighted: bool = False,
                  directed: bool = False, rng: np.random.Generator | None = None) -> CSRGraph:
    """Read an edge list (see the module docstring for the format) into a CSRGraph.

    `delimiter`: None or "whitespace" (any run of blanks), or ",". `rng` is accepted
    like every graph kind's builder takes it, and not used.

    Undirected edges may be listed in either orientation; repeated edges and
    self-loops are dropped (the first weight seen is kept) and counted in
    ``meta["duplicates_dropped"]`` and ``meta["self_loops_dropped"]``.

    >>> g = read_edgelist("edges.txt")  # doctest: +SKIP
    """
    path = Path(path)
    if delimiter == "whitespace":
        delimiter = None
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "#\n\r"):
        raise ValueError(f"delimiter must be None (any whitespace) or one character such "
                         f"as ',', got {delimiter!r}")
    n_cols = 3 if weighted else 2
    _check_text_file(path)
    parsed = _fast_parse(path, delimiter, weighted)
    labels = None
    if parsed is None:  # a bad line, label tokens or negative/huge ids: go line by line
        u, v, w, labels = _slow_parse(path, delimiter, weighted, n_cols)
    else:
        u, v, w = parsed
    if u.size == 0:
        raise GraphInputError(f"{path}: no edges found (the file is empty or holds only "
                              f"comments and blank lines); expected lines 'u v"
                              f"{' w' if weighted else ''}'")
    if labels is None:
        top = int(max(u.max(), v.max()))
        if top > _MAX_ID:
            raise GraphInputError(f"{path}: node id {top} is too large (ids must be below "
                                  f"{_MAX_ID + 1:,}); renumber the nodes, or use "
                                  f"non-numeric labels")
        n = max(top + 1, _header_n(path))
    else:
        n = len(labels)
    self_loops = int(np.count_nonzero(u == v))
    g = from_arcs(n, u, v, directed=directed, weights=w, name="edgelist",
                  meta={"path": str(path), "directed": bool(directed),
                        "weighted": bool(weighted), "edges_read": int(u.size)})
    per_edge = 1 if directed else 2
    g.meta["self_loops_dropped"] = self_loops
    g.meta["duplicates_dropped"] = int(u.size) - self_loops - g.n_arcs // per_edge
    if labels is not None:
        g.meta["labels"] = labels
    return g


_HEADER = re.compile(r"# wom_sim edge list: .*\bn=(\d+),")


def _header_n(path: Path) -> int:
    """n from write_edgelist's header comment (keeps trailing isolated nodes), or 0."""
    with open(path, encoding="utf-8-sig") as f:
        match = _HEADER.match(f.readline())
    return int(match.group(1)) if match and int(match.group(1)) <= _MAX_ID + 1 else 0


def _check_text_file(path: Path) -> None:
    """GraphInputError unless path is a readable UTF-8 text file (no NUL bytes)."""
    if not path.exists():
        raise GraphInputError(f"{path}: no such file")
    if path.is_dir():
        raise GraphInputError(f"{path}: is a directory, expected an edge list file")
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0  # bytes and newlines before the current chunk
    chunk = b""
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(_CHECK_CHUNK)
                if not chunk:
                    decoder.decode(b"", final=True)
                    break
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    line = lines + chunk.count(b"\n", 0, nul) + 1
                    raise GraphInputError(
                        f"{path}, line {line}: binary content "
                        f"(a NUL byte at byte {offset + nul}); expected a text edge list "
                        f"(an .npz graph? use read_npz)")
                decoder.decode(chunk)
                offset += len(chunk)
                lines += chunk.count(b"\n")
    except UnicodeDecodeError as exc:
        at = max(exc.start, 0)
        line = lines + chunk.count(b"\n", 0, at) + 1
        raise GraphInputError(f"{path}, line {line}: not UTF-8 "
                              f"text (byte {offset + at} is invalid); expected a text edge "
                              f"list saved as UTF-8") from None
    except OSError as exc:
        raise GraphInputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _fast_parse(path: Path, delimiter: str | None, weighted: bool):
    """(u, v, w) by NumPy's C parser, or None if anything looks off (then go slow)."""
    dtype: DTypeLike
    arr: np.ndarray
    if weighted:
        dtype = np.dtype([("u", "<i8"), ("v", "<i8"), ("w", "<f8")])
    else:
        dtype = np.int64
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            arr = np.loadtxt(path, dtype=dtype, comments="#", delimiter=delimiter,
                             ndmin=1 if weighted else 2, encoding="utf-8-sig")
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None
    if weighted:
        arr = np.atleast_1d(arr)
        if arr.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
        u, v, w = arr["u"], arr["v"], arr["w"]
        if not ((w >= 0) & (w <= 1)).all():  # also catches NaN
            return None
        w = w.astype(np.float32)
    else:
        if arr.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), None
        if arr.ndim != 2 or arr.shape[1] != 2:
            return None
        u, v, w = arr[:, 0], arr[:, 1], None
    if (u < 0).any() or (v < 0).any():
        return None  # labels, not ids
    return np.ascontiguousarray(u), np.ascontiguousarray(v), w


def _slow_parse(path: Path, delimiter: str | None, weighted: bool, n_cols: int):
    """Line by line: report the first bad line, or number non-integer tokens."""
    expected = "'u v w' (w a number in [0, 1])" if weighted else "'u v'"
    sep = "whitespace" if delimiter is None else repr(delimiter)
    tokens: list[str] = []
    weights: list[float] = []
    with open(path, encoding="utf-8-sig") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if delimiter is None:
                fields = line.split()
            else:
                fields = [x.strip() for x in line.split(delimiter)]
            if len(fields) != n_cols:
                hint = ""
                if len(fields) == 3 and not weighted:
                    hint = " (a weight column? pass weighted=True)"
                elif len(fields) == 1 and delimiter is None and "," in line:
                    hint = " (comma separated? pass delimiter=',')"
                raise _bad_line(path, lineno, raw, f"expected {n_cols} fields {expected} "
                                f"separated by {sep}, found {len(fields)}{hint}")
            if not fields[0] or not fields[1]:
                raise _bad_line(path, lineno, raw, f"empty node field; expected {expected}")
            if weighted:
                try:
                    x = float(fields[2])
                except ValueError:
                    raise _bad_line(path, lineno, raw, f"weight {fields[2]!r} is not a "
                                    f"number; expected {expected}") from None
                if math.isnan(x) or not 0.0 <= x <= 1.0:
                    raise _bad_line(path, lineno, raw, f"weight {fields[2]} is outside "
                                    f"[0, 1]; expected {expected}")
                weights.append(x)
            tokens.append(fields[0])
            tokens.append(fields[1])
    w = np.asarray(weights, dtype=np.float32) if weighted else None
    if not tokens:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), w, None
    if all(_INT_TOKEN.match(t) for t in tokens):
        ids = np.array([int(t) for t in tokens], dtype=object)
        top = max(ids)
        if top > _MAX_ID:
            raise GraphInputError(f"{path}: node id {top} is too large (ids must be below "
                                  f"{_MAX_ID + 1:,}); renumber the nodes, or use "
                                  f"non-numeric labels")
        ids = ids.astype(np.int64)
        return ids[0::2].copy(), ids[1::2].copy(), w, None
    numbering = dict.fromkeys(tokens)  # first appearance order
    for i, key in enumerate(numbering):
        numbering[key] = i
    ids = np.fromiter((numbering[t] for t in tokens), dtype=np.int64, count=len(tokens))
    return ids[0::2].copy(), ids[1::2].copy(), w, list(numbering)


def _bad_line(path: Path, lineno: int, raw: str, what: str) -> GraphInputError:
    text = raw.rstrip("\r\n")
    if len(text) > _SNIPPET:
        text = text[:_SNIPPET - 3] + "..."
    return GraphInputError(f"{path}, line {lineno}: {what}; the line reads {text!r}")


def write_edgelist(graph: CSRGraph, path) -> None:
    """Write one ``u v`` (or ``u v w``) line per edge; undirected edges once, u < v.

    Node labels in ``meta["labels"]`` are written instead of ids (they must not
    contain whitespace, ``,`` or ``#``). A ``#`` header records n and the kind; it is
    a comment to read_edgelist. The file is written atomically (temp file + rename).
    """
    if graph.complete:
        raise ValueError("a complete (mean-field) graph has no stored edges to write; "
                         "save it with write_npz, or build it explicitly")
    rows = graph.arc_sources(np.int64)
    cols = graph.indices.astype(np.int64)
    w = graph.weights
    if not graph.directed:
        keep = rows < cols
        rows, cols = rows[keep], cols[keep]
        w = None if w is None else w[keep]
    labels = graph.meta.get("labels")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != graph.n:
            raise ValueError(f"meta['labels'] has {len(labels)} entries for {graph.n} nodes")
        bad = next((x for x in labels if not x or re.search(r"[\s,#]", x)), None)
        if bad is not None:
            raise ValueError(f"label {bad!r} cannot be written in an edge list (empty, or "
                             f"contains whitespace, ',' or '#')")
    header = (f"# wom_sim edge list: {graph.name or 'graph'}, n={graph.n}, "
              f"{'directed' if graph.directed else 'undirected'}, "
              f"{rows.size} {'arcs' if graph.directed else 'edges'}"
              f"{', weighted (u v w)' if w is not None else ''}\n")

    def lines():
        yield header
        step = 1 << 20
        for a in range(0, rows.size, step):
            u, v = rows[a:a + step], cols[a:a + step]
            if labels is not None:
                us = [labels[i] for i in u.tolist()]
                vs = [labels[i] for i in v.tolist()]
            else:
                us, vs = u.tolist(), v.tolist()
            if w is None:
                yield "".join(map("{} {}\n".format, us, vs))
            else:
                ws = w[a:a + step].astype(np.float64).tolist()
                yield "".join(map("{} {} {:.9g}\n".format, us, vs, ws))

    atomic_write(Path(path), lines(), text=True)


# ------------------------------------------------------------------------------ npz

def write_npz(graph: CSRGraph, path) -> None:
    """Save the CSR arrays with ``np.savez`` (uncompressed; read_npz loads them back).

    Keys: ``indptr``, ``indices``, ``directed``, ``complete``, ``name``, plus
    ``weights``, ``blocks`` and ``labels`` when present and ``meta_json`` (the
    JSON-serialisable part of meta). Written atomically to exactly ``path``.
    """
    arrays: dict[str, np.ndarray] = {"indptr": np.asarray(graph.indptr, dtype=np.int64),
                                     "indices": np.asarray(graph.indices, dtype=np.int32),
                                     "directed": np.array(bool(graph.directed)),
                                     "complete": np.array(bool(graph.complete)),
                                     "name": np.array(str(graph.name))}
    if graph.weights is not None:
        arrays["weights"] = np.asarray(graph.weights, dtype=np.float32)
    if graph.blocks is not None:
        arrays["blocks"] = np.asarray(graph.blocks, dtype=np.int32)
    meta = dict(graph.meta)
    labels = meta.pop("labels", None)
    if labels is not None:
        arrays["labels"] = np.array([str(x) for x in labels], dtype=str)
    arrays["meta_json"] = np.array(json.dumps(_jsonable(meta)))
    # numpy's stubs: savez's **kwds could also fill its allow_pickle: bool (no key here is "allow_pickle")
    atomic_write(Path(path), lambda f: np.savez(f, **arrays), text=False)  # type: ignore[arg-type]


def _jsonable(meta: dict) -> dict:
    out = {}
    for key, value in meta.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        out[str(key)] = value
    return out


def read_npz(path) -> CSRGraph:
    """Load a graph saved by write_npz, checking that the arrays form a valid CSR.

    Checks: indptr starts at 0, never decreases and ends at len(indices); indices
    are in [0, n), strictly increasing within each row (no duplicates) and not
    self-loops; undirected graphs are symmetric; weights (if any) are finite, in
    [0, 1], one per arc; blocks (if any) one non-negative int per node.
    """
    path = Path(path)
    if not path.exists():
        raise GraphInputError(f"{path}: no such file")
    if path.is_dir():
        raise GraphInputError(f"{path}: is a directory, expected an .npz graph file")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a plain .npy array
            raise GraphInputError(f"{path}: holds a single array, expected an .npz graph "
                                  f"with 'indptr' and 'indices'")
        with loaded as z:
            data = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise GraphInputError(f"{path}: not a readable .npz graph file ({exc}); expected "
                              f"a file written by write_npz") from None

    def bad(what: str) -> GraphInputError:
        return GraphInputError(f"{path}: malformed graph: {what}")

    for key in ("indptr", "indices"):
        if key not in data:
            raise bad(f"no '{key}' array (found {sorted(data)})")
    indptr, indices = data["indptr"], data["indices"]
    for key, arr in (("indptr", indptr), ("indices", indices)):
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise bad(f"'{key}' must be a 1-D integer array, got shape {arr.shape} "
                      f"dtype {arr.dtype}")
    if indptr.size < 1 or indptr[0] != 0:
        raise bad("'indptr' must start with 0")
    n = indptr.size - 1
    if (np.diff(indptr) < 0).any():
        raise bad("'indptr' decreases")
    if indptr[-1] != indices.size:
        raise bad(f"'indptr' ends at {int(indptr[-1])} but there are {indices.size} indices")
    if n > _MAX_ID + 1:
        raise bad(f"{n} nodes is too many (node ids are int32)")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise bad(f"'indices' must lie in [0, {n})")
    directed = _scalar_bool(data, "directed", False, bad)
    complete = _scalar_bool(data, "complete", False, bad)
    name = str(data["name"]) if "name" in data and data["name"].ndim == 0 else ""
    meta = {}
    if "meta_json" in data:
        try:
            meta = json.loads(str(data["meta_json"]))
        except ValueError:
            raise bad("'meta_json' is not JSON") from None
    if "labels" in data:
        labels = data["labels"]
        if labels.ndim != 1 or labels.size != n:
            raise bad(f"'labels' must hold one label per node ({n})")
        meta["labels"] = [str(x) for x in labels.tolist()]
    if complete:
        if indices.size:
            raise bad("a complete graph stores no arcs")
        g = complete_graph(n)
        g.meta.update(meta)
        return g
    indptr = indptr.astype(np.int64)
    indices = indices.astype(np.int32)
    rows = repeat_index(np.diff(indptr))
    if (rows == indices).any():
        raise bad("self-loops (an arc u -> u)")
    if indices.size > 1:
        step = np.diff(indices.astype(np.int64))
        same_row = rows[1:] == rows[:-1]
        if (step[same_row] <= 0).any():
            raise bad("'indices' not strictly increasing within a row (unsorted or "
                      "duplicate arcs)")
    weights = None
    if "weights" in data:
        weights = data["weights"]
        if weights.shape != indices.shape or not np.issubdtype(weights.dtype, np.floating):
            raise bad(f"'weights' must be floats, one per arc ({indices.size}), got shape "
                      f"{weights.shape} dtype {weights.dtype}")
        if not ((weights >= 0) & (weights <= 1)).all():
            raise bad("'weights' must lie in [0, 1] (no NaN)")
        weights = weights.astype(np.float32)
    if not directed and indices.size:
        # the reversed arcs, sorted, must be the same arcs
        t = from_arcs(n, indices, rows, directed=True, weights=weights, dedup=False,
                      drop_self_loops=False)
        tp, ti, tw = t.indptr, t.indices, t.weights
        if not (np.array_equal(tp, indptr) and np.array_equal(ti, indices)):
            raise bad("undirected but not symmetric (an arc u -> v without v -> u)")
        if weights is not None and (tw is None or not np.array_equal(tw, weights)):
            raise bad("undirected but the two arcs of an edge have different weights")
    blocks = None
    if "blocks" in data:
        blocks = data["blocks"]
        if blocks.shape != (n,) or not np.issubdtype(blocks.dtype, np.integer) \
                or (blocks.size and blocks.min() < 0):
            raise bad(f"'blocks' must hold one non-negative integer per node ({n})")
        blocks = blocks.astype(np.int32)
    return CSRGraph(indptr=indptr, indices=indices, directed=directed, weights=weights,
                    blocks=blocks, name=name, meta=meta)


def _scalar_bool(data: dict, key: str, default: bool, bad) -> bool:
    if key not in data:
        return default
    arr = data[key]
    if arr.size != 1 or arr.dtype.kind not in "biu":
        raise bad(f"'{key}' must be a single boolean")
    return bool(arr.reshape(()))


# ------------------------------------------------------------------------- networkx

def from_networkx(G, weight: str | None = "weight") -> CSRGraph:
    """Convert a networkx graph: nodes relabelled 0..n-1 in ``G.nodes`` order.

    The original nodes are kept in ``meta["labels"]`` unless they already are
    0..n-1 in order. Directed if ``G.is_directed()``. Weights are taken from the
    ``weight`` edge attribute when every edge has it and every value is in [0, 1]
    (a per-arc transmissibility); values outside [0, 1] (such as the interaction
    counts of ``nx.karate_club_graph()``) are ignored with a UserWarning.
    ``weight=None`` ignores weights. Self-loops and parallel edges are dropped.
    """
    nodes = list(G.nodes())
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    directed = bool(G.is_directed())
    m = G.number_of_edges()
    u = np.empty(m, dtype=np.int64)
    v = np.empty(m, dtype=np.int64)
    w = None
    use_weight = weight is not None and m > 0 and all(
        weight in d for _, _, d in G.edges(data=True))
    if use_weight:
        w = np.empty(m, dtype=np.float64)
        for i, (a, b, x) in enumerate(G.edges(data=weight)):
            u[i], v[i], w[i] = index[a], index[b], x
        outside = ~((w >= 0) & (w <= 1))
        if outside.any():
            # e.g. nx.karate_club_graph()'s interaction counts: not transmissibilities
            example = w[outside][0]
            warnings.warn(f"networkx graph: edge attribute {weight!r} has values outside "
                          f"[0, 1] (e.g. {example:g}), so it is not used as per-arc "
                          f"transmissibility; pass weight=None to silence this, or rescale "
                          f"it to [0, 1]", UserWarning, stacklevel=2)
            w = None
    else:
        for i, (a, b) in enumerate(G.edges()):
            u[i], v[i] = index[a], index[b]
    g = from_arcs(n, u, v, directed=directed, weights=w, name="networkx",
                  meta={"directed": directed, "source": type(G).__name__})
    if nodes != list(range(n)):
        g.meta["labels"] = nodes
    return g


def to_networkx(graph: CSRGraph):
    """Convert to ``nx.Graph`` / ``nx.DiGraph`` (weights as the ``weight`` attribute).

    Nodes are 0..n-1, or the labels in ``meta["labels"]``; blocks become the
    ``block`` node attribute. A complete (mean-field) graph gives nx.complete_graph.
    """
    import networkx as nx

    labels = graph.meta.get("labels")
    if labels is not None and len(labels) != graph.n:
        labels = None
    if graph.complete:
        H = nx.complete_graph(graph.n)
    else:
        H = nx.DiGraph() if graph.directed else nx.Graph()
        H.add_nodes_from(range(graph.n))
        rows = graph.arc_sources(np.int64)
        cols = graph.indices.astype(np.int64)
        w = graph.weights
        if not graph.directed:
            keep = rows < cols
            rows, cols = rows[keep], cols[keep]
            w = None if w is None else w[keep]
        if w is None:
            H.add_edges_from(zip(rows.tolist(), cols.tolist()))
        else:
            H.add_weighted_edges_from(zip(rows.tolist(), cols.tolist(),
                                          w.astype(np.float64).tolist()))
    if graph.blocks is not None:
        nx.set_node_attributes(H, dict(enumerate(graph.blocks.tolist())), "block")
    if labels is not None:
        H = nx.relabel_nodes(H, dict(enumerate(labels)), copy=True)
    return H
