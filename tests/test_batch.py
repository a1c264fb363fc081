"""Batched replicates (issue 13): a replicate gives the same numbers alone or in a batch of
any size, on every engine path, because it draws only from its own stream (streams.Draws)
and its agents are always taken in the same order."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import wom_sim
from wom_sim.execution import make_graph, prepare, simulate
from wom_sim.execution.memory import batch_size
from wom_sim.graphs.generators import erdos_renyi
from wom_sim.graphs.kernels import bernoulli_arcs, distinct_neighbours, gap_positions
from wom_sim.streams import Draws, stream

BASE = {"scenario": {"steps": 25, "replicates": 70, "seed": 5},
        "graph": {"kind": "barabasi_albert", "n": 600, "m": 3}}

CASES = {
    # the default full model: AISAS, retell 5/11, KOLs, advertising, fixed-delay answers,
    # initial complainers, public replies
    "aisas_full": {"wom": {"p_external": 0.01}, "seeding": {"budget": 5, "initial_complainers": 4},
                   "response": {"policy": "fixed_delay", "delay": 2, "repair_prob": 0.3,
                                "recovery_prob": 0.3}},
    "sicas": {"funnel": {"kind": "sicas"}, "wom": {"p_external": 0.005, "tells_distribution": "geometric"},
              "seeding": {"budget": 4}, "response": {"policy": "capacity", "capacity": 2}},
    "cascade_general": {"funnel": {"kind": "none"},
                        "wom": {"mode": "cascade", "transmissibility": 0.2, "active_steps": 2},
                        "seeding": {"budget": 3, "initial_complainers": 2},
                        "response": {"policy": "threshold", "threshold": 3}},
    "ic_kernel": {"funnel": {"kind": "none"},
                  "wom": {"mode": "cascade", "transmissibility": 0.15, "active_steps": 1, "p_external": 0.0},
                  "seeding": {"strategy": "random", "budget": 10, "kol_reach": 0.3},
                  "response": {"policy": "none"}},
    "contagion_retell": {"funnel": {"kind": "none"}, "wom": {"p_external": 0.002},
                         "seeding": {"strategy": "random", "budget": 3, "initial_complainers": 3}},
    "mean_field": {"graph": {"kind": "complete", "n": 400, "m": None},
                   "seeding": {"budget": 2, "initial_complainers": 3},
                   "response": {"policy": "fixed_delay", "delay": 1, "repair_prob": 0.2}},
    "bass": {"wom": {"mode": "bass", "p_external": 0.01, "q_imitation": 0.4}},
}


def _scenario(case: str, *sets: str) -> wom_sim.Scenario:
    d = {k: dict(v) for k, v in BASE.items()}
    for section, values in CASES[case].items():
        d.setdefault(section, {}).update(values)
        d[section] = {k: v for k, v in d[section].items() if v is not None}
    return wom_sim.load_scenario(d, list(sets))


@pytest.mark.parametrize("case", sorted(CASES))
def test_batch_1_and_batch_64_give_identical_replicate_tables(case):
    sc = _scenario(case)
    graph = make_graph(sc)
    eng, plan = prepare(sc, graph)
    reps = list(range(sc.scenario.replicates))
    one = simulate(eng, sc.scenario.seed, reps, plan.for_replicate, batch=1)
    many = simulate(eng, sc.scenario.seed, reps, plan.for_replicate, batch=64)
    odd = simulate(eng, sc.scenario.seed, reps[::-1], plan.for_replicate, batch=7)[::-1]  # other companions
    np.testing.assert_array_equal(one, many)
    np.testing.assert_array_equal(one, odd)
    assert one[:, -1, eng.metrics.index("aware")].std() > 0, "replicates differ from each other"


def test_the_ic_kernel_and_the_general_rules_agree_in_batches():
    """The IC kernel (batched) against the general engine (batched) on the same pure IC:
    the same mean final size within 4 standard errors."""
    sc = _scenario("ic_kernel")
    graph = make_graph(sc)
    eng, plan = prepare(sc, graph)
    slow = wom_sim.engines.NumpyEngine(graph, sc, fast_ic=False)
    reps = list(range(300))
    a = simulate(eng, 11, reps, plan.for_replicate, batch=100)[:, -1, eng.metrics.index("aware")]
    b = simulate(slow, 11, reps, plan.for_replicate, batch=100)[:, -1, eng.metrics.index("aware")]
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) < 4 * se, (a.mean(), b.mean(), se)


def test_run_is_the_same_whatever_the_batch_size(monkeypatch):
    """wom_sim.run chooses the batch from memory; forcing batches of 1 changes no number."""
    sc = _scenario("aisas_full")
    assert batch_size(sc) > 1, "a small graph runs in batches"
    batched = wom_sim.run(sc).series
    monkeypatch.setattr(sys.modules["wom_sim.execution.run"], "batch_size", lambda *a, **k: 1)
    np.testing.assert_array_equal(batched, wom_sim.run(sc).series)
    np.testing.assert_array_equal(batched, wom_sim.run(sc, workers=2).series)


def test_batch_size_follows_memory():
    small = _scenario("aisas_full")
    big = wom_sim.load_scenario({"scenario": {"replicates": 50}, "graph": {"kind": "barabasi_albert",
                                                                           "n": 2_000_000, "m": 5}})
    assert batch_size(small) == small.scenario.replicates  # 70 replicates of 600 agents: one batch
    assert batch_size(big) == 1
    mesa = wom_sim.load_scenario({"scenario": {"engine": "mesa", "replicates": 9}, "graph": {"n": 300}})
    assert batch_size(mesa) == 1


def test_draws_serve_each_replicate_its_own_stream_in_order():
    """Random request sizes (small, refills, larger than a row) in a batch of 5 give each
    replicate exactly its Generator's doubles, in order."""
    pick = np.random.default_rng(0)
    d = Draws([stream(9, 2, r) for r in range(5)])
    got: list[list[np.ndarray]] = [[] for _ in range(5)]
    for _ in range(200):
        counts = pick.integers(0, 3000, 5) * (pick.random(5) < 0.6)
        u = d.uniform(counts)
        starts = np.cumsum(counts) - counts
        for r in range(5):
            got[r].append(u[starts[r]:starts[r] + counts[r]])
    for r in range(5):
        mine = np.concatenate(got[r])
        np.testing.assert_array_equal(mine, stream(9, 2, r).random(mine.size))


def test_draws_for_unsorted_elements_keep_each_replicates_order():
    rep = np.array([2, 0, 2, 1, 0, 2])
    u = Draws([stream(1, 2, r) for r in range(3)]).uniform_for(rep)
    for r in range(3):
        np.testing.assert_array_equal(u[rep == r], stream(1, 2, r).random(int((rep == r).sum())))


def test_gap_positions_are_bernoulli_trials_per_replicate():
    """Hits among totals[r] trials: the count is Binomial(total, p) (mean within 4 s.e.
    over 400 replicates) and positions are distinct and in range."""
    totals = np.array([5_000, 0, 17, 1])
    hits = np.zeros(4)
    B = 400
    for b in range(0, B, 100):
        d = Draws([stream(3, 2, r) for r in range(b, b + 100)])
        pos, rep = gap_positions(d, np.tile(totals, 25), 0.03)
        assert (pos < np.tile(totals, 25)[rep]).all()
        key = rep * 10_000 + pos
        assert np.unique(key).size == key.size
        hits += np.bincount(rep % 4, minlength=4)
    each = B // 4  # replicates per total
    mean = hits / each
    p = 0.03
    assert abs(mean[0] - totals[0] * p) < 4 * np.sqrt(totals[0] * p * (1 - p) / each)
    assert abs(mean[2] - totals[2] * p) < 4 * np.sqrt(totals[2] * p * (1 - p) / each)
    assert mean[1] == 0


def test_batched_kernels_match_one_at_a_time():
    g = erdos_renyi(300, 8.0, np.random.default_rng(2))
    tellers = np.array([5, 9, 5, 100, 7, 200, 3])
    rep = np.array([0, 0, 1, 1, 2, 2, 2])
    gens = [stream(4, 2, r) for r in range(3)]
    o, t = bernoulli_arcs(g, tellers, 0.4, Draws(gens), rep)
    o2, t2, k2 = distinct_neighbours(g, tellers, np.full(7, 3), Draws([stream(5, 2, r) for r in range(3)]), rep)
    for r in range(3):
        mine = np.flatnonzero(rep == r)
        oo, tt = bernoulli_arcs(g, tellers[mine], 0.4, stream(4, 2, r))
        np.testing.assert_array_equal(t[np.isin(o, mine)], tt)
        oo, tt, kk = distinct_neighbours(g, tellers[mine], np.full(mine.size, 3), stream(5, 2, r))
        np.testing.assert_array_equal(t2[np.isin(o2, mine)], tt)


def test_a_sharer_is_listed_once_even_after_a_public_reply():
    """A rejecter won back by a public reply (repair) who later shares again must tell
    once a step: the answered and repaired leave the telling lists (an old entry used to
    come back to life, and the agent told twice a step)."""
    from wom_sim.engines.numpy.replicate import Batch
    sc = _scenario("contagion_retell", "response.repair_prob=0.5", "response.detect_prob=1.0", "response.delay=0")
    graph = make_graph(sc)
    eng, plan = prepare(sc, graph)
    for r in range(5):
        b = Batch(eng, Draws([stream(5, 2, r)]), [plan.for_replicate(r)])
        for t in range(1, sc.scenario.steps + 1):
            b.step(t)
            listed = np.concatenate([b.tellers, b.pending])
            assert np.unique(listed).size == listed.size, f"an agent listed twice at step {t}"
            assert b.telling[listed].all()


def test_one_fixed_delay_serves_a_batch_but_a_subclass_that_reads_the_view_does_not():
    """fixed_delay answers each complainer alone, so one instance serves a whole batch
    (it sees agent rows); a subclass may read the view (followers by agent id), so it
    gets one instance per replicate unless it declares per_agent itself: both give the
    numbers of one replicate at a time."""
    from wom_sim import catalogs
    from wom_sim.policies.basic import FixedDelay

    class LoudestFirst(FixedDelay):
        """fixed_delay that reads each complainer's followers (a test policy)."""
        seen = 0

        def on_detected(self, step, agents, view):
            LoudestFirst.seen += int(view.out_degree[agents].size)  # local ids only
            super().on_detected(step, agents, view)

    catalogs.register_policy("loudest_first_test", LoudestFirst)
    try:
        for policy in ("fixed_delay", "loudest_first_test"):
            sc = _scenario("aisas_full", f"response.policy={policy}")
            eng, plan = prepare(sc, make_graph(sc))
            reps = list(range(sc.scenario.replicates))
            one = simulate(eng, sc.scenario.seed, reps, plan.for_replicate, batch=1)
            many = simulate(eng, sc.scenario.seed, reps, plan.for_replicate, batch=64)
            np.testing.assert_array_equal(one, many)
            assert one[:, -1, eng.metrics.index("responses")].sum() > 0
        assert LoudestFirst.seen > 0
    finally:
        del catalogs.POLICIES["loudest_first_test"]


# the fit's keys, each value a replicate's: zero (the rule off: no draws), one (no draw:
# every candidate), the float64 gaps of advertising below 1e-4, and ordinary values
POINTS = {
    "wom.p_external": [0.0, 0.01, 0.00005, 0.01, 1.0, 0.003],
    "wom.p_negative_experience": [0.1, 0.0, 0.3, 0.1, 0.2, 1.0],
    "wom.reject_per_negative": [0.3, 0.0, 1.0, 0.5, 0.3, 0.1],
    "wom.rejecter_shares": [0.4, 1.0, 0.0, 0.4, 0.7, 1.0],
    "wom.positive_tells": [5.0, 0.0, 2.5, 5.0, 11.0, 1.0],
    "wom.negative_tells": [11.0, 3.0, 0.0, 11.0, 20.0, 1.0],
    "wom.share_prob": [1.0, 0.5, 0.0, 1.0, 0.8, 0.3],
    "wom.share_prob_negative": [0.9, 1.0, 0.2, 0.0, 0.8, 0.6],
    "funnel.positive_boost": [0.15, 0.0, 0.6, 0.15, 0.3, 0.05],
}
REPS = [3, 8, 1, 40, 2, 17]


def _points_alone_and_together(case: str, points: dict[str, list[float]], *sets: str) -> np.ndarray:
    """Each point run alone in its own scenario against all of them as one batch of
    parameter points: identical tables. Returns the batch's tables."""
    from wom_sim.engines import NumpyEngine
    sc = _scenario(case, *sets)
    graph = make_graph(sc)
    _, plan = prepare(sc, graph)
    kols = plan.fixed if plan.fixed is not None else ()
    together = NumpyEngine(graph, sc, kols).run_batch(
        [stream(5, 2, r) for r in REPS], [plan.for_replicate(r) for r in REPS],
        params={key: np.array(v) for key, v in points.items()})
    for i, r in enumerate(REPS):
        point = _scenario(case, *sets, *[f"{key}={v[i]}" for key, v in points.items()])
        alone = NumpyEngine(graph, point, kols).run_batch([stream(5, 2, r)], [plan.for_replicate(r)])[0]
        np.testing.assert_array_equal(together[i], alone, err_msg=f"point {i}")
    return together


@pytest.mark.parametrize("case, sets", [("aisas_full", ()), ("aisas_full", ("wom.tells_distribution=fixed",)),
                                        ("sicas", ()), ("contagion_retell", ()), ("mean_field", ())])
def test_a_batch_of_parameter_points_gives_each_point_its_own_numbers(case, sets):
    """Replicates with their own values of the keys of replicate.VARYING in one batch
    (the fit's proposals) give the numbers each gives alone, in its own scenario
    (poisson, geometric (sicas) and fixed retellings; a funnel and pure contagion)."""
    from wom_sim.engines.numpy.replicate import VARYING
    assert set(POINTS) == set(VARYING)
    together = _points_alone_and_together(case, POINTS, *sets)
    assert np.unique(together[:, -1, 0]).size > 2, "the points differ"


@pytest.mark.parametrize("key", sorted(POINTS))
def test_each_varying_key_alone_gives_each_point_its_own_numbers(key):
    """One key at a time (the others the scenario's): a negative sharer's share
    probability follows share_prob when share_prob_negative is not set."""
    _points_alone_and_together("aisas_full", {key: POINTS[key]})


def test_a_parameter_batch_refuses_what_it_cannot_vary():
    from wom_sim.engines import NumpyEngine
    sc = _scenario("aisas_full")
    eng = NumpyEngine(make_graph(sc), sc)
    with pytest.raises(ValueError, match="wom.transmissibility"):
        eng.run_batch([stream(1, 2, 0), stream(1, 2, 1)], params={"wom.transmissibility": np.array([0.1, 0.2])})
    with pytest.raises(ValueError, match="3 values for a batch of 2"):
        eng.run_batch([stream(1, 2, 0), stream(1, 2, 1)], params={"wom.p_external": np.array([0.1, 0.2, 0.3])})


@pytest.mark.parametrize("dist", ["poisson", "geometric", "fixed"])
def test_retellings_with_a_mean_per_sharer_are_each_means_own(dist):
    """rules.tells_from_uniform with one mean per sharer (a batch of parameter points)
    gives each sharer what its mean alone gives, for 300 distinct means (0 and the
    extreme uniforms included)."""
    from wom_sim.model.rules import tells_from_uniform
    rng = np.random.default_rng(4)
    means = np.concatenate([[0.0, 0.5, 1.0, 40.0], rng.uniform(0, 25, 296)])
    each = np.repeat(means, 20)
    u = rng.random(each.size)
    u[:3] = [0.0, 1 - 2 ** -53, 0.5]
    got = tells_from_uniform(u, each.size, each, dist)
    alone = np.concatenate([tells_from_uniform(u[i * 20:(i + 1) * 20], 20, m, dist) for i, m in enumerate(means)])
    np.testing.assert_array_equal(got, alone)
    assert got.dtype == np.int32


def test_a_batch_whose_points_agree_runs_their_value_not_the_scenarios():
    """params with one value for every replicate (collapsed to a number) still replace
    the engine's scenario value, key by key."""
    from wom_sim.engines import NumpyEngine
    sc = _scenario("aisas_full")
    graph = make_graph(sc)
    _, plan = prepare(sc, graph)
    kols = plan.fixed
    same = {"wom.p_external": 0.02, "wom.p_negative_experience": 0.3, "wom.reject_per_negative": 0.6,
            "wom.rejecter_shares": 0.9, "wom.positive_tells": 2.0, "wom.negative_tells": 4.0, "wom.share_prob": 0.7,
            "wom.share_prob_negative": 0.4, "funnel.positive_boost": 0.5}
    got = NumpyEngine(graph, sc, kols).run_batch([stream(5, 2, r) for r in (0, 1)], [kols, kols],
                                                 params={k: np.full(2, v) for k, v in same.items()})
    point = _scenario("aisas_full", *[f"{k}={v}" for k, v in same.items()])
    np.testing.assert_array_equal(got, NumpyEngine(graph, point, kols).run_batch([stream(5, 2, r) for r in (0, 1)],
                                                                                [kols, kols]))


IC_POINTS = {"wom.transmissibility": [0.15, 0.0, 0.3, 1.0, 0.15, 0.00005],
             "seeding.kol_reach": [0.3, 0.5, 0.0, 0.3, 1.0, 0.2],
             "wom.share_prob": [1.0, 0.6, 0.0, 0.5, 1.0, 0.9]}


@pytest.mark.parametrize("sets", [(), ("funnel.realtime_share=false",)])
def test_an_ic_batch_of_parameter_points_gives_each_point_its_own_numbers(sets):
    """The IC kernel's keys (ic.IC_VARYING) per replicate: each point as alone (0 and 1
    draw nothing, float64 gaps below 1e-4), with sharing now or a step later."""
    from wom_sim.engines.numpy.ic import IC_VARYING
    assert set(IC_POINTS) == set(IC_VARYING)
    together = _points_alone_and_together("ic_kernel", IC_POINTS, *sets)
    assert np.unique(together[:, -1, 0]).size > 2, "the points differ"


def test_run_points_batches_each_engine_path_with_its_own_keys(parameter_batches):
    """execution.run.run_points: IC points that differ in transmissibility share a
    batch of the kernel; general-rule points that differ in p_external share one; a
    point that differs elsewhere runs alone; every point's table is its own (all with
    no funnel: one list of metric names)."""
    from wom_sim.execution.run import run_points, run_replicates
    ic = [_scenario("ic_kernel", f"wom.transmissibility={p}") for p in (0.1, 0.2, 0.3)]
    general = [_scenario("contagion_retell", f"wom.p_external={p}") for p in (0.01, 0.02)]
    apart = [_scenario("contagion_retell", "wom.p_external=0.01", "wom.tells_per_step=3")]
    scenarios = ic + general + apart
    reps = [4, 1, 9, 2, 7, 3]
    tables, names = run_points(scenarios, reps)
    assert sorted(parameter_batches) == [2, 3]
    for sc, r, table in zip(scenarios, reps, tables):
        alone, eng, _ = run_replicates(sc, [r])
        np.testing.assert_array_equal(table, alone[0])
        assert names == eng.metrics
