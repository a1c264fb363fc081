"""Engines that run the model: the vectorized NumPy core (numpy/) and the Mesa agent
engine (mesa/). Both take the rules from wom_sim.model and return the same metric
table. Mesa is imported only when a scenario asks for it (it is slow to import)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from ..graphs.csr import CSRGraph
from .numpy import NumpyEngine

if TYPE_CHECKING:
    from .mesa import MesaEngine

Engine = Union[NumpyEngine, "MesaEngine"]


def make_engine(scenario: Any, graph: CSRGraph, kols: Any = ()) -> Engine:
    """The scenario's engine on a graph: the NumPy core, or the same rules as Mesa agents
    (scenario.engine = "mesa": teaching, graphs up to 50k agents)."""
    if scenario.scenario.engine == "mesa":
        from .mesa import MesaEngine
        return MesaEngine(graph, scenario, kols)
    return NumpyEngine(graph, scenario, kols)


def check_agent_engine_size(scenario: Any) -> None:
    """Refuse, before building the graph, a population too big for the Mesa engine."""
    if scenario.scenario.engine == "mesa":
        from .mesa import check_size
        check_size(scenario.graph.n_nodes(), scenario.source)


__all__ = ["Engine", "NumpyEngine", "make_engine", "check_agent_engine_size"]
