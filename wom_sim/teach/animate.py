"""Watch a spread: spread.gif (and spread.mp4 when ffmpeg is installed) of replicate 0.

Each frame is one step: the network coloured by stage (the colours and names of
wom_sim.viz.style, as on the page and in the handout), sharers of good and bad news
drawn larger with a black edge, KOLs as stars; beside it, the agents in each stage
over time with the current step marked. With two funnels (teach compare) one row each,
on the same agents and KOLs. A big graph shows the KOLs' neighbourhood (teach.lesson's
drawn_nodes) and says so in the caption.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.collections import LineCollection

from ..viz import style
from ..viz.figure import new_figure, step_axis
from ..viz.style import NEG_SHARE, stage_colour
from .recorder import FunnelRecord

#: at most this many frames (longer runs show every k-th step)
MAX_FRAMES = 120


def animate(recs: list[FunnelRecord], xy: np.ndarray, edges: np.ndarray, nodes: np.ndarray, folder: Path,
            caption: str, fps: int = 4) -> list[Path]:
    """Write folder/spread.gif (and spread.mp4 with ffmpeg); return the paths."""
    T = recs[0].snapshot.shape[0] - 1
    frames = list(range(0, T + 1, max(1, -(-(T + 1) // MAX_FRAMES))))
    if frames[-1] != T:
        frames.append(T)
    rows = len(recs)
    fig, axes = new_figure(12, 5.2 * rows + 0.8, dpi=90, nrows=rows, ncols=2, squeeze=False,
                           gridspec_kw={"width_ratios": [1.25, 1]})
    size = float(np.clip(9000 / max(nodes.size, 1), 6, 60))
    segs = xy[edges] if edges.size else np.zeros((0, 2, 2))
    updates = []
    unit = recs[0].scenario.scenario.unit
    for i, rec in enumerate(recs):
        f = rec.funnel
        net, curve = axes[i, 0], axes[i, 1]
        net.add_collection(LineCollection(segs, colors="#cccccc", linewidths=0.4, alpha=0.6,  # type: ignore[arg-type]
                                          zorder=1))
        kol = np.isin(nodes, rec.kols0)
        dots = net.scatter(xy[~kol, 0], xy[~kol, 1], s=size, zorder=2)
        stars = net.scatter(xy[kol, 0], xy[kol, 1], s=size * 6, marker="*", edgecolors="black", linewidths=0.8,
                            zorder=3)
        net.set_aspect("equal")
        net.set_xticks([])
        net.set_yticks([])
        for sp in net.spines.values():
            sp.set_visible(False)
        net.autoscale_view()
        # agents per stage over time (replicate 0, the whole population)
        x = np.arange(T + 1)
        for code, name in enumerate(f.code_names()):
            y = rec.series[0, :, rec.metrics.index(f"stage_{name}")]
            if y.any():
                curve.plot(x, y, color=stage_colour(f, code), lw=1.6, label=style.stage_label(name, short=True))
        marker = curve.axvline(0, color="black", lw=1)
        curve.set_ylabel("agents (replicate 0)")
        step_axis(curve, unit)
        curve.set_ylim(bottom=0)
        curve.legend(fontsize=7, loc="upper right", ncol=2)
        updates.append((rec, kol, dots, stars, marker, net))

    def draw(t: int) -> list:
        artists = []
        for rec, kol, dots, stars, marker, net in updates:
            f = rec.funnel
            cat = rec.snapshot[t]
            colours = np.array([stage_colour(f, int(c)) for c in cat], dtype=object)
            sharer = (cat == f.SHARE) | (cat == NEG_SHARE)
            dots.set_facecolors(list(colours[~kol]))
            dots.set_edgecolors(["black" if s else "#888888" for s in sharer[~kol]])
            dots.set_linewidths(np.where(sharer[~kol], 0.9, 0.3))
            dots.set_sizes(np.where(sharer[~kol], size * 2.5, size))
            stars.set_facecolors(list(colours[kol]))
            marker.set_xdata([t, t])
            pos, neg = int((cat == f.SHARE).sum()), int((cat == NEG_SHARE).sum())
            net.set_title(f"{rec.kind.upper()} · {unit.one} {t} of {len(rec.snapshot) - 1} · aware "
                          f"{int((cat != 0).sum())} of {cat.size} · telling good news {pos}, bad news {neg}",
                          fontsize=10)
            artists += [dots, stars, marker]
        return artists

    fig.suptitle(caption + "\nlarge dots with a black edge: telling (green good news, red bad news); stars: KOLs",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.7 / (5.2 * rows + 0.8)))
    anim = FuncAnimation(fig, draw, frames=frames, blit=False)
    folder = Path(folder)
    out = [folder / "spread.gif"]
    anim.save(out[0], writer=PillowWriter(fps=fps))
    if shutil.which("ffmpeg"):
        out.append(folder / "spread.mp4")
        anim.save(out[1], writer=FFMpegWriter(fps=fps))
    return out
