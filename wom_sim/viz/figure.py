"""Building and saving figures without pyplot: a `matplotlib.figure.Figure` is made
directly, so importing wom-sim never switches a notebook's backend, and figures are
not kept in pyplot's global registry (nothing to close).

The rules every figure follows live here, once: a band only where the 95% interval is
defined; series drawn each in its own colour, marker and dash (an earlier series with
larger markers, so one lying under another still shows a ring), with a note in the
title when two of them lie on each other (so no line hides another unsaid); time and
delays on integer axes labelled with the step's unit; counts on an axis from 0."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..model.metrics import is_count
from ..scenario import StepUnit
from ..stats import MIN_REPLICATES
from . import style

#: two series coincide when they differ nowhere by more than this share of the panel's
#: y range (a thousandth: far less than a line's width)
COINCIDE_REL = 1e-3

#: a series to draw: (x, mean, ci_low, ci_high); the interval may be None or NaN (no band)
Series = tuple[Any, Any, Any, Any]


def new_figure(width: float = 8, height: float = 4.5, dpi: int = 110, nrows: int = 1, ncols: int = 1,
               **kwargs: Any) -> tuple[Figure, Any]:
    """A Figure and its axes (one Axes, or an array of them like plt.subplots)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def axes_of(ax: Axes | None, width: float = 8, height: float = 4.5) -> tuple[Figure, Axes]:
    """The figure of a given Axes, or a new figure with one Axes."""
    if ax is not None:
        fig = ax.figure
        assert isinstance(fig, Figure)
        return fig, ax
    return new_figure(width, height)


def has_interval(lo: Any, hi: Any) -> bool:
    """Whether a band can be drawn: the interval is defined somewhere (stats.MIN_REPLICATES)."""
    if lo is None or hi is None:
        return False
    return bool(np.isfinite(np.asarray(lo, dtype=float)).any() and np.isfinite(np.asarray(hi, dtype=float)).any())


def band_caption(replicates: int, what: str = "95% band") -> str:
    """How a title names its bands: "mean, 95% band", or why there is none."""
    if replicates < MIN_REPLICATES:
        return f"mean; no {what}: it needs at least {MIN_REPLICATES} replicates"
    return f"mean, {what}"


def band(ax: Axes, x: Any, mean: Any, lo: Any, hi: Any, label: str | None,
         colour: str | None = None, alpha: float = 0.25, **line: Any) -> Line2D:
    """A mean line with its confidence band in the same colour (no band where the
    interval is undefined)."""
    (ln,) = ax.plot(x, mean, label=label, color=colour, **line)
    if has_interval(lo, hi):
        ax.fill_between(x, lo, hi, alpha=alpha, color=ln.get_color(), linewidth=0)
    return ln


def error_bars(mean: Any, lo: Any, hi: Any) -> np.ndarray | None:
    """yerr for bars and error bars from an interval: None where none is defined."""
    if not has_interval(lo, hi):
        return None
    m = np.asarray(mean, dtype=float)
    return np.nan_to_num(np.array([m - np.asarray(lo, dtype=float), np.asarray(hi, dtype=float) - m]).clip(0))


def coincident(series: Mapping[str, tuple[Any, Any]], rel: float = COINCIDE_REL) -> list[tuple[str, str]]:
    """Pairs (later, earlier) of named (x, y) series that lie on each other along their
    whole length: the same x, and y never further apart than `rel` of the y range of
    all of them. Each series is paired with the first one it lies on.

    >>> coincident({"a": ([0, 1], [0, 5]), "b": ([0, 1], [0, 5]), "c": ([0, 1], [1, 5])})
    [('b', 'a')]
    """
    data = {name: (np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for name, (x, y) in series.items()}
    ys = [y[np.isfinite(y)] for _, y in data.values()]
    finite = np.concatenate(ys) if ys else np.zeros(0)
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    tol = rel * span + 1e-12 * max(1.0, float(np.abs(finite).max()) if finite.size else 1.0)
    firsts: list[str] = []
    pairs = []
    for name, (x, y) in data.items():
        for other in firsts:
            ox, oy = data[other]
            if (x.shape == ox.shape and y.shape == oy.shape and np.allclose(x, ox, rtol=0, atol=1e-9, equal_nan=True)
                    and np.array_equal(np.isnan(y), np.isnan(oy))
                    and bool(np.all(np.abs(np.nan_to_num(y - oy)) <= tol))):
                pairs.append((name, other))
                break
        else:
            firsts.append(name)
    return pairs


def coincidence_note(pairs: Sequence[tuple[str, str]]) -> str:
    """What coincident() found, in words (empty when nothing coincides).

    >>> coincidence_note([("threshold:X=20", "fixed_delay")])
    'threshold:X=20 coincides with fixed_delay'
    >>> coincidence_note([("b", "a"), ("c", "a"), ("e", "d")])
    'b and c coincide with a; e coincides with d'
    """
    groups: dict[str, list[str]] = {}
    for a, b in pairs:
        groups.setdefault(b, []).append(a)
    parts = []
    for b, names in groups.items():
        if len(names) == 1:
            parts.append(f"{names[0]} coincides with {b}")
        else:
            parts.append(f"{', '.join(names[:-1])} and {names[-1]} coincide with {b}")
    return "; ".join(parts)


def mark_coincident(ax: Axes, series: Mapping[str, tuple[Any, Any]]) -> str:
    """Say under the panel's title which series lie on each other (a line hidden under
    another would otherwise pass for missing); return the note."""
    note = coincidence_note(coincident(series))
    if note:
        title = ax.get_title()
        text = textwrap.fill(note, 80)
        ax.set_title(f"{title}\n{text}" if title else text, fontsize=ax.title.get_fontsize())
    return note


def marker_size(i: int, n: int, base: float = 6.5) -> float:
    """The marker size of the i-th of n series: smaller for each later one, so a
    series drawn over an earlier one leaves a ring of the earlier one's markers."""
    return base - min(1.5, 4.0 / max(n - 1, 1)) * i


def draw_series(ax: Axes, series: Mapping[str, Series], styles: Mapping[str, dict[str, Any]] | None = None,
                alpha: float = 0.2, **line: Any) -> str:
    """Draw named series (x, mean, lo, hi) each in its own style (style.series_styles,
    or `styles`), with a band where the interval is defined. Series lying on each other
    still show each: along long series their markers take turns, and an earlier
    series' markers are larger. Then mark_coincident: call it after the panel's title
    is set. Returns the coincidence note."""
    styles = styles if styles is not None else style.series_styles(list(series))
    n = max(len(series), 1)
    for i, (name, (x, mean, lo, hi)) in enumerate(series.items()):
        size = int(np.size(x))
        every = max(1, size // 10)
        kwargs = {**styles[name], **line}
        kwargs["ms"] = marker_size(i, n, kwargs.get("ms", 6.5))
        if size > 12:
            kwargs.setdefault("markevery", ((i * every) // n, every))
        band(ax, x, mean, lo, hi, name, colour=kwargs.pop("color", None), alpha=alpha, **kwargs)
    return mark_coincident(ax, {name: (s[0], s[1]) for name, s in series.items()})


def integer_axis(ax: Axes) -> None:
    """Ticks only at whole numbers on the x axis (steps and delays are whole numbers)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def step_axis(ax: Axes, unit: StepUnit, label: str | None = None) -> None:
    """An x axis of time: labelled with the step's unit ("hour"), ticks at whole steps."""
    ax.set_xlabel(label if label is not None else unit.one)
    integer_axis(ax)


def count_axis(ax: Axes, metric: str = "count") -> None:
    """A count's y axis starts at 0 (NPV and net sentiment can be negative: left as is).
    A line lying on 0 is drawn over the axis, not half hidden by it. Call it once
    everything is drawn."""
    if not is_count(metric):
        return
    ax.set_ylim(bottom=0)
    for ln in ax.get_lines():
        y = np.asarray(ln.get_ydata(), dtype=float)
        if bool((y[np.isfinite(y)] <= 0).any()):
            ln.set_clip_on(False)
            ln.set_zorder(max(ln.get_zorder(), 3))


def save_figure(fig: Figure, path: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write `fig` once per format beside `path` (its suffix replaced). SVGs carry no
    date, so reruns give the same bytes."""
    path = Path(path)
    out = []
    fig.tight_layout()
    for ext in formats:
        p = path.with_suffix(f".{ext}")
        fig.savefig(p, metadata={"Date": None} if ext == "svg" else None)
        out.append(p)
    return out


def save_figures(figs: Mapping[str, Figure], folder: str | Path) -> list[Path]:
    """Write each figure of {name: figure} as folder/name.png; return the paths."""
    paths: list[Path] = []
    for name, fig in figs.items():
        paths += save_figure(fig, Path(folder) / f"{name}.png")
    return paths
