"""Graphs in and out: edge lists, ``.npz`` CSR files and networkx.

Edge lists are text, one edge per line: ``u v`` or, with ``weighted=True``, ``u v w``
where w in [0, 1] is the arc's transmissibility. Fields are separated by any
whitespace (``delimiter=None``) or by a given character such as ``","`` (a field in
double quotes is unquoted). ``#`` starts a comment; blank lines are skipped.

Names. Node names that are all non-negative integers are used as agent numbers
directly (n = largest id + 1, so ids that never appear are agents without edges; the
``# wom_sim edge list: ... n=N`` comment that write_edgelist writes raises n to N, so
trailing isolated agents survive a round trip). Names that are all something else are
labels, numbered in order of first appearance and kept in ``meta["labels"]``. A file
that mixes the two (``2 x3`` among integer ids: usually a stray token) is refused
unless ``labels=True`` says every name is a label (then ``2`` and ``02`` are two
agents); ``labels=False`` refuses any name that is not an integer id.

Header. ``header="auto"`` skips a first line that names the columns: one whose fields
are all column words (``source,target``, ``follower followee``, ``from to weight`` ...),
or whose node names are not integers while the next line's are. ``header=True`` always
skips the first data line, ``False`` never does.

Direction. Stored arcs run from speaker to listener: ``u -> v`` means v hears u (v
follows u), so an agent's out-degree is its follower count. ``arc="follower_followee"``
reads each line as "u follows v" (a follower export) and reverses it. It matters only
for directed graphs.

Reading is one pass of NumPy's C parser (``np.loadtxt``): 10M lines take ~1 s
(~3 s weighted). Only if that fails does a line-by-line pass run, to find and report
the first bad line, or to number label tokens. Every problem raises
:class:`~wom_sim.errors.GraphInputError` naming the file and, for a bad line, its
number, its text and what was expected. What was read (header, labels, dropped lines,
top accounts by followers) is in ``meta`` and worded by :func:`reading_report`.

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
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

from ..errors import GraphInputError, MemoryBudgetError, WomSimError
from ..files import atomic_write, check_input_file
from .csr import CSRGraph, complete_graph, from_arcs, repeat_index

__all__ = ["read_edgelist", "write_edgelist", "read_npz", "write_npz", "from_networkx",
           "to_networkx", "reading_report", "ARC_READINGS"]

_MAX_ID = 2**31 - 2  # node ids are int32
_SNIPPET = 60  # characters of a bad line quoted in an error message
_INT_TOKEN = re.compile(r"[0-9]+\Z")
_CHECK_CHUNK = 1 << 24  # bytes read at a time when checking that a file is text

#: how a line `u v` is read: u speaks to v (v follows u), or u follows v (reversed)
ARC_READINGS = ("speaker_listener", "follower_followee")
#: column names that mark a first line as a header (compared lower-case, unquoted)
HEADER_WORDS = frozenset("""
    source target src dst dest destination from to u v i j a b head tail node node1 node2 node_1 node_2
    id id1 id2 id_1 id_2 from_id to_id source_id target_id user user_id user1 user2 account account_id
    follower followee follower_id followee_id follows followed following friend friend_id
    speaker listener sender receiver weight w p prob probability transmissibility
    """.split())
#: accounts listed by reading_report
TOP_ACCOUNTS = 5


# ----------------------------------------------------------------------- edge lists

def read_edgelist(path, *, delimiter: str | None = None, weighted: bool = False,
                  directed: bool = False, header: bool | Literal["auto"] = "auto",
                  labels: bool | Literal["auto"] = "auto", arc: str = "speaker_listener",
                  guard: Callable[[int, int], None] | None = None,
                  rng: np.random.Generator | None = None) -> CSRGraph:
    """Read an edge list (see the module docstring for the format) into a CSRGraph.

    `delimiter`: None or "whitespace" (any run of blanks), or ",". `header`, `labels`:
    True, False or "auto" (module docstring). `arc`: "speaker_listener" (u v: v hears u)
    or "follower_followee" (u v: u follows v). `guard(n, arcs)` is called once the true
    size is known and before the graph is allocated (the memory guard raises there).
    `rng` is accepted like every graph kind's builder takes it, and not used.

    Undirected edges may be listed in either orientation; repeated edges and
    self-loops are dropped (the first weight seen is kept) and counted in
    ``meta["duplicates_dropped"]`` and ``meta["self_loops_dropped"]``.

    >>> g = read_edgelist("edges.txt")  # doctest: +SKIP
    """
    path = Path(path)
    if delimiter == "whitespace":
        delimiter = None
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "#\n\r\"\\"):
        raise ValueError(f"delimiter must be None (any whitespace) or one character such "
                         f"as ',', got {delimiter!r}")
    if arc not in ARC_READINGS:
        raise ValueError(f"arc must be one of {ARC_READINGS}, got {arc!r}")
    if header not in (True, False, "auto") or labels not in (True, False, "auto"):
        raise ValueError(f"header and labels take True, False or 'auto', got {header!r}, {labels!r}")
    n_cols = 3 if weighted else 2
    _check_text_file(path)
    skip, header_text = _find_header(path, delimiter, weighted, header, labels)
    u, v, w, names = _parse(path, delimiter, weighted, n_cols, skip, labels)
    if skip and header == "auto" and names is not None and set(_fields(header_text, delimiter)[:2]) & set(names):
        # the "column names" name agents elsewhere ("a b" over "b c", "c a"): an edge after all
        skip, header_text = 0, ""
        u, v, w, names = _parse(path, delimiter, weighted, n_cols, skip, labels)
    if u.size == 0:
        raise GraphInputError(f"{path}: no edges found (the file is empty or holds only "
                              f"comments{', a header' if skip else ''} and blank lines); expected lines 'u v"
                              f"{' w' if weighted else ''}'")
    if names is None:
        top = int(max(u.max(), v.max()))
        if top > _MAX_ID:
            raise GraphInputError(f"{path}: node id {top} is too large (ids must be below "
                                  f"{_MAX_ID + 1:,}); renumber the nodes, or set labels = true "
                                  f"to number only the names that appear")
        n = max(top + 1, _header_n(path))
    else:
        n = len(names)
    if arc == "follower_followee":  # "u follows v": v's words reach u
        u, v = v, u
    if guard is not None:
        _guarded(guard, path, n, int(u.size) * (1 if directed else 2), names is not None)
    self_loops = int(np.count_nonzero(u == v))
    g = from_arcs(n, u, v, directed=directed, weights=w, name="edgelist",
                  meta={"path": str(path), "directed": bool(directed),
                        "weighted": bool(weighted), "edges_read": int(u.size),
                        "header": header_text, "header_auto": header == "auto" and bool(header_text),
                        "arc": arc})
    per_edge = 1 if directed else 2
    g.meta["self_loops_dropped"] = self_loops
    g.meta["duplicates_dropped"] = int(u.size) - self_loops - g.n_arcs // per_edge
    if names is not None:
        g.meta["labels"] = names
        g.meta["labels_given"] = labels is True
    return g


def _guarded(guard: Callable[[int, int], None], path: Path, n: int, arcs: int, labelled: bool) -> None:
    """Run the memory guard with the true size; when ids leave most agent numbers
    unused, say that labels = true would number only the names that appear."""
    try:
        guard(n, arcs)
    except MemoryBudgetError as exc:
        if not labelled and n > 4 * arcs + 1000:
            raise MemoryBudgetError(
                f"{exc}\n  {path}: ids are agent numbers, so the largest id makes {n:,} agents for "
                f"{arcs:,} arcs; set graph.labels = true to number only the names that appear") from None
        raise


def reading_report(graph: CSRGraph) -> list[str]:
    """What reading an edge list found, in lines a user reads once: size, the header
    skipped, labels, dropped lines, agents without edges and the top accounts by
    followers (so a user sees at once whether the arc direction is right)."""
    m = graph.meta
    if "edges_read" not in m:
        return []
    directed = graph.directed
    lines = [f"read {m['path']}: {m['edges_read']:,} edge lines -> {graph.n:,} agents, "
             f"{graph.n_arcs if directed else graph.n_arcs // 2:,} {'arcs' if directed else 'edges'}"
             f" ({_direction(m) if directed else 'undirected'})"]
    if m.get("header"):
        how = ("auto-detected; graph.header = false reads it as an edge" if m.get("header_auto")
               else "graph.header = true")
        lines.append(f"skipped the header line {m['header']!r} ({how})")
    if "labels" in m:
        how = "graph.labels = true" if m.get("labels_given") else "non-numeric names"
        lines.append(f"{len(m['labels']):,} agent labels ({how}), numbered in order of first appearance")
    dropped = [f"{m[k]:,} {what}" for k, what in (("self_loops_dropped", "self-loops"),
                                                  ("duplicates_dropped", "repeated edges")) if m.get(k)]
    if dropped:
        lines.append("dropped " + " and ".join(dropped))
    deg = graph.out_degree()
    isolated = int(np.count_nonzero(deg == 0)) if not directed else int(
        np.count_nonzero((deg == 0) & (graph.in_degree() == 0)))
    if isolated:
        lines.append(f"{isolated:,} agents have no edge" + ("" if "labels" in m else
                     " (ids that never appear are agents too; graph.labels = true numbers only the names used)"))
    top = np.argsort(-deg, kind="stable")[:TOP_ACCOUNTS]
    who = ", ".join(f"{agent_label(graph, int(i))} ({int(deg[i]):,})" for i in top)
    if directed:
        other = "speaker_listener" if m.get("arc") == "follower_followee" else "follower_followee"
        lines.append(f"top accounts by followers: {who}; if these are the accounts that follow most, "
                     f"set graph.arc = \"{other}\"")
    else:
        lines.append(f"most connected: {who}")
    return lines


def _direction(meta: dict) -> str:
    reading = meta.get("arc", "speaker_listener")
    return f"directed; each line read as '{reading.replace('_', ' ')}'"


def agent_label(graph: CSRGraph, i: int) -> str:
    """An agent as the user's file named it: its label, else its id."""
    names = graph.meta.get("labels")
    return str(names[i]) if names is not None else str(i)


_HEADER = re.compile(r"# wom_sim edge list: .*\bn=(\d+),")


def _header_n(path: Path) -> int:
    """n from write_edgelist's header comment (keeps trailing isolated nodes), or 0."""
    with open(path, encoding="utf-8-sig") as f:
        match = _HEADER.match(f.readline())
    return int(match.group(1)) if match and int(match.group(1)) <= _MAX_ID + 1 else 0


def _check_text_file(path: Path) -> None:
    """GraphInputError unless path is a readable regular UTF-8 text file (no NUL bytes)."""
    try:
        check_input_file(path, "edge list file")
    except WomSimError as exc:
        raise GraphInputError(str(exc).replace("a folder", "a directory")) from None
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


def _fields(line: str, delimiter: str | None) -> list[str]:
    """The fields of a line without its comment: split, stripped, unquoted."""
    line = line.split("#", 1)[0].strip()
    if not line:
        return []
    parts = line.split() if delimiter is None else [x.strip() for x in line.split(delimiter)]
    return [x[1:-1] if len(x) >= 2 and x[0] == x[-1] == '"' else x for x in parts]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _find_header(path: Path, delimiter: str | None, weighted: bool, header: bool | str,
                 labels: bool | str) -> tuple[int, str]:
    """(physical line number of the header line, its text), or (0, "") for none."""
    if header is False:
        return 0, ""
    head: list[tuple[int, str, list[str]]] = []
    with open(path, encoding="utf-8-sig") as f:
        for lineno, raw in enumerate(f, start=1):
            fields = _fields(raw, delimiter)
            if fields:
                head.append((lineno, raw.strip(), fields))
                if len(head) == 2:
                    break
    if not head:
        return 0, ""
    lineno, text, first = head[0]
    if header is True:
        return lineno, text
    words = [f.lower() for f in first]
    if all(w in HEADER_WORDS for w in words) and len(first) in (2, 3):
        return lineno, text
    if len(head) == 2:
        second = head[1][2]
        ints = [bool(_INT_TOKEN.match(t)) for t in first[:2]]
        if labels is not True and not any(ints) and all(_INT_TOKEN.match(t) for t in second[:2]):
            return lineno, text
        if (weighted and len(first) == 3 and len(second) == 3 and not _is_number(first[2])
                and _is_number(second[2])):
            return lineno, text
    return 0, ""


def _fast_parse(path: Path, delimiter: str | None, weighted: bool, skip: int):
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
            arr = np.loadtxt(path, dtype=dtype, comments="#", delimiter=delimiter, skiprows=skip,
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


def _parse(path: Path, delimiter: str | None, weighted: bool, n_cols: int, skip: int, labels: bool | str):
    """(u, v, w, labels or None): NumPy's C parser for integer ids, else pandas' for
    labels, else line by line (which also finds and words a bad line)."""
    parsed = None if labels is True else _fast_parse(path, delimiter, weighted, skip)
    if parsed is not None:
        return (*parsed, None)
    labelled = None if labels is False else _label_parse(path, delimiter, weighted, skip, labels)
    if labelled is not None:
        return labelled
    return _slow_parse(path, delimiter, weighted, n_cols, skip, labels)


def _label_parse(path: Path, delimiter: str | None, weighted: bool, skip: int, labels: bool | str):
    """(u, v, w, labels) of a file of labels by pandas' C parser and factorize (about 30x
    faster than line by line), or None if anything is off: a line with too few or too
    many fields, an empty name, a bad weight, or names mixing ids and labels under
    labels = "auto". The line-by-line pass then finds and words the problem."""
    import pandas as pd
    cols = ["u", "v", "w"] if weighted else ["u", "v"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = pd.read_csv(path, sep=r"\s+" if delimiter is None else delimiter, header=None, names=cols,
                             comment="#", dtype=str, skiprows=skip, skip_blank_lines=True, engine="c",
                             encoding="utf-8-sig", quotechar='"', skipinitialspace=True, keep_default_na=False,
                             na_filter=True, na_values=[])
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OverflowError):
        return None
    if df.empty:
        return None
    if df.isna().to_numpy().any():
        return None  # a short line (or a blank line of spaces): let the slow pass decide
    pairs = df[["u", "v"]].to_numpy(dtype=object).ravel()  # u0 v0 u1 v1 ...: order of first appearance
    codes, uniques = pd.factorize(pairs)
    stripped = pd.Series(uniques, dtype=object).str.strip()
    if (stripped != pd.Series(uniques, dtype=object)).any():  # "1 ,2": spaces before a comma
        codes2, uniques = pd.factorize(stripped.to_numpy(dtype=object))
        codes = codes2[codes]
    names = [str(x) for x in uniques]
    if any(not x for x in names):
        return None
    if labels == "auto":
        ints = pd.Series(names, dtype=object).str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
        if ints.any():
            return None  # ids mixed with labels (or ids that overflowed the fast path): worded line by line
    w = None
    if weighted:
        w64 = pd.to_numeric(df["w"].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        if not ((w64 >= 0) & (w64 <= 1)).all():  # also NaN: not a number
            return None
        w = w64.astype(np.float32)
    codes = codes.astype(np.int64)
    return codes[0::2].copy(), codes[1::2].copy(), w, names


def _slow_parse(path: Path, delimiter: str | None, weighted: bool, n_cols: int, skip: int,
                labels: bool | str):
    """Line by line: report the first bad line, or number label tokens."""
    expected = "'u v w' (w a number in [0, 1])" if weighted else "'u v'"
    sep = "whitespace" if delimiter is None else repr(delimiter)
    tokens: list[str] = []
    weights: list[float] = []
    first_line: dict[bool, tuple[int, str, str]] = {}  # is an integer id -> (line, raw, token) of its first
    with open(path, encoding="utf-8-sig") as f:
        for lineno, raw in enumerate(f, start=1):
            if lineno <= skip:
                continue
            fields = _fields(raw, delimiter)
            if not fields:
                continue
            if len(fields) != n_cols:
                hint = ""
                if len(fields) == 3 and not weighted:
                    hint = " (a weight column? set weighted = true)"
                elif len(fields) == 1 and delimiter is None and "," in raw:
                    hint = " (comma separated? set delimiter = ',')"
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
            for t in fields[:2]:
                kind = bool(_INT_TOKEN.match(t))
                if kind not in first_line:
                    first_line[kind] = (lineno, raw, t)
                    if labels is False and not kind:
                        raise _bad_line(path, lineno, raw, f"node {t!r} is not an integer id "
                                        f"(labels = false); fix the line, or set labels = true")
            tokens.append(fields[0])
            tokens.append(fields[1])
    w = np.asarray(weights, dtype=np.float32) if weighted else None
    if not tokens:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), w, None
    if labels is not True and False not in first_line:  # integer ids only
        ids = np.array([int(t) for t in tokens], dtype=object)
        top = max(ids)
        if top > _MAX_ID:
            raise GraphInputError(f"{path}: node id {top} is too large (ids must be below "
                                  f"{_MAX_ID + 1:,}); renumber the nodes, or set labels = true "
                                  f"to number only the names that appear")
        ids = ids.astype(np.int64)
        return ids[0::2].copy(), ids[1::2].copy(), w, None
    if labels == "auto" and True in first_line:  # some integer ids, some labels
        n_labels = len({t for t in tokens if not _INT_TOKEN.match(t)})
        n_ids = len({t for t in tokens if _INT_TOKEN.match(t)})
        (ln_i, _, tok_i), (ln_l, raw_l, tok_l) = first_line[True], first_line[False]
        raise GraphInputError(
            f"{path}: node names mix integer ids and labels: {n_ids:,} distinct integer ids (first {tok_i!r}, "
            f"line {ln_i}) and {n_labels:,} distinct labels (first {tok_l!r}, line {ln_l}: "
            f"{_snippet(raw_l)!r}). If every name is a label, set labels = true (then '2' and '02' are "
            f"two agents); otherwise fix the stray lines so that every name is an integer id")
    numbering = dict.fromkeys(tokens)  # first appearance order
    for i, key in enumerate(numbering):
        numbering[key] = i
    ids = np.fromiter((numbering[t] for t in tokens), dtype=np.int64, count=len(tokens))
    return ids[0::2].copy(), ids[1::2].copy(), w, list(numbering)


def _snippet(raw: str) -> str:
    text = raw.rstrip("\r\n")
    return text if len(text) <= _SNIPPET else text[:_SNIPPET - 3] + "..."


def _bad_line(path: Path, lineno: int, raw: str, what: str) -> GraphInputError:
    return GraphInputError(f"{path}, line {lineno}: {what}; the line reads {_snippet(raw)!r}")


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
            raise GraphInputError(f"{path}: label {bad!r} cannot be written in a whitespace-separated edge "
                                  f"list (empty, or contains whitespace, ',' or '#'); save the graph as .npz")
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
    try:
        check_input_file(path, ".npz graph file")
    except WomSimError as exc:
        raise GraphInputError(str(exc).replace("a folder", "a directory")) from None
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
