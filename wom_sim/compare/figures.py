"""compare-seeding figures: the objective, final adopters and NPV per strategy and
budget, adoption curves, the objective against budget, and the chosen KOLs' followers
against the population."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..model.metrics import label, metric_ci
from ..model.metrics import unit as metric_unit
from ..sweep.table import point_band
from ..viz import style
from ..viz.figure import (
    band_caption,
    count_axis,
    draw_series,
    error_bars,
    mark_coincident,
    new_figure,
    save_figures,
    step_axis,
)


def comparison_figures(cmp: Any) -> dict[str, Figure]:
    """compare-seeding figures, by name: the objective (seeding.objective), final
    adopters and NPV per strategy (per budget, 95% intervals); adoption curves per
    strategy; the objective against budget; the
    chosen KOLs' degree distribution against the population's (the grid's graph)."""
    figs: dict[str, Figure] = {}
    unit = "currency" if cmp.money else "KOLs"
    styles = style.series_styles(cmp.strategies)
    colours = {s: styles[s]["color"] for s in cmp.strategies}
    caption = band_caption(cmp.replicates)

    # 1. the objective, final adopters and NPV per strategy, grouped by budget (bars side
    # by side: none hides another)
    obj = cmp.objective
    panels = [obj] + [m for m in ("adopters", "npv") if m != obj]
    fig, axes = new_figure(6.5 * len(panels), 4.8, dpi=100, nrows=1, ncols=len(panels))
    width = 0.8 / len(cmp.strategies)
    for ax, metric in zip(axes, panels):
        ylabel = f"final {label(metric)} ({metric_unit(metric)})" + (" - the objective" if metric == obj else "")
        i = cmp.metrics.index(metric)
        for j, s in enumerate(cmp.strategies):
            m, lo, hi = metric_ci(np.stack([cmp.finals[(s, b)][:, i] for b in cmp.budgets], axis=1), metric)
            ax.bar(np.arange(len(cmp.budgets)) + (j - (len(cmp.strategies) - 1) / 2) * width, m, width,
                   yerr=error_bars(m, lo, hi), capsize=2, label=s, color=colours[s])
        ax.set_xticks(np.arange(len(cmp.budgets)), [fmt_budget(b) for b in cmp.budgets])
        ax.set_xlabel(f"budget ({unit})")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{label(metric)} by strategy ({band_caption(cmp.replicates, '95% interval')})", fontsize=10)
        count_axis(ax, metric)
    axes[0].legend(fontsize=8)
    figs["strategies_final"] = fig

    # 2. adoption curves per strategy, one panel per budget
    fig, axes = new_figure(5 * len(cmp.budgets), 4.2, dpi=100, nrows=1, ncols=len(cmp.budgets), squeeze=False)
    for ax, b in zip(axes[0], cmp.budgets):
        ax.set_title(f"budget {fmt_budget(b)} {unit}", fontsize=10)
        draw_series(ax, {s: point_band(cmp.folders[(s, b)], "adopters") for s in cmp.strategies}, styles)
        step_axis(ax, cmp.unit)
        ax.set_ylabel("adopters (agents)")
        count_axis(ax)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"Adoption over time per strategy ({caption})")
    figs["strategies_adoption"] = fig

    # 3. the budget curve: the objective against budget, from no KOLs (budget 0), with
    # the knee of the best strategy at the largest budget marked
    fig, ax = new_figure(7, 4.5, dpi=100)
    ax.set_title(f"{label(obj)} at the horizon against budget ({caption})")
    i = cmp.metrics.index(obj)
    series = {}
    for s in cmp.strategies:
        vals = np.stack([cmp.finals[(s, b)][:, i] for b in cmp.budgets], axis=1)
        if cmp.unseeded is not None:
            vals = np.column_stack([cmp.unseeded[:, i], vals])
        m, lo, hi = metric_ci(vals, obj)
        series[s] = (np.array(([0.0] if cmp.unseeded is not None else []) + list(cmp.budgets), dtype=float),
                     m, lo, hi)
    draw_series(ax, series, styles)
    if cmp.unseeded is not None:
        best = cmp.ranking(cmp.budgets[-1])[0]
        x, y, k = cmp.budget_curve(best)
        if k is not None:
            ax.plot([x[k]], [y[k]], marker="o", ms=12, mfc="none", mec="black", mew=1.5, ls="none",
                    label=f"knee of {best}: budget {fmt_budget(x[k])}", zorder=5)
    ax.set_xlabel(f"budget ({unit})")
    ax.set_ylabel(f"final {label(obj)} ({metric_unit(obj)})")
    count_axis(ax, obj)
    ax.legend(fontsize=8)
    figs["spread_vs_budget"] = fig

    # 4. chosen KOLs' degree distribution against the population's (largest budget)
    if cmp.degrees is not None:
        deg = cmp.degrees
        fig, ax = new_figure(7, 4.5, dpi=100)
        b = cmp.budgets[-1]
        ax.set_title(f"Chosen KOLs' followers vs the population (budget {fmt_budget(b)} {unit})", fontsize=10)
        drawn = {"population": _ccdf(ax, deg, "population", {"color": style.NEUTRAL, "lw": 2})}
        for s in cmp.strategies:
            ch = cmp.choices[(s, b)]
            if ch.kols is not None and ch.kols.size:
                drawn[s] = _ccdf(ax, deg[ch.kols], s, styles[s])
        mark_coincident(ax, {s: c for s, c in drawn.items() if c is not None and s != "population"})
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("followers (out-degree)")
        ax.set_ylabel("fraction with at least this many (CCDF)")
        ax.legend(fontsize=8)
        if any(c is not None for c in drawn.values()):  # no followers anywhere: no figure
            figs["kol_degrees"] = fig
    return figs


def save_comparison_plots(cmp: Any) -> list[Path]:
    """Write comparison_figures(cmp) as PNG files into the comparison's folder."""
    return save_figures(comparison_figures(cmp), cmp.out)


def fmt_budget(b: float) -> str:
    """A budget as written: 20 or 5000.5."""
    return f"{b:g}" if isinstance(b, float) else str(b)


def _ccdf(ax: Axes, values: np.ndarray, label: str, look: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The complementary CDF of positive values as a step line; its (x, y), or None when
    there is nothing to draw."""
    v = np.sort(values[values > 0])
    if v.size == 0:
        return None
    frac = 1.0 - np.arange(v.size) / v.size
    ax.step(v, frac, where="post", label=label, **{"lw": 1.2, "ms": 4, **look})
    return v, frac
