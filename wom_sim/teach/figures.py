"""Classroom figures: the funnel, the four SICAS differences, and a network snapshot
coloured by stage. Colours and stage names come from wom_sim.viz.style, so a stage looks
the same in the stacked areas, on the network, in `wom-sim run`'s figures and on the page."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..funnels import Funnel
from ..model.metrics import metric_ci
from ..scenario import StepUnit
from ..viz import style
from ..viz.figure import band_caption, count_axis, draw_series, new_figure, step_axis
from ..viz.style import ACTION, DONE, FUNNELS, NEG_SHARE, NEGATIVE, POSITIVE, REJECTED, UNAWARE, stage_colour
from . import tables
from .recorder import MAX_LAG, FunnelRecord

FORMATS = ("png", "svg")


def save(fig: Figure, folder: Path, stem: str, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write a figure once per format (SVG without a date, so reruns give the same bytes)."""
    paths = []
    for ext in formats:
        path = Path(folder) / f"{stem}.{ext}"
        fig.savefig(path, metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    return paths


def _fname(kind: str) -> str:
    return kind.upper()


# ------------------------------------------------------------------ funnel


def _stack(ax, rec: FunnelRecord, ymax: float) -> None:
    f = rec.funnel
    codes = list(reversed(style.stage_order(f)))  # the legend lists them top to bottom
    names = f.code_names()
    series = [rec.metric(f"stage_{names[c]}").mean(axis=0) for c in codes]
    steps = np.arange(series[0].size)
    labels = [style.stage_label(names[c]) + (" (bought, not telling)" if c == f.ACTION else
                                       " (telling)" if c == f.SHARE else
                                       " (bought, told all)" if c == f.DONE else "") for c in codes]
    ax.stackplot(steps, series, labels=labels, colors=[stage_colour(f, c) for c in codes], alpha=0.95,
                 edgecolor="white", linewidth=0.3)
    ax.set_xlim(0, steps[-1])
    ax.set_ylim(0, ymax)
    step_axis(ax, rec.scenario.scenario.unit)
    ax.set_ylabel("agents (mean over replicates)")
    ax.set_title(f"{_fname(rec.kind)}: agents per stage over time", fontsize=11)
    handles, labs = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labs[::-1], loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8,
              frameon=False, ncol=3, columnspacing=1.0, handlelength=1.5)


def _conversion_bars(ax, recs: list[FunnelRecord], convs: list[list[tables.Row]]) -> None:
    n = len(convs[0])
    width = 0.8 / len(recs)
    for j, (rec, rows) in enumerate(zip(recs, convs)):
        x = np.arange(n) + (j - (len(recs) - 1) / 2) * width
        m = np.array([r.mean for r in rows]) * 100
        err = np.array([[max(r.mean - r.lo, 0) for r in rows], [max(r.hi - r.mean, 0) for r in rows]]) * 100
        ax.bar(x, m, width * 0.95, yerr=np.nan_to_num(err), capsize=3, color=FUNNELS[rec.kind],
               label=_fname(rec.kind), edgecolor="white")
        for xi, mi, hi in zip(x, m, m + err[1]):
            if math.isfinite(mi):
                ax.text(xi, hi + 1.5, f"{mi:.0f}%", ha="center", va="bottom", fontsize=8)
    labels = []
    for i in range(n):
        parts = []
        for rec, rows in zip(recs, convs):
            a, b = rows[i].key.split("->")
            text = f"{style.stage_label(a, short=True)} →\n{style.stage_label(b, short=True)}"
            parts.append(text if len(recs) == 1 else f"{_fname(rec.kind)}: " + text.replace("\n", " "))
        labels.append("\n".join(parts))
    ax.set_xticks(np.arange(n), labels, fontsize=8)
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("agents who went on to the next stage (%)")
    ax.set_title("Stage-to-stage conversion by the end of the run (95% interval)", fontsize=11)
    if len(recs) > 1:
        ax.legend(fontsize=9, loc="upper right", ncol=2)


def funnel_figure(recs: list[FunnelRecord], convs: list[list[tables.Row]]):
    """Agents per stage over time as stacked areas (one panel per funnel, same scale),
    and stage-to-stage conversion rates with 95% intervals."""
    n = int(tables.population(recs[0])[0])
    if len(recs) == 1:
        fig = Figure(figsize=(14, 6.2), dpi=120)
        gs = fig.add_gridspec(1, 2, width_ratios=[1, 1], wspace=0.25)
        _stack(fig.add_subplot(gs[0, 0]), recs[0], n)
        _conversion_bars(fig.add_subplot(gs[0, 1]), recs, convs)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.27, top=0.86)
    else:
        fig = Figure(figsize=(14, 11.5), dpi=120)
        gs = fig.add_gridspec(2, 2, height_ratios=[1, 0.95], wspace=0.2, hspace=0.62)
        for j, rec in enumerate(recs):
            _stack(fig.add_subplot(gs[0, j]), rec, n)
        _conversion_bars(fig.add_subplot(gs[1, :]), recs, convs)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.93)
    sc = recs[0].scenario
    fig.suptitle(f"The funnel · N = {n:,} agents · {sc.scenario.replicates} replicates · seed {sc.scenario.seed}",
                 fontsize=12)
    return fig


# ------------------------------------------------------------------ differences


def _bands(ax, recs: list[FunnelRecord], values: list[np.ndarray], unit: StepUnit, note: str = "") -> None:
    """One count per funnel over time (mean, 95% band), in the funnels' colours, each
    line its own style; on an axis from 0. A panel of zeros says why (`note`) instead
    of showing a bare line."""
    names = [_fname(r.kind) for r in recs]
    styles = style.series_styles(names)
    series = {}
    for name, rec, v in zip(names, recs, values):
        styles[name]["color"] = FUNNELS[rec.kind]
        mean, lo, hi = metric_ci(v, "count")
        series[name] = (np.arange(mean.size), mean, lo, hi)
    draw_series(ax, series, styles, alpha=0.25, lw=2)
    step_axis(ax, unit)
    if note and max(float(np.max(v)) for v in values) <= 0:
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", fontsize=10, color=style.NEUTRAL)
    count_axis(ax)


#: one bar of _rate_bars: (label, measured rate, colour, hatch)
_Bar = tuple[str, tables.Row, str, str | None]


def _rate_bars(ax, groups: list[tuple[str, list[_Bar]]], title: str, unit: StepUnit) -> None:
    """Bars of measured rates with 95% intervals, the rule's value as a black tick."""
    width = 0.8 / max(len(b) for _, b in groups)
    shown_rule = False
    for gi, (_, bars) in enumerate(groups):
        for j, (label, row, colour, hatch) in enumerate(bars):
            x = gi + (j - (len(bars) - 1) / 2) * width
            if not math.isfinite(row.mean):
                ax.text(x, 2, "n/a", ha="center", fontsize=8, color=style.NEUTRAL)
                continue
            err = [[max(row.mean - row.lo, 0) * 100], [max(row.hi - row.mean, 0) * 100]]
            ax.bar(x, row.mean * 100, width * 0.92, yerr=err, capsize=3, color=colour, hatch=hatch,
                   edgecolor="white" if hatch is None else "#333333", linewidth=0.5)
            ax.text(x, row.hi * 100 + 1.5, f"{row.mean * 100:.0f}%", ha="center", va="bottom", fontsize=8)
            ax.text(x, -1.5, label, ha="center", va="top", fontsize=7, rotation=0)
            if math.isfinite(row.rule):
                ax.plot([x - width * 0.45, x + width * 0.45], [row.rule * 100] * 2, color="black", lw=2,
                        label=None if shown_rule else "the model's rule")
                shown_rule = True
    ax.set_xticks(range(len(groups)), [g for g, _ in groups], fontsize=8)
    ax.tick_params(axis="x", pad=22)
    ax.set_ylabel(f"advance probability {unit.per} (%)")
    ax.set_ylim(0, max(60, ax.get_ylim()[1]))
    ax.set_title(title, fontsize=10)
    if shown_rule:
        ax.legend(fontsize=8, loc="upper left")


def differences_figure(recs: list[FunnelRecord], diffs: list[list[tables.Row]]):
    """The four SICAS differences (docs/model.md section 3) made visible, with adoption as
    the net effect: (a) brand sensing, (b) messages at stage 3, (c) real-time sharing,
    (d) the skip to Action."""
    fig, axes = new_figure(16, 9.5, dpi=120, nrows=2, ncols=3)
    u = recs[0].scenario.scenario.unit
    caption = band_caption(recs[0].series.shape[0])
    ax = axes[0, 0]
    ax.set_title(("Net effect: adopters" if len(recs) > 1 else "Adopters") + f" over time ({caption})",
                 fontsize=10)
    _bands(ax, recs, [rec.metric("adopters") for rec in recs], u)
    ax.set_ylabel("adopters (agents, ever bought)")
    ax.legend(fontsize=9, loc="upper left")

    ax = axes[0, 1]
    ax.set_title("(a) The brand senses consumers\n(agents sensed so far; AISAS has no sensing)", fontsize=10)
    _bands(ax, recs, [rec.sensed for rec in recs], u, "nobody is sensed under AISAS")
    ax.set_ylabel("agents sensed by the brand (count)")
    ax.legend(fontsize=9, loc="upper left")

    by = {rec.kind: {r.key: r for r in d} for rec, d in zip(recs, diffs)}
    groups: list[tuple[str, list[_Bar]]] = []
    for k in (2, 3):
        bars: list[_Bar] = []
        names: list[str] = []
        for rec in recs:
            rows = by[rec.kind]
            st = style.stage_label(rec.funnel.stages[k - 1], short=True)
            names.append(st)
            c = FUNNELS[rec.kind]
            bars.append((f"{_fname(rec.kind)}\nnot sensed", rows[f"adv{k}_not_sensed"], c, None))
            if rec.funnel.brand_engagement > 0:
                bars.append((f"{_fname(rec.kind)}\nsensed", rows[f"adv{k}_sensed"], c, "//"))
        groups.append((f"stage {k}: " + " | ".join(names), bars))
    _rate_bars(axes[0, 2], groups,
               f"(a) ... which lifts the advance at stages 2 and 3\n(agent-{u.many} without a peer message)", u)

    P = recs[0].funnel.n_pre
    groups = []
    for rec in recs:
        rows = by[rec.kind]
        c = FUNNELS[rec.kind]
        groups.append((f"{_fname(rec.kind)}: {style.stage_label(rec.funnel.stages[P - 1])}",
                       [("no message", rows["adv3_no_message"], c, None),
                        ("peer message", rows["adv3_message"], c, "..")]))
    _rate_bars(axes[1, 0], groups, "(b) Peers' messages act on Connect & Communicate, not on Search\n"
                                   "(stage 3, agents the brand had not sensed)", u)

    ax = axes[1, 1]
    width = 0.8 / len(recs)
    for j, rec in enumerate(recs):
        tot = rec.lags.sum()
        share = rec.lags.sum(axis=0) / tot * 100 if tot else np.zeros(MAX_LAG + 1)
        x = np.arange(MAX_LAG + 1) + (j - (len(recs) - 1) / 2) * width
        ax.bar(x, share, width * 0.95, color=FUNNELS[rec.kind], label=_fname(rec.kind))
        for xi, s in zip(x, share):
            if s >= 0.5:
                ax.text(xi, s + 1.5, f"{s:.0f}%", ha="center", fontsize=8)
    ax.set_xticks(range(MAX_LAG + 1), [str(i) for i in range(MAX_LAG)] + [f"{MAX_LAG}+"])
    ax.set_ylim(0, 115)
    ax.set_xlabel(f"{u.many} from purchase to first telling")
    ax.set_ylabel("buyers who shared (%)")
    ax.set_title(f"(c) Sharing is real time under SICAS\n(AISAS buyers first tell one {u.one} later)", fontsize=10)
    ax.legend(fontsize=9)

    ax = axes[1, 2]
    ax.set_title("(d) The funnel is not a line: jumps from Sense\nstraight to Action (AISAS has no skip)", fontsize=10)
    _bands(ax, recs, [rec.skips for rec in recs], u, "no jumps under AISAS")
    ax.set_ylabel("jumps to Action (agents, cumulative)")
    ax.legend(fontsize=9, loc="upper left")

    sc = recs[0].scenario
    what = {("aisas", "sicas"): "What SICAS changes, measured on the same network, seed and KOLs",
            ("aisas",): "The four SICAS differences, measured in an AISAS run: none of them is at work",
            ("sicas",): "The four SICAS differences, measured in a SICAS run"}[tuple(r.kind for r in recs)]
    fig.suptitle(f"{what} · {sc.scenario.replicates} replicates · seed {sc.scenario.seed}", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


# ------------------------------------------------------------------ network


def layout(graph, nodes: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Spring layout of the subgraph induced by `nodes` (fixed seed): positions in the
    order of `nodes`, and the drawn edges as (k, 2) indices into `nodes`."""
    index = -np.ones(graph.n, dtype=np.int64)
    index[nodes] = np.arange(nodes.size)
    src, dst = [], []
    for u in nodes.tolist():
        nb = graph.neighbours(u).astype(np.int64)
        nb = nb[index[nb] >= 0]
        if not graph.directed:
            nb = nb[nb > u]
        src.append(np.full(nb.size, index[u]))
        dst.append(index[nb])
    edges = np.stack([np.concatenate(src), np.concatenate(dst)], axis=1) if src else np.zeros((0, 2), np.int64)
    H = nx.Graph()
    H.add_nodes_from(range(nodes.size))
    H.add_edges_from(edges.tolist())
    k = 1.6 / math.sqrt(max(nodes.size, 1))
    pos = nx.spring_layout(H, seed=seed, k=k, iterations=120)
    return np.array([pos[i] for i in range(nodes.size)]), edges


def network_figure(recs: list[FunnelRecord], xy: np.ndarray, edges: np.ndarray, nodes: np.ndarray,
                   steps: list[int], caption: str):
    """The network coloured by stage at the given steps (one row per funnel, replicate 0)."""
    rows, cols = len(recs), len(steps)
    fig, axes = new_figure(6.5 * cols, 6 * rows + 1.2, dpi=120, nrows=rows, ncols=cols, squeeze=False)
    size = float(np.clip(9000 / max(nodes.size, 1), 6, 60))
    segs = xy[edges] if edges.size else np.zeros((0, 2, 2))
    for i, rec in enumerate(recs):
        f = rec.funnel
        kol_mask = np.isin(nodes, rec.kols0)
        for j, t in enumerate(steps):
            ax = axes[i, j]
            # an (n, 2, 2) array is a sequence of segments; matplotlib's stubs want a Sequence
            ax.add_collection(LineCollection(segs, colors="#bbbbbb", linewidths=0.4, alpha=0.6,  # type: ignore[arg-type]
                                             zorder=1))
            cat = rec.snapshot[t]
            colours = [stage_colour(f, int(c)) for c in cat]
            sharer = (cat == f.SHARE) | (cat == NEG_SHARE)
            plain = ~sharer & ~kol_mask
            ax.scatter(xy[plain, 0], xy[plain, 1], s=size, c=[colours[k] for k in np.flatnonzero(plain)],
                       edgecolors="#777777", linewidths=0.3, zorder=2)
            sh = sharer & ~kol_mask
            ax.scatter(xy[sh, 0], xy[sh, 1], s=size * 2.2, c=[colours[k] for k in np.flatnonzero(sh)],
                       marker="^", edgecolors="black", linewidths=0.6, zorder=3)
            ax.scatter(xy[kol_mask, 0], xy[kol_mask, 1], s=size * 6, c=[colours[k] for k in np.flatnonzero(kol_mask)],
                       marker="*", edgecolors="black", linewidths=0.8, zorder=4)
            c = _category_counts(f, cat)
            when = f"{rec.scenario.scenario.unit.one} {t}"
            ax.set_title(f"{_fname(rec.kind)} · {when}\naware {c['aware']} · telling good news {c['pos']}, "
                         f"bad news {c['neg']} · done {c['done']} · rejected {c['rej']}", fontsize=10)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for s in ax.spines.values():
                s.set_visible(False)
            ax.autoscale_view()
    fig.legend(handles=_legend(recs), loc="lower center", fontsize=9, frameon=False, ncol=min(5, 3 * cols))
    fig.suptitle(caption, fontsize=11)
    fig.tight_layout(rect=(0, 1.1 / (6 * rows + 1.2), 1, 0.96))
    return fig


def _category_counts(f: Funnel, cat: np.ndarray) -> dict[str, int]:
    """Counts shown in a snapshot's title (drawn agents only)."""
    return {"aware": int((cat != 0).sum()), "pos": int((cat == f.SHARE).sum()), "neg": int((cat == NEG_SHARE).sum()),
            "done": int((cat == f.DONE).sum()), "rej": int((cat == f.REJECTED).sum())}


def _legend(recs: list[FunnelRecord]) -> list[Any]:
    f = recs[0].funnel
    h: list[Artist] = [Patch(color=UNAWARE, label="Unaware")]
    for k in range(1, f.n_pre + 1):
        names = " | ".join(style.stage_label(r.funnel.stages[k - 1], short=True) for r in recs)
        h.append(Patch(color=stage_colour(f, k), label=f"stage {k}: {names}"))
    h += [Patch(color=ACTION, label="Action: bought, not telling"),
          Line2D([], [], marker="^", ls="", color=POSITIVE, markeredgecolor="black", markersize=9,
                 label="Share: telling good news"),
          Line2D([], [], marker="^", ls="", color=NEGATIVE, markeredgecolor="black", markersize=9,
                 label="telling bad news"),
          Patch(color=DONE, label="Done: bought, told all"),
          Patch(color=REJECTED, label="Rejected"),
          Line2D([], [], marker="*", ls="", color="white", markeredgecolor="black", markersize=13,
                 label=f"KOL (posts at {recs[0].scenario.scenario.unit.one} 1)")]
    return h
