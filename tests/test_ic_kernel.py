"""The pure-IC kernel (engines/ic_kernel.py) against the general engine, theory and itself.

The kernel draws its random numbers differently from the general engine, so the two
are compared in distribution: two-sample z-tests on replicate means with |z| < 4.2
per comparison (two-sided false-alarm rate 2.7e-5 each; with the 64 comparisons below
at most ~0.2% for the whole test by Bonferroni). Seeds are fixed, so CI is deterministic.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import col, engine, replicates, scenario
from test_theory import percolation_S

import wom_sim
from wom_sim.engines.numpy.ic import _STAMP_LIMIT, ic_ineligible
from wom_sim.graphs.csr import from_arcs
from wom_sim.graphs.generators import barabasi_albert
from wom_sim.graphs.kernels import success_positions
from wom_sim.streams import stream


def _ic(**wom) -> object:
    base = {"mode": "cascade", "transmissibility": 0.15, "active_steps": 1, "share_prob": 0.7}
    base.update(wom)
    return scenario(scenario={"steps": 25, "seed": 3}, graph={"kind": "barabasi_albert", "n": 3000, "m": 3},
                    funnel={"kind": "none"}, wom=base,
                    seeding={"strategy": "degree", "budget": 5, "kol_reach": 0.3},
                    response={"policy": "none"})


@pytest.fixture(scope="module")
def ba3000():
    return barabasi_albert(3000, 3, stream(3, 0))


def test_success_positions_are_bernoulli_trials():
    rng = np.random.default_rng(11)
    for p, total, runs in ((0.3, 1000, 400), (0.02, 50_000, 400), (5e-5, 2_000_000, 400)):
        counts = np.array([success_positions(rng, total, p).size for _ in range(runs)])
        se = math.sqrt(total * p * (1 - p) / runs)
        assert abs(counts.mean() - total * p) < 4 * se, (p, counts.mean(), total * p)
        var_ratio = counts.var(ddof=1) / (total * p * (1 - p))
        assert 0.75 < var_ratio < 1.3, (p, var_ratio)  # binomial variance (SE of var ~7%)
    # every trial succeeds with p, whatever its position; positions sorted and distinct
    hits = np.zeros(40)
    runs = 20_000
    for _ in range(runs):
        pos = success_positions(rng, 40, 0.3)
        assert np.all(np.diff(pos) > 0) and (pos.size == 0 or (pos[0] >= 0 and pos[-1] < 40))
        hits[pos] += 1
    z = (hits / runs - 0.3) / math.sqrt(0.3 * 0.7 / runs)
    assert np.abs(z).max() < 4.2, z


def test_kernel_used_only_for_pure_ic(ba3000):
    assert ic_ineligible(_ic(), ba3000) is None
    assert engine(ba3000, _ic(), [0]).fast_ic
    assert "active_steps" in ic_ineligible(_ic(active_steps=2), ba3000)
    assert "advertising" in ic_ineligible(_ic(p_external=0.01), ba3000)
    assert "mode" in ic_ineligible(_ic(mode="retell"), ba3000)
    aisas = scenario(funnel={"kind": "aisas"}, wom={"mode": "cascade"})
    assert "funnel" in ic_ineligible(aisas, ba3000)
    weighted = from_arcs(3, np.array([0, 1]), np.array([1, 2]), directed=True,
                         weights=np.array([0.5, 0.5], dtype=np.float32))
    assert "weights" in ic_ineligible(_ic(), weighted)
    assert not engine(weighted, _ic(), [0]).fast_ic
    crisis = scenario(funnel={"kind": "none"}, wom={"mode": "cascade"}, seeding={"initial_complainers": 3})
    assert "complainers" in ic_ineligible(crisis, ba3000)


@pytest.mark.parametrize("share_prob", [1.0, 0.7])
def test_kernel_agrees_with_general_engine(ba3000, share_prob):
    sc = _ic(share_prob=share_prob)
    kols = np.argsort(-ba3000.out_degree(), kind="stable")[:5]
    fast, general = engine(ba3000, sc, kols), engine(ba3000, sc, kols, fast_ic=False)
    assert fast.metrics == general.metrics
    R = 400
    a, b = replicates(fast, R, seed=21), replicates(general, R, seed=22)
    names = ["adopters", "new_adopters", "new_pos_messages", "stage_action", "stage_done", "npv",
             "pos_messages", "stage_unaware"]
    worst = 0.0
    for name in names:
        i = col(fast, name)
        for t in (1, 2, 4, 25):
            x, y = a[:, t, i], b[:, t, i]
            se = math.sqrt(x.var(ddof=1) / R + y.var(ddof=1) / R)
            if se == 0:
                assert x.mean() == y.mean(), (name, t)
                continue
            z = (x.mean() - y.mean()) / se
            worst = max(worst, abs(z))
            assert abs(z) < 4.2, (name, t, x.mean(), y.mean(), z)
    # metrics that pure IC never moves are zero on both paths
    for name in ("rejected", "negative_reach", "neg_messages", "responses", "stage_rejected"):
        assert not a[:, :, col(fast, name)].any() and not b[:, :, col(general, name)].any(), name
    assert worst > 0  # the comparison really ran on varying numbers


def test_kernel_tables_are_consistent(ba3000):
    sc = _ic(share_prob=0.6)
    eng = engine(ba3000, sc, [0, 1, 2, 3])
    out = replicates(eng, 30, seed=4)
    stages = [c for c, m in enumerate(eng.metrics) if m.startswith("stage_")]
    assert np.all(out[:, :, stages].sum(axis=2) == ba3000.n)
    assert np.array_equal(out[:, :, col(eng, "aware")], out[:, :, col(eng, "adopters")])
    new = out[:, 1:, col(eng, "new_adopters")].sum(axis=1)
    assert np.array_equal(out[:, -1, col(eng, "adopters")] - 4, new)
    assert np.all(out[:, 0, col(eng, "stage_share")] == 4) and not out[:, 1:, col(eng, "stage_share")].any()
    assert np.all(out[:, 1, col(eng, "new_adopters")] == 0)  # KOLs' hearers adopt at step 2
    npv = out[:, -1, col(eng, "npv")]
    assert np.all(npv > 0) and np.all(np.diff(out[:, :, col(eng, "npv")], axis=1) >= 0)


def test_kernel_state_does_not_leak_between_replicates(ba3000):
    sc = _ic()
    kols = [0, 5, 9]
    used = engine(ba3000, sc, kols)
    replicates(used, 7, seed=1)  # leaves the kernel's stamp array and counter dirty
    fresh = engine(ba3000, sc, kols)
    assert np.array_equal(used.run_replicate(stream(9, 2, 0)), fresh.run_replicate(stream(9, 2, 0)))
    # the counter wraps: the stamp array is cleared, and the numbers do not change
    used._ic.counter = _STAMP_LIMIT - ba3000.n // 2
    assert np.array_equal(used.run_replicate(stream(9, 2, 1)), fresh.run_replicate(stream(9, 2, 1)))
    assert used._ic.counter < ba3000.n


def test_general_engine_cascade_matches_bond_percolation():
    """The general rules keep their own theory check now that pure IC takes the kernel."""
    sc = wom_sim.load_scenario("scenarios/ic_percolation.toml", ["scenario.replicates=8"])
    from wom_sim.execution import make_graph
    g = make_graph(sc)
    kols = stream(sc.scenario.seed, 1).choice(g.n, size=50, replace=False)
    eng = engine(g, sc, kols, fast_ic=False)
    frac = replicates(eng, 8, seed=2)[:, -1, col(eng, "aware")] / g.n
    expect = percolation_S(g.n_arcs / g.n, 0.2)
    se = frac.std(ddof=1) / math.sqrt(frac.size)
    assert abs(frac.mean() - expect) < 4 * se + 0.007, (frac.mean(), expect, se)


def test_ic_run_identical_for_any_workers():
    sc = wom_sim.load_scenario("scenarios/ic_percolation.toml",
                               ["scenario.replicates=4", "graph.n=4000"])
    one, two = wom_sim.run(sc, workers=1), wom_sim.run(sc, workers=2)
    assert np.array_equal(one.series, two.series)
