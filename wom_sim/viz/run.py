"""The figures of one run: adoption and awareness, the funnel's stages, positive against
negative messages. Each has labelled axes with units and the 95% band over replicates."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..funnels import Funnel
from ..stats import mean_ci
from . import style
from .figure import axes_of, band, save_figure


class RunLike(Protocol):
    """What the figures read of a run (results.RunResult has it)."""
    scenario: Any
    funnel: Funnel
    n_agents: int
    series: np.ndarray

    def metric(self, name: str) -> np.ndarray: ...


def _band(ax: Axes, res: RunLike, name: str, label: str, colour: str) -> None:
    mean, lo, hi = mean_ci(res.metric(name))
    band(ax, np.arange(mean.size), mean, lo, hi, label, colour)


def _title(ax: Axes, res: RunLike, what: str) -> None:
    sc = res.scenario
    ax.set_title(f"{what}\n{sc.scenario.name} · N = {res.n_agents:,} · {res.series.shape[0]} replicates",
                 fontsize=10)


def adoption(res: RunLike, ax: Axes | None = None) -> Figure:
    """Adopters and aware agents over time, mean with a 95% band."""
    fig, ax = axes_of(ax)
    _band(ax, res, "aware", "aware (ever heard)", style.AWARE)
    _band(ax, res, "adopters", "adopters (ever bought)", style.POSITIVE)
    if res.metric("negative_reach").any():
        _band(ax, res, "negative_reach", "negative reach", style.NEGATIVE)
    ax.set_xlabel("step")
    ax.set_ylabel("agents (count)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8)
    _title(ax, res, "Adoption and awareness (mean, 95% band)")
    return fig


def funnel(res: RunLike, ax: Axes | None = None) -> Figure:
    """Mean agents per stage over time, stacked."""
    fig, ax = axes_of(ax)
    f = res.funnel
    names = f.code_names()
    codes = style.stage_order(f)
    series = [res.metric(f"stage_{names[c]}").mean(axis=0) for c in codes]
    steps = np.arange(series[0].size)
    ax.stackplot(steps, series, labels=[style.stage_label(names[c]) for c in codes],
                 colors=[style.stage_colour(f, c) for c in codes], alpha=0.95)
    ax.set_xlabel("step")
    ax.set_ylabel("agents (count, mean over replicates)")
    ax.set_xlim(0, steps[-1] if steps.size > 1 else 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    _title(ax, res, f"Funnel stages ({f.kind})")
    return fig


def messages(res: RunLike, ax: Axes | None = None) -> Figure:
    """Positive and negative messages sent per step, mean with a 95% band."""
    fig, ax = axes_of(ax)
    _band(ax, res, "new_pos_messages", "positive messages", style.POSITIVE)
    _band(ax, res, "new_neg_messages", "negative messages", style.NEGATIVE)
    ax.set_xlabel("step")
    ax.set_ylabel("messages sent per step (count)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=8)
    _title(ax, res, "Word of mouth: positive vs negative (mean, 95% band)")
    return fig


#: the figures of a run, by name (RunResult.plot(name))
FIGURES = {"adoption": adoption, "funnel": funnel, "messages": messages}


def save_run_figures(res: RunLike, folder: Path) -> list[Path]:
    """Write every figure of a run as PNG into `folder`. A figure with nothing to show
    (no message was ever sent, as in Bass mode) is not written."""
    paths: list[Path] = []
    for name, draw in FIGURES.items():
        if name == "messages" and not (res.metric("new_pos_messages").any() or res.metric("new_neg_messages").any()):
            continue
        paths += save_figure(draw(res), Path(folder) / f"{name}.png")
    return paths
