"""The readings of the model that docs/model.md section 9 settles, each held on every
engine path: the NumPy core, its IC kernel where it applies, and the Mesa agents.

Each case is small enough to be computed by hand, so the tests are exact (probabilities
0 and 1), apart from the means, which are held to their standard error.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from wom_sim.engines import make_engine
from wom_sim.engines.numpy import NumpyEngine
from wom_sim.graphs.csr import complete_graph, from_arcs
from wom_sim.scenario import load_scenario
from wom_sim.streams import stream

ENGINES = ["numpy", "mesa"]


def tables(sections: dict, graph, engine: str, reps: int, kols=(), seed: int = 1, fast_ic: bool = True) -> np.ndarray:
    """(reps, steps + 1, metrics) of a scenario on a graph, on one engine."""
    sections = {k: dict(v) for k, v in sections.items()}
    sections.setdefault("scenario", {})["engine"] = engine
    sc = load_scenario(sections)
    eng = NumpyEngine(graph, sc, kols, fast_ic=fast_ic) if engine == "numpy" else make_engine(sc, graph, kols)
    out = np.stack([eng.run_replicate(stream(seed, 2, r)) for r in range(reps)])
    return out, eng.metrics


def col(metrics: list[str], name: str) -> int:
    return metrics.index(name)


# ------------------------------------------------------------------ 9.1 judged when read

@pytest.mark.parametrize("engine", ENGINES)
def test_a_message_is_judged_when_it_is_read(engine):
    """Two friends: one complains (cascade, telling in steps 1 and 2), the other rejects
    on the first bad news (step 2) and is won back by the firm's public reply at the end
    of step 2. The bad news told to it in step 2, while it was a rejecter, is read in
    step 3 against its state then: it rejects again. Judged at sending, it would not."""
    g = from_arcs(2, np.array([0]), np.array([1]), directed=False)
    sections = {
        "scenario": {"steps": 4, "seed": 3},
        "graph": {"kind": "complete", "n": 2},
        "funnel": {"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
        "wom": {"mode": "cascade", "transmissibility": 1.0, "active_steps": 2, "reject_per_negative": 1.0,
                "rejecter_shares": 0.0},
        "seeding": {"budget": 0, "initial_complainers": 1},
        "response": {"policy": "fixed_delay", "delay": 1, "detect_prob": 1.0, "resolve_prob": 0.0,
                     "recovery_prob": 0.0, "repair_prob": 1.0},
    }
    out, m = tables(sections, g, engine, reps=5)
    rejected = out[:, :, col(m, "rejected")]
    assert (rejected[:, 1] == 0).all()
    assert (rejected[:, 2] == 0).all(), "rejected in step 2, repaired at its end"
    assert (rejected[:, 3] == 1).all(), "step 2's bad news, read in step 3, rejects again"
    assert (out[:, -1, col(m, "negative_reach")] == 2).all()
    assert (out[:, -1, col(m, "responses")] == 1).all()


# ------------------------------------------------------------------ 9.2 distinct over a life

@pytest.mark.parametrize("engine", ENGINES)
def test_a_sharer_tells_distinct_people_over_its_life(engine):
    """A complainer with exactly 11 tells, 2 a step, among 29 friends, tells 11
    different people: never one twice over its telling life."""
    sections = {
        "scenario": {"steps": 10},
        "graph": {"kind": "complete", "n": 30},
        "funnel": {"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
        "wom": {"mode": "retell", "negative_tells": 11, "tells_distribution": "fixed", "tells_per_step": 2,
                "reject_per_negative": 0.0},
        "seeding": {"budget": 0, "initial_complainers": 1},
        "response": {"policy": "none"},
    }
    out, m = tables(sections, complete_graph(30), engine, reps=20)
    assert (out[:, -1, col(m, "neg_messages")] == 11).all()
    assert (out[:, -1, col(m, "negative_reach")] == 12).all(), "someone was told twice"
    assert (out[:, 1:7, col(m, "new_neg_messages")].sum(axis=1) == 11).all()  # 2 a step: 6 steps
    assert (out[:, 6, col(m, "new_neg_messages")] == 1).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_mean_people_told_is_the_configured_mean_when_degree_allows(engine):
    """Poisson(11) tells among 399 friends: the complainer tells 11 different people on
    average (a complainer tells at least once: E[max(X, 1)] = 11 + P(X = 0))."""
    reps = 300
    sections = {
        "scenario": {"steps": 12},
        "graph": {"kind": "complete", "n": 400},
        "funnel": {"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
        "wom": {"mode": "retell", "negative_tells": 11, "tells_per_step": 2, "reject_per_negative": 0.0},
        "seeding": {"budget": 0, "initial_complainers": 1},
        "response": {"policy": "none"},
    }
    out, m = tables(sections, complete_graph(400), engine, reps=reps, seed=7)
    told = out[:, -1, col(m, "negative_reach")] - 1
    assert (told == out[:, -1, col(m, "neg_messages")]).all(), "someone was told twice"
    want = 11 + math.exp(-11)
    assert abs(told.mean() - want) < 4 * math.sqrt(11 / reps), told.mean()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_sharer_with_few_friends_tells_them_all_then_is_done(engine):
    """11 tells but 3 friends: it tells the 3 (2, then 1) and is done."""
    g = from_arcs(4, np.array([0, 0, 0, 1, 2]), np.array([1, 2, 3, 2, 3]), directed=False)  # all of degree >= 2
    sections = {
        "scenario": {"steps": 5},
        "graph": {"kind": "complete", "n": 4},
        "funnel": {"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
        "wom": {"mode": "retell", "negative_tells": 11, "tells_distribution": "fixed", "tells_per_step": 2,
                "reject_per_negative": 0.0},
        "seeding": {"budget": 0, "initial_complainers": 1},
        "response": {"policy": "none"},
    }
    out, m = tables(sections, g, engine, reps=30)
    deg = np.diff(g.indptr)
    told = out[:, -1, col(m, "neg_messages")]
    assert set(told.tolist()) <= set(deg.tolist()) and (out[:, -1, col(m, "negative_reach")] == told + 1).all()
    assert (out[:, -1, col(m, "stage_share")] == 0).all() and (out[:, -1, col(m, "stage_done")] == 1).all()


# ------------------------------------------------------------------ 9.10 realtime_share everywhere

@pytest.mark.parametrize("realtime, adopters", [(False, 6), (True, 10)])
@pytest.mark.parametrize("path", ["ic kernel", "general", "mesa"])
def test_realtime_share_governs_every_path(path, realtime, adopters):
    """A KOL at the head of a directed path, everything certain (T = 1, kol_reach = 1):
    with real-time sharing each hearer tells in the step it adopts (one agent a step);
    without, in the next (one agent every two steps)."""
    n = 20
    g = from_arcs(n, np.arange(n - 1), np.arange(1, n), directed=True)
    sections = {
        "scenario": {"steps": 10},
        "graph": {"kind": "complete", "n": n},
        "funnel": {"kind": "none", "realtime_share": realtime},
        "wom": {"mode": "cascade", "transmissibility": 1.0, "active_steps": 1, "p_negative_experience": 0.0},
        "seeding": {"budget": 1, "kol_reach": 1.0},
        "response": {"policy": "none"},
    }
    engine = "mesa" if path == "mesa" else "numpy"
    out, m = tables(sections, g, engine, reps=2, kols=[0], fast_ic=path == "ic kernel")
    if path == "ic kernel":
        sc = load_scenario({**sections, "scenario": {"steps": 10}})
        assert NumpyEngine(g, sc, [0]).fast_ic, "the pure-IC kernel should run this scenario"
    assert (out[:, 10, col(m, "adopters")] == adopters).all()
    if not realtime:  # a new sharer waits one step in Share
        assert (out[:, 2, col(m, "stage_share")] == 1).all()
