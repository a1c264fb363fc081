"""The figures of one run: adoption and awareness, the funnel's stages, positive against
negative messages. Each has labelled axes with units (time in the scenario's step unit)
and the 95% band over replicates where it is defined."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..funnels import Funnel
from ..model.metrics import metric_ci
from . import style
from .figure import Series, axes_of, band_caption, count_axis, draw_series, save_figure, step_axis


class RunLike(Protocol):
    """What the figures read of a run (results.RunResult has it)."""
    scenario: Any
    funnel: Funnel
    n_agents: int
    series: np.ndarray

    def metric(self, name: str) -> np.ndarray: ...


def _series(res: RunLike, name: str) -> Series:
    mean, lo, hi = metric_ci(res.metric(name), name)
    return np.arange(mean.size), mean, lo, hi


def _draw(ax: Axes, res: RunLike, lines: dict[str, tuple[str, str]]) -> None:
    """Metrics (label -> (metric, colour)) over time, each in its own line style."""
    styles = style.series_styles(list(lines))
    for label, (_, colour) in lines.items():
        styles[label]["color"] = colour
    draw_series(ax, {label: _series(res, name) for label, (name, _) in lines.items()}, styles, alpha=0.25)


def has_messages(res: RunLike) -> bool:
    """Whether any message was sent (none in Bass mode): a message figure has nothing to
    show without one, and is not made."""
    return bool(res.metric("new_pos_messages").any() or res.metric("new_neg_messages").any())


def _title(ax: Axes, res: RunLike, what: str, banded: bool = False) -> None:
    sc = res.scenario
    R = res.series.shape[0]
    if banded:
        what = f"{what} ({band_caption(R)})"
    ax.set_title(f"{what}\n{sc.scenario.name} · N = {res.n_agents:,} · {R} replicate{'' if R == 1 else 's'}",
                 fontsize=10)


def adoption(res: RunLike, ax: Axes | None = None) -> Figure:
    """Adopters and aware agents over time, mean with a 95% band."""
    fig, ax = axes_of(ax)
    _title(ax, res, "Adoption and awareness", banded=True)
    lines = {"aware (ever heard)": ("aware", style.AWARE), "adopters (ever bought)": ("adopters", style.POSITIVE)}
    if res.metric("negative_reach").any():
        lines["negative reach"] = ("negative_reach", style.NEGATIVE)
    _draw(ax, res, lines)
    step_axis(ax, res.scenario.scenario.unit)
    ax.set_ylabel("agents (count)")
    count_axis(ax)
    ax.legend(loc="upper left", fontsize=8)
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
    step_axis(ax, res.scenario.scenario.unit)
    ax.set_ylabel("agents (count, mean over replicates)")
    ax.set_xlim(0, steps[-1] if steps.size > 1 else 1)
    count_axis(ax)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    _title(ax, res, f"Funnel stages ({f.kind})")
    return fig


def messages(res: RunLike, ax: Axes | None = None) -> Figure:
    """Positive and negative messages sent per step, mean with a 95% band."""
    fig, ax = axes_of(ax)
    unit = res.scenario.scenario.unit
    _title(ax, res, "Word of mouth: positive vs negative", banded=True)
    _draw(ax, res, {"positive messages": ("new_pos_messages", style.POSITIVE),
                    "negative messages": ("new_neg_messages", style.NEGATIVE)})
    step_axis(ax, unit)
    ax.set_ylabel(f"messages sent {unit.per} (count)")
    count_axis(ax)
    ax.legend(loc="upper right", fontsize=8)
    return fig


#: the figures of a run, by name (RunResult.plot(name))
FIGURES = {"adoption": adoption, "funnel": funnel, "messages": messages}


def save_run_figures(res: RunLike, folder: Path) -> list[Path]:
    """Write every figure of a run as PNG into `folder`. A figure with nothing to show
    (no message was ever sent, as in Bass mode) is not written."""
    paths: list[Path] = []
    for name, draw in FIGURES.items():
        if name == "messages" and not has_messages(res):
            continue
        paths += save_figure(draw(res), Path(folder) / f"{name}.png")
    return paths
