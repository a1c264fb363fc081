"""bench-response figures: final metrics against the delay per policy (the phase
transition, with the percolation critical delay), negative messages over time, and
responses made against negative reach avoided."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..model.metrics import metric_ci, unit
from ..results import RunResult
from ..viz import style
from ..viz.figure import (
    band_caption,
    count_axis,
    draw_series,
    error_bars,
    integer_axis,
    mark_coincident,
    marker_size,
    new_figure,
    save_figures,
    step_axis,
)
from ..viz.run import has_messages


def response_figures(bench: Any) -> dict[str, Figure]:
    """bench-response figures, by name: the phase-transition figure (negative reach,
    rejected, adopters, NPV against delay per policy, 95% bands, the no-response level
    dashed, the percolation critical delay marked); negative messages over time per
    delay (not made when no message was sent, as in Bass mode); responses made against
    negative reach avoided (cost against benefit)."""
    figs: dict[str, Figure] = {}
    if bench.teams:
        return {"teams": teams_figure(bench)}
    labels = [p.label for p in bench.policies]
    styles = style.series_styles(labels)
    delays = np.array(bench.delays)
    u = bench.unit
    caption = band_caption(bench.replicates)

    fig, axes = new_figure(15, 8, dpi=100, nrows=2, ncols=3)
    for ax, metric in zip(axes.flat, ("negative_reach", "rejected", "adopters", "npv", "response_cost", "net_npv")):
        i = bench.metrics.index(metric)
        ax.set_title(metric.replace("_", " "), fontsize=10)
        series = {}
        for p in bench.policies:
            m, lo, hi = metric_ci(np.stack([bench.finals[(p.label, d)][:, i] for d in bench.delays], axis=1), metric)
            series[p.label] = (delays, m, lo, hi)
        draw_series(ax, series, styles)
        base = bench.finals[(bench.baseline, 0)][:, i].mean()
        ax.axhline(base, ls="--", color=style.NEUTRAL, lw=1, label="no response")
        crit = bench.theory.get("critical_delay_generating_function")
        if crit is not None:
            ax.axvline(crit, ls=":", color=style.NEGATIVE, lw=1,
                       label=f"percolation: T(d) > T_c from d = {u.count(crit)}")
        if delays.max() > 8 * max(delays[delays > 0].min(initial=1), 1):
            ax.set_xscale("symlog", linthresh=1)
            ax.set_xticks(delays, [str(d) for d in bench.delays])
            ax.minorticks_off()
        else:
            integer_axis(ax)
        ax.set_xlabel(f"response delay ({u.many})")
        ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit(metric)})")
        count_axis(ax, metric)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Response delay: final metrics per policy ({caption})")
    figs["response_delay"] = fig

    # negative messages over time, one line per delay (first policy)
    p0 = bench.policies[0]
    runs = {d: RunResult.load(bench.folders[(p0.label, d)]) for d in bench.delays}
    if any(has_messages(res) for res in runs.values()):
        fig, ax = new_figure(8, 4.5, dpi=100)
        ax.set_title(f"Negative word of mouth over time ({p0.label}; {caption})")
        cmap = matplotlib.colormaps["viridis"].resampled(max(len(bench.delays), 2))
        names = {d: f"answered after {u.count(d)}" for d in bench.delays}
        look = style.series_styles(list(names.values()))
        series = {}
        for j, (d, res) in enumerate(runs.items()):
            look[names[d]]["color"] = matplotlib.colors.to_hex(cmap(j))
            m, lo, hi = metric_ci(res.metric("new_neg_messages"), "new_neg_messages")
            series[names[d]] = (np.arange(m.size), m, lo, hi)
        draw_series(ax, series, look, alpha=0.15)
        step_axis(ax, u)
        ax.set_ylabel(f"negative messages {u.per} (count)")
        count_axis(ax)
        ax.legend(fontsize=7, ncol=2)
        figs["negative_messages"] = fig

    # cost against benefit
    fig, ax = new_figure(7.5, 5, dpi=100)
    ax.set_title("Cost against benefit (paired 95% intervals)")
    ir = bench.metrics.index("responses")
    points = {}
    for k, p in enumerate(bench.policies):
        xs, ys, lows, highs = [], [], [], []
        for d in bench.delays:
            xs.append(bench.finals[(p.label, d)][:, ir].mean())
            m, l_, h_ = bench.avoided(p.label, d)
            ys.append(m)
            lows.append(l_)
            highs.append(h_)
        ax.errorbar(xs, ys, yerr=error_bars(ys, lows, highs), ms=marker_size(k, len(labels)), capsize=2,
                    label=p.label, **styles[p.label])
        for x, y, d in zip(xs, ys, bench.delays):
            ax.annotate(u.count(d), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        points[p.label] = (xs, ys)
    mark_coincident(ax, points)
    ax.axhline(0, color="#999999", lw=0.8)
    ax.set_xlabel("responses made (count, mean per replicate)")
    ax.set_ylabel("negative reach avoided vs no response (agents)")
    ax.legend(fontsize=8)
    figs["cost_benefit"] = fig
    return figs


#: what a teams comparison shows, one panel each
TEAM_METRICS = ("negative_reach", "rejected", "adopters", "npv", "response_cost", "net_npv")


def teams_figure(bench: Any) -> Figure:
    """bench-response --teams: outcomes per team beside no response (top row), and money
    (bottom row): NPV and net NPV gained against no response (paired: replicate r of
    every team shares its stream) and the cost of answering; means and 95% intervals."""
    keys = [("none", 0)] + list(bench.teams.items())
    ticks = [BASE_LABEL] + [f"{t}\n({bench.unit.count(d)})" for t, d in bench.teams.items()]
    colours = [style.NEUTRAL] + [style.series_styles(list(bench.teams))[t]["color"] for t in bench.teams]
    fig, axes = new_figure(15, 8, dpi=100, nrows=2, ncols=3)
    panels = [("negative_reach", False), ("rejected", False), ("adopters", False), ("npv", True),
              ("response_cost", False), ("net_npv", True)]
    for ax, (metric, gain) in zip(axes.flat, panels):
        i = bench.metrics.index(metric)
        vals = np.stack([bench.finals[k][:, i] for k in keys], axis=1)
        if gain:  # against no response, replicate by replicate
            vals = vals[:, 1:] - vals[:, :1]
            m, lo, hi = metric_ci(vals, "net_npv")
            x, names, cols = np.arange(len(keys) - 1), ticks[1:], colours[1:]
            title = f"{metric.replace('_', ' ').replace('npv', 'NPV')} gained against no response (paired)"
        else:
            m, lo, hi = metric_ci(vals, metric)
            x, names, cols = np.arange(len(keys)), ticks, colours
            title = metric.replace("_", " ")
        ax.bar(x, m, 0.6, yerr=error_bars(m, lo, hi), capsize=4, color=cols, alpha=0.85)
        ax.set_xticks(x, names, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(f"{metric.replace('_', ' ').replace('npv', 'NPV')} ({unit(metric)})")
        ax.axhline(0, color="#999999", lw=0.8)
    fig.suptitle(f"Response teams side by side ({band_caption(bench.replicates, '95% interval')}; under each team: "
                 f"its delay)")
    return fig


BASE_LABEL = "no response"


def save_response_plots(bench: Any) -> list[Path]:
    """Write response_figures(bench) as PNG files into the bench's folder."""
    return save_figures(response_figures(bench), bench.out)
