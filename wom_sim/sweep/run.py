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

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from ..errors import ScenarioError, WomSimError
from ..execution import check_grid_fits, make_executor, run_unit
from ..files import MARKER, atomic_write_text, written_by_wom_sim
from ..results import RunResult
from ..scenario import Scenario, load_scenario
from .figures import save_sweep_plots
from .grid import Point, Unit, expand, plan_units
from .table import SWEEP_CSV, write_table

MANIFEST = "manifest.json"


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
    if out.exists() and not out.is_dir():
        raise WomSimError(f"{out}: is a file, not a folder; choose another output folder (-o DIR)")
    if not mpath.exists() and out.is_dir() and any(out.iterdir()) and not written_by_wom_sim(out):
        raise WomSimError(f"{out}: holds files that wom-sim did not write, and wom-sim never writes over them; "
                          f"choose another output folder (-o DIR)")
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
                f"{out} holds the results of a different scenario "
                f"({old.get('scenario', {}).get('scenario', {}).get('name', '?')!r}"
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
        _clean_partials(out)
        for p in points:
            if _point_complete(out / "points" / p.folder, p):
                done.add(p.index)
    return done


def _clean_partials(out: Path) -> None:
    """What a killed sweep left half-written: staging folders (.NAME.partial-*) and
    temporary files (.NAME.*.partial), wom-sim's own by their names."""
    for folder in (out, out / "points"):
        if folder.is_dir():
            for stale in folder.glob(".*.partial*"):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)


def run_sweep(scenario: Scenario | dict | str | Path, out: str | Path, *, workers: int = 1,
              scheduler: str | None = None, resume: bool = False, force: bool = False, plots: bool = True,
              progress: Callable[[int, int], None] | None = None,
              kols: Callable[[Point], np.ndarray | None] | None = None,
              points: list[Point] | None = None) -> dict:
    """Run every point of a scenario's [sweep] grid into folder `out`; return the
    manifest. See the module docstring for the folder's layout.

    `workers` local processes, or a Dask cluster at `scheduler`; the numbers are the
    same either way. `resume` keeps finished points, `force` starts over. `kols(point)`
    may give a point's KOLs, picked once by the caller (compare-seeding picks expensive
    strategies in the parent and times them); None keeps the scenario's own seeding.
    `points` (from `expand`, e.g. an explicit list of combos for bench-response)
    replaces the scenario's [sweep] grid.

    >>> import tempfile, wom_sim
    >>> sc = {"scenario": {"steps": 5, "replicates": 2}, "graph": {"n": 300},
    ...       "sweep": {"response.delay": [0, 4]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     manifest = wom_sim.run_sweep(sc, d + "/grid", plots=False)
    >>> [p["folder"] for p in manifest["points"]]
    ['points/0000_delay-0', 'points/0001_delay-4']
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if not sc.sweep and points is None:
        raise ScenarioError(f"{sc.source}: has no [sweep] table; add one, e.g.\n"
                            "  [sweep]\n  \"response.delay\" = [0, 1, 2, 4]\n"
                            "(or use `wom-sim run` for a single scenario)")
    out = Path(out)
    points = points if points is not None else expand(sc)
    keys = list(dict.fromkeys(k for p in points for k in p.values))
    check_grid_fits([(p.folder, p.scenario) for p in points], 1 if scheduler else workers)
    ex = make_executor(workers, scheduler)  # first: an unreachable scheduler leaves no folder behind
    try:
        done = prepare_folder(out, sc, points, resume, force)
    except BaseException:
        ex.shutdown(cancel=True)
        raise
    (out / "points").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / MARKER, "written by wom-sim; --force may replace the files it wrote here\n")
    manifest = {"scenario": json.loads(json.dumps(sc.to_dict())), **sc.scenario.unit.to_json(), "keys": keys,
                "points": [{"index": p.index, "values": p.values, "folder": f"points/{p.folder}"} for p in points],
                "complete": False}
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")

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
    futures: dict[Any, Unit] = {}
    try:
        queue = list(units)
        limit = max(2 * workers, 4) if not scheduler else len(queue)
        while queue or futures:
            while queue and len(futures) < limit:
                u = queue.pop(0)
                futures[ex.submit(run_unit, points[u.point].scenario.to_dict(), u.reps, picks[u.point])] = u
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
        save_sweep_plots(out, keys, sc.scenario.unit)
    manifest["complete"] = True
    manifest["elapsed_s"] = round(time.perf_counter() - t0, 3)
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _save_point(res: RunResult, folder: Path, plots: bool) -> None:
    """A point's folder appears whole (RunResult.save stages it beside, then renames) or not at all."""
    if folder.exists():  # a stale or incomplete folder: replaced whole, never merged
        shutil.rmtree(folder)
    res.save(folder, plots=plots, extra={"scenario.toml": tomli_w.dumps(res.scenario.to_dict())})
