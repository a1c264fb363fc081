"""compare-seeding figures: final adopters and NPV per strategy and budget, adoption
curves, spread against budget, and the chosen KOLs' followers against the population."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from ..graphs.csr import CSRGraph
from ..stats import mean_ci
from ..sweep import Point
from ..sweep.table import point_band
from ..viz import style
from ..viz.figure import new_figure, save_figure


def save_comparison_plots(cmp: Any, points: list[Point], budget_key: str, graph: CSRGraph) -> list[Path]:
    """compare-seeding figures: final adopters and NPV per strategy (per budget, 95%
    intervals); adoption curves per strategy; spread against budget; the chosen KOLs'
    degree distribution against the population's (on `graph`, the grid's graph)."""
    out = Path(cmp.out)
    paths: list[Path] = []
    unit = "currency" if cmp.money else "KOLs"
    styles = style.series_styles(cmp.strategies)
    colours = {s: styles[s]["color"] for s in cmp.strategies}

    # 1. final adopters and NPV per strategy, grouped by budget
    fig, axes = new_figure(13, 4.8, dpi=100, nrows=1, ncols=2)
    width = 0.8 / len(cmp.strategies)
    for ax, metric, ylabel in ((axes[0], "adopters", "final adopters (agents)"),
                               (axes[1], "npv", "NPV (currency units)")):
        i = cmp.metrics.index(metric)
        for j, s in enumerate(cmp.strategies):
            stats = [mean_ci(cmp.finals[(s, b)][:, i]) for b in cmp.budgets]
            m = np.array([float(x[0]) for x in stats])
            err = np.array([[m_ - float(x[1]) for m_, x in zip(m, stats)],
                            [float(x[2]) - m_ for m_, x in zip(m, stats)]])
            ax.bar(np.arange(len(cmp.budgets)) + (j - (len(cmp.strategies) - 1) / 2) * width, m, width,
                   yerr=err, capsize=2, label=s, color=colours[s])
        ax.set_xticks(np.arange(len(cmp.budgets)), [fmt_budget(b) for b in cmp.budgets])
        ax.set_xlabel(f"budget ({unit})")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{metric} by strategy (mean, 95% interval)", fontsize=10)
    axes[0].legend(fontsize=8)
    paths += save_figure(fig, out / "strategies_final.png")

    # 2. adoption curves per strategy, one panel per budget
    fig, axes = new_figure(5 * len(cmp.budgets), 4.2, dpi=100, nrows=1, ncols=len(cmp.budgets), squeeze=False)
    by_key = {(p.scenario.seeding.strategy, p.values[budget_key]): p for p in points}
    for ax, b in zip(axes[0], cmp.budgets):
        for s in cmp.strategies:
            steps, mean, lo, hi = point_band(out / "points" / by_key[(s, b)].folder, "adopters")
            ax.plot(steps, mean, label=s, color=colours[s], linestyle=styles[s]["linestyle"])
            ax.fill_between(steps, lo, hi, alpha=0.2, color=colours[s], linewidth=0)
        ax.set_xlabel("step")
        ax.set_ylabel("adopters (agents)")
        ax.set_title(f"budget {fmt_budget(b)} {unit}", fontsize=10)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Adoption over time per strategy (mean, 95% band)")
    paths += save_figure(fig, out / "strategies_adoption.png")

    # 3. spread against budget
    fig, ax = new_figure(7, 4.5, dpi=100)
    i = cmp.metrics.index("adopters")
    for s in cmp.strategies:
        stats = [mean_ci(cmp.finals[(s, b)][:, i]) for b in cmp.budgets]
        ax.plot(cmp.budgets, [float(x[0]) for x in stats], label=s, **styles[s])
        ax.fill_between(cmp.budgets, [float(x[1]) for x in stats], [float(x[2]) for x in stats],
                        alpha=0.2, color=colours[s], linewidth=0)
    ax.set_xlabel(f"budget ({unit})")
    ax.set_ylabel("final adopters (agents)")
    ax.set_title("Spread against budget (mean, 95% band)")
    ax.legend(fontsize=8)
    paths += save_figure(fig, out / "spread_vs_budget.png")

    # 4. chosen KOLs' degree distribution against the population's (largest budget)
    deg = graph.out_degree()
    fig, ax = new_figure(7, 4.5, dpi=100)
    _ccdf(ax, deg, "population", style.NEUTRAL, lw=2)
    b = cmp.budgets[-1]
    for s in cmp.strategies:
        ch = cmp.choices[(s, b)]
        if ch.kols is not None and ch.kols.size:
            _ccdf(ax, deg[ch.kols], s, colours[s])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers (out-degree)")
    ax.set_ylabel("fraction with at least this many (CCDF)")
    ax.set_title(f"Chosen KOLs' followers vs the population (budget {fmt_budget(b)} {unit})", fontsize=10)
    ax.legend(fontsize=8)
    paths += save_figure(fig, out / "kol_degrees.png")
    return paths


def fmt_budget(b: float) -> str:
    """A budget as written: 20 or 5000.5."""
    return f"{b:g}" if isinstance(b, float) else str(b)


def _ccdf(ax: Axes, values: np.ndarray, label: str, colour: Any, lw: float = 1.2) -> None:
    v = np.sort(values[values > 0])
    if v.size == 0:
        return
    frac = 1.0 - np.arange(v.size) / v.size
    ax.step(v, frac, where="post", label=label, color=colour, lw=lw)
