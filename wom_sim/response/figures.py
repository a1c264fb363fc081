"""bench-response figures: final metrics against the delay per policy (the phase
transition, with the percolation critical delay), negative messages over time, and
responses made against negative reach avoided."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from ..stats import mean_ci
from ..sweep.table import point_band
from ..viz import style
from ..viz.figure import new_figure, save_figure


def save_response_plots(bench: Any) -> list[Path]:
    """bench-response figures: the phase-transition figure (negative reach, rejected,
    adopters, NPV against delay per policy, 95% bands, the no-response level dashed,
    the percolation critical delay marked); negative messages over time per delay;
    responses made against negative reach avoided (cost against benefit)."""
    out = Path(bench.out)
    paths: list[Path] = []
    styles = style.series_styles([p.label for p in bench.policies])
    colours = {p.label: styles[p.label]["color"] for p in bench.policies}
    delays = np.array(bench.delays)

    fig, axes = new_figure(12, 8, dpi=100, nrows=2, ncols=2)
    for ax, metric, unit in zip(axes.flat, ("negative_reach", "rejected", "adopters", "npv"),
                                ("agents", "agents", "agents", "currency units")):
        i = bench.metrics.index(metric)
        for p in bench.policies:
            stats = [mean_ci(bench.finals[(p.label, d)][:, i]) for d in bench.delays]
            m = np.array([float(x[0]) for x in stats])
            ax.plot(delays, m, ms=4, label=p.label, **styles[p.label])
            ax.fill_between(delays, [float(x[1]) for x in stats], [float(x[2]) for x in stats],
                            alpha=0.2, color=colours[p.label], linewidth=0)
        base = bench.finals[(bench.baseline, 0)][:, i].mean()
        ax.axhline(base, ls="--", color=style.NEUTRAL, lw=1, label="no response")
        crit = bench.theory.get("critical_delay_generating_function")
        if crit is not None:
            ax.axvline(crit, ls=":", color=style.NEGATIVE, lw=1, label=f"percolation: T(d) > T_c from d = {crit}")
        if delays.max() > 8 * max(delays[delays > 0].min(initial=1), 1):
            ax.set_xscale("symlog", linthresh=1)
            ax.set_xticks(delays, [str(d) for d in bench.delays])
            ax.minorticks_off()
        ax.set_xlabel("response delay (steps)")
        ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit})")
        ax.set_title(metric.replace("_", " "), fontsize=10)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Response delay: final metrics per policy (mean, 95% band)")
    paths += save_figure(fig, out / "response_delay.png")

    # negative messages over time, one line per delay (first policy)
    p0 = bench.policies[0]
    fig, ax = new_figure(8, 4.5, dpi=100)
    cmap = matplotlib.colormaps["viridis"].resampled(max(len(bench.delays), 2))
    for j, d in enumerate(bench.delays):
        steps, mean, lo, hi = point_band(bench.folders[(p0.label, d)], "new_neg_messages")
        ax.plot(steps, mean, color=cmap(j), label=f"delay {d}")
        ax.fill_between(steps, lo, hi, color=cmap(j), alpha=0.15, linewidth=0)
    ax.set_xlabel("step")
    ax.set_ylabel("negative messages per step (count)")
    ax.set_title(f"Negative word of mouth over time ({p0.label}; mean, 95% band)")
    ax.legend(fontsize=7, ncol=2)
    paths += save_figure(fig, out / "negative_messages.png")

    # cost against benefit
    fig, ax = new_figure(7.5, 5, dpi=100)
    ir = bench.metrics.index("responses")
    for p in bench.policies:
        xs, ys, below, above = [], [], [], []
        for d in bench.delays:
            xs.append(bench.finals[(p.label, d)][:, ir].mean())
            m, l_, h_ = bench.avoided(p.label, d)
            ys.append(m)
            below.append(m - l_)
            above.append(h_ - m)
        ax.errorbar(xs, ys, yerr=[below, above], ms=4, capsize=2, label=p.label, **styles[p.label])
        for x, y, d in zip(xs, ys, bench.delays):
            ax.annotate(f"d={d}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0, color="#999999", lw=0.8)
    ax.set_xlabel("responses made (count, mean per replicate)")
    ax.set_ylabel("negative reach avoided vs no response (agents)")
    ax.set_title("Cost against benefit (paired 95% intervals)")
    ax.legend(fontsize=8)
    paths += save_figure(fig, out / "cost_benefit.png")
    return paths
