"""Graphs and KOL plans kept between work units of one process.

A sweep sends many (scenario, replicates) units to each worker, and the interactive page
rebuilds its model on every Reset: points that share a graph (same [graph] section and
seed) build it once per process, and points that also share the seeding pick their KOLs
once. Least recently used entries go first; thread-safe (the page's server is threaded).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from ..graphs.csr import CSRGraph
from ..scenario import Scenario
from ..seeding import SeedPlan, plan_seeds

V = TypeVar("V")


def graph_key(sc: Scenario) -> str:
    """What determines a scenario's graph: its [graph] section and its seed."""
    return json.dumps([sc.to_dict()["graph"], sc.scenario.seed], sort_keys=True)


def plan_key(sc: Scenario) -> str:
    """What determines a scenario's KOL plan: its graph and its [seeding] section."""
    return graph_key(sc) + json.dumps(sc.to_dict()["seeding"], sort_keys=True)


class GraphCache:
    """Graphs and seed plans by key, at most `keep` of each."""

    def __init__(self, build: Callable[[Scenario], CSRGraph], keep: int = 2) -> None:
        self.build = build
        self.keep = keep
        self._lock = threading.Lock()
        self._graphs: OrderedDict[str, CSRGraph] = OrderedDict()
        self._plans: OrderedDict[str, SeedPlan] = OrderedDict()

    def _remember(self, cache: OrderedDict[str, Any], key: str, make: Callable[[], V]) -> V:
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                hit: V = cache[key]
                return hit
        value = make()
        with self._lock:
            cache[key] = value
            while len(cache) > self.keep:
                cache.popitem(last=False)
        return value

    def graph(self, sc: Scenario) -> CSRGraph:
        """The scenario's graph, built once per key."""
        graph = self._remember(self._graphs, graph_key(sc), lambda: self.build(sc))
        with self._lock:  # a plan holds its graph: drop the plans of graphs let go
            for key in [k for k in self._plans if not any(k.startswith(g) for g in self._graphs)]:
                del self._plans[key]
        return graph

    def plan(self, sc: Scenario) -> SeedPlan:
        """The scenario's seed plan on its graph, picked once per key (a pick can be costly: ris)."""
        graph = self.graph(sc)
        return self._remember(self._plans, plan_key(sc), lambda: plan_seeds(graph, sc))
