"""The result of a run: per-replicate metric tables, their means and 95% intervals, and
the files that hold them (timeseries.csv, replicates.csv, summary.json, figures), written
atomically and read back by :meth:`RunResult.load`."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import WomSimError
from ..files import claim_folder, csv_columns, csv_text, staged_folder
from ..funnels import Funnel
from ..graphs.csr import repeat_index
from ..meta import versions
from ..model.metrics import metric_ci
from ..model.rules import funnel_of
from ..scenario import Scenario, load_scenario
from ..seeding import KOL_COLUMNS
from ..viz.run import FIGURES, save_run_figures

if TYPE_CHECKING:
    import pandas as pd

#: the files of a run folder
TIMESERIES, REPLICATES, SUMMARY, KOLS = "timeseries.csv", "replicates.csv", "summary.json", "kols.csv"
TIMESERIES_COLUMNS = ["step", "metric", "mean", "ci_low", "ci_high"]


def _bound(x: float) -> float | None:
    """An interval bound for JSON: None where it is undefined (JSON has no NaN)."""
    return float(x) if np.isfinite(x) else None


@dataclass
class RunResult:
    """Everything one run produced. `series[r, t, m]`: metric m after step t of replicate r.

    >>> import wom_sim
    >>> res = wom_sim.run({"scenario": {"steps": 5, "replicates": 3}, "graph": {"n": 500}})
    >>> res.series.shape[:2]
    (3, 6)
    >>> res.final()["adopters"]["mean"] >= 20   # the 20 KOLs count as adopters
    True
    """
    scenario: Scenario
    metrics: list[str]
    series: np.ndarray
    n_agents: int
    n_arcs: int
    kols: list[int] | str  # the KOL ids, or how they were drawn (per replicate)
    funnel: Funnel
    timing: dict[str, float] = field(default_factory=dict)
    #: what reading the graph found (an edge list's header, labels, top accounts: graphs.io.reading_report)
    graph_notes: list[str] = field(default_factory=list)
    #: kols.csv rows (seeding.KOL_COLUMNS): who was paid, in the user's labels
    kol_table: list[list[Any]] = field(default_factory=list)
    #: who told whom (results.trace) when the run was asked to trace, and the graph's labels
    trace: dict[str, np.ndarray] | None = None
    trace_format: str = "csv"
    agent_labels: list[str] | None = None

    # ------------------------------------------------------------ tables
    def metric(self, name: str) -> np.ndarray:
        """(replicates, steps + 1) values of one metric."""
        return self.series[:, :, self.metrics.index(name)]

    def final(self) -> dict[str, dict[str, Any]]:
        """Each metric at the last step: {"mean": ..., "ci95": [low, high]}; a count's
        interval stops at 0, and with fewer than 3 replicates it is [None, None] (no
        interval is meaningful: wom_sim.stats)."""
        mean, lo, hi = metric_ci(self.series[:, -1, :], self.metrics)
        return {m: {"mean": float(mean[i]), "ci95": [_bound(lo[i]), _bound(hi[i])]}
                for i, m in enumerate(self.metrics)}

    @property
    def timeseries(self) -> pd.DataFrame:
        """Long table: step, metric, mean, ci_low, ci_high."""
        import pandas as pd  # on use: pandas costs a bare `wom-sim run` 0.3 s and 30 MB
        return pd.DataFrame(dict(zip(TIMESERIES_COLUMNS, self._timeseries_columns())))

    @property
    def replicates(self) -> pd.DataFrame:
        """Wide table: replicate, step, one column per metric."""
        import pandas as pd
        return pd.DataFrame(dict(zip(["replicate", "step", *self.metrics], self._replicates_columns())))

    def _timeseries_columns(self) -> list[Any]:
        """The long table's columns (TIMESERIES_COLUMNS): step by step, each metric's mean
        and 95% interval (what timeseries.csv and `timeseries` hold)."""
        T1, M = self.series.shape[1], self.series.shape[2]
        mean, lo, hi = metric_ci(self.series, self.metrics)
        return [np.repeat(np.arange(T1), M), self.metrics * T1, mean.ravel(), lo.ravel(), hi.ravel()]

    def _replicates_columns(self) -> list[Any]:
        """The wide table's columns: replicate, step, one per metric (replicates.csv, `replicates`)."""
        R, T1, M = self.series.shape
        return [repeat_index(np.full(R, T1)), np.tile(np.arange(T1), R), *self.series.reshape(R * T1, M).T]

    @property
    def summary(self) -> dict[str, Any]:
        """What summary.json holds (docs/model.md section 8)."""
        sc = self.scenario
        return {
            "scenario": sc.to_dict(),
            "seed": sc.scenario.seed,
            **sc.scenario.unit.to_json(),
            "versions": versions(),
            "n_agents": self.n_agents,
            "n_arcs": self.n_arcs,
            "replicates": int(self.series.shape[0]),
            "steps": int(self.series.shape[1] - 1),
            "kols": self.kols,
            **({"graph_notes": self.graph_notes} if self.graph_notes else {}),
            "metrics": self.final(),
            "timing": {k: round(v, 4) for k, v in self.timing.items()},
        }

    # ------------------------------------------------------------ files
    def save(self, out_dir: str | Path, plots: bool | None = None, extra: dict[str, str] | None = None,
             force: bool = False) -> Path:
        """Write every file (plus `extra` name -> text files) into `out_dir` atomically:
        all of it is staged in a temporary folder beside it and moved in only once
        complete; a folder that did not exist appears whole or not at all. A folder that
        wom-sim wrote before is replaced only with `force`; one holding other files never
        is (files.claim_folder)."""
        import time
        out = claim_folder(out_dir, force=force)
        t0 = time.perf_counter()
        with staged_folder(out) as stage:
            (stage / TIMESERIES).write_text(csv_columns(TIMESERIES_COLUMNS, self._timeseries_columns()))
            (stage / REPLICATES).write_text(csv_columns(["replicate", "step", *self.metrics],
                                                        self._replicates_columns()))
            if self.kol_table:
                (stage / KOLS).write_text(csv_text(KOL_COLUMNS, self.kol_table))
            if plots if plots is not None else self.scenario.output.plots:
                save_run_figures(self, stage)
            for name, text in (extra or {}).items():
                (stage / name).write_text(text)
            if self.trace is not None:
                from .trace import trace_text, write_trace_parquet
                if self.trace_format == "parquet":
                    write_trace_parquet(self.trace, stage / "trace.parquet", self.agent_labels)
                else:
                    (stage / "trace.csv").write_text(trace_text(self.trace, self.agent_labels))
            self.timing["write_s"] = time.perf_counter() - t0
            (stage / SUMMARY).write_text(json.dumps(self.summary, indent=2) + "\n")
        return out

    @classmethod
    def load(cls, folder: str | Path) -> RunResult:
        """A result read back from a run folder (summary.json and replicates.csv).

        >>> import tempfile, wom_sim
        >>> res = wom_sim.run({"scenario": {"steps": 3, "replicates": 2}, "graph": {"n": 300}})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     back = wom_sim.RunResult.load(res.save(d + "/run", plots=False))
        >>> bool((back.series == res.series).all())
        True
        """
        folder = Path(folder)
        try:
            summary = json.loads((folder / SUMMARY).read_text())
            with open(folder / REPLICATES, newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                rows = np.array([[float(x) for x in r] for r in reader], dtype=np.float64)
        except (OSError, ValueError, StopIteration) as exc:
            raise WomSimError(f"{folder}: not a readable wom-sim run folder ({exc}); it needs {SUMMARY} "
                              f"and {REPLICATES} as `wom-sim run` writes them") from None
        sc = load_scenario(summary["scenario"])
        sc._source = str(folder / SUMMARY)
        metrics = header[2:]
        R, T1 = int(summary["replicates"]), int(summary["steps"]) + 1
        series = rows[:, 2:].reshape(R, T1, len(metrics))
        timing = {k: float(v) for k, v in summary.get("timing", {}).items()}
        kol_table = []
        if (folder / KOLS).exists():
            with open(folder / KOLS, newline="") as fh:
                kol_table = list(csv.reader(fh))[1:]
        return cls(scenario=sc, metrics=metrics, series=series, n_agents=int(summary["n_agents"]),
                   n_arcs=int(summary["n_arcs"]), kols=summary["kols"], funnel=funnel_of(sc), timing=timing,
                   graph_notes=list(summary.get("graph_notes", [])), kol_table=kol_table)

    def plot(self, kind: str = "adoption", ax: Axes | None = None) -> Figure:
        """One figure, for a notebook: 'adoption', 'funnel' or 'messages'."""
        if kind not in FIGURES:
            raise ValueError(f"kind = {kind!r}: choose one of {', '.join(FIGURES)}")
        return FIGURES[kind](self, ax=ax)
