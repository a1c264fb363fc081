"""Edge lists, npz files and networkx conversion: round trips and every error path."""
from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest

from wom_sim.errors import GraphInputError, WomSimError
from wom_sim.graphs import generators as gen
from wom_sim.graphs import io
from wom_sim.graphs.csr import CSRGraph, complete_graph, from_arcs


def same_graph(a: CSRGraph, b: CSRGraph) -> bool:
    ok = (a.n == b.n and a.directed == b.directed and np.array_equal(a.indptr, b.indptr)
          and np.array_equal(a.indices, b.indices))
    if a.weights is None or b.weights is None:
        return ok and a.weights is None and b.weights is None
    return ok and np.array_equal(a.weights, b.weights)


def edges_by_label(g: CSRGraph) -> set:
    labels = g.meta.get("labels") or list(range(g.n))
    rows = np.repeat(np.arange(g.n), np.diff(g.indptr))
    out = set()
    for u, v in zip(rows.tolist(), g.indices.tolist()):
        if g.directed:
            out.add((labels[u], labels[v]))
        elif u < v:
            out.add(frozenset((labels[u], labels[v])))
    return out


def write(tmp_path, text: str, name: str = "g.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def weighted_graph(directed: bool, seed: int = 0) -> CSRGraph:
    r = np.random.default_rng(seed)
    g = gen.erdos_renyi(300, 6.0, r, directed=directed)
    rows = np.repeat(np.arange(g.n), np.diff(g.indptr))
    keep = np.ones(rows.size, bool) if directed else rows < g.indices
    w = r.random(int(keep.sum())).astype(np.float32)
    w[:3] = [0.0, 1.0, 0.1]
    return from_arcs(g.n, rows[keep], g.indices[keep], directed=directed, weights=w)


# ------------------------------------------------------------------ edge list: reading

def test_read_whitespace_comments_blank_lines(tmp_path):
    p = write(tmp_path, "# a triangle and a pendant\n\n0 1\n1\t2   # tab, spaces\n  2 0\n\n3 2\n")
    g = io.read_edgelist(p)
    assert g.n == 4 and not g.directed and g.name == "edgelist"
    assert edges_by_label(g) == {frozenset(e) for e in [(0, 1), (1, 2), (0, 2), (2, 3)]}
    assert "labels" not in g.meta and g.weights is None


def test_read_comma_separated_with_spaces_crlf_and_bom(tmp_path):
    p = tmp_path / "g.csv"
    p.write_bytes(b"\xef\xbb\xbf# exported\r\n0, 1\r\n1 ,2\r\n")
    g = io.read_edgelist(p, delimiter=",")
    assert edges_by_label(g) == {frozenset((0, 1)), frozenset((1, 2))}


def test_ids_are_used_directly_so_gaps_are_isolated_nodes(tmp_path):
    g = io.read_edgelist(write(tmp_path, "5 9\n"))
    assert g.n == 10 and g.out_degree()[[5, 9]].tolist() == [1, 1]
    assert g.out_degree().sum() == 2


def test_directed_and_duplicates_and_self_loops(tmp_path):
    p = write(tmp_path, "0 1\n1 0\n0 1\n2 2\n1 2\n")
    und = io.read_edgelist(p)
    assert edges_by_label(und) == {frozenset((0, 1)), frozenset((1, 2))}
    assert und.meta["self_loops_dropped"] == 1 and und.meta["duplicates_dropped"] == 2
    dig = io.read_edgelist(p, directed=True)
    assert dig.directed and edges_by_label(dig) == {(0, 1), (1, 0), (1, 2)}
    assert dig.meta["duplicates_dropped"] == 1


def test_labels_in_order_of_first_appearance(tmp_path):
    p = write(tmp_path, "# people\nzoe  adam\nadam 7\n7 zoe\nbob adam\n")
    g = io.read_edgelist(p, labels=True)
    assert g.meta["labels"] == ["zoe", "adam", "7", "bob"]
    assert edges_by_label(g) == {frozenset(e) for e in
                                 [("zoe", "adam"), ("adam", "7"), ("7", "zoe"), ("bob", "adam")]}


def test_negative_numbers_are_labels_not_ids(tmp_path):
    g = io.read_edgelist(write(tmp_path, "-1 0\n0 1\n"), labels=True)
    assert g.meta["labels"] == ["-1", "0", "1"] and g.n == 3


def test_a_few_stray_labels_among_ids_are_refused_unless_labels_are_meant(tmp_path):
    p = write(tmp_path, "0 1\n1 2\n2 x3\n3 4\n")
    with pytest.raises(GraphInputError, match=r"mix integer ids and labels.*'x3', line 3.*labels = true"):
        io.read_edgelist(p)
    assert io.read_edgelist(p, labels=True).n == 6  # 0 1 2 x3 3 4
    with pytest.raises(GraphInputError, match=r"line 3: node 'x3' is not an integer id"):
        io.read_edgelist(p, labels=False)


def test_labels_true_makes_integer_names_labels(tmp_path):
    g = io.read_edgelist(write(tmp_path, "10 20\n020 10\n"), labels=True)
    assert g.meta["labels"] == ["10", "20", "020"] and g.n == 3


@pytest.mark.parametrize("text, delimiter, n", [
    ("source,target\n0,1\n1,2\n", ",", 3),                    # column words
    ("Follower Followee\nann bob\nbob cy\n", None, 3),        # column words over labels
    ("# export\n\nfrom to weight\n0 1 0.5\n", None, 2),       # after comments, weighted
    ("col_a,col_b\n0,1\n", ",", 2),                           # names over integer ids
    ('"source","target"\n"a","b"\n', ",", 2),                 # quoted
])
def test_a_header_line_is_detected_and_skipped(tmp_path, text, delimiter, n):
    g = io.read_edgelist(write(tmp_path, text), delimiter=delimiter, weighted="weight" in text)
    assert g.n == n and g.meta["header"] and g.meta["header_auto"]
    assert any("header" in line for line in io.reading_report(g))


def test_column_words_that_name_agents_elsewhere_are_an_edge(tmp_path):
    g = io.read_edgelist(write(tmp_path, "a b\nb c\nc a\n"))
    assert g.n == 3 and not g.meta["header"]


def test_header_false_reads_the_first_line_as_an_edge_and_true_always_skips(tmp_path):
    p = write(tmp_path, "from to\nann cy\n")
    assert io.read_edgelist(p).n == 2
    assert io.read_edgelist(p, header=False).n == 4
    assert io.read_edgelist(write(tmp_path, "5 6\n0 1\n"), header=True).n == 2


def test_follower_followee_reverses_the_arcs(tmp_path):
    # ann, bob and cy follow dee: dee has three followers
    p = write(tmp_path, "follower,followee\nann,dee\nbob,dee\ncy,dee\ndee,ann\n")
    g = io.read_edgelist(p, delimiter=",", directed=True, arc="follower_followee")
    labels = g.meta["labels"]
    assert dict(zip(labels, g.out_degree().tolist())) == {"ann": 1, "dee": 3, "bob": 0, "cy": 0}
    report = io.reading_report(g)
    assert any(line.startswith("top accounts by followers: dee (3)") for line in report), report
    backwards = io.read_edgelist(p, delimiter=",", directed=True)
    assert backwards.out_degree()[backwards.meta["labels"].index("dee")] == 1


def test_weights_are_per_arc_transmissibility(tmp_path):
    p = write(tmp_path, "0 1 0.25\n1 2 1\n2 3 0\n3 4 1e-1\n")
    g = io.read_edgelist(p, weighted=True)
    assert g.weights.dtype == np.float32
    w = {(u, v): float(x) for u, v, x in
         zip(np.repeat(np.arange(g.n), np.diff(g.indptr)).tolist(), g.indices.tolist(),
             g.weights.tolist())}
    assert w[(0, 1)] == w[(1, 0)] == 0.25 and w[(2, 3)] == 0.0
    assert w[(3, 4)] == pytest.approx(0.1)


def test_first_weight_wins_for_a_repeated_undirected_edge(tmp_path):
    g = io.read_edgelist(write(tmp_path, "0 1 0.5\n1 0 0.9\n"), weighted=True)
    assert g.weights.tolist() == [0.5, 0.5]


def test_a_valid_integer_file_never_takes_the_line_by_line_path(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("slow path used")
    monkeypatch.setattr(io, "_slow_parse", boom)
    r = np.random.default_rng(0)
    rows = r.integers(0, 50_000, (200_000, 2))
    p = tmp_path / "big.txt"
    p.write_text("# big\n" + "\n".join(f"{a} {b}" for a, b in rows.tolist()) + "\n")
    t0 = time.perf_counter()
    g = io.read_edgelist(p)
    assert time.perf_counter() - t0 < 5.0  # ~0.05 s; 10M lines take ~1.5 s
    assert g.meta["edges_read"] == 200_000
    pw = tmp_path / "bigw.txt"
    pw.write_text("\n".join(f"{a},{b},0.5" for a, b in rows[:1000].tolist()))
    assert io.read_edgelist(pw, delimiter=",", weighted=True).weights.max() == 0.5


def test_a_valid_label_file_never_takes_the_line_by_line_path(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("slow path used")
    monkeypatch.setattr(io, "_slow_parse", boom)
    p = tmp_path / "people.csv"
    p.write_bytes(b'\xef\xbb\xbfsource,target\r\n"ann", bob  # first\r\nbob ,cy\r\n\r\n# note\r\ncy,ann\r\n')
    g = io.read_edgelist(p, delimiter=",")
    assert g.meta["labels"] == ["ann", "bob", "cy"] and g.meta["header"] == "source,target"
    assert edges_by_label(g) == {frozenset(e) for e in [("ann", "bob"), ("bob", "cy"), ("cy", "ann")]}
    w = io.read_edgelist(write(tmp_path, "a b 0.5\nb c 1\n"), weighted=True, header=False)
    assert w.weights.tolist() == [0.5, 0.5, 1.0, 1.0]


# ------------------------------------------------------------ edge list: bad input

@pytest.mark.parametrize("text, kwargs, line, expect", [
    ("0 1\n# comment\n\n1 2 3\n", {}, 4, "expected 2 fields.*found 3.*weighted = true"),
    ("0 1\n2\n", {}, 2, "expected 2 fields.*found 1"),
    ("0,1\n1,2\n", {}, 1, "found 1.*delimiter = ','"),
    ("0 1\n1 2\n", {"weighted": True}, 1, "expected 3 fields 'u v w'"),
    ("0 1 0.5\n1 2 high\n", {"weighted": True}, 2, "weight 'high' is not a number"),
    ("0 1 0.5\n\n1 2 1.5\n", {"weighted": True}, 3, r"weight 1.5 is outside \[0, 1\]"),
    ("0 1 -0.1\n", {"weighted": True}, 1, "outside"),
    ("0 1 nan\n", {"weighted": True}, 1, "outside"),
    ("0,1\n1,,2\n", {"delimiter": ","}, 2, "expected 2 fields.*found 3"),
    ("0,1\n,2\n", {"delimiter": ","}, 2, "empty node field"),
])
def test_bad_line_names_file_line_text_and_expectation(tmp_path, text, kwargs, line, expect):
    p = write(tmp_path, text)
    with pytest.raises(GraphInputError, match=expect) as err:
        io.read_edgelist(p, **kwargs)
    msg = str(err.value)
    assert str(p) in msg and f"line {line}:" in msg
    bad_text = text.splitlines()[line - 1]
    assert repr(bad_text) in msg


def test_long_bad_line_is_shortened(tmp_path):
    p = write(tmp_path, "0 1\n" + " ".join(["7"] * 200) + "\n")
    with pytest.raises(GraphInputError, match="line 2") as err:
        io.read_edgelist(p)
    assert "..." in str(err.value) and len(str(err.value)) < 400


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n  # another\n"])
def test_no_edges_is_an_error(tmp_path, content):
    with pytest.raises(GraphInputError, match="no edges"):
        io.read_edgelist(write(tmp_path, content))


def test_binary_and_non_utf8_files(tmp_path):
    p = tmp_path / "g.bin"
    p.write_bytes(b"0 1\n\x00\x01\x02\x03")
    with pytest.raises(GraphInputError, match="binary"):
        io.read_edgelist(p)
    q = tmp_path / "latin1.txt"
    q.write_bytes("0 1\nJos\xe9 1\n".encode("latin-1"))
    with pytest.raises(GraphInputError, match="not UTF-8"):
        io.read_edgelist(q)
    npz = tmp_path / "g.npz"
    io.write_npz(gen.erdos_renyi(20, 3.0, np.random.default_rng(0)), npz)
    with pytest.raises(GraphInputError, match="binary|UTF-8"):
        io.read_edgelist(npz)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(GraphInputError, match="no such file"):
        io.read_edgelist(tmp_path / "nope.txt")
    with pytest.raises(GraphInputError, match="directory"):
        io.read_edgelist(tmp_path)


def test_huge_ids_are_refused(tmp_path):
    with pytest.raises(GraphInputError, match="too large"):
        io.read_edgelist(write(tmp_path, "0 99999999999\n"))
    with pytest.raises(GraphInputError, match="too large"):
        io.read_edgelist(write(tmp_path, "0 99999999999999999999999\n"))


def test_errors_are_wom_sim_errors_and_bad_delimiter_is_a_value_error(tmp_path):
    assert issubclass(GraphInputError, WomSimError)
    with pytest.raises(ValueError, match="delimiter"):
        io.read_edgelist(write(tmp_path, "0 1\n"), delimiter=", ")


# ---------------------------------------------------------- edge list: round trips

@pytest.mark.parametrize("directed", [False, True])
def test_edgelist_round_trip(tmp_path, directed):
    g = gen.erdos_renyi(500, 4.0, np.random.default_rng(1), directed=directed)
    p = tmp_path / "g.txt"
    io.write_edgelist(g, p)
    lines = [x for x in p.read_text().splitlines() if not x.startswith("#")]
    assert len(lines) == (g.n_arcs if directed else g.n_arcs // 2)
    if not directed:
        assert all(int(a) < int(b) for a, b in (x.split() for x in lines))
    h = io.read_edgelist(p, directed=directed)
    assert same_graph(g, h)


def test_isolated_trailing_nodes_survive_a_round_trip(tmp_path):
    g = from_arcs(10, np.array([0, 1]), np.array([1, 2]), directed=False)
    io.write_edgelist(g, tmp_path / "g.txt")
    assert io.read_edgelist(tmp_path / "g.txt").n == 10


@pytest.mark.parametrize("directed", [False, True])
def test_weighted_edgelist_round_trip_is_exact(tmp_path, directed):
    g = weighted_graph(directed)
    io.write_edgelist(g, tmp_path / "w.txt")
    h = io.read_edgelist(tmp_path / "w.txt", weighted=True, directed=directed)
    assert same_graph(g, h)


def test_labelled_edgelist_round_trip(tmp_path):
    p = write(tmp_path, "ann bob\nbob cy\ncy ann\ndee cy\n")
    g = io.read_edgelist(p)
    io.write_edgelist(g, tmp_path / "out.txt")
    h = io.read_edgelist(tmp_path / "out.txt")
    assert edges_by_label(h) == edges_by_label(g)
    assert sorted(h.meta["labels"]) == sorted(g.meta["labels"])


def test_write_edgelist_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="complete"):
        io.write_edgelist(complete_graph(5), tmp_path / "c.txt")
    g = from_arcs(2, np.array([0]), np.array([1]), directed=False, meta={"labels": ["a b", "c"]})
    with pytest.raises(GraphInputError, match="whitespace.*save the graph as .npz"):
        io.write_edgelist(g, tmp_path / "l.txt")
    assert not (tmp_path / "l.txt").exists()
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


# ----------------------------------------------------------------------------- npz

def test_npz_round_trip_keeps_everything(tmp_path):
    g = gen.sbm([30, 20], 0.3, 0.02, np.random.default_rng(3), directed=True)
    io.write_npz(g, tmp_path / "g.npz")
    h = io.read_npz(tmp_path / "g.npz")
    assert same_graph(g, h) and np.array_equal(g.blocks, h.blocks)
    assert h.name == "sbm" and h.meta == g.meta
    w = weighted_graph(False)
    w.meta["labels"] = [f"n{i}" for i in range(w.n)]
    io.write_npz(w, tmp_path / "w.npz")
    hw = io.read_npz(tmp_path / "w.npz")
    assert same_graph(w, hw) and hw.meta["labels"] == w.meta["labels"]


def test_npz_writes_exactly_the_path_given(tmp_path):
    io.write_npz(gen.erdos_renyi(10, 2.0, np.random.default_rng(0)), tmp_path / "graph.bin")
    assert (tmp_path / "graph.bin").exists() and not (tmp_path / "graph.bin.npz").exists()


def test_npz_complete_graph_round_trip(tmp_path):
    io.write_npz(gen.complete(40), tmp_path / "c.npz")
    h = io.read_npz(tmp_path / "c.npz")
    assert h.complete and h.n == 40 and h.n_arcs == 40 * 39


def _save(tmp_path, **arrays):
    p = tmp_path / "bad.npz"
    with open(p, "wb") as f:
        np.savez(f, **arrays)
    return p


GOOD = dict(indptr=np.array([0, 1, 2]), indices=np.array([1, 0]))


@pytest.mark.parametrize("arrays, expect", [
    ({"indices": np.array([1, 0])}, "no 'indptr'"),
    ({**GOOD, "indptr": np.array([1, 1, 2])}, "start with 0"),
    ({**GOOD, "indptr": np.array([0, 2, 1])}, "decreases"),
    ({**GOOD, "indptr": np.array([0, 1, 3])}, "ends at 3"),
    ({**GOOD, "indptr": np.array([[0, 1, 2]])}, "1-D integer"),
    ({**GOOD, "indices": np.array([1.0, 0.0])}, "1-D integer"),
    ({**GOOD, "indices": np.array([2, 0])}, r"lie in \[0, 2\)"),
    ({"indptr": np.array([0, 1, 1]), "indices": np.array([1])}, "not symmetric"),
    ({"indptr": np.array([0, 1, 1]), "indices": np.array([0])}, "self-loops"),
    ({"indptr": np.array([0, 2, 2]), "indices": np.array([1, 1]),
      "directed": np.array(True)}, "strictly increasing"),
    ({**GOOD, "weights": np.array([0.5])}, "one per arc"),
    ({**GOOD, "weights": np.array([0.5, 2.0])}, r"\[0, 1\]"),
    ({**GOOD, "weights": np.array([0.5, 0.7])}, "different weights"),
    ({**GOOD, "blocks": np.array([0])}, "one non-negative integer per node"),
    ({**GOOD, "directed": np.array([True, False])}, "single boolean"),
])
def test_malformed_npz_is_refused(tmp_path, arrays, expect):
    with pytest.raises(GraphInputError, match=expect):
        io.read_npz(_save(tmp_path, **arrays))


def test_npz_file_problems(tmp_path):
    with pytest.raises(GraphInputError, match="no such file"):
        io.read_npz(tmp_path / "none.npz")
    with pytest.raises(GraphInputError, match="directory"):
        io.read_npz(tmp_path)
    with pytest.raises(GraphInputError, match="not a readable .npz"):
        io.read_npz(write(tmp_path, "0 1\n", "text.npz"))
    np.save(tmp_path / "single.npy", np.arange(3))
    with pytest.raises(GraphInputError, match="single array"):
        io.read_npz(tmp_path / "single.npy")
    assert same_graph(io.read_npz(_save(tmp_path, **GOOD)),
                      from_arcs(2, np.array([0]), np.array([1]), directed=False))


# ------------------------------------------------------------------------ networkx

def test_from_networkx_integer_nodes_and_back():
    G = nx.karate_club_graph()
    g = io.from_networkx(G, weight=None)  # no warning: weights not asked for
    assert g.n == 34 and edge_count(g) == G.number_of_edges()
    assert "labels" not in g.meta and not g.directed and g.weights is None
    H = io.to_networkx(g)
    assert type(H) is nx.Graph and nx.utils.graphs_equal(nx.Graph(G.edges()), H)


def edge_count(g):
    return g.n_arcs if g.directed else g.n_arcs // 2


def test_from_networkx_labels_weights_directed():
    G = nx.DiGraph()
    G.add_edge("b", "a", weight=0.25)
    G.add_edge("a", "c", weight=1.0)
    G.add_edge("c", "c", weight=0.5)  # self-loop: dropped
    g = io.from_networkx(G)
    assert g.directed and g.meta["labels"] == ["b", "a", "c"]
    assert edges_by_label(g) == {("b", "a"), ("a", "c")}
    H = io.to_networkx(g)
    assert type(H) is nx.DiGraph
    assert H["b"]["a"]["weight"] == 0.25 and H["a"]["c"]["weight"] == 1.0
    assert set(H.nodes) == {"a", "b", "c"}


def test_from_networkx_weights_only_when_on_every_edge():
    G = nx.path_graph(4)
    G[0][1]["weight"] = 0.5
    assert io.from_networkx(G).weights is None
    nx.set_edge_attributes(G, 0.3, "p")
    g = io.from_networkx(G, weight="p")
    assert np.allclose(g.weights, 0.3)
    nx.set_edge_attributes(G, 3.0, "weight")  # not a transmissibility: ignored, loudly
    with pytest.warns(UserWarning, match=r"outside \[0, 1\].*weight=None"):
        assert io.from_networkx(G).weights is None
    karate = nx.karate_club_graph()  # interaction counts 1..7 as "weight"
    with pytest.warns(UserWarning):
        assert io.from_networkx(karate).weights is None


def test_from_networkx_non_contiguous_integer_nodes_keep_labels():
    G = nx.Graph([(10, 20), (20, 30)])
    g = io.from_networkx(G)
    assert g.meta["labels"] == [10, 20, 30]
    assert set(io.to_networkx(g).edges) == {(10, 20), (20, 30)}


def test_from_networkx_multigraph_collapses_parallel_edges():
    G = nx.MultiGraph([(0, 1), (0, 1), (1, 2)])
    assert edge_count(io.from_networkx(G)) == 2


@pytest.mark.parametrize("directed", [False, True])
def test_networkx_round_trip_of_generated_graphs(directed):
    g = weighted_graph(directed, seed=4)
    h = io.from_networkx(io.to_networkx(g))
    assert same_graph(g, h)


def test_to_networkx_complete_and_blocks():
    assert nx.utils.graphs_equal(io.to_networkx(gen.complete(6)), nx.complete_graph(6))
    g = gen.sbm([3, 2], 1.0, 0.0, np.random.default_rng(0))
    H = io.to_networkx(g)
    assert [H.nodes[i]["block"] for i in range(5)] == [0, 0, 0, 1, 1]
    assert H.number_of_edges() == 3 + 1
