"""sweep.csv: one row per point (the swept values, then mean, ci_low and ci_high of
every metric), built from the points' summary.json files in point order, so a resumed
sweep writes the same bytes; and the final metrics of each replicate of a point.
An interval that is undefined (fewer than 3 replicates) is written "nan", as in every
CSV file wom-sim writes."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..files import fmt, write_csv
from ..model.metrics import metric_ci
from ..results import RunResult
from .grid import Point

SWEEP_CSV = "sweep.csv"


def _cell(v: Any) -> str:
    if v is None:  # an undefined interval bound in summary.json
        return fmt(math.nan)
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return v
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
    return write_csv(out / SWEEP_CSV, header, rows)


def read_table(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    """sweep.csv as (header, rows as dicts of text)."""
    with open(Path(out) / SWEEP_CSV, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def final_rows(folder: Path) -> tuple[list[str], np.ndarray]:
    """Each replicate's metrics at the last step, from a point's run folder: (names, (R, M))."""
    res = RunResult.load(folder)
    return res.metrics, res.series[:, -1, :]


def point_band(folder: Path, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(steps, mean, ci_low, ci_high) of one metric over a point's replicates."""
    res = RunResult.load(folder)
    mean, lo, hi = metric_ci(res.metric(metric), metric)
    return np.arange(mean.size), mean, lo, hi
