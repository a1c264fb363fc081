"""The Mesa agent engine: runs replicates of one scenario as Mesa models (model.py), with
the interface of the NumPy engine (run_replicate returns the metric table)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import mesa
import networkx as nx
import numpy as np

from ...errors import ScenarioError
from ...funnels import Funnel
from ...graphs.csr import CSRGraph
from ...graphs.io import to_networkx
from ...model import metrics, rules
from ...seeding.complainers import complainer_order
from .model import BassModel, WomModel

#: the agent engine refuses bigger graphs (about 5 microseconds per agent-step, plus the
#: networkx graph and Mesa cells in memory): use scenario.engine = "numpy" for those
MAX_AGENTS = 50_000


def check_size(n_agents: int | None, source: str = "<dict>") -> None:
    """Refuse a population too big for the agent engine, naming the fix. `n_agents`
    None (an edge list not read yet) passes; the engine checks again."""
    if n_agents is not None and n_agents > MAX_AGENTS:
        raise ScenarioError(
            f"{source}: scenario.engine = \"mesa\" is the teaching engine for at most "
            f"{MAX_AGENTS:,} agents, and this graph has {n_agents:,}. Set scenario.engine = \"numpy\" "
            f"(the same rules, vectorized, for any size).")


class MesaEngine:
    """Runs replicates of one scenario as a Mesa model; the interface of NumpyEngine."""

    def __init__(self, graph: CSRGraph, scenario: Any, kols: Any = ()) -> None:
        check_size(graph.n, scenario.source)
        self.g = graph
        self.sc = scenario
        self.kols = np.asarray(kols, dtype=np.int64)  # default KOLs of run_replicate
        # Bass mode has no funnel: adoption is the only change of state
        self.funnel: Funnel = rules.funnel_of(scenario)
        self.metrics = metrics.metric_names(self.funnel)
        self.n = graph.n
        self._out_degree: np.ndarray | None = None
        self._nx = None
        # fixed initial complainers (top followers, labels): candidates best first, else None
        self.complainer_order = complainer_order(graph, scenario.seeding, scenario.source)

    @property
    def out_degree(self) -> np.ndarray:
        if self._out_degree is None:
            self._out_degree = self.g.out_degree()
        return self._out_degree

    def spend(self, kols: list[Any]) -> np.ndarray:
        """What each replicate's KOLs cost (metrics.kol_cost), for net_npv."""
        return metrics.kol_spend(self.out_degree, kols, self.sc.seeding)

    def nx_graph(self) -> nx.Graph:
        """The networkx graph behind every replicate's mesa Network (built once)."""
        if self._nx is None:
            self._nx = to_networkx(replace(self.g, meta={}))  # nodes 0..n-1, not labels
        return self._nx

    def run_replicate(self, rng: np.random.Generator, on_step: Callable[[int], None] | None = None,
                      kols: Any = None, observer: None = None) -> np.ndarray:
        """Simulate `steps` steps from KOLs `kols` (default: the engine's); return the
        metric table, shape (steps + 1, metrics): row 0 is the initial state."""
        kols = self.kols if kols is None else np.asarray(kols, dtype=np.int64)
        model_class = BassModel if self.sc.wom.mode == "bass" else WomModel
        model = model_class(self, rng, kols)
        try:
            for t in range(1, self.sc.scenario.steps + 1):
                model.step()
                if on_step is not None:
                    on_step(t)
            return metrics.table(model.counters(), self.funnel, self.sc.economics, model.spend, self.sc.response)
        finally:
            release(model)


def release(model: mesa.Model) -> None:
    """Mesa 3.3 keeps every model in a class-level id counter (Agent._ids), and with it
    all its agents: drop it, so that replicates do not pile up in memory."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
