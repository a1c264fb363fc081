"""The fit's figures: observed series against the posterior predictive band (with the
Bass baseline), and the pairwise posterior of the fitted keys."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..model.metrics import label, unit
from ..viz.figure import count_axis, new_figure, save_figure, step_axis
from ..viz.style import AWARE, NEUTRAL, REJECTED
from .result import FitResult


def forecast_figure(res: FitResult) -> Figure:
    """One panel per observed metric: the posterior predictive median and 90% band,
    the observations (filled: fitted; open: held out), the Bass fit dashed, and a line
    where the training data end."""
    ms = res.observed.metrics
    fig, axes = new_figure(8, 3.6 * len(ms), nrows=len(ms), ncols=1, squeeze=False)
    x = res.steps
    for ax, m in zip(axes[:, 0], ms):
        med, lo, hi = res.band(m)
        ax.plot(x, med, color=AWARE, label="wom-sim posterior predictive (median)")
        ax.fill_between(x, lo, hi, color=AWARE, alpha=0.25, linewidth=0, label="90% predictive band")
        b = res.bass.get(m)
        if b is not None:
            ax.plot(x, b.predict(x), color=REJECTED, linestyle="--", label="Bass fit (baseline)")
        s, v = res.observed.series[m]
        fitted = s <= res.train_until
        ax.plot(s[fitted], v[fitted], "o", color="black", markersize=3.5, label="observed (fitted)", zorder=4)
        if (~fitted).any():
            ax.plot(s[~fitted], v[~fitted], "o", markerfacecolor="none", color="black", markersize=4,
                    label="observed (held out)", zorder=4)
            ax.axvline(res.train_until + 0.5, color=NEUTRAL, linestyle=":", linewidth=1)
        elif res.observed.last_step < x[-1]:
            ax.axvline(res.observed.last_step + 0.5, color=NEUTRAL, linestyle=":", linewidth=1)
        ax.set_ylabel(f"{label(m)} ({unit(m)})")
        step_axis(ax, res.unit)
        count_axis(ax, m)
        ax.legend(fontsize=8, loc="best")
    axes[0, 0].set_title(f"{res.scenario.scenario.name}: observed against the fitted model "
                         f"({res.simulations:,} simulations)", fontsize=10)
    return fig


def posterior_figure(res: FitResult) -> Figure:
    """The final ABC-SMC population: each key's weighted histogram on the diagonal (on
    its prior range), pairs below it (darker = more weight)."""
    d = len(res.priors)
    size = max(3.2, 2.4 * d)
    fig, axes = new_figure(size, size, nrows=d, ncols=d, squeeze=False)
    g = res.final
    vals = [np.asarray(p.value(g.u[:, j]), dtype=float) for j, p in enumerate(res.priors)]
    w = g.w / g.w.max()
    for i, pi in enumerate(res.priors):
        for j, pj in enumerate(res.priors):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                edges = (np.geomspace(pi.low, pi.high, 25) if pi.log else np.linspace(pi.low, pi.high, 25))
                ax.hist(vals[i], bins=edges, weights=g.w, color=AWARE, alpha=0.8)
                est = res.params[pi.key]
                ax.axvline(est.estimate, color="black", linewidth=1)
                for c in est.ci90:
                    ax.axvline(c, color="black", linewidth=0.8, linestyle=":")
                ax.set_ylabel("posterior weight")
            else:
                ax.scatter(vals[j], vals[i], s=8, c=[(0.17, 0.5, 0.72, float(a)) for a in 0.15 + 0.85 * w],
                           edgecolors="none")
                ax.set_ylabel(pi.key)
                ax.set_ylim(pi.low, pi.high)
                if pi.log:
                    ax.set_yscale("log")
            ax.set_xlim(pj.low, pj.high)
            if pj.log:
                ax.set_xscale("log")
            ax.set_xlabel(pj.key)
    fig.suptitle("Posterior: the final ABC-SMC population\n(line: median; dotted: 90% interval)", fontsize=9)
    return fig


def save_fit_figures(res: FitResult) -> None:
    save_figure(forecast_figure(res), res.out / "fit_forecast.png")
    save_figure(posterior_figure(res), res.out / "fit_posterior.png")
