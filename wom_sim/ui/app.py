"""The `wom-sim ui` page: Mesa's SolaraViz around `PageModel` (the Mesa engine's model).

What it shows (each a panel of SolaraViz's grid, redrawn after every step):
- the social network, one dot per agent, coloured by funnel stage; active sharers show
  their valence (positive green, negative red); KOLs have a black ring; a legend counts
  every colour;
- the funnel: agents per stage now, in the same colours;
- word-of-mouth messages per step, positive and negative, with their running totals;
- a summary: the step counter and the headline metrics.
SolaraViz adds the controls: Reset, Play (▶) and Step, and the model parameters
(sliders, the AISAS/SICAS switch and the seed box), which take effect on Reset.

Every figure is drawn with matplotlib on the server and sent as a PNG, so the page
needs no JavaScript beyond Solara's own (served offline by the solara-assets package).
Needs the [ui] extra: ``pip install 'wom-sim[ui]'``.
"""
from __future__ import annotations

import html
import io
import threading
from typing import Any

import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from ..scenario import Scenario, load_scenario
from ..viz import style
from ..viz.figure import draw_series, step_axis
from .model import MAX_DRAWN, PageModel, check_page_scenario, default_scenario_path

FUNNEL_LABELS = {"aisas": "AISAS", "sicas": "SICAS", "none": "none (contagion)", "custom": "custom"}

#: sidebar sliders: the label above the slider, and the value always shown on the thumb
#: (Mesa's sliders show it only while dragging); Mesa's one "Page 0" tab hidden
CSS = """
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-label { flex: 1 0 100%; max-width: 100% !important; white-space: normal; }
.v-input__slider .v-slider { margin-top: 20px; min-height: 24px; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translateX(-50%) translateY(-4px) !important; width: auto !important;
  height: 18px !important; min-width: 22px; padding: 0 5px; border-radius: 4px !important; font-size: 11px; }
.v-slider__thumb-label > * { transform: none !important; }
.v-tabs { display: none; }
"""

_DRAW_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


def class_colours(funnel: Any) -> list[str]:
    """The colour of each drawing class (PageModel.class_names): the stage colours of
    wom_sim.viz.style.stage_colour, the one mapping teach's figures and the animation use."""
    f = funnel
    codes = [f.UNAWARE, *range(1, f.n_pre + 1), f.ACTION, f.SHARE, style.NEG_SHARE, f.REJECTED, f.DONE]
    return [style.stage_colour(f, c) for c in codes]


def pretty(name: str) -> str:
    """A drawing class's display name: a stage's name from wom_sim.viz.style, else capitalised."""
    return style.stage_label(name)


# ----------------------------------------------------------------------------- snapshots


def snapshot(model: PageModel) -> dict:
    """What the panels draw, read once under the model's lock (Play may step the model
    in another thread)."""
    with model.lock:
        table = model.table()
        return {"t": model.t, "classes": model.classes(), "table": table.copy()}


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with _DRAW_LOCK:
        fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


# ----------------------------------------------------------------------------- figures


def network_figure(model: PageModel, snap: dict) -> Figure:
    names = model.class_names()
    colours = class_colours(model.funnel)
    cls = snap["classes"]
    counts = np.bincount(cls, minlength=len(names))
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.add_axes((0.0, 0.0, 0.64, 0.92))
    ax.set_axis_off()
    fig.suptitle(f"Network at {model.sc.scenario.unit.one} {snap['t']}: {model.n:,} agents by stage", fontsize=11,
                 x=0.02, ha="left")
    xy = model.layout()
    if xy is None:
        ax.text(0.5, 0.5, f"The network is drawn up to {MAX_DRAWN:,} agents\n(this one has {model.n:,});"
                "\nthe funnel and message charts still update.", ha="center", va="center", fontsize=10)
    else:
        g = model.graph
        src = g.arc_sources(np.int64)
        dst = g.indices.astype(np.int64)
        keep = src < dst if not g.directed else np.ones(src.size, bool)
        segs = np.stack([xy[src[keep]], xy[dst[keep]]], axis=1)
        # an (n, 2, 2) array is a sequence of segments; matplotlib's stubs want a Sequence
        ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=0.4, alpha=0.35,  # type: ignore[arg-type]
                                         zorder=1))
        size = 28 if model.n <= 500 else (12 if model.n <= 1000 else 5)
        order = np.argsort(cls != 0, kind="stable")  # the unaware below the rest
        ax.scatter(xy[order, 0], xy[order, 1], s=size, c=[colours[c] for c in cls[order]],
                   edgecolors="none", zorder=2)
        kols = np.asarray(model.kol_nodes, dtype=np.int64)
        if kols.size:
            ax.scatter(xy[kols, 0], xy[kols, 1], s=size * 3.2, facecolors=[colours[c] for c in cls[kols]],
                       edgecolors="black", linewidths=1.2, zorder=3)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
    handles = [Line2D([], [], marker="o", ls="", markersize=8, markerfacecolor=colours[i],
                      markeredgecolor="none", label=f"{pretty(name)} ({counts[i]})")
               for i, name in enumerate(names)]
    handles.append(Line2D([], [], marker="o", ls="", markersize=10, markerfacecolor="white",
                          markeredgecolor="black", markeredgewidth=1.2, label=f"KOL ({len(model.kol_nodes)})"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.645, 0.47), frameon=False,
               fontsize=8.5, handletextpad=0.3, borderaxespad=0.0)
    return fig


def funnel_figure(model: PageModel, snap: dict) -> Figure:
    names = model.class_names()
    colours = class_colours(model.funnel)
    counts = np.bincount(snap["classes"], minlength=len(names))
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_axes((0.28, 0.06, 0.66, 0.80))
    label = FUNNEL_LABELS.get(model.funnel.kind, model.funnel.kind)
    fig.suptitle(f"{label} funnel at {model.sc.scenario.unit.one} {snap['t']}: agents per stage", fontsize=11, x=0.02,
                 ha="left")
    y = np.arange(len(names))[::-1]
    ax.barh(y, counts, left=-counts / 2.0, color=colours, edgecolor="#555555", linewidth=0.5, height=0.78)
    for yi, c in zip(y, counts):
        ax.text(c / 2.0 + model.n * 0.015, yi, str(c), va="center", fontsize=9)
    ax.set_yticks(y, [pretty(n) for n in names], fontsize=9)
    ax.set_xlim(-model.n / 2.0 * 1.05, model.n / 2.0 * 1.2)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig


def messages_figure(model: PageModel, snap: dict) -> Figure:
    tab = snap["table"]
    u = model.sc.scenario.unit
    steps = np.arange(len(tab))
    pos, neg = tab["new_pos_messages"].to_numpy(), tab["new_neg_messages"].to_numpy()
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_axes((0.10, 0.13, 0.78, 0.66))
    fig.suptitle(f"Word-of-mouth messages {u.per} ({u.one} {snap['t']})", fontsize=11, x=0.02, ha="left")
    names = {f"positive {u.per} (total {int(tab['pos_messages'].iloc[-1])})": (pos, style.POSITIVE),
             f"negative {u.per} (total {int(tab['neg_messages'].iloc[-1])})": (neg, style.NEGATIVE)}
    looks = style.series_styles(list(names))
    for name, (_, colour) in names.items():
        looks[name]["color"] = colour
    draw_series(ax, {name: (steps, values, None, None) for name, (values, _) in names.items()}, looks, lw=2, ms=5)
    ax.set_xlim(0, max(model.horizon, snap["t"], 1))
    ax.set_ylim(0, max(5, float(max(pos.max(), neg.max())) * 1.15))
    step_axis(ax, u)
    ax.set_ylabel("messages sent")
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(steps, tab["adopters"].to_numpy(), color="#555555", lw=1.2, ls="--", label="adopters (cumulative)")
    ax2.set_ylim(0, max(10.0, float(tab["adopters"].max()) * 1.15))
    ax2.set_ylabel("adopters", color="#555555")
    lines = ax.get_lines() + ax2.get_lines()
    fig.legend(lines, [str(ln.get_label()) for ln in lines], loc="upper left", bbox_to_anchor=(0.08, 0.93),
               ncol=2, fontsize=8.5, frameon=False, columnspacing=1.2)
    for a in (ax, ax2):
        a.spines["top"].set_visible(False)
    return fig


# ----------------------------------------------------------------------------- panels


@solara.component
def Chart(model: PageModel, draw, name: str):
    """One matplotlib figure as a PNG that fills its panel; redrawn after each step."""
    update_counter.get()  # SolaraViz bumps this after every step
    t = model.t

    def render() -> bytes:
        return png(draw(model, snapshot(model)))

    image = solara.use_memo(render, dependencies=[model, t])
    with solara.Column(classes=[f"wom-{name}"], style={"width": "100%"}):
        solara.Image(image, width="100%", classes=[f"wom-{name}-image"])
        # the numbers behind the figure, for tests and screen readers
        solara.HTML(tag="div", classes=[f"wom-{name}-data"], style="display: none",
                    attributes={"data-step": str(t), "data-digest": str(hash(image))})


@solara.component
def NetworkPanel(model: PageModel):
    return Chart(model, network_figure, "network")


@solara.component
def FunnelPanel(model: PageModel):
    return Chart(model, funnel_figure, "funnel")


@solara.component
def MessagesPanel(model: PageModel):
    return Chart(model, messages_figure, "messages")


@solara.component
def SummaryPanel(model: PageModel):
    """The step counter and the headline metrics, as text."""
    update_counter.get()
    # Mesa 3.3 keeps every model alive in Agent._ids: let go of a model once Reset
    # has replaced it (or the page is closed)
    solara.use_effect(lambda: model.release, [model])
    snap = snapshot(model)
    row = snap["table"].iloc[-1]
    sc = model.sc
    label = FUNNEL_LABELS.get(model.funnel.kind, model.funnel.kind)
    with solara.Column(classes=["wom-summary"], style={"padding": "8px 16px", "width": "100%"}):
        solara.HTML(tag="div", classes=["wom-step-counter"], attributes={"data-step": str(snap["t"])},
                    unsafe_innerHTML=f"{html.escape(sc.scenario.unit.one.capitalize())} <b>{snap['t']}</b> of "
                                     f"{model.horizon}",
                    style="font-size: 1.5em; margin-bottom: 2px")
        solara.Text(f"{label} funnel · seed {sc.scenario.seed} · {model.n:,} agents · "
                    f"{len(model.kol_nodes)} KOLs · {sc.wom.mode} mode · response delay "
                    f"{sc.scenario.unit.count(sc.response.delay)}",
                    style={"color": "#555"})
        total = row["pos_messages"] + row["neg_messages"]
        items = [
            ("aware (ever heard)", f"{int(row['aware']):,}"),
            ("adopters (KOLs included)", f"{int(row['adopters']):,}"),
            ("rejected", f"{int(row['rejected']):,}"),
            ("negative reach", f"{int(row['negative_reach']):,}"),
            ("messages: positive / negative", f"{int(row['pos_messages']):,} / {int(row['neg_messages']):,}"),
            ("net sentiment", f"{row['net_sentiment']:+.2f}" if total else "–"),
            ("firm responses", f"{int(row['responses']):,}"),
            ("NPV", f"{row['npv']:,.0f}"),
        ]
        body = "".join(f"<tr><td style='padding:1px 16px 1px 0'>{html.escape(k)}</td>"
                       f"<td style='text-align:right'><b>{html.escape(v)}</b></td></tr>" for k, v in items)
        solara.HTML(tag="table", unsafe_innerHTML=body, classes=["wom-metrics"],
                    style="margin-top: 6px; font-size: 0.93em")
        for warning in model.warnings:
            solara.Warning(warning, dense=True)
        solara.Text("Sliders, the funnel switch and the seed take effect on Reset. "
                    "The page shows replicate 0 of the scenario (wom-sim run's first).",
                    style={"color": "#777", "font-size": "0.8em", "margin-top": "6px"})


# ----------------------------------------------------------------------------- the page


def _whole(v: float):
    return int(v) if float(v).is_integer() else float(v)


def model_params(base: Scenario) -> dict:
    """SolaraViz's model parameters: the fixed scenario, the funnel switch, the seed
    box and one slider per main parameter, each starting at the scenario's value."""
    n = base.graph.n_nodes()
    w, s, r = base.wom, base.seeding, base.response
    u = base.scenario.unit
    funnels = ["aisas", "sicas"] + ([base.funnel.kind] if base.funnel.kind not in ("aisas", "sicas") else [])
    params: dict = {
        "base": base,
        "funnel": {"type": "Select", "label": "Funnel (AISAS / SICAS)", "value": base.funnel.kind,
                   "values": funnels},
        "seed": {"type": "InputText", "label": "Seed", "value": str(base.scenario.seed)},
    }
    if w.mode == "cascade":
        params["transmissibility"] = Slider(f"Transmissibility T (per neighbour, {u.per})",
                                            w.transmissibility, 0.0, 1.0, 0.01)
    else:
        params["positive_tells"] = Slider("Retellings after a good experience (mean)", _whole(w.positive_tells),
                                          0, max(20, _whole(w.positive_tells)), 1)
        params["negative_tells"] = Slider("Retellings after a bad experience (mean)", _whole(w.negative_tells),
                                          0, max(30, _whole(w.negative_tells)), 1)
    params["p_negative_experience"] = Slider("Bad experiences (share of purchases)",
                                             w.p_negative_experience, 0.0, 1.0, 0.01)
    params["p_external"] = Slider(f"Advertising (p_external {u.per})", w.p_external, 0.0,
                                  max(0.05, w.p_external), 0.001)
    top = max(50, 2 * s.budget)
    if n is not None:
        top = min(top, n - s.complainer_count)
    params["kol_budget"] = Slider("KOLs (seeding budget)", s.budget, 0, max(top, s.budget), 1)
    params["kol_reach"] = Slider("KOL reach (share of followers)", s.kol_reach, 0.0, 1.0, 0.05)
    params["response_delay"] = Slider(f"Firm response delay ({u.many})", r.delay, 0, max(20, r.delay), 1)
    params["detect_prob"] = Slider(f"Monitoring (detect_prob {u.per})", r.detect_prob, 0.0, 1.0, 0.05)
    return params


def page_title(sc: Scenario) -> str:
    """The page's header: the scenario's name without a funnel's name in it. The sidebar
    switches between AISAS and SICAS, and the funnel panel names the one shown; a header
    saying "AISAS classroom" over a SICAS run would mislead."""
    import re
    name = re.sub(r"\b(AISAS|SICAS)\b", "", sc.scenario.name or "", flags=re.I)
    name = re.sub(r"\s+", " ", name).strip(" :-·,")
    return f"wom-sim · {(name[:1].upper() + name[1:]) if name else 'scenario'}"


def build_page(scenario=None, overrides=()):
    """The page component for a scenario (a path, a dict or a Scenario; default the
    AISAS classroom), with `--set`-style overrides applied."""
    base = load_scenario(scenario if scenario is not None else default_scenario_path(), list(overrides))
    check_page_scenario(base)
    params = model_params(base)
    start = {k: (v.value if isinstance(v, Slider) else v["value"] if isinstance(v, dict) else v)
             for k, v in params.items()}
    name = page_title(base)

    @solara.component
    def Page():
        # one model per browser session, made with the controls' starting values
        model = solara.use_memo(lambda: PageModel(**start), [])
        solara.Title(name)
        solara.Style(CSS)
        SolaraViz(model, components=[NetworkPanel, FunnelPanel, MessagesPanel, SummaryPanel],
                  model_params=params, name=name, play_interval=201)

    return Page
