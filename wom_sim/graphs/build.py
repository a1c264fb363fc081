"""From a scenario's [graph] section to a CSRGraph, through the graph-kind catalog
(wom_sim.catalogs.GRAPH_KINDS): the kind names its builder and the keys it takes.

Also the per-kind estimates of the arcs a spec will store, read by the memory guard
before anything is built."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..catalogs import GRAPH_KINDS
from ..errors import GraphInputError, ScenarioError
from .csr import CSRGraph


def build_graph(spec: Any, rng: np.random.Generator,
                guard: Callable[[int, int], None] | None = None) -> CSRGraph:
    """The graph of a [graph] section (scenario.GraphSpec), drawn from `rng`.

    `guard(n, arcs)` is handed to builders whose size is known only once they have
    read their input (an edge list): it runs before the graph is allocated. The other
    kinds' sizes follow from the spec and are checked before this is called."""
    kind = GRAPH_KINDS.get(spec.kind)
    if kind is None:
        raise ScenarioError(f"graph.kind = {spec.kind!r} is not known")
    args = {p: getattr(spec, p) for p in kind.params}
    builder = kind.load()
    if guard is not None and "guard" in inspect.signature(builder).parameters:
        args["guard"] = guard
    try:
        graph: CSRGraph = builder(**args, rng=rng)
        return graph
    except GraphInputError:
        raise
    except ValueError as exc:  # a generator's own parameter check
        raise ScenarioError(f"[graph] kind = '{spec.kind}': {exc}") from None


def expected_arcs(spec: Any) -> int:
    """Arcs the spec will store, estimated before building (for the memory guard)."""
    return int(GRAPH_KINDS[spec.kind].load_arcs()(spec))


# per-kind estimates (named by the catalog) ------------------------------------------

def arcs_mean_degree(spec: Any) -> int:
    """n x mean degree (Erdős–Rényi, Chung–Lu)."""
    return int(spec.n * spec.mean_degree)


def arcs_attachment(spec: Any) -> int:
    """2 n m: each new node attaches m undirected edges (Barabási–Albert, Holme–Kim)."""
    return int(2 * spec.n * spec.m)


def arcs_ring(spec: Any) -> int:
    """n k: the ring lattice keeps its edge count when rewired (Watts–Strogatz)."""
    return int(spec.n * spec.k)


def arcs_sbm(spec: Any) -> int:
    """Expected arcs inside and between blocks."""
    s = np.asarray(spec.sizes, dtype=np.float64)
    inside = float((s * (s - 1)).sum()) * spec.p_in
    between = float(s.sum() ** 2 - (s ** 2).sum()) * spec.p_out
    return int(inside + between)


def arcs_none(spec: Any) -> int:
    """Complete mixing stores no arcs."""
    return 0


def arcs_edgelist(spec: Any) -> int:
    """About one arc per 10 bytes of text (two for an undirected edge)."""
    try:
        size = Path(spec.path).stat().st_size
    except OSError:
        return 0
    per_line = 10  # "12345 67890\n"-ish
    return int(size / per_line * (1 if spec.directed else 2))
