"""The catalogs of pluggable pieces: graph kinds, KOL seeding strategies, response policies.

Each entry names a piece, lists the scenario keys it reads (typed and ranged by the
schema in ``wom_sim.scenario``), says in one line what it does, and gives the path of its
implementation as ``"module:attribute"``. The schema reads the catalogs, never the
implementations, so validating a scenario stays light (no SciPy, no graph code); the
implementation is imported on first use. The contract tests in tests/test_contracts.py
run over every entry, so a new piece is tested by being registered here (or at run time
with :func:`register_strategy` / :func:`register_policy`).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One pluggable piece: its name, the scenario keys it reads, its doc line, and where
    its implementation lives ("module:attribute", or the object itself)."""
    name: str
    impl: str | Callable[..., Any]
    doc: str
    params: tuple[str, ...] = ()

    def load(self) -> Any:
        """The implementation (imported on first use)."""
        if not isinstance(self.impl, str):
            return self.impl
        module, _, attr = self.impl.partition(":")
        return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class GraphKind(Entry):
    """A graph family. `impl(**params, rng=...)` returns a CSRGraph; `arcs` ("module:fn",
    fn(spec) -> int) estimates the arcs it stores before building (the memory guard);
    `build_bytes_per_arc` is its measured peak while building; `example` is a small,
    valid parameter set (the contract tests build it)."""
    arcs: str = ""
    build_bytes_per_arc: int = 40
    example: dict[str, Any] = field(default_factory=dict)

    def load_arcs(self) -> Callable[[Any], int]:
        module, _, attr = self.arcs.partition(":")
        fn: Callable[[Any], int] = getattr(importlib.import_module(module), attr)
        return fn


@dataclass(frozen=True)
class Strategy(Entry):
    """A KOL seeding strategy: impl(graph, budget, rng, scenario) -> distinct agent ids,
    best first. `per_replicate`: a fresh pick for every replicate (random)."""
    per_replicate: bool = False


@dataclass(frozen=True)
class Policy(Entry):
    """A response policy: impl is a ResponsePolicy subclass, built from [response]."""


_B = "wom_sim.graphs.build"
_G = "wom_sim.graphs.generators"

#: graph kinds (docs/model.md section 1); params are [graph] keys
GRAPH_KINDS: dict[str, GraphKind] = {g.name: g for g in [
    GraphKind("erdos_renyi", f"{_G}:erdos_renyi", "Erdős–Rényi G(n, p) with the given mean degree.",
              ("n", "mean_degree", "directed"), f"{_B}:arcs_mean_degree", 22,
              {"n": 300, "mean_degree": 6.0}),
    GraphKind("barabasi_albert", f"{_G}:barabasi_albert",
              "Barabási–Albert preferential attachment, m edges per new node.",
              ("n", "m"), f"{_B}:arcs_attachment", 11, {"n": 300, "m": 3}),
    GraphKind("watts_strogatz", f"{_G}:watts_strogatz", "Watts–Strogatz ring lattice of degree k, rewired with p.",
              ("n", "k", "p"), f"{_B}:arcs_ring", 26, {"n": 300, "k": 6, "p": 0.1}),
    GraphKind("powerlaw_cluster", f"{_G}:powerlaw_cluster",
              "Holme–Kim: preferential attachment with triad formation p.",
              ("n", "m", "p"), f"{_B}:arcs_attachment", 11, {"n": 300, "m": 3, "p": 0.3}),
    GraphKind("sbm", f"{_G}:sbm", "Stochastic block model: communities of the given sizes.",
              ("sizes", "p_in", "p_out", "directed"), f"{_B}:arcs_sbm", 36,
              {"sizes": [100, 100, 100], "p_in": 0.05, "p_out": 0.002}),
    GraphKind("chung_lu", f"{_G}:chung_lu", "Chung–Lu: a power-law degree sequence (configuration-like).",
              ("n", "exponent", "mean_degree", "directed"), f"{_B}:arcs_mean_degree", 34,
              {"n": 300, "exponent": 2.5, "mean_degree": 6.0}),
    GraphKind("complete", f"{_G}:complete",
              "Complete mixing (mean field): every agent hears every other; no arcs stored.",
              ("n",), f"{_B}:arcs_none", 0, {"n": 50}),
    GraphKind("edgelist", "wom_sim.graphs.io:read_edgelist", "Your own edge list: 'u v [weight]' lines.",
              ("path", "delimiter", "weighted", "directed", "header", "labels", "arc"), f"{_B}:arcs_edgelist", 40, {}),
]}

_S = "wom_sim.seeding"

#: KOL seeding strategies (seeding.strategy)
STRATEGIES: dict[str, Strategy] = {s.name: s for s in [
    Strategy("random", f"{_S}.basic:random_seeds",
             "Uniformly random agents, drawn afresh for every replicate (the baseline).",
             per_replicate=True),
    Strategy("degree", f"{_S}.basic:top_degree", "The agents with most followers."),
    Strategy("pagerank", f"{_S}.centrality:pagerank_seeds", "Highest PageRank on the follower graph."),
    Strategy("kcore", f"{_S}.centrality:kcore_seeds", "Deepest k-core, ties by degree."),
    Strategy("degree_discount", f"{_S}.discount:degree_discount_seeds", "Degree discount (Chen, Wang & Yang 2009)."),
    Strategy("community", f"{_S}.community:community_seeds",
             "The budget spread over communities, best-connected in each."),
    Strategy("greedy", f"{_S}.influence:greedy_seeds",
             "CELF greedy on live-edge samples of the scenario's cascade (up to ~20k agents)."),
    Strategy("ris", f"{_S}.influence:ris_seeds",
             "Reverse-reachable sets, OPIM-C: certified (1 - 1/e - eps) (large graphs)."),
    Strategy("simulated", "wom_sim.execution.simulated:simulated_seeds",
             "CELF on the full model: the objective by simulation, common random numbers (up to ~20k agents)."),
]}

_P = "wom_sim.policies"

#: response policies (response.policy); params are [response] keys beyond the shared ones
POLICIES: dict[str, Policy] = {p.name: p for p in [
    Policy("none", f"{_P}.basic:NoResponse", "The firm does not listen: complaints run their course."),
    Policy("fixed_delay", f"{_P}.basic:FixedDelay", "Answer each detected complainer `delay` steps later.", ("delay",)),
    Policy("capacity", f"{_P}.queued:Capacity", "At most `capacity` answers per step, queued fifo or by_reach.",
           ("delay", "capacity", "queue")),
    Policy("threshold", f"{_P}.queued:Threshold", "Start answering once a step's negative messages exceed `threshold`.",
           ("delay", "threshold")),
]}


def register_strategy(name: str, fn: Callable[..., Any], doc: str = "", per_replicate: bool = False) -> None:
    """Add a seeding strategy at run time: fn(graph, budget, rng, scenario) -> agent ids."""
    STRATEGIES[name] = Strategy(name, fn, doc or (fn.__doc__ or "").strip().split("\n")[0], (), per_replicate)


def register_policy(name: str, cls: type, doc: str = "", params: tuple[str, ...] = ()) -> None:
    """Add a response policy at run time (a wom_sim.policies.ResponsePolicy subclass)."""
    POLICIES[name] = Policy(name, cls, doc or (cls.__doc__ or "").strip().split("\n")[0], params)
