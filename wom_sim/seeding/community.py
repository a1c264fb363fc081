"""Community seeding: spread the KOL budget over the graph's communities.

Communities are the graph's SBM ``blocks`` when it has them, otherwise detected on
the undirected version of the graph (who talks with whom, in either direction), by
size (``detect_communities``):

- up to ``LOUVAIN_MAX_ARCS`` arcs: networkx's Louvain (the reference implementation;
  pure Python: ~1-3 s at 20k arcs and ~4-10 s at 50k on a CI-like core, minutes at
  10^6 arcs);
- up to ``FAST_LOUVAIN_MAX_ARCS``: ``fast_louvain``, the same algorithm vectorized
  (modularity within ~1-3% of networkx's, 10-25x faster; ~20 s CPU at 10^7 arcs);
- beyond: ``label_propagation``, vectorized semi-synchronous label propagation
  (~4 s CPU for 3 runs on 1M nodes / 10M arcs). Faster, but weaker: on sparse graphs
  with few triangles it freezes into many small communities (on the default
  4 x 2500 SBM, modularity 0.12 where Louvain finds the planted blocks at 0.54; on BA
  1M, 314k communities of mean size 3), and it can merge communities joined by many
  bridges.

Sample use::

    >>> import numpy as np
    >>> from wom_sim.graphs.generators import sbm
    >>> g = sbm([500, 300, 200], 0.05, 0.001, np.random.default_rng(1))
    >>> np.bincount(g.blocks[community_seeds(g, 10, np.random.default_rng(0))]).tolist()
    [5, 3, 2]
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..graphs.csr import from_arcs, repeat_index
from .centrality import _mean_field_seeds, _row_positions, check_budget

__all__ = ["community_seeds", "detect_communities", "fast_louvain", "label_propagation",
           "louvain", "modularity", "allocate_seats", "within_degree"]

#: auto detection: networkx Louvain up to this many stored arcs (both arcs of an edge)
LOUVAIN_MAX_ARCS = 20_000
#: ... vectorized Louvain up to this many, label propagation beyond
FAST_LOUVAIN_MAX_ARCS = 2_000_000
FAST_LOUVAIN_MAX_SWEEPS = 50  # local-moving sweeps per level (a safety cap)
FAST_LOUVAIN_MIN_GAIN = 1e-5  # a level ends after a sweep that raised modularity by less
LPA_MAX_SWEEPS = 100  # semi-synchronous LPA converges (Cordasco & Gargano); a safety cap
LPA_RUNS = 3  # label propagation runs; the partition of highest modularity is kept
METHODS = ("auto", "blocks", "louvain", "fast_louvain", "lpa")


# -------------------------------------------------------------------- communities

def detect_communities(graph, rng: np.random.Generator, method: str = "auto") -> np.ndarray:
    """Community of every agent: int32 labels 0 .. C-1, numbered by their lowest member id.

    ``method``: "auto" (the graph's ``blocks`` if present; else by size, see the
    module doc), "blocks", "louvain" (networkx), "fast_louvain" or "lpa". Detection
    works on the undirected simple version of the graph and draws only from ``rng``.
    A complete graph is one community.
    """
    n = graph.n
    if method not in METHODS:
        raise ValueError(f"unknown community method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "blocks" or (method == "auto" and graph.blocks is not None):
        if graph.blocks is None:
            raise ValueError("method = 'blocks' needs a graph with blocks (an SBM)")
        blocks = np.asarray(graph.blocks)
        if blocks.shape != (n,):
            raise ValueError(f"graph.blocks has shape {blocks.shape}, expected ({n},)")
        return _canonical(blocks)
    if graph.complete or n == 0:
        return np.zeros(n, dtype=np.int32)
    und = _undirected(graph)
    if method == "auto":
        arcs = und.n_arcs
        method = ("louvain" if arcs <= LOUVAIN_MAX_ARCS else
                  "fast_louvain" if arcs <= FAST_LOUVAIN_MAX_ARCS else "lpa")
    detect = {"louvain": louvain, "fast_louvain": fast_louvain, "lpa": label_propagation}[method]
    return _canonical(detect(und, rng))


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0 .. C-1 in order of each community's lowest member id (deterministic)."""
    labels = np.asarray(labels)
    n = labels.size
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    order = np.argsort(labels, kind="stable")  # members ascending within each label
    s = labels[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = s[1:] != s[:-1]
    group = np.cumsum(new_group) - 1  # dense label in sorted-label order
    first = order[new_group]  # lowest member of each group
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    out = np.empty(n, dtype=np.int32)
    out[order] = rank[group]
    return out


def _undirected(graph):
    """The simple undirected graph of the arcs (either direction), no self-loops."""
    if not graph.directed:
        return graph
    return from_arcs(graph.n, graph.arc_sources(), graph.indices, directed=False)


def louvain(graph, rng: np.random.Generator) -> np.ndarray:
    """Louvain communities (networkx, seeded from ``rng``) of an undirected graph: labels."""
    import networkx as nx
    src = graph.arc_sources()
    half = src < graph.indices
    G = nx.Graph()
    G.add_nodes_from(range(graph.n))
    G.add_edges_from(zip(src[half].tolist(), graph.indices[half].tolist()))
    seed = int(rng.integers(0, 2**31 - 1))
    labels = np.empty(graph.n, dtype=np.int64)
    for c, members in enumerate(nx.community.louvain_communities(G, seed=seed)):
        labels[list(members)] = c
    return labels


def _colour_classes(indptr: np.ndarray, indices: np.ndarray, rng: np.random.Generator
                    ) -> list[np.ndarray]:
    """The agents split into the classes of a proper colouring (no arc inside a class).

    Colouring by rounds of local maxima (Luby 1986): each round gives a new colour to
    every uncoloured agent whose priority beats all its uncoloured neighbours' (an
    independent set), then drops the edges it touched. Priority: lower degree first,
    random among equal degrees, so the many low-degree agents go first and the edge
    list shrinks fast. ~1.5 s and ~60 colours on BA 1M (10M arcs) here. ``indices``
    must be symmetric (both arcs of every edge) and free of self-loops.
    """
    n = indptr.size - 1
    deg = np.diff(indptr)
    src = repeat_index(deg, np.int32)
    half = src < indices
    s, t = src[half], indices[half]
    del src, half
    # priority rank (int32: cheaper gathers than float64): low degree first, random ties
    order = np.argsort(rng.random(n) - deg)
    prio = np.empty(n, dtype=np.int32)
    prio[order] = np.arange(n, dtype=np.int32)
    del order
    colour = np.full(n, -1, dtype=np.int32)
    uncoloured = np.ones(n, dtype=bool)
    not_max = np.zeros(n, dtype=bool)
    c = 0
    while uncoloured.any():
        loser = np.where(prio[s] < prio[t], s, t)
        not_max[loser] = True
        win = uncoloured & ~not_max
        colour[win] = c
        uncoloured &= not_max
        not_max[loser] = False
        c += 1
        keep = uncoloured[s] & uncoloured[t]
        s, t = s[keep], t[keep]
    by_colour = np.argsort(colour, kind="stable")
    bounds = np.searchsorted(colour[by_colour], np.arange(c + 1))
    return [by_colour[bounds[i]:bounds[i + 1]] for i in range(c)]


def _neighbour_runs(indptr: np.ndarray, indices: np.ndarray, labels: np.ndarray,
                    nodes: np.ndarray, weights: np.ndarray | None = None):
    """Labels around each of ``nodes`` (all with neighbours), grouped: one run per
    (node, label) with the number (or total arc weight) of neighbours holding it.

    Returns (run_row, run_label, run_weight, first): ``run_row`` indexes ``nodes``,
    labels ascend within a row, ``first`` is the first run of each row. Vectorized:
    scipy sorts each row's labels in C++ (O(arcs log degree), no global sort).
    """
    pos = _row_positions(indptr, nodes)
    nb = labels[indices[pos]]
    counts = indptr[nodes + 1] - indptr[nodes]
    ptr = np.zeros(nodes.size + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    data = np.zeros(nb.size, dtype=np.int8) if weights is None else weights[pos]
    m = sp.csr_array((data, nb, ptr), shape=(nodes.size, labels.size))  # labels < labels.size
    m.has_sorted_indices = False
    m.sort_indices()
    nb = m.indices
    row = repeat_index(counts)
    start = np.ones(nb.size, dtype=bool)
    start[1:] = (nb[1:] != nb[:-1]) | (row[1:] != row[:-1])
    run = np.flatnonzero(start)
    if weights is None:
        run_weight = np.diff(np.append(run, nb.size))
    else:
        run_weight = np.add.reduceat(m.data, run)
    run_row = row[run]
    first = np.ones(run.size, dtype=bool)
    first[1:] = run_row[1:] != run_row[:-1]
    return run_row, nb[run], run_weight, np.flatnonzero(first)


def _pick_random_best(score: np.ndarray, run_row: np.ndarray, first: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the best score and the index of a run drawn uniformly among the tied best."""
    best = np.maximum.reduceat(score, first)
    is_best = score == best[run_row]
    draw = np.where(is_best, rng.random(score.size), -1.0)
    top = np.maximum.reduceat(draw, first)
    hit = np.flatnonzero(is_best & (draw == top[run_row]))
    choice = np.empty(first.size, dtype=np.int64)
    choice[run_row[hit]] = hit
    return best, choice


def _prec_random(indptr: np.ndarray, indices: np.ndarray, labels: np.ndarray,
                 nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """New label of each of ``nodes`` (all with neighbours): the most frequent label
    among its neighbours; among tied labels keep the current one if it is one of them
    ("Prec", Cordasco & Gargano 2011), else draw one uniformly (Raghavan et al. 2007).

    (networkx's Prec-Max takes the largest tied label instead: deterministic, but in
    the first sweeps, when every count is 1, the largest labels flood across
    community borders; a random draw does not favour any label.)
    """
    run_row, run_label, run_count, first = _neighbour_runs(indptr, indices, labels, nodes)
    best, choice = _pick_random_best(run_count, run_row, first, rng)
    current = labels[nodes]
    keep = np.zeros(nodes.size, dtype=bool)
    keep[run_row[(run_count == best[run_row]) & (run_label == current[run_row])]] = True
    return np.where(keep, current, run_label[choice]).astype(labels.dtype)


def label_propagation(graph, rng: np.random.Generator, runs: int = LPA_RUNS,
                      max_sweeps: int = LPA_MAX_SWEEPS) -> np.ndarray:
    """Semi-synchronous label propagation (Cordasco & Gargano 2010), vectorized: labels.

    Every agent starts with its own label. The agents are properly coloured; a sweep
    updates the colour classes in turn, each class at once (no two neighbours update
    together, which is what makes synchronous label propagation oscillate), by the
    rule of ``_prec_random``. Only "dirty" agents, a neighbour of which changed label
    since their last update, are recomputed. A run stops when a sweep changes
    nothing: then every agent holds a most frequent label of its neighbours.

    Label propagation can merge two communities when a label crosses a bridge early
    (a known weakness, Raghavan et al. 2007; networkx's version shares it), so it is
    run ``runs`` times from independent draws of ``rng`` (one colouring) and the
    partition of highest modularity is kept: a merge of two real communities lowers
    modularity. Isolated agents keep their own label. ``graph`` must be undirected
    (both arcs of every edge stored).
    Cost: colouring ~1.5 s, then O(arcs log degree) per sweep, shrinking as labels
    settle; ~4 s CPU for the 3 runs on BA 1M nodes / 10M arcs here.
    """
    n = graph.n
    dtype = np.int32 if n < 2**31 else np.int64
    if graph.n_arcs == 0:
        return np.arange(n, dtype=dtype)
    classes = _colour_classes(graph.indptr, graph.indices, rng)
    best, best_q = None, -np.inf
    for _ in range(max(1, int(runs))):
        labels = _lpa_run(graph, classes, rng.permutation(n).astype(dtype), rng, max_sweeps)
        q = modularity(graph, labels)
        if q > best_q:
            best, best_q = labels, q
    assert best is not None  # at least one run, and its modularity is finite
    return best


def _lpa_run(graph, classes: list[np.ndarray], labels: np.ndarray, rng: np.random.Generator,
             max_sweeps: int) -> np.ndarray:
    """One semi-synchronous label propagation from ``labels`` (updated in place)."""
    indptr, indices = graph.indptr, graph.indices
    dirty = np.diff(indptr) > 0
    for _ in range(max_sweeps):
        changed = 0
        for nodes in classes:
            nodes = nodes[dirty[nodes]]
            if nodes.size == 0:
                continue
            dirty[nodes] = False
            new = _prec_random(indptr, indices, labels, nodes, rng)
            moved = new != labels[nodes]
            if moved.any():
                nodes = nodes[moved]
                labels[nodes] = new[moved]
                dirty[indices[_row_positions(indptr, nodes)]] = True
                changed += nodes.size
        if changed == 0:
            break
    return labels


def modularity(graph, labels: np.ndarray) -> float:
    """Newman's modularity Q = sum_c [ L_c / m - (D_c / 2m)^2 ] of an undirected graph."""
    arcs = graph.n_arcs
    if arcs == 0:
        return 0.0
    src = graph.arc_sources()
    inside = int(np.count_nonzero(labels[src] == labels[graph.indices]))
    del src
    deg_by_label = np.bincount(labels, weights=np.diff(graph.indptr).astype(np.float64))
    return inside / arcs - float(np.sum((deg_by_label / arcs) ** 2))


def fast_louvain(graph, rng: np.random.Generator, max_levels: int = 32,
                 max_sweeps: int = FAST_LOUVAIN_MAX_SWEEPS) -> np.ndarray:
    """Louvain modularity communities (Blondel et al. 2008), vectorized: labels.

    Same two phases as networkx's ``louvain_communities``, repeated until a level
    moves nobody: (1) local moving, each agent joins the neighbouring community of
    largest modularity gain, if positive; (2) aggregation, each community becomes one
    weighted node (its internal arcs a self-loop). Local moving runs semi-synchronously
    on the classes of a proper colouring (no two neighbours move at once), and after
    the first sweep only revisits agents a neighbour of which moved, the "fast local
    move" of Leiden (Traag, Waltman & van Eck 2019). Ties between communities of equal
    gain are drawn from ``rng``. The gain of moving agent i (degree k_i) into
    community C (total degree D_C, k_iC arcs from i into it) is proportional to
    k_iC - k_i D_C / 2m, its current community counted without i.
    A level ends when a sweep raises modularity by less than
    ``FAST_LOUVAIN_MIN_GAIN``. Modularity comes within ~1-2% of networkx's on SBM,
    BA and Watts–Strogatz test graphs. Cost: O(arcs log degree) per sweep; ~0.3 s
    for 50k arcs (networkx: ~7 s), ~2 s CPU for BA 100k (networkx: minutes), ~20 s
    CPU for BA 1M / 10M arcs here. ``graph`` must be undirected (both arcs stored)
    and simple.
    """
    n = graph.n
    indptr = graph.indptr
    indices = graph.indices
    weights = np.ones(indices.size)
    self_w = np.zeros(n)  # self-loop weight of each node (arcs inside a merged community)
    assign = np.arange(n, dtype=np.int64)  # agent -> node of the current level
    for _ in range(max_levels):
        n_level = indptr.size - 1
        row = repeat_index(np.diff(indptr), np.int32)
        k = np.bincount(row, weights=weights, minlength=n_level) + self_w
        m2 = float(k.sum())
        if m2 == 0.0:
            break
        labels = np.arange(n_level, dtype=np.int32 if n_level < 2**31 else np.int64)
        classes = _colour_classes(indptr, indices, rng)
        if not _local_moving(indptr, indices, weights, k, m2, labels, classes, rng, max_sweeps):
            break
        comm = _canonical(labels)
        assign = comm[assign]
        c = int(comm.max()) + 1
        if c == n_level:
            break
        # aggregate: communities become nodes; arcs between them summed, inside ones a self-loop
        cs, ct = comm[row], comm[indices]
        del row
        inside = cs == ct
        self_w = (np.bincount(comm, weights=self_w, minlength=c)
                  + np.bincount(cs[inside], weights=weights[inside], minlength=c))
        out = ~inside
        agg = sp.coo_array((weights[out], (cs[out], ct[out])), shape=(c, c)).tocsr()
        agg.sum_duplicates()
        indptr = agg.indptr.astype(np.int64)
        indices = agg.indices.astype(np.int32)
        weights = agg.data.astype(np.float64)
        del cs, ct, inside, out, agg
    return assign


def _local_moving(indptr, indices, weights, k, m2, labels, classes, rng, max_sweeps) -> bool:
    """Louvain's phase 1 on colour classes, in place on ``labels``; True if anyone moved."""
    total = k.copy()  # total degree of each community (communities start as singletons)
    dirty = np.diff(indptr) > 0
    moved_any = False
    for _ in range(max_sweeps):
        changed = 0
        gain = 0.0
        for nodes in classes:
            nodes = nodes[dirty[nodes]]
            if nodes.size == 0:
                continue
            dirty[nodes] = False
            run_row, run_label, run_w, first = _neighbour_runs(indptr, indices, labels, nodes, weights)
            current = labels[nodes]
            ki = k[nodes]
            own = run_label == current[run_row]
            k_own = np.zeros(nodes.size)
            k_own[run_row[own]] = run_w[own]
            stay = k_own - ki * (total[current] - ki) / m2
            score = run_w - ki[run_row] * total[run_label] / m2
            score[own] = stay[run_row[own]]
            best, choice = _pick_random_best(score, run_row, first, rng)
            move = best > stay + 1e-10 * ki
            if not move.any():
                continue
            nodes, old, new, kk = nodes[move], current[move], run_label[choice[move]], ki[move]
            labels[nodes] = new
            np.subtract.at(total, old, kk)
            np.add.at(total, new, kk)
            dirty[indices[_row_positions(indptr, nodes)]] = True
            changed += nodes.size
            gain += float(np.sum(best[move] - stay[move]))
        moved_any = moved_any or changed > 0
        if 2.0 * gain / m2 < FAST_LOUVAIN_MIN_GAIN:
            break
    return moved_any


# ----------------------------------------------------------------- allocation

def allocate_seats(sizes: np.ndarray, budget: int) -> np.ndarray:
    """Seats per community in proportion to size, by the largest remainder (Hamilton) method.

    Each community first gets floor(budget * size / n); the seats left go one each to
    the largest remainders, ties to the larger community, then the lower index. Exact
    integer arithmetic; never more seats than members (budget <= n).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    if budget > n:
        raise ValueError(f"budget = {budget} exceeds the {n} members of the communities")
    if n == 0:
        return np.zeros(sizes.size, dtype=np.int64)
    quota = budget * sizes
    seats = quota // n
    remainder = quota - seats * n
    left = budget - int(seats.sum())
    if left:
        order = np.lexsort((np.arange(sizes.size), -sizes, -remainder))
        seats[order[:left]] += 1
    return seats


def within_degree(graph, labels: np.ndarray) -> np.ndarray:
    """Followers of each agent inside its own community (out-arcs to the same label)."""
    src = graph.arc_sources()
    same = labels[src] == labels[graph.indices]
    return np.bincount(src[same], minlength=graph.n).astype(np.int64)


def community_seeds(graph, budget: int, rng: np.random.Generator, scenario=None) -> np.ndarray:
    """KOLs spread over communities in proportion to their size, best-connected first in each.

    What and why: word of mouth travels mostly inside communities (few arcs cross
    them), so KOLs packed into one community reach the same people over and over
    while other communities never hear. This strategy gives each community a share
    of the budget proportional to its size (largest remainder method: deterministic,
    0 seats allowed) and, inside it, picks the agents with most followers within the
    community (ties to the lower id): local opinion leaders, in the spirit of the
    community-based influence maximization of Wang et al. (2010).

    Communities: ``graph.blocks`` (SBM) if present, else ``detect_communities``:
    Louvain (Blondel et al. 2008; networkx's up to ``LOUVAIN_MAX_ARCS`` arcs, the
    vectorized ``fast_louvain`` up to ``FAST_LOUVAIN_MAX_ARCS``), else vectorized
    semi-synchronous label propagation (Raghavan et al. 2007; Cordasco & Gargano
    2010), all seeded from ``rng`` (same rng state, same picks). Directed graphs:
    communities of the undirected version, within-community followers for the ranking.
    Best first: the picks are ordered by the Sainte-Laguë sequence ((2j + 1) / size
    for a community's (j+1)-th pick), so every prefix of the list is itself close to
    proportional; ties by within-community followers, then lower id.
    Cost: O(arcs + n log n) plus detection: blocks free; ~5 s CPU by label propagation
    on BA 1M nodes / 10M arcs here. ``scenario`` is unused. Complete graphs: one
    community, agents 0 .. budget-1.
    References: Blondel, Guillaume, Lambiotte & Lefebvre (2008), Fast unfolding of
    communities in large networks; Raghavan, Albert & Kumara (2007); Cordasco &
    Gargano (2010), Community detection via semi-synchronous label propagation
    algorithms; Wang, Cong, Song & Xie (2010), Community-based greedy algorithm for
    mining top-K influential nodes in mobile social networks, KDD.
    """
    budget = check_budget(graph, budget)
    if graph.complete:
        return _mean_field_seeds(budget)
    if budget == 0:
        return np.zeros(0, dtype=np.int32)
    labels = detect_communities(graph, rng)
    sizes = np.bincount(labels).astype(np.int64)
    seats = allocate_seats(sizes, budget)
    win = within_degree(graph, labels)
    ids = np.arange(graph.n)
    # rank inside each community: more within-community followers first, then lower id
    order = np.lexsort((ids, -win, labels))
    lab_sorted = labels[order]
    starts = np.searchsorted(lab_sorted, np.arange(sizes.size))
    rank = np.arange(graph.n) - starts[lab_sorted]
    picked = rank < seats[lab_sorted]
    picks = order[picked]
    j = rank[picked]
    priority = (2 * j + 1) / sizes[labels[picks]]
    best_first = np.lexsort((picks, -win[picks], priority))
    return picks[best_first].astype(np.int32)
