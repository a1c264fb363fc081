"""Observed series for a fit: OBSERVED.csv with a `step` column and one or more columns
named as wom-sim metrics (adopters, new_adopters, new_neg_messages, negative_reach, ...).

Steps may be missing (a blank cell or an absent row: the distance skips them) and the
series may stop early (then the fit is a forecast: the steps past the data are
predicted). Every problem names the file, the line and the fix.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import WomSimError
from ..files import check_input_file
from ..model.metrics import FLOWS
from ..scenario import nearest

#: a data file larger than this is not a weekly or daily series
MAX_DATA_BYTES = 50_000_000


@dataclass
class Observed:
    """The observed values: metric -> (steps, values), steps ascending, blanks left out."""
    source: str
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return list(self.series)

    @property
    def last_step(self) -> int:
        return max(int(s[-1]) for s, _ in self.series.values())

    def until(self, step: int) -> Observed:
        """Only the observations at steps <= `step` (the training part of a forecast)."""
        out = {}
        for m, (s, v) in self.series.items():
            keep = s <= step
            if keep.any():
                out[m] = (s[keep], v[keep])
        return Observed(self.source, out)

    def after(self, step: int) -> Observed:
        """The observations at steps > `step` (held out)."""
        out = {}
        for m, (s, v) in self.series.items():
            keep = s > step
            if keep.any():
                out[m] = (s[keep], v[keep])
        return Observed(self.source, out)

    def value_at(self, metric: str, step: int) -> float:
        s, v = self.series.get(metric, (np.zeros(0, dtype=np.int64), np.zeros(0)))
        i = np.searchsorted(s, step)
        return float(v[i]) if i < s.size and s[i] == step else math.nan


def read_observed(path: str, metrics: list[str], steps: int) -> Observed:
    """Read OBSERVED.csv against a scenario with these `metrics` and `steps`."""
    check_input_file(path, "data file", MAX_DATA_BYTES)
    try:
        text = open(path, encoding="utf-8-sig", newline="").read()
    except UnicodeDecodeError:
        raise WomSimError(f"{path}: is not a text (UTF-8) CSV file; save the data as CSV") from None
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise WomSimError(f"{path}: is empty; give a header line (step,<metric>,...) and one row per step")
    header = [h.strip() for h in rows[0]]
    if "step" not in header:
        raise WomSimError(f"{path}, line 1: no 'step' column (the header is {','.join(header)!r}); the first line "
                          f"must name the columns, e.g. step,new_adopters")
    cols = {}
    for j, h in enumerate(header):
        if h == "step" or (h == "" and all(len(r) <= j or not r[j].strip() for r in rows[1:])):
            continue
        if h not in metrics:
            raise WomSimError(f"{path}, line 1: column {h!r} is not a wom-sim metric{nearest(h, metrics)}; "
                              f"name the columns after metrics, e.g. {', '.join(('adopters', *FLOWS[:3]))}")
        if h in cols:
            raise WomSimError(f"{path}, line 1: column {h!r} appears twice; keep one")
        cols[h] = j
    if not cols:
        raise WomSimError(f"{path}, line 1: no metric column besides 'step'; add one, e.g. new_adopters")
    js = header.index("step")
    seen: dict[int, int] = {}
    data: dict[str, tuple[list[int], list[float]]] = {m: ([], []) for m in cols}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = row[js].strip() if js < len(row) else ""
        try:
            step = int(cell)
        except ValueError:
            try:
                f = float(cell)
                step = int(f) if f.is_integer() else -1
            except ValueError:
                step = -1
            if step < 0:
                raise WomSimError(f"{path}, line {line}: step {cell!r} is not a whole number; steps count from 0 "
                                  f"(the launch) to scenario.steps") from None
        if not 0 <= step <= steps:
            raise WomSimError(f"{path}, line {line}: step {step} is outside 0..{steps} (scenario.steps = {steps}); "
                              f"drop the row or raise scenario.steps with --set scenario.steps={max(step, 1)}")
        if step in seen:
            raise WomSimError(f"{path}, line {line}: step {step} appears again (first on line {seen[step]}); "
                              f"keep one row per step")
        seen[step] = line
        for m, j in cols.items():
            cell = row[j].strip() if j < len(row) else ""
            if cell == "" or cell.lower() in ("na", "nan", "n/a"):
                continue  # a missing observation
            try:
                v = float(cell)
            except ValueError:
                raise WomSimError(f"{path}, line {line}: {m} = {cell!r} is not a number; write a number, or "
                                  f"leave the cell empty where nothing was observed") from None
            if not math.isfinite(v):
                raise WomSimError(f"{path}, line {line}: {m} = {cell!r} is not a finite number")
            data[m][0].append(step)
            data[m][1].append(v)
    obs = Observed(path)
    for m, (st, vals) in data.items():
        if not st:
            raise WomSimError(f"{path}: column {m!r} has no numbers; fill it or drop it")
        order = np.argsort(st, kind="stable")
        obs.series[m] = (np.asarray(st, dtype=np.int64)[order], np.asarray(vals, dtype=np.float64)[order])
    return obs
