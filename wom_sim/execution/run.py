"""Running a scenario: the memory guard, the graph, the KOL plan, then replicates on
independent seed streams (streams.py says which stream feeds what), in this process or
on forked workers. Also the unit of work of grids (`run_unit`), which sweeps send to
local processes or Dask workers."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engines import Engine, NumpyEngine, check_agent_engine_size, make_engine
from ..engines.numpy.ic import IC_VARYING, ic_ineligible
from ..engines.numpy.replicate import VARYING
from ..errors import GraphInputError, ScenarioError
from ..graphs.build import build_graph
from ..graphs.csr import CSRGraph
from ..graphs.io import from_networkx, reading_report
from ..policies import resolve
from ..results import RunResult
from ..scenario import Scenario, load_scenario
from ..seeding import SeedPlan, plan_seeds
from ..streams import stream, streams
from .cache import GraphCache
from .executors import LocalExecutor, keep_heap
from .memory import batch_size, check_fits, even_batch, numpy_batch

__all__ = ["run", "run_replicates", "run_points", "run_unit", "make_graph", "prepare", "check_runnable",
           "default_workers", "simulate"]


def make_graph(sc: Scenario, workers: int = 1) -> CSRGraph:
    """The scenario's graph (stream (seed, 0)); edge-list problems name the scenario key
    too. An edge list's true size meets the memory guard before its graph is allocated."""
    def guard(n: int, arcs: int) -> None:
        check_fits(sc, workers, n=n, arcs=arcs)
    try:
        graph = build_graph(sc.graph, stream(sc.scenario.seed, 0), guard)
    except GraphInputError as exc:
        raise GraphInputError(f"{exc}\n  (read from graph.path = {sc.graph.path!r} of {sc.source})") from None
    check_population(sc, graph)
    return graph


def check_population(sc: Scenario, graph: CSRGraph) -> None:
    """KOLs and complainers must fit in the graph (known only once an edge list is read)."""
    need = sc.seeding.budget + sc.seeding.complainer_count
    if sc.seeding.budget_money <= 0 and need > graph.n:
        raise ScenarioError(f"{sc.source}: seeding.budget + the initial complainers = {need} exceeds the "
                            f"{graph.n:,} agents of the graph; lower them or use a bigger graph")
    if sc.seeding.complainer_count > graph.n:
        raise ScenarioError(f"{sc.source}: {sc.seeding.complainer_count} initial complainers exceed "
                            f"the {graph.n:,} agents of the graph")


def check_runnable(sc: Scenario, workers: int = 1) -> int:
    """What can be checked before anything is built: the response policy loads, the Mesa
    engine takes the population, the memory guard passes. Returns the memory estimate."""
    resolve(sc.response.policy)
    check_agent_engine_size(sc)
    return check_fits(sc, workers)


def _given_graph(graph: Any, sc: Scenario) -> CSRGraph:
    """A graph passed in Python (CSRGraph or networkx) instead of the scenario's [graph]."""
    if not isinstance(graph, CSRGraph):
        graph = from_networkx(graph)
    check_population(sc, graph)
    return graph


def prepare(sc: Scenario, graph: CSRGraph) -> tuple[Engine, SeedPlan]:
    """The engine of a scenario on a graph and its seed plan (the engine's default KOLs
    are the plan's fixed pick)."""
    plan = plan_seeds(graph, sc)
    return make_engine(sc, graph, plan.fixed if plan.fixed is not None else ()), plan


def simulate(eng: Engine, seed: int, reps: list[int], kols_of: Callable[[int], Any], batch: int = 1,
             tick: Callable[[int], None] | None = None) -> np.ndarray:
    """Replicates `reps` (replicate r on stream (seed, 2, r) with KOLs kols_of(r)),
    (len(reps), steps + 1, metrics), run `batch` at a time by the NumPy core (one at a
    time by Mesa). The numbers do not depend on `batch`. `tick(k)` is called as
    replicate-steps complete (k done so far of len(reps) x steps)."""
    steps = eng.sc.scenario.steps
    out = np.empty((len(reps), steps + 1, len(eng.metrics)), dtype=np.float64)
    done = 0
    batch = even_batch(len(reps), batch)
    for a in range(0, len(reps), batch):
        part = reps[a:a + batch]

        def on_step(t: int, base: int = done, size: int = len(part)) -> None:
            if tick is not None:
                tick(base + t * size)
        if isinstance(eng, NumpyEngine):
            eng.run_batch(streams(seed, (2,), part), [kols_of(r) for r in part], on_step,
                          out=out[a:a + len(part)])
        else:
            for j, r in enumerate(part):
                def one(t: int, base: int = done + j * steps) -> None:
                    if tick is not None:
                        tick(base + t)
                out[a + j] = eng.run_replicate(stream(seed, 2, r), one, kols=kols_of(r))
        done += len(part) * steps
    return out


# worker processes inherit the engine by fork (copy-on-write: the graph is not copied)
_WORKER: tuple[Engine, SeedPlan, int] | None = None


def _run_chunk(seed: int, reps: list[int]) -> tuple[list[int], np.ndarray]:
    assert _WORKER is not None
    eng, plan, batch = _WORKER
    return reps, simulate(eng, seed, reps, plan.for_replicate, batch)


def run(scenario: Scenario | dict | str, *, workers: int = 1,
        progress: Callable[[int, int], None] | None = None, graph: Any = None,
        on_graph: Callable[[CSRGraph], None] | None = None, trace: int = 0, trace_format: str = "csv") -> RunResult:
    """Run every replicate of a scenario (a Scenario, a dict or a TOML path) and return
    its RunResult.

    `progress(done, total)` is called as agent-steps complete (total = replicates x
    steps). `workers` > 1 spreads replicates over forked processes; the numbers are
    identical to workers = 1. `graph` (a CSRGraph or a networkx graph) replaces the
    scenario's [graph] section. `on_graph(graph)` is called once the graph is built,
    before the KOLs are picked (the CLI prints what an edge list held there). `trace`:
    record who told whom in the first `trace` replicates (results.trace; saved as
    trace.csv, or trace.parquet with `trace_format="parquet"`, which needs pyarrow).

    >>> import wom_sim
    >>> res = wom_sim.run({"scenario": {"steps": 10, "replicates": 4, "seed": 1},
    ...                    "graph": {"kind": "erdos_renyi", "n": 1000, "mean_degree": 8}})
    >>> res.summary["n_agents"], res.series.shape
    (1000, (4, 11, 23))
    """
    global _WORKER
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    workers = max(1, min(workers, sc.scenario.replicates))
    t0 = time.perf_counter()
    if graph is None:
        check_runnable(sc, workers)
        graph = make_graph(sc, workers)
    else:
        resolve(sc.response.policy)
        graph = _given_graph(graph, sc)
    if on_graph is not None:
        on_graph(graph)
    t1 = time.perf_counter()
    eng, plan = prepare(sc, graph)
    if trace:
        check_traceable(sc, eng, trace_format)
    t2 = time.perf_counter()
    R, T = sc.scenario.replicates, sc.scenario.steps
    total = R * T
    batch = batch_size(sc, graph.n, graph.n_arcs)
    if workers == 1 or "fork" not in mp.get_all_start_methods():  # workers inherit the engine by fork
        def tick(k: int) -> None:
            if progress:
                progress(k, total)
        series = simulate(eng, sc.scenario.seed, list(range(R)), plan.for_replicate, batch, tick)
    else:
        series = np.empty((R, T + 1, len(eng.metrics)), dtype=np.float64)
        _WORKER = (eng, plan, batch)
        # a few chunks per worker (each run in batches) keep both busy to the end
        per = max(1, min(batch, -(-R // (workers * 2))))
        chunks = [list(range(a, min(R, a + per))) for a in range(0, R, per)]
        ex = LocalExecutor(workers)
        done = 0
        try:
            futures = {ex.submit(_run_chunk, sc.scenario.seed, c) for c in chunks}
            while futures:
                finished, futures = ex.wait_any(futures)
                for f in finished:
                    reps, block = f.result()
                    series[reps] = block
                    done += len(reps) * T
                    if progress:
                        progress(done, total)
        except BaseException:
            ex.shutdown(cancel=True)
            raise
        finally:
            _WORKER = None
        ex.shutdown()
    t3 = time.perf_counter()
    traced = None
    if trace:
        from ..results.trace import trace_replicates
        traced = trace_replicates(eng, sc.scenario.seed, list(range(min(trace, R))), plan.for_replicate)
    return RunResult(scenario=sc, metrics=eng.metrics, series=series, n_agents=graph.n,
                     n_arcs=graph.n_arcs, kols=plan.describe(), funnel=eng.funnel,
                     timing={"graph_s": t1 - t0, "seeding_s": t2 - t1, "simulate_s": t3 - t2},
                     graph_notes=reading_report(graph), kol_table=plan.kol_table(),
                     trace=traced, trace_format=trace_format, agent_labels=graph.meta.get("labels"))


def check_traceable(sc: Scenario, eng: Engine, trace_format: str) -> None:
    """--trace needs the NumPy engine's general rules and messages to trace."""
    if trace_format not in ("csv", "parquet"):
        raise ScenarioError(f"--trace-format {trace_format!r}: choose csv or parquet")
    if not isinstance(eng, NumpyEngine):
        raise ScenarioError(f"{sc.source}: --trace records the NumPy engine's messages; run it with "
                            f"--set scenario.engine=\"numpy\" (the same rules)")
    if sc.wom.mode == "bass":
        raise ScenarioError(f"{sc.source}: Bass mode sends no messages, so there is nothing to trace")
    if trace_format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ScenarioError("--trace-format parquet needs pyarrow: pip install pyarrow (or use csv)") from None


_PROCESS_CACHE = GraphCache(make_graph)


def run_replicates(scenario: Scenario | dict, reps: list[int], kols: np.ndarray | None = None
                   ) -> tuple[np.ndarray, Engine, SeedPlan | None]:
    """Replicates `reps` of a scenario in this process: (len(reps), steps+1, metrics), the
    engine and the seed plan (None when `kols` is given). Graphs and plans are kept in a
    per-process cache. `kols` overrides the scenario's seeding (a pick made once
    elsewhere, e.g. by compare-seeding)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    graph = _PROCESS_CACHE.graph(sc)
    plan = _PROCESS_CACHE.plan(sc) if kols is None else None
    eng = make_engine(sc, graph)
    series = simulate(eng, sc.scenario.seed, list(reps),
                      plan.for_replicate if plan is not None else (lambda r: kols),
                      batch_size(sc, graph.n, graph.n_arcs))
    return series, eng, plan


def run_points(scenarios: list[Scenario], reps: list[int]) -> tuple[list[np.ndarray], list[str]]:
    """Replicate reps[i] of scenario i, for each i (the fit's proposals: one run of each
    parameter point): one table (steps + 1, metrics) per point, and the metric names.

    Points of the NumPy core that differ only in keys their engine path can vary within a
    batch (replicate.VARYING on the general rules, ic.IC_VARYING on the IC kernel) run
    together, as batches of parameter points (each replicate with its own values); the
    others (Bass mode, Mesa) one at a time. Either way a point's numbers are those of
    `run_replicates(scenario, [rep])`: the batch of a point does not change them."""
    groups: dict[str, list[int]] = {}
    varying: dict[str, tuple[str, ...]] = {}
    for i, sc in enumerate(scenarios):
        keys = _batch_keys(sc)
        key = _point_group(sc, keys)
        groups.setdefault(key, []).append(i)
        varying[key] = keys
    out: list[np.ndarray] = [np.zeros(0)] * len(scenarios)
    names: list[str] = []
    for key, members in groups.items():
        sc = scenarios[members[0]]
        if len(members) == 1 or not varying[key]:
            for i in members:
                series, eng, _ = run_replicates(scenarios[i], [reps[i]])
                out[i], names = series[0], eng.metrics
            continue
        graph, plan = _PROCESS_CACHE.graph(sc), _PROCESS_CACHE.plan(sc)
        engine = make_engine(sc, graph)
        assert isinstance(engine, NumpyEngine)
        B = numpy_batch(sc, graph.n, graph.n_arcs, len(members))
        for a in range(0, len(members), B):
            part = members[a:a + B]
            params = {k: np.array([_value(scenarios[i], k) for i in part], dtype=np.float64)
                      for k in varying[key] if _value(sc, k) is not None}  # (None in all points of a group)
            table = engine.run_batch(streams(sc.scenario.seed, (2,), [reps[i] for i in part]),
                                     [plan.for_replicate(reps[i]) for i in part], params=params)
            for j, i in enumerate(part):
                out[i] = table[j]
            names = engine.metrics
    return out, names


def _batch_keys(sc: Scenario) -> tuple[str, ...]:
    """The keys in which points of this scenario may differ within one batch: those of
    the engine path the point takes (the IC kernel's or the general rules'; none for
    Mesa and Bass mode, which run one replicate at a time)."""
    if sc.scenario.engine == "mesa" or sc.wom.mode == "bass":
        return ()
    if ic_ineligible(sc) is not None:  # the scenario alone rules the kernel out
        return VARYING
    return IC_VARYING if ic_ineligible(sc, _PROCESS_CACHE.graph(sc)) is None else VARYING


def _point_group(sc: Scenario, keys: tuple[str, ...]) -> str:
    """The points that may share a batch have the same key: the scenario with the
    values of `keys` (its path's, named in the key) left out."""
    d = sc.to_dict()
    for key in keys:  # any number (an unset optional key stays apart)
        section, name = key.split(".")
        if d.get(section, {}).get(name) is not None:
            d[section][name] = "a number"
    return json.dumps([keys, d], sort_keys=True, default=str)


def _value(sc: Scenario, key: str) -> float | None:
    section, name = key.split(".")
    v = getattr(getattr(sc, section), name)
    return None if v is None else float(v)


def run_unit(scenario_dict: dict, reps: list[int], kols: np.ndarray | None = None) -> dict[str, Any]:
    """One unit of work of a grid, run wherever the executor puts it: replicates `reps` of
    a scenario. It depends only on its arguments, so any scheduler gives the same numbers.
    `kols`: a pick made once by the caller (compare-seeding), else the scenario's own."""
    keep_heap()
    t0, c0 = time.perf_counter(), time.thread_time()
    sc = load_scenario(scenario_dict)
    series, eng, plan = run_replicates(sc, reps, kols)
    if plan is not None:
        described: list[int] | str = plan.describe()
    else:
        assert kols is not None
        described = kols.tolist() if kols.size <= 1000 else f"{kols.size} agents"
    return {"series": series, "n": eng.n, "arcs": eng.g.n_arcs, "kols": described,
            "funnel": eng.funnel, "metrics": eng.metrics, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.thread_time() - c0}


def default_workers() -> int:
    """The CPUs this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
