"""Sweep figures: each headline metric against each swept key (95% bands; one line per
value of the other keys), and a heatmap of each metric for a two-key grid."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..model.metrics import unit
from ..viz import style
from ..viz.figure import new_figure, save_figure
from .table import read_table

SWEEP_METRICS = ["adopters", "aware", "negative_reach", "rejected", "npv", "responses"]


def _numeric(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def save_sweep_plots(out: Path, keys: list[str]) -> list[Path]:
    """sweep_<key>.png for each swept key, and heatmap_<metric>.png for a two-key grid."""
    header, rows = read_table(out)
    paths: list[Path] = []
    for key in keys:
        others = [k for k in keys if k != key]
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(row[k] for k in others), []).append(row)
        shown = list(groups.items())[:8]
        styles = style.series_styles([str(g) for g, _ in shown])
        fig, axes = new_figure(13, 7, dpi=100, nrows=2, ncols=3)
        for ax, metric in zip(axes.flat, SWEEP_METRICS):
            for gval, grows in shown:
                xs_raw = [r[key] for r in grows]
                xs = _numeric(xs_raw)
                pos = xs if xs is not None else np.arange(len(xs_raw))
                mean = np.array([float(r[f"{metric}_mean"]) for r in grows])
                lo = np.array([float(r[f"{metric}_ci_low"]) for r in grows])
                hi = np.array([float(r[f"{metric}_ci_high"]) for r in grows])
                order = np.argsort(pos, kind="stable")
                label = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in zip(others, gval)) or None
                st = styles[str(gval)]
                line, = ax.plot(pos[order], mean[order], ms=3, label=label, **st)
                ax.fill_between(pos[order], lo[order], hi[order], alpha=0.2, color=line.get_color(), linewidth=0)
                if xs is None:
                    ax.set_xticks(np.arange(len(xs_raw)), xs_raw, rotation=30)
            ax.set_xlabel(key)
            ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit(metric)})")
            ax.set_title(metric.replace("_", " "), fontsize=10)
        if others and len(groups) > 1:
            axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Final metrics against {key} (mean over replicates, 95% band)")
        paths += save_figure(fig, Path(out) / f"sweep_{key.replace('.', '_')}.png")
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
            ax.set_xlabel(b)
            ax.set_ylabel(a)
            fig.colorbar(im, ax=ax, label=f"{metric.replace('_', ' ')} ({unit(metric)}, mean)")
            ax.set_title(f"{metric.replace('_', ' ')} over the {a} x {b} grid")
            paths += save_figure(fig, Path(out) / f"heatmap_{metric}.png")
    return paths
