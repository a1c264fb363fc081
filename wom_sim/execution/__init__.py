"""Running scenarios: the memory guard (memory.py), graphs and plans kept per process
(cache.py), local and Dask executors (executors.py), and `run` (run.py)."""
from __future__ import annotations

from .executors import DaskExecutor, LocalExecutor, make_executor
from .memory import check_fits, check_grid_fits, estimate_bytes
from .run import check_runnable, default_workers, make_graph, prepare, run, run_replicates, run_unit, simulate

__all__ = ["run", "run_replicates", "run_unit", "make_graph", "prepare", "check_runnable", "default_workers",
           "check_fits", "check_grid_fits", "estimate_bytes", "LocalExecutor", "DaskExecutor", "make_executor",
           "simulate"]
