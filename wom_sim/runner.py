"""Running a scenario: graph, KOL plan, then replicates on independent seed streams
(see streams.py for which stream feeds what)."""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import multiprocessing as mp
import numpy as np

from .errors import GraphInputError, ScenarioError
from .graphs.build import build_graph
from .graphs.csr import CSRGraph
from .memory import check_fits
from .results import RunResult
from .scenario import Scenario, load_scenario
from .seeding import SeedPlan, plan_seeds
from .streams import stream

__all__ = ["run", "run_replicates", "make_graph", "make_engine", "stream", "EngineCache"]


def make_graph(sc: Scenario) -> CSRGraph:
    """The scenario's graph; edge-list problems name the scenario key too."""
    try:
        graph = build_graph(sc.graph, stream(sc.scenario.seed, 0))
    except GraphInputError as exc:
        raise GraphInputError(f"{exc}\n  (read from graph.path = {sc.graph.path!r} of {sc.source})") from None
    check_population(sc, graph)
    return graph


def check_population(sc: Scenario, graph: CSRGraph) -> None:
    """KOLs and complainers must fit in the graph (known only once an edge list is read)."""
    need = sc.seeding.budget + sc.seeding.initial_complainers
    if sc.seeding.budget_money <= 0 and need > graph.n:
        raise ScenarioError(f"{sc.source}: seeding.budget + seeding.initial_complainers = {need} exceeds the "
                            f"{graph.n:,} agents of the graph; lower them or use a bigger graph")
    if sc.seeding.initial_complainers > graph.n:
        raise ScenarioError(f"{sc.source}: seeding.initial_complainers = {sc.seeding.initial_complainers} exceeds "
                            f"the {graph.n:,} agents of the graph")


def make_engine(sc: Scenario, graph: CSRGraph):
    """The engine of a scenario on a graph; its default KOLs are the plan's fixed pick."""
    plan = plan_seeds(graph, sc)
    return _engine(sc, graph, plan.fixed if plan.fixed is not None else ()), plan


def _engine(sc: Scenario, graph: CSRGraph, kols=()):
    """The scenario's engine: the vectorized NumPy core, or the same rules as Mesa
    agents (teaching, graphs up to 50k agents)."""
    if sc.scenario.engine == "mesa":
        from .engines.mesa_engine import MesaEngine
        return MesaEngine(graph, sc, kols)
    from .engines.numpy_engine import NumpyEngine
    return NumpyEngine(graph, sc, kols)


class EngineCache:
    """Graphs and KOL plans kept between work units of one process.

    A sweep sends many (scenario, replicates) units to each worker; points that share
    a graph (same [graph] section and seed) build it once per process, and points that
    also share the seeding pick their KOLs once.
    """

    def __init__(self, max_graphs: int = 2) -> None:
        self.max_graphs = max_graphs
        self._graphs: dict[str, CSRGraph] = {}
        self._plans: dict[str, SeedPlan] = {}

    def graph(self, sc: Scenario) -> tuple[str, CSRGraph]:
        gkey = json.dumps([sc.to_dict()["graph"], sc.scenario.seed], sort_keys=True)
        graph = self._graphs.get(gkey)
        if graph is None:
            if len(self._graphs) >= self.max_graphs:
                self._graphs.clear()
                self._plans.clear()
            graph = self._graphs[gkey] = make_graph(sc)
        return gkey, graph

    def engine(self, sc: Scenario, with_plan: bool = True):
        """(engine, seed plan) of a scenario, reusing this process's graphs and plans.
        `with_plan=False` when the KOLs come from elsewhere: a plan can be costly (ris)."""
        gkey, graph = self.graph(sc)
        if not with_plan:
            return _engine(sc, graph), None
        pkey = gkey + json.dumps(sc.to_dict()["seeding"], sort_keys=True)
        plan = self._plans.get(pkey)
        if plan is None:
            plan = self._plans[pkey] = plan_seeds(graph, sc)
        return _engine(sc, graph), plan


_PROCESS_CACHE = EngineCache()


def run_replicates(scenario: Scenario | dict, reps: list[int], kols: np.ndarray | None = None) -> np.ndarray:
    """Replicates `reps` of a scenario in this process: (len(reps), steps+1, metrics).

    The unit of work of sweeps (local processes or Dask workers): it depends only on
    its arguments, so any scheduler gives the same numbers. `kols` overrides the
    scenario's seeding (a pick made once elsewhere, e.g. by compare-seeding).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    eng, plan = _PROCESS_CACHE.engine(sc, with_plan=kols is None)
    return np.stack([eng.run_replicate(stream(sc.scenario.seed, 2, r),
                                       kols=plan.for_replicate(r) if kols is None else kols)
                     for r in reps])


# worker processes inherit the engine by fork (copy-on-write: the graph is not copied)
_WORKER: tuple | None = None


def _run_chunk(args: tuple[int, list[int]]) -> tuple[list[int], np.ndarray]:
    seed, reps = args
    eng, plan = _WORKER
    return reps, np.stack([eng.run_replicate(stream(seed, 2, r), kols=plan.for_replicate(r)) for r in reps])


def _given_graph(graph, sc: Scenario) -> CSRGraph:
    """A graph passed in Python (CSRGraph or networkx) instead of the scenario's [graph]."""
    if not isinstance(graph, CSRGraph):
        from .graphs.io import from_networkx
        graph = from_networkx(graph)
    check_population(sc, graph)
    return graph


def run(scenario: Scenario | dict | str, *, workers: int = 1,
        progress: Callable[[int, int], None] | None = None, graph=None) -> RunResult:
    """Run every replicate of a scenario and return its tables.

    `progress(done, total)` is called as agent-steps complete (total = replicates x
    steps). `workers` > 1 spreads replicates over forked processes; the numbers are
    identical to workers = 1. `graph` (a CSRGraph or a networkx graph) replaces the
    scenario's [graph] section.
    """
    global _WORKER
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    workers = max(1, min(workers, sc.scenario.replicates))
    t0 = time.perf_counter()
    if graph is None:
        if sc.scenario.engine == "mesa":  # refuse a graph too big for agents before building it
            from .engines.mesa_engine import check_size
            check_size(sc.graph.n_nodes(), sc.source)
        check_fits(sc, workers)
        graph = make_graph(sc)
    else:
        graph = _given_graph(graph, sc)
    t1 = time.perf_counter()
    eng, plan = make_engine(sc, graph)
    t2 = time.perf_counter()
    R, T = sc.scenario.replicates, sc.scenario.steps
    series = np.empty((R, T + 1, len(eng.metrics)), dtype=np.float64)
    total = R * T
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        done = 0
        for r in range(R):
            def tick(t: int, base=done) -> None:
                if progress:
                    progress(base + t, total)
            series[r] = eng.run_replicate(stream(sc.scenario.seed, 2, r), tick, kols=plan.for_replicate(r))
            done += T
    else:
        _WORKER = (eng, plan)
        chunks = [list(range(r, R, workers * 2)) for r in range(min(R, workers * 2))]
        done = 0
        try:
            from .sweep import ignore_sigint
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                     initializer=ignore_sigint) as pool:
                for reps, block in pool.map(_run_chunk, [(sc.scenario.seed, c) for c in chunks]):
                    series[reps] = block
                    done += len(reps) * T
                    if progress:
                        progress(done, total)
        finally:
            _WORKER = None
    t3 = time.perf_counter()
    return RunResult(scenario=sc, metrics=eng.metrics, series=series, n_agents=graph.n,
                     n_arcs=graph.n_arcs, kols=plan.describe(), funnel=eng.funnel,
                     timing={"graph_s": t1 - t0, "seeding_s": t2 - t1, "simulate_s": t3 - t2})


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
