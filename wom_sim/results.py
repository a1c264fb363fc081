"""Results of a run: the per-replicate metric tables, their means and 95% intervals,
and atomic writing of timeseries.csv, replicates.csv, summary.json and the plots."""
from __future__ import annotations

import csv
import io
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import stdtrit  # t quantile; far lighter to import than scipy.stats

from .atomic import staged_folder
from .funnels import Funnel
from .scenario import Scenario

#: metrics shown in the terminal table of `wom-sim run`
HEADLINE = ["adopters", "aware", "negative_reach", "rejected", "npv"]


def fmt(x: float) -> str:
    """Deterministic number text: integers as integers, else 10 significant digits."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".10g")


def csv_text(header: list[str], rows) -> str:
    """CSV with a header row; numbers through `fmt`, so files are byte-stable."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([v if isinstance(v, str) else fmt(v) for v in row])
    return buf.getvalue()


def mean_ci(values: np.ndarray, axis: int = 0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence interval over replicates (axis 0)."""
    values = np.asarray(values, dtype=np.float64)
    r = values.shape[axis]
    mean = values.mean(axis=axis)
    if r < 2:
        return mean, mean.copy(), mean.copy()
    se = values.std(axis=axis, ddof=1) / np.sqrt(r)
    half = stdtrit(r - 1, 0.5 + level / 2) * se
    return mean, mean - half, mean + half


def versions() -> dict[str, str]:
    import networkx
    import scipy
    from . import __version__
    return {"wom_sim": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "networkx": networkx.__version__}


@dataclass
class RunResult:
    """Everything one run produced. `series[r, t, m]`: metric m after step t of replicate r."""
    scenario: Scenario
    metrics: list[str]
    series: np.ndarray
    n_agents: int
    n_arcs: int
    kols: list | str  # the KOL ids, or how they were drawn (per replicate)
    funnel: Funnel
    timing: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------ tables
    def metric(self, name: str) -> np.ndarray:
        """(replicates, steps + 1) values of one metric."""
        return self.series[:, :, self.metrics.index(name)]

    def final(self) -> dict[str, dict]:
        mean, lo, hi = mean_ci(self.series[:, -1, :])
        return {m: {"mean": float(mean[i]), "ci95": [float(lo[i]), float(hi[i])]}
                for i, m in enumerate(self.metrics)}

    @property
    def timeseries(self):
        """Long table: step, metric, mean, ci_low, ci_high (a pandas DataFrame)."""
        import pandas as pd
        return pd.DataFrame(self._timeseries_rows(), columns=["step", "metric", "mean", "ci_low", "ci_high"])

    @property
    def replicates(self):
        """Wide table: replicate, step, one column per metric (a pandas DataFrame)."""
        import pandas as pd
        R, T1, M = self.series.shape
        df = pd.DataFrame(self.series.reshape(R * T1, M), columns=self.metrics)
        df.insert(0, "step", np.tile(np.arange(T1), R))
        df.insert(0, "replicate", np.repeat(np.arange(R), T1))
        return df

    def _timeseries_rows(self):
        mean, lo, hi = mean_ci(self.series)
        for t in range(self.series.shape[1]):
            for i, m in enumerate(self.metrics):
                yield t, m, mean[t, i], lo[t, i], hi[t, i]

    @property
    def summary(self) -> dict:
        sc = self.scenario
        kols = self.kols
        return {
            "scenario": sc.to_dict(),
            "seed": sc.scenario.seed,
            "versions": versions(),
            "n_agents": self.n_agents,
            "n_arcs": self.n_arcs,
            "replicates": int(self.series.shape[0]),
            "steps": int(self.series.shape[1] - 1),
            "kols": kols,
            "metrics": self.final(),
            "timing": {k: round(v, 4) for k, v in self.timing.items()},
        }

    # ------------------------------------------------------------ files
    def _csv_text(self, header: list[str], rows) -> str:
        return csv_text(header, rows)

    def save(self, out_dir: str | Path, plots: bool | None = None, extra: dict[str, str] | None = None) -> Path:
        """Write every file (plus `extra` name -> text files) into `out_dir` atomically:
        all of it is staged in a temporary folder beside it and moved in only once
        complete; a folder that did not exist appears whole or not at all."""
        out = Path(out_dir)
        t0 = time.perf_counter()
        with staged_folder(out) as stage:
            (stage / "timeseries.csv").write_text(
                self._csv_text(["step", "metric", "mean", "ci_low", "ci_high"], self._timeseries_rows()))
            R, T1, M = self.series.shape
            rows = ([r, t, *self.series[r, t]] for r in range(R) for t in range(T1))
            (stage / "replicates.csv").write_text(self._csv_text(["replicate", "step", *self.metrics], rows))
            if plots if plots is not None else self.scenario.output.plots:
                from .plots import save_run_plots
                save_run_plots(self, stage)
            for name, text in (extra or {}).items():
                (stage / name).write_text(text)
            self.timing["write_s"] = time.perf_counter() - t0
            (stage / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        return out

    def plot(self, kind: str = "adoption", ax=None):
        """Draw one figure in a notebook: 'adoption', 'funnel' or 'messages'."""
        from . import plots
        return plots.FIGURES[kind](self, ax=ax)
