"""Weak ties (wom.weak_ties_per_step, docs/model.md section 4.5): strangers met anew every
step, each hearing with the transmissibility; on both engines, batch-size independent."""
from __future__ import annotations

import math

import numpy as np
import pytest

import wom_sim
from wom_sim.engines import make_engine
from wom_sim.errors import ScenarioError
from wom_sim.execution.run import make_graph, simulate
from wom_sim.graphs.kernels import weak_tie_hits
from wom_sim.streams import Draws, stream

#: complainers on a graph without arcs: every message travels on a weak tie
STRANGERS = {"scenario": {"seed": 5, "steps": 3, "replicates": 200},
             "graph": {"kind": "erdos_renyi", "n": 5000, "mean_degree": 0.0001},
             "funnel": {"kind": "none"},
             "wom": {"mode": "cascade", "transmissibility": 0.3, "active_steps": 3, "weak_ties_per_step": 4,
                     "p_negative_experience": 0.0, "share_prob": 0.0},  # hearers do not retell
             "seeding": {"strategy": "random", "budget": 0, "initial_complainers": 20},
             "response": {"policy": "none"}}


def test_weak_tie_hits_are_uniform_strangers():
    o, tg = weak_tie_hits(10, np.array([0, 9]), 20_000, 0.5, Draws([stream(1, 2, 0)]))
    assert bool((tg[o == 0] != 0).all() and (tg[o == 1] != 9).all())
    counts = np.bincount(tg[o == 0], minlength=10)[1:]  # 9 strangers of agent 0, each ~1/9 of ~10,000
    assert counts.sum() == pytest.approx(10_000, abs=4 * math.sqrt(10_000 * 0.25))
    expected = counts.sum() / 9
    assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected))


def test_each_teller_reaches_ties_times_transmissibility_strangers_a_step():
    """Exact expectation: c complainers, w strangers each, probability b, for 3 steps:
    c w b negative messages a step (no arcs to speak of), within 4 standard errors."""
    res = wom_sim.run(STRANGERS)
    neg = res.series[:, 1:4, res.metrics.index("new_neg_messages")]
    c, w, b = 20, 4, 0.3
    sd = math.sqrt(c * w * b * (1 - b))
    arcs = make_graph(wom_sim.load_scenario(STRANGERS)).n_arcs
    assert arcs < 10
    for t in range(3):
        assert abs(neg[:, t].mean() - c * w * b) < 4 * sd / math.sqrt(neg.shape[0]) + 0.05
    without = wom_sim.run(wom_sim.load_scenario(STRANGERS, ["wom.weak_ties_per_step=0"]))
    assert without.series[:, :, without.metrics.index("new_neg_messages")].sum() <= 3 * arcs * 200


def test_numbers_do_not_depend_on_the_batch_size():
    sc = wom_sim.load_scenario(STRANGERS, ["graph.mean_degree=4", "scenario.replicates=20"])
    g = make_graph(sc)
    eng = make_engine(sc, g)
    one = simulate(eng, sc.scenario.seed, list(range(20)), lambda r: np.zeros(0, dtype=np.int64), batch=1)
    many = simulate(eng, sc.scenario.seed, list(range(20)), lambda r: np.zeros(0, dtype=np.int64), batch=16)
    assert np.array_equal(one, many)


def test_engines_agree_with_weak_ties():
    """NumPy and Mesa: aware agents at steps 3, 6 and 10 on a ring lattice (strong ties
    only reach neighbours; weak ties jump), means within 4 standard errors."""
    base = {"scenario": {"seed": 9, "steps": 10, "replicates": 300},
            "graph": {"kind": "watts_strogatz", "n": 600, "k": 4, "p": 0.0},
            "funnel": {"kind": "none"},
            "wom": {"mode": "cascade", "transmissibility": 0.08, "active_steps": 1000, "weak_ties_per_step": 2,
                    "p_negative_experience": 0.0},
            "seeding": {"strategy": "random", "budget": 3, "kol_reach": 0.5}, "response": {"policy": "none"}}
    out = {}
    for engine in ("numpy", "mesa"):
        r = wom_sim.run(wom_sim.load_scenario(base, [f"scenario.engine=\"{engine}\""]))
        out[engine] = r.series[:, :, r.metrics.index("aware")]
    for t in (3, 6, 10):
        a, b = out["numpy"][:, t], out["mesa"][:, t]
        se = math.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 4 * se, (t, a.mean(), b.mean())
    lattice = wom_sim.run(wom_sim.load_scenario(base, ["wom.weak_ties_per_step=0"]))
    assert out["numpy"][:, 10].mean() > 2 * lattice.series[:, 10, lattice.metrics.index("aware")].mean()


def test_weak_ties_need_cascade_mode_and_skip_the_ic_kernel():
    with pytest.raises(ScenarioError, match="weak_ties_per_step = 2 needs wom.mode"):
        wom_sim.load_scenario({"wom": {"mode": "retell", "weak_ties_per_step": 2}})
    from wom_sim.engines.numpy.ic import ic_ineligible
    sc = wom_sim.load_scenario(STRANGERS, ["seeding.initial_complainers=0", "seeding.budget=3",
                                           "wom.active_steps=1"])
    assert ic_ineligible(sc) == "weak ties (wom.weak_ties_per_step > 0)"
