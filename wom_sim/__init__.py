"""wom-sim: word-of-mouth diffusion on social graphs (AISAS/SICAS funnels, KOL seeding,
response-time policies). Notebook use:

    >>> import wom_sim
    >>> sc = wom_sim.load_scenario("scenarios/quickstart.toml")
    >>> res = wom_sim.run(sc)
    >>> res.summary["metrics"]["adopters"]         # mean and 95% interval
    >>> res.timeseries.head(); res.plot("funnel")
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import GraphInputError, MemoryBudgetError, ScenarioError, WomSimError  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402


def run(scenario, *, workers: int = 1, progress=None, graph=None):
    """Run a scenario (a Scenario, a dict, or a TOML path) and return a RunResult.

    `graph`: a networkx graph or a CSRGraph to run on instead of the scenario's [graph].
    """
    from .runner import run as _run
    return _run(scenario, workers=workers, progress=progress, graph=graph)


__all__ = ["Scenario", "load_scenario", "run", "WomSimError", "ScenarioError",
           "GraphInputError", "MemoryBudgetError", "__version__"]
