"""Sweeps: every combination of a scenario's [sweep] grid, times its replicates, run on
local processes or a Dask cluster, written point by point so an interrupted sweep
resumes without losing or redoing finished work.

Layout of a sweep folder:
    manifest.json            the resolved scenario, the points, and the status
    points/0003_delay-4/     one folder per point, moved in atomically when complete:
        scenario.toml, summary.json, timeseries.csv, replicates.csv (+ plots)
    sweep.csv                one row per point: swept values, then mean, ci_low,
                             ci_high of every metric (built from the points' files,
                             so a resumed sweep writes the same bytes)
    sweep_<key>.png, heatmap_<metric>.png

Numbers never depend on scheduling: replicate r of point p draws from the stream
(seed, 2, r) of p's scenario, whoever computes it.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import signal
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import multiprocessing as mp
import numpy as np

from .errors import ScenarioError, WomSimError
from .memory import estimate_bytes, available_bytes, n_agents_hint
from .scenario import Scenario, apply_point, sweep_points, validate_dict

MANIFEST = "manifest.json"
SWEEP_CSV = "sweep.csv"


@dataclass
class Point:
    index: int
    values: dict[str, Any]
    scenario: Scenario

    @property
    def folder(self) -> str:
        parts = [f"{k.split('.')[-1]}-{_slug(v)}" for k, v in self.values.items()]
        return f"{self.index:04d}" + ("_" + "_".join(parts) if parts else "")


def _slug(v: Any) -> str:
    text = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
    return re.sub(r"[^A-Za-z0-9.+-]+", "", text)[:40] or "x"


def expand(sc: Scenario, combos: list[dict[str, Any]] | None = None) -> list[Point]:
    """Every point of the grid (or of an explicit list of `combos`, dotted key ->
    value), validated before anything runs: a bad value is reported with the key,
    the value and the point."""
    base = sc.to_dict()
    base.pop("sweep", None)
    points = []
    for i, combo in enumerate(combos if combos is not None else sweep_points(sc)):
        raw = apply_point(base, combo)
        label = ", ".join(f"{k} = {v!r}" for k, v in combo.items())
        try:
            psc = validate_dict(raw, f"{sc.source} [sweep point {i}: {label}]")
        except ScenarioError as exc:
            raise ScenarioError(f"{exc}\n  The value comes from the [sweep] table: fix or remove it there.") from None
        psc._source = sc.source
        points.append(Point(i, combo, psc))
    return points


# ----------------------------------------------------------------------------- checks


def check_memory(points: list[Point], workers: int) -> None:
    """Refuse a grid whose largest point would not fit, before any point runs."""
    worst = max(points, key=lambda p: estimate_bytes(p.scenario))
    need = workers * estimate_bytes(worst.scenario)
    have = available_bytes()
    if need > have:
        from .errors import MemoryBudgetError
        raise MemoryBudgetError(
            f"{worst.scenario.source}: the largest sweep point ({worst.folder}: "
            f"{n_agents_hint(worst.scenario):,} agents) needs about {need / 1e9:.1f} GB with "
            f"{workers} worker(s), but only {have / 1e9:.1f} GB is available. Use fewer "
            f"--workers or smaller graphs (set WOM_SIM_MAX_MEMORY_GB if you know better).")


def _point_complete(folder: Path, p: Point) -> bool:
    """A finished point: its folder exists (moved in whole) and its summary and
    tables are readable and belong to this point's scenario."""
    try:
        summary = json.loads((folder / "summary.json").read_text())
        with open(folder / "replicates.csv") as fh:
            rows = sum(1 for _ in fh) - 1
    except (OSError, ValueError):
        return False
    sc = p.scenario
    return (summary.get("scenario") == json.loads(json.dumps(sc.to_dict()))
            and rows == sc.scenario.replicates * (sc.scenario.steps + 1))


def prepare_folder(out: Path, sc: Scenario, points: list[Point], resume: bool, force: bool) -> set[int]:
    """Check the output folder against this sweep; return the indices already done."""
    mpath = out / MANIFEST
    resolved = json.loads(json.dumps(sc.to_dict()))
    grid = json.loads(json.dumps([p.values for p in points]))
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text())
        except ValueError:
            old = {}
        same = old.get("scenario") == resolved and [p.get("values") for p in old.get("points", [])] == grid
        if force:
            shutil.rmtree(out / "points", ignore_errors=True)
            for f in (MANIFEST, SWEEP_CSV):
                (out / f).unlink(missing_ok=True)
            return set()
        if not same:
            raise WomSimError(
                f"{out} holds the results of a different scenario ({old.get('scenario', {}).get('scenario', {}).get('name', '?')!r}"
                f"{'' if not resume else ', so --resume cannot continue it'}). Choose another -o folder, or add "
                f"--force to delete those results and start over.")
        if not resume:
            raise WomSimError(
                f"{out} already holds results of this sweep; add --resume to finish it (finished points are "
                f"kept), or --force to start over.")
    elif resume and (out / "points").exists():
        raise WomSimError(f"{out} has points but no {MANIFEST}; it was not written by this sweep. "
                          "Use another -o folder or --force.")
    done = set()
    if resume:
        for p in points:
            if _point_complete(out / "points" / p.folder, p):
                done.add(p.index)
    return done


# ----------------------------------------------------------------------------- running


@dataclass
class Unit:
    point: int
    reps: list[int]


def plan_units(points: list[Point], todo: Iterable[int], workers: int) -> list[Unit]:
    """Split the work into (point, replicate chunk) units: whole points when there
    are many, replicate chunks when few points would leave workers idle."""
    todo = list(todo)
    units = []
    for i in todo:
        R = points[i].scenario.scenario.replicates
        chunks = 1 if len(todo) >= 2 * workers else max(1, min(R, math.ceil(2 * workers / max(len(todo), 1))))
        size = math.ceil(R / chunks)
        for start in range(0, R, size):
            units.append(Unit(i, list(range(start, min(R, start + size)))))
    return units


_HEAP_SET = False


def keep_heap() -> None:
    """Once per process: let glibc keep freed memory for reuse.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, so every large
    temporary array the engine makes each step is handed back to the OS and faulted in
    again (measured: 4.7M page faults, units 60% slower). Setting the thresholds with
    mallopt overrides the environment, on any cluster a user starts. No-op off glibc.
    """
    global _HEAP_SET
    if _HEAP_SET:
        return
    _HEAP_SET = True
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):
        pass


# Dask worker housekeeping slowed while a sweep runs (callback -> period in ms; 0 pauses
# it). Each wakes the worker's event loop, which then takes the GIL from the running
# unit: 10 ms statistical profiler, 20 ms tick, 100 ms memory check, 500 ms system
# monitor, about 150 wakeups a second. Measured on a 40-point sweep: 2.3-2.6 s more CPU
# and Dask 11-25% slower than local processes (benchmarks/README.md, "Sweeps").
# Heartbeats are left alone.
QUIET_WORKER_MS = {"profile": 0, "profile-cycle": 0, "tick": 1000, "memory_monitor": 1000, "monitor": 5000}
PLUGIN_NAME = "wom-sim-sweep"


def quiet_worker(worker, periods: dict[str, int], on: bool) -> None:
    """Slow (on) or restore (off) a Dask worker's periodic callbacks, on its event loop.
    The old periods are kept on the worker, so a second `on` changes nothing."""
    saved = getattr(worker, "_wom_sim_periods", None)
    if on and saved is None:
        saved = worker._wom_sim_periods = {}
        for name, ms in periods.items():
            pc = getattr(worker, "periodic_callbacks", {}).get(name)
            if pc is not None:
                saved[name] = (pc.callback_time, pc.is_running())
                if ms:
                    pc.callback_time = max(pc.callback_time, ms)
                else:
                    pc.stop()
    elif not on and saved is not None:
        for name, (ms, running) in saved.items():
            pc = getattr(worker, "periodic_callbacks", {}).get(name)
            if pc is not None:
                pc.callback_time = ms
                if running and not pc.is_running():
                    pc.start()
        del worker._wom_sim_periods


def sweep_worker_plugin(periods: dict[str, int] | None = None):
    """The Dask WorkerPlugin a sweep registers on every worker (and on workers that join
    later): glibc heap settings at once, housekeeping slowed until it is unregistered.
    One fixed name: a killed sweep's plugin is replaced, so its settings do not stick."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class SweepWorker(WorkerPlugin):
        name = PLUGIN_NAME

        def __init__(self, periods: dict[str, int]) -> None:
            self.periods = periods

        def setup(self, worker) -> None:
            keep_heap()
            quiet_worker(worker, self.periods, True)

        def teardown(self, worker) -> None:
            quiet_worker(worker, self.periods, False)

    return SweepWorker(dict(QUIET_WORKER_MS if periods is None else periods))


def _unit_task(scenario_dict: dict, reps: list[int], kols: np.ndarray | None = None) -> dict:
    """One unit of work, run wherever the executor puts it. `kols`: a pick made once
    by the caller (compare-seeding), else the scenario's own seeding."""
    from .runner import _PROCESS_CACHE, run_replicates
    from .scenario import load_scenario
    keep_heap()
    t0, c0 = time.perf_counter(), time.thread_time()
    sc = load_scenario(scenario_dict)
    series = run_replicates(sc, reps, kols)
    eng, plan = _PROCESS_CACHE.engine(sc, with_plan=kols is None)
    described = plan.describe() if kols is None else (kols.tolist() if kols.size <= 1000 else f"{kols.size} agents")
    return {"series": series, "n": eng.n, "arcs": eng.g.n_arcs, "kols": described,
            "funnel": eng.funnel, "metrics": eng.metrics, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.thread_time() - c0}


def ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and reports cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _LocalExecutor:
    def __init__(self, workers: int) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                                        initializer=ignore_sigint) if workers > 1 else None

    def submit(self, fn, *args) -> Future:
        if self.pool is None:
            f: Future = Future()
            try:
                f.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001  (re-raised by result())
                f.set_exception(exc)
            return f
        return self.pool.submit(fn, *args)

    def wait_any(self, futures):
        return wait(futures, return_when=FIRST_COMPLETED)

    def shutdown(self, cancel: bool = False) -> None:
        if self.pool is not None:
            if cancel:
                for p in list(getattr(self.pool, "_processes", {}).values()):
                    p.terminate()
            self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class _DaskExecutor:
    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise WomSimError("--scheduler needs Dask: pip install 'wom-sim[dask]'") from None
        try:
            self.client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise WomSimError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc}). "
                              "Start one with `dask scheduler` and workers with `dask worker ADDRESS`.") from None
        self.client.register_plugin(sweep_worker_plugin(), name=PLUGIN_NAME)

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures):
        from distributed import wait as dwait
        res = dwait(list(futures), return_when="FIRST_COMPLETED")
        return res.done, res.not_done

    def shutdown(self, cancel: bool = False) -> None:
        try:
            self.client.unregister_worker_plugin(PLUGIN_NAME)   # restores the workers' settings
        except Exception:  # noqa: BLE001  (a lost cluster must not hide the sweep's own error)
            pass
        self.client.close()


def run_sweep(sc: Scenario, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
              resume: bool = False, force: bool = False, plots: bool = True,
              progress: Callable[[int, int], None] | None = None,
              kols: Callable[[Point], np.ndarray | None] | None = None,
              points: list[Point] | None = None) -> dict:
    """Run every point of the grid; return the manifest. See the module docstring.

    `kols(point)` may give a point's KOLs, picked once by the caller (compare-seeding
    picks expensive strategies in the parent and times them); None keeps the
    scenario's own seeding. `points` (from `expand`, e.g. an explicit list of combos
    for bench-response) replaces the scenario's [sweep] grid."""
    from .results import RunResult

    if not sc.sweep and points is None:
        raise ScenarioError(f"{sc.source}: has no [sweep] table; add one, e.g.\n  [sweep]\n  \"response.delay\" = [0, 1, 2, 4]\n"
                            "(or use `wom-sim run` for a single scenario)")
    out = Path(out)
    points = points if points is not None else expand(sc)
    keys = list(dict.fromkeys(k for p in points for k in p.values))
    check_memory(points, 1 if scheduler else workers)
    done = prepare_folder(out, sc, points, resume, force)
    (out / "points").mkdir(parents=True, exist_ok=True)
    manifest = {"scenario": json.loads(json.dumps(sc.to_dict())), "keys": keys,
                "points": [{"index": p.index, "values": p.values, "folder": f"points/{p.folder}"} for p in points],
                "complete": False}
    _atomic_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")

    total = sum(p.scenario.scenario.replicates for p in points)
    finished = sum(points[i].scenario.scenario.replicates for i in done)
    if progress:
        progress(finished, total)
    todo = [p.index for p in points if p.index not in done]
    units = plan_units(points, todo, workers)
    picks = {i: (kols(points[i]) if kols else None) for i in todo}
    pending_reps: dict[int, dict[int, np.ndarray]] = {i: {} for i in todo}
    seconds: dict[int, float] = {i: 0.0 for i in todo}
    cpu: dict[int, float] = {i: 0.0 for i in todo}
    t0 = time.perf_counter()
    ex = _DaskExecutor(scheduler) if scheduler else _LocalExecutor(workers)
    futures: dict[Any, Unit] = {}
    try:
        queue = list(units)
        limit = max(2 * workers, 4) if not scheduler else len(queue)
        while queue or futures:
            while queue and len(futures) < limit:
                u = queue.pop(0)
                futures[ex.submit(_unit_task, points[u.point].scenario.to_dict(), u.reps, picks[u.point])] = u
            finished_now, _ = ex.wait_any(list(futures))
            for f in finished_now:
                u = futures.pop(f)
                block = f.result()
                store = pending_reps[u.point]
                for j, r in enumerate(u.reps):
                    store[r] = block["series"][j]
                seconds[u.point] += block["seconds"]
                cpu[u.point] += block["cpu_seconds"]
                finished += len(u.reps)
                p = points[u.point]
                if len(store) == p.scenario.scenario.replicates:
                    series = np.stack([store[r] for r in range(len(store))])
                    del pending_reps[u.point]
                    res = RunResult(scenario=p.scenario, metrics=block["metrics"], series=series,
                                    n_agents=block["n"], n_arcs=block["arcs"], kols=block["kols"],
                                    funnel=block["funnel"], timing={"compute_s": seconds.pop(u.point),
                                                                 "compute_cpu_s": cpu.pop(u.point)})
                    _save_point(res, out / "points" / p.folder, plots=False)
                if progress:
                    progress(finished, total)
    except BaseException:
        ex.shutdown(cancel=True)
        raise
    ex.shutdown()
    write_table(out, points, keys)
    if plots:
        from .plots import save_sweep_plots
        save_sweep_plots(out, keys)
    manifest["complete"] = True
    manifest["elapsed_s"] = round(time.perf_counter() - t0, 3)
    _atomic_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _save_point(res, folder: Path, plots: bool) -> None:
    """A point's folder appears whole (RunResult.save stages it beside, then renames) or not at all."""
    import tomli_w
    if folder.exists():  # a stale or incomplete folder: replaced whole, never merged
        shutil.rmtree(folder)
    res.save(folder, plots=plots, extra={"scenario.toml": tomli_w.dumps(res.scenario.to_dict())})


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- table


def _cell(v: Any) -> str:
    from .results import fmt
    if isinstance(v, bool) or isinstance(v, str):
        return str(v).lower() if isinstance(v, bool) else v
    if isinstance(v, (int, float)):
        return fmt(v)
    return json.dumps(v)


def write_table(out: Path, points: list[Point], keys: list[str]) -> Path:
    """sweep.csv from the points' summary.json files, in point order."""
    rows, metrics = [], None
    for p in points:
        summary = json.loads((out / "points" / p.folder / "summary.json").read_text())
        m = summary["metrics"]
        if metrics is None:
            metrics = list(m)
        rows.append([_cell(p.values.get(k, "")) for k in keys] +
                    [x for name in metrics for x in (_cell(m[name]["mean"]), _cell(m[name]["ci95"][0]),
                                                     _cell(m[name]["ci95"][1]))])
    header = keys + [f"{name}_{s}" for name in (metrics or []) for s in ("mean", "ci_low", "ci_high")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path = out / SWEEP_CSV
    _atomic_text(path, buf.getvalue())
    return path


def read_table(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(Path(out) / SWEEP_CSV, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


__all__ = ["expand", "run_sweep", "plan_units", "write_table", "read_table", "Point"]
