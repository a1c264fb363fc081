"""The model behind `wom-sim ui`: the Mesa engine's WomModel, built from a scenario and
the page's controls.

SolaraViz re-creates a model on Reset as ``type(model)(**parameters)``, so the page
needs a model class whose constructor takes the controls as keyword arguments.
`PageModel` is that class and nothing more: it turns the controls into a scenario,
builds (and caches) the graph and the KOL plan exactly as `wom-sim run` does, and hands
them to `mesa_engine.WomModel`, whose agents carry every rule. The page shows replicate
0 of the scenario: with the same seed and parameters its numbers are those of
``wom-sim run SCENARIO --set scenario.engine=mesa``'s first replicate.

No Solara here: this module imports with the core install (tests use it directly).
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np

from ..engines.mesa import MesaEngine, WomModel, check_size, release
from ..errors import ScenarioError
from ..execution.cache import GraphCache, graph_key
from ..execution.run import make_graph
from ..graphs.csr import CSRGraph
from ..graphs.io import to_networkx
from ..scenario import Scenario, bundled_path, load_scenario, validate_dict
from ..streams import stream

#: the page draws the network up to this many agents (the charts work at any size the
#: Mesa engine takes); above it a force layout takes too long and the dots are mush
MAX_DRAWN = 2_000

#: page control -> the scenario key it sets (the seed box sets scenario.seed)
CONTROLS: dict[str, str] = {
    "funnel": "funnel.kind",
    "positive_tells": "wom.positive_tells",
    "negative_tells": "wom.negative_tells",
    "transmissibility": "wom.transmissibility",
    "p_negative_experience": "wom.p_negative_experience",
    "p_external": "wom.p_external",
    "kol_budget": "seeding.budget",
    "kol_reach": "seeding.kol_reach",
    "response_delay": "response.delay",
    "detect_prob": "response.detect_prob",
}

#: the page's replicate: stream (seed, 2, 0), KOLs plan.for_replicate(0)
REPLICATE = 0

_INT_KEYS = {"kol_budget", "response_delay"}


# ----------------------------------------------------------------------------- scenarios


def default_scenario_path() -> Path:
    """The page's default: the bundled AISAS classroom scenario."""
    return bundled_path("aisas_classroom.toml")


def check_page_scenario(sc: Scenario) -> None:
    """What the page cannot show: Bass mode (no funnel, no messages) and graphs too
    big for the agent engine."""
    if sc.wom.mode == "bass":
        raise ScenarioError(f"{sc.source}: wom.mode = \"bass\" has no funnel and no messages to show; "
                            "the page runs retell or cascade scenarios (e.g. scenarios/aisas_classroom.toml)")
    check_size(sc.graph.n_nodes(), sc.source)


def parse_seed(value, fallback: int) -> tuple[int, str | None]:
    """The seed box's text as an integer (>= 0), or the fallback and a warning."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return fallback, None
    try:
        seed = int(str(value).strip())
    except ValueError:
        return fallback, f"seed {value!r} is not a whole number; using {fallback}"
    if seed < 0:
        return fallback, f"seed {seed} is negative; using {fallback}"
    return seed, None


def page_scenario(base: Scenario, seed=None, **controls) -> tuple[Scenario, list[str]]:
    """The scenario the page runs: `base` with the controls applied (None keeps the
    base's value), on the Mesa engine. Returns it with warnings for the page."""
    unknown = set(controls) - set(CONTROLS)
    if unknown:
        raise TypeError(f"unknown page controls: {sorted(unknown)}")
    warnings: list[str] = []
    raw = base.to_dict()
    raw.pop("sweep", None)  # the page runs one point; a grid is `wom-sim sweep`'s job
    raw["scenario"]["engine"] = "mesa"
    s, warn = parse_seed(seed, base.scenario.seed)
    raw["scenario"]["seed"] = s
    if warn:
        warnings.append(warn)
    for name, value in controls.items():
        if value is None:
            continue
        sec, key = CONTROLS[name].split(".")
        if name in _INT_KEYS:
            value = int(round(float(value)))
        raw[sec][key] = value
    kind = raw["funnel"]["kind"]
    if kind != base.funnel.kind and kind in ("aisas", "sicas"):
        # switching from a custom (or none) funnel: keep only what a built-in one takes
        for key in ("stages", "message_stages"):
            raw["funnel"].pop(key, None)
        if len(raw["funnel"].get("advance") or []) != 3:
            raw["funnel"].pop("advance", None)
    n = base.graph.n_nodes()
    if n is not None:  # the KOL slider may ask for more KOLs than there are agents
        room = n - raw["seeding"].get("initial_complainers", 0)
        if raw["seeding"]["budget"] > room:
            warnings.append(f"{raw['seeding']['budget']} KOLs do not fit in {n} agents; using {room}")
            raw["seeding"]["budget"] = room
    return validate_dict(raw, base.source), warnings


# ----------------------------------------------------------------------------- caches

_CACHE = GraphCache(make_graph, keep=4)  # a few graphs (seeds) per server process
_LAYOUTS: dict[str, np.ndarray] = {}
_LAYOUT_LOCK = threading.Lock()


def graph_and_kols(sc: Scenario) -> tuple[str, CSRGraph, np.ndarray]:
    """The scenario's graph and the page replicate's KOLs, as `wom-sim run` makes them
    (the graph from stream (seed, 0), the pick from (seed, 1))."""
    graph = _CACHE.graph(sc)
    plan = _CACHE.plan(sc)
    return graph_key(sc), graph, np.asarray(plan.for_replicate(REPLICATE), dtype=np.int64)


def layout(key: str, graph: CSRGraph) -> np.ndarray | None:
    """Node positions (n, 2) in [0, 1]^2 for drawing, computed once per graph; None
    for a graph too big to draw (or complete mixing, which has no edges to show)."""
    if graph.n > MAX_DRAWN or graph.complete:
        return None
    with _LAYOUT_LOCK:
        if key in _LAYOUTS:
            return _LAYOUTS[key]
    G = to_networkx(replace(graph, meta={})).to_undirected()
    pos = nx.spring_layout(G, seed=1, iterations=100 if graph.n <= 500 else 50)
    xy = np.array([pos[i] for i in range(graph.n)], dtype=np.float64).reshape(graph.n, 2)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    xy = (xy - lo) / np.where(hi > lo, hi - lo, 1.0)
    with _LAYOUT_LOCK:
        while len(_LAYOUTS) >= 4:
            _LAYOUTS.pop(next(iter(_LAYOUTS)))
        _LAYOUTS[key] = xy
    return xy


# ----------------------------------------------------------------------------- the model


class PageModel(WomModel):
    """WomModel made from the page's controls; every keyword is optional (None: the
    scenario's value). `base` is the loaded scenario (default: the AISAS classroom)."""

    def __init__(self, base: Scenario | None = None, seed: str | int | None = None,
                 funnel: str | None = None, positive_tells: float | None = None,
                 negative_tells: float | None = None, transmissibility: float | None = None,
                 p_negative_experience: float | None = None, p_external: float | None = None,
                 kol_budget: int | None = None, kol_reach: float | None = None,
                 response_delay: int | None = None, detect_prob: float | None = None) -> None:
        if base is None:
            base = load_scenario(default_scenario_path())
        check_page_scenario(base)
        sc, warnings = page_scenario(
            base, seed, funnel=funnel, positive_tells=positive_tells, negative_tells=negative_tells,
            transmissibility=transmissibility, p_negative_experience=p_negative_experience,
            p_external=p_external, kol_budget=kol_budget, kol_reach=kol_reach,
            response_delay=response_delay, detect_prob=detect_prob)
        gkey, graph, kols = graph_and_kols(sc)
        engine = MesaEngine(graph, sc, kols)
        super().__init__(engine, stream(sc.scenario.seed, 2, REPLICATE), kols)
        self.base = base
        self.graph = graph
        self.graph_key = gkey
        self.kol_nodes = kols
        self.warnings = warnings
        self.horizon = sc.scenario.steps
        self.lock = threading.RLock()  # the page reads the model while Play steps it

    def step(self) -> None:
        with self.lock:
            super().step()
            if self.t >= self.horizon:  # the scenario's steps are done: Play stops
                self.running = False

    def release(self) -> None:
        """Let go of this model's agents (Mesa 3.3 keeps every model in Agent._ids)."""
        release(self)

    def layout(self) -> np.ndarray | None:
        return layout(self.graph_key, self.graph)

    # ------------------------------------------------------------ what the page draws
    def class_names(self) -> list[str]:
        """Names of the drawing classes returned by `classes` (legend order)."""
        return ["unaware", *self.funnel.stages[:self.funnel.n_pre], "action",
                "positive sharer", "negative sharer", "rejected", "done"]

    def classes(self) -> np.ndarray:
        """Each agent's drawing class (index into `class_names`), in node order:
        its funnel stage, except that active sharers show their valence."""
        f = self.funnel
        n_pre = f.n_pre
        BOUGHT, POS, NEG, REJ, DONE = n_pre + 1, n_pre + 2, n_pre + 3, n_pre + 4, n_pre + 5
        out = np.zeros(self.n, dtype=np.int64)
        for a in self.consumers:
            s = a.stage
            if a.tells_left > 0 or s == f.SHARE:
                c = NEG if a.valence < 0 else POS
            elif s == f.REJECTED:
                c = REJ
            elif s == f.DONE:
                c = DONE
            elif s == f.ACTION:
                c = BOUGHT
            else:
                c = s  # 0 unaware, 1..n_pre the pre-purchase stages
            out[a.node] = c
        return out
