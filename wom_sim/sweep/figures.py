"""Sweep figures: each headline metric against each swept key (95% bands; one line per
value of the other keys), and a heatmap of each metric for a two-key grid."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..model.metrics import unit
from ..scenario import StepUnit
from ..viz.figure import Series, band_caption, count_axis, draw_series, integer_axis, new_figure, save_figures
from .table import read_table

SWEEP_METRICS = ["adopters", "aware", "negative_reach", "rejected", "npv", "responses"]


def _numeric(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def _recorded(out: Path) -> tuple[StepUnit, int]:
    """The step unit and the replicates per point, as the sweep's manifest records them."""
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return StepUnit(), 0
    return StepUnit.from_json(manifest), int(manifest.get("scenario", {}).get("scenario", {}).get("replicates", 0))


def sweep_figures(out: Path, keys: list[str], step_unit: StepUnit | None = None) -> dict[str, Figure]:
    """sweep_<key> for each swept key, and heatmap_<metric> for a two-key grid, from
    sweep.csv (the step unit: `step_unit`, else the one manifest.json records)."""
    header, rows = read_table(out)
    recorded, replicates = _recorded(out)
    step_unit = step_unit or recorded
    figs: dict[str, Figure] = {}
    for key in keys:
        others = [k for k in keys if k != key]
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(row[k] for k in others), []).append(row)
        shown = list(groups.items())[:8]
        fig, axes = new_figure(13, 7, dpi=100, nrows=2, ncols=3)
        whole = True
        for ax, metric in zip(axes.flat, SWEEP_METRICS):
            ax.set_title(metric.replace("_", " "), fontsize=10)
            series: dict[str, Series] = {}
            for gval, grows in shown:
                xs_raw = [r[key] for r in grows]
                xs = _numeric(xs_raw)
                pos = xs if xs is not None else np.arange(len(xs_raw))
                whole = whole and xs is not None and bool(np.all(np.mod(xs, 1) == 0))
                order = np.argsort(pos, kind="stable")
                mean, lo, hi = (np.array([float(r[f"{metric}_{s}"]) for r in grows])[order]
                                for s in ("mean", "ci_low", "ci_high"))
                label = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in zip(others, gval)) or metric
                series[label] = (pos[order], mean, lo, hi)
                if xs is None:
                    ax.set_xticks(np.arange(len(xs_raw)), xs_raw, rotation=30)
            draw_series(ax, series, ms=5)
            if whole:
                integer_axis(ax)
            ax.set_xlabel(step_unit.key(key))
            ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit(metric)})")
            count_axis(ax, metric)
        if others and len(groups) > 1:
            axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Final metrics against {step_unit.key(key)} ({band_caption(replicates or 3)} over replicates)")
        figs[f"sweep_{key.replace('.', '_')}"] = fig
    if len(keys) == 2:
        a, b = keys
        av = list(dict.fromkeys(r[a] for r in rows))
        bv = list(dict.fromkeys(r[b] for r in rows))
        for metric in SWEEP_METRICS:
            grid = np.full((len(av), len(bv)), np.nan)
            for r in rows:
                grid[av.index(r[a]), bv.index(r[b])] = float(r[f"{metric}_mean"])
            fig, ax = new_figure(7, 5, dpi=100)
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(np.arange(len(bv)), bv)
            ax.set_yticks(np.arange(len(av)), av)
            ax.set_xlabel(step_unit.key(b))
            ax.set_ylabel(step_unit.key(a))
            fig.colorbar(im, ax=ax, label=f"{metric.replace('_', ' ')} ({unit(metric)}, mean)")
            ax.set_title(f"{metric.replace('_', ' ')} over the {a} x {b} grid")
            figs[f"heatmap_{metric}"] = fig
    return figs


def save_sweep_plots(out: Path, keys: list[str], step_unit: StepUnit | None = None) -> list[Path]:
    """sweep_<key>.png for each swept key, and heatmap_<metric>.png for a two-key grid."""
    return save_figures(sweep_figures(out, keys, step_unit), out)
