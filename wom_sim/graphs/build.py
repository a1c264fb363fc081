"""From a scenario's [graph] section to a CSRGraph (the one place that maps kinds to builders)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import GraphInputError, ScenarioError
from ..scenario import GraphSpec
from .csr import CSRGraph


def build_graph(spec: GraphSpec, rng: np.random.Generator) -> CSRGraph:
    from . import generators as gen
    k = spec.kind
    try:
        if k == "erdos_renyi":
            return gen.erdos_renyi(spec.n, spec.mean_degree, rng, directed=spec.directed)
        if k == "barabasi_albert":
            return gen.barabasi_albert(spec.n, spec.m, rng)
        if k == "watts_strogatz":
            return gen.watts_strogatz(spec.n, spec.k, spec.p, rng)
        if k == "powerlaw_cluster":
            return gen.powerlaw_cluster(spec.n, spec.m, spec.p, rng)
        if k == "sbm":
            return gen.sbm(list(spec.sizes), spec.p_in, spec.p_out, rng, directed=spec.directed)
        if k == "chung_lu":
            return gen.chung_lu(spec.n, spec.exponent, spec.mean_degree, rng, directed=spec.directed)
        if k == "complete":
            return gen.complete(spec.n)
        if k == "edgelist":
            from . import io
            return io.read_edgelist(spec.path, delimiter=None if spec.delimiter == "whitespace" else ",",
                                    weighted=spec.weighted, directed=spec.directed)
    except GraphInputError:
        raise
    except ValueError as exc:  # a generator's own parameter check
        raise ScenarioError(f"[graph] kind = '{k}': {exc}") from None
    raise ScenarioError(f"graph.kind = {k!r} is not known")


def expected_arcs(spec: GraphSpec) -> int:
    """Arcs the spec will store, estimated before building (for the memory guard)."""
    k = spec.kind
    if k == "erdos_renyi":
        return int(spec.n * spec.mean_degree)
    if k in ("barabasi_albert", "powerlaw_cluster"):
        return int(2 * spec.n * spec.m)
    if k == "watts_strogatz":
        return int(spec.n * spec.k)
    if k == "sbm":
        s = np.asarray(spec.sizes, dtype=np.float64)
        inside = float((s * (s - 1)).sum()) * spec.p_in
        between = float(s.sum() ** 2 - (s ** 2).sum()) * spec.p_out
        return int(inside + between)
    if k == "chung_lu":
        return int(spec.n * spec.mean_degree)
    if k == "complete":
        return 0
    if k == "edgelist":
        try:
            size = Path(spec.path).stat().st_size
        except OSError:
            return 0
        per_line = 10  # "12345 67890\n"-ish; arcs = 2 lines if undirected
        return int(size / per_line * (1 if spec.directed else 2))
    return 0
