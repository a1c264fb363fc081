"""wom-sim: word-of-mouth diffusion on social graphs (AISAS/SICAS funnels, KOL seeding,
response-time policies), from a classroom of 300 to millions of consumers.

The public API, for notebooks and scripts::

    >>> import wom_sim
    >>> sc = wom_sim.load_scenario({"scenario": {"steps": 20, "replicates": 5},
    ...                             "graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 8}})
    >>> res = wom_sim.run(sc)
    >>> sorted(res.summary["metrics"]["adopters"])     # mean and 95% interval
    ['ci95', 'mean']

    load_scenario, Scenario     a scenario from a TOML path, a dict, or --set overrides
    run, RunResult              run every replicate; tables, summary, figures, save/load
    CSRGraph                    the graph type (wom_sim.graphs.io reads edge lists, networkx)
    run_sweep                   a [sweep] grid, resumable, on local processes or Dask
    compare_seeding             which KOLs to pay: strategies x budgets, paired with random
    bench_response              response policies x delays against no response
    fit_scenario, FitResult     calibrate parameters to observed series (ABC-SMC), forecast

The heavy parts load on first use, so `import wom_sim` stays fast; the rules of the
model are documented in docs/model.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import GraphInputError, MemoryBudgetError, ScenarioError, WomSimError
from .graphs.csr import CSRGraph
from .meta import __version__
from .scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from .compare import compare_seeding
    from .execution import run
    from .fit import FitResult, fit_scenario
    from .response import bench_response
    from .results import RunResult
    from .sweep import run_sweep

#: names loaded on first use -> the module that defines them
_LAZY = {"run": "wom_sim.execution", "RunResult": "wom_sim.results", "run_sweep": "wom_sim.sweep",
         "compare_seeding": "wom_sim.compare", "bench_response": "wom_sim.response",
         "fit_scenario": "wom_sim.fit", "FitResult": "wom_sim.fit"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wom_sim' has no attribute {name!r}")


__all__ = ["load_scenario", "Scenario", "run", "RunResult", "CSRGraph", "run_sweep", "compare_seeding",
           "bench_response", "fit_scenario", "FitResult", "WomSimError", "ScenarioError", "GraphInputError",
           "MemoryBudgetError", "__version__"]
