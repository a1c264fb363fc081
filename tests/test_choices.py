"""Modelling choices where the contract is silent (docs/model.md section 10), each held
exactly on a tiny case, on both engines where both run it."""
from __future__ import annotations

import numpy as np
import pytest

from wom_sim.engines import make_engine
from wom_sim.graphs.csr import complete_graph, from_arcs
from wom_sim.model import metrics
from wom_sim.scenario import load_scenario
from wom_sim.streams import stream

ENGINES = ["numpy", "mesa"]


def run(sections: dict, graph, engine: str, reps: int = 5, kols=()) -> tuple[np.ndarray, list[str]]:
    sections = {k: dict(v) for k, v in sections.items()}
    sections.setdefault("scenario", {})["engine"] = engine
    sc = load_scenario(sections)
    eng = make_engine(sc, graph, kols)
    return np.stack([eng.run_replicate(stream(2, 2, r)) for r in range(reps)]), eng.metrics


def col(names: list[str], name: str) -> int:
    return names.index(name)


#: nobody moves down the funnel on their own: only what the case is about happens
STILL = {"kind": "aisas", "advance": [0.0, 0.0, 0.0]}


def test_defaults_share_and_advertising():
    """share_prob defaults to 1 (the 5/11 retellings carry who talks) and p_external to
    0 (no advertising unless set)."""
    sc = load_scenario({})
    assert sc.wom.share_prob == 1.0 and sc.wom.share_prob_negative is None and sc.wom.p_external == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_negative_wins_when_both_arrive_under_funnel_none(engine):
    """Under funnel "none" hearing is deciding; good and bad news read in the same step:
    the bad news wins (the hearer rejects)."""
    g = from_arcs(3, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 1]), directed=True)
    sections = {"scenario": {"steps": 3}, "graph": {"kind": "complete", "n": 3}, "funnel": {"kind": "none"},
                "wom": {"mode": "cascade", "transmissibility": 1.0, "share_prob_negative": 0.0},
                "seeding": {"budget": 1, "kol_reach": 1.0, "initial_complainers": 1}, "response": {"policy": "none"}}
    out, m = run(sections, g, engine, kols=[0])
    assert (out[:, 2, col(m, "rejected")] == 1).all()
    assert (out[:, 2, col(m, "adopters")] == 2).all()  # the KOL and the complainer only


@pytest.mark.parametrize("engine", ENGINES)
def test_complainers_are_non_kol_adopters_and_not_sales(engine):
    """Nine KOLs and one initial complainer on ten agents: the complainer is the one
    agent who is not a KOL; all ten are adopters from step 0, and none is a sale."""
    sections = {"scenario": {"steps": 4}, "graph": {"kind": "complete", "n": 10}, "funnel": STILL,
                "seeding": {"budget": 9, "initial_complainers": 1}, "response": {"policy": "none"}}
    out, m = run(sections, complete_graph(10), engine, kols=list(range(9)))
    assert (out[:, 0, col(m, "adopters")] == 10).all() and (out[:, 0, col(m, "negative_reach")] == 1).all()
    assert (out[:, :, col(m, "npv")] == 0).all() and (out[:, :, col(m, "new_adopters")] == 0).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_custom_funnel_runs_stage_by_stage(engine):
    """A custom funnel (two certain stages, then buy and tell) on a path headed by a KOL:
    each agent reads in the step after it is told, advances once a step, buys, and
    first tells in the step after buying (custom funnels share in the next step)."""
    g = from_arcs(3, np.array([0, 1]), np.array([1, 2]), directed=True)
    sections = {"scenario": {"steps": 9}, "graph": {"kind": "complete", "n": 3},
                "funnel": {"kind": "custom", "stages": ["aware", "consider", "buy", "tell"], "advance": [1.0, 1.0]},
                "wom": {"positive_tells": 1, "tells_distribution": "fixed", "tells_per_step": 1,
                        "p_negative_experience": 0.0},
                "seeding": {"budget": 1, "kol_reach": 1.0}, "response": {"policy": "none"}}
    out, m = run(sections, g, engine, reps=2, kols=[0])
    adopters = out[0, :, col(m, "adopters")].tolist()
    assert adopters == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    assert (out[:, 2, col(m, "stage_aware")] == 1).all() and (out[:, 3, col(m, "stage_consider")] == 1).all()
    assert (out[0] == out[1]).all()  # nothing random is left


@pytest.mark.parametrize("engine", ENGINES)
def test_a_repaired_rejecter_returns_to_unaware_under_funnel_none(engine):
    """Under funnel "none" the public reply sends a rejecter back to Unaware (there is no
    first stage), and it stops telling its story."""
    g = from_arcs(2, np.array([0]), np.array([1]), directed=False)
    sections = {"scenario": {"steps": 4}, "graph": {"kind": "complete", "n": 2}, "funnel": {"kind": "none"},
                "wom": {"mode": "cascade", "transmissibility": 1.0, "share_prob_negative": 0.0},
                "seeding": {"budget": 0, "initial_complainers": 1},
                "response": {"policy": "fixed_delay", "delay": 1, "detect_prob": 1.0, "resolve_prob": 0.0,
                             "recovery_prob": 0.0, "repair_prob": 1.0}}
    out, m = run(sections, g, engine)
    assert (out[:, 2, col(m, "rejected")] == 0).all()
    assert (out[:, 2:, col(m, "stage_unaware")] == 1).all()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mixing", ["graph", "complete"])
def test_only_buyers_are_recovered_and_a_reply_does_not_repair_its_author(engine, mixing):
    """Two agents: a complainer tells the other, who rejects and tells its own story
    back. Answers come at once with recovery_prob = repair_prob = 1. The complainer (a
    buyer) is recovered; the rejecter, answered in its turn, is not (it never bought),
    and its own public reply does not win it back (under complete mixing too)."""
    g = from_arcs(2, np.array([0]), np.array([1]), directed=False) if mixing == "graph" else complete_graph(2)
    sections = {"scenario": {"steps": 6}, "graph": {"kind": "complete", "n": 2}, "funnel": STILL,
                "wom": {"negative_tells": 1, "positive_tells": 0, "tells_distribution": "fixed",
                        "reject_per_negative": 1.0, "rejecter_shares": 1.0},
                "seeding": {"budget": 0, "initial_complainers": 1},
                "response": {"policy": "fixed_delay", "delay": 0, "detect_prob": 1.0, "resolve_prob": 0.0,
                             "recovery_prob": 1.0, "repair_prob": 1.0}}
    out, m = run(sections, g, engine)
    assert (out[:, 3, col(m, "responses")] == 2).all(), "both complainers answered"
    assert (out[:, -1, col(m, "rejected")] == 1).all(), "the rejecter stays a rejecter"
    assert (out[:, -1, col(m, "neg_messages")] == 2).all()


def test_the_early_stop_changes_no_number():
    """Once nothing can change, the engine stops stepping and repeats the state: the same
    table as stepping every step by hand through the public API."""
    # 100 steps: long enough for every replicate to go quiet (the early stop is taken)
    sections = {"scenario": {"steps": 100, "seed": 3}, "graph": {"kind": "erdos_renyi", "n": 300, "mean_degree": 3},
                "wom": {"mode": "cascade", "transmissibility": 0.1}, "seeding": {"budget": 3}}
    sc = load_scenario(sections)
    g = from_arcs(300, *np.random.default_rng(1).integers(0, 300, (2, 600)), directed=False)
    eng = make_engine(sc, g, [0, 1, 2])
    for r in range(5):
        table = eng.run_replicate(stream(3, 2, r))
        rep = eng.replicate(stream(3, 2, r))
        rows = [rep.counters()]
        for t in range(1, 101):
            rep.step(t)
            rows.append(rep.counters())
        np.testing.assert_array_equal(table, metrics.table(np.array(rows), eng.funnel, sc.economics,
                                                           eng.spend([[0, 1, 2]])[0]))
        assert rep.quiescent()
