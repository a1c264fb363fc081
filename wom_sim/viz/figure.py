"""Building and saving figures without pyplot: a `matplotlib.figure.Figure` is made
directly, so importing wom-sim never switches a notebook's backend, and figures are
not kept in pyplot's global registry (nothing to close)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


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


def band(ax: Axes, x: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, label: str | None,
         colour: str | None = None, alpha: float = 0.25, **line: Any) -> None:
    """A mean line with its confidence band in the same colour."""
    (ln,) = ax.plot(x, mean, label=label, color=colour, **line)
    ax.fill_between(x, lo, hi, alpha=alpha, color=ln.get_color(), linewidth=0)


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
