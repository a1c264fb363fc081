"""The rules of MODEL.md, one test each: retelling, distinct neighbours, KOL broadcast,
the SICAS differences, responses, invariants and determinism."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import col, engine, no_arcs, replicates, scenario
from scipy import stats

import wom_sim
from wom_sim.graphs.csr import complete_graph, from_arcs
from wom_sim.graphs.kernels import bernoulli_arcs, distinct_neighbours
from wom_sim.model.rules import draw_tells


def ring(n: int, k: int):
    """Ring lattice, each node joined to k/2 neighbours on each side (degree k)."""
    u = np.repeat(np.arange(n), k // 2)
    v = (u + np.tile(np.arange(1, k // 2 + 1), n)) % n
    return from_arcs(n, u, v, directed=False)


# ---------------------------------------------------------------- sampling kernels

def test_distinct_neighbours_never_repeat_and_are_uniform():
    g = ring(200, 10)
    rng = np.random.default_rng(0)
    tellers = np.repeat(np.arange(200), 50)  # 50 draws per node
    for kk in (3, 40):  # Floyd path (small k) and sort-key path (k >= degree -> all)
        k = np.full(tellers.size, kk)
        owner, target, told = distinct_neighbours(g, tellers, k, rng)
        assert told.tolist() == np.minimum(kk, 10).repeat(tellers.size).tolist()
        pairs = owner.astype(np.int64) * 1000 + target
        assert np.unique(pairs).size == pairs.size, "a neighbour was told twice in one step"
        nb = set(map(tuple, np.stack([tellers[owner], target], 1).tolist()))
        edges = {(u, v) for u in range(200) for v in g.neighbours(u).tolist()}
        assert nb <= edges
    # uniformity: each of a node's 10 neighbours is chosen with prob 3/10 (chi-square)
    owner, target, _ = distinct_neighbours(g, np.zeros(20000, np.int64), np.full(20000, 3), rng)
    counts = np.bincount(target, minlength=200)[g.neighbours(0)]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_distinct_neighbours_large_k_uses_keys_and_stays_uniform():
    g = complete_graph(60)
    rng = np.random.default_rng(1)
    owner, target, told = distinct_neighbours(g, np.zeros(3000, np.int64), np.full(3000, 30), rng)
    assert (told == 30).all()
    assert not (target == 0).any()  # never oneself on complete mixing
    pairs = owner * 100 + target
    assert np.unique(pairs).size == pairs.size
    assert stats.chisquare(np.bincount(target, minlength=60)[1:]).pvalue > 1e-3


@pytest.mark.parametrize("d, m", [(10, 3), (10, 10), (200, 5), (300, 40), (300, 100)])
def test_telling_plans_are_uniform_ordered_samples(d, m):
    """Each path of the plan sampler (a partial shuffle for plans of a fair part of the
    arcs, iid draws with redraws for short plans of many arcs, random keys for long
    plans) gives distinct offsets, each position of the plan uniform over the row
    (chi-square, fixed seed)."""
    from wom_sim.graphs.kernels import ordered_offsets
    rows = 6000
    off = ordered_offsets(np.full(rows, d), np.full(rows, m), np.random.default_rng(11)).reshape(rows, m)
    s = np.sort(off, axis=1)
    assert (s[:, 1:] != s[:, :-1]).all() and off.min() >= 0 and off.max() < d
    for pos in (0, m - 1):
        assert stats.chisquare(np.bincount(off[:, pos], minlength=d)).pvalue > 1e-3


def test_bernoulli_arcs_hit_rate():
    g = ring(1000, 10)
    rng = np.random.default_rng(2)
    owner, target = bernoulli_arcs(g, np.arange(1000), 0.05, rng)
    # 10,000 arcs at p = 0.05: 500 expected, sd sqrt(475) = 21.8
    assert abs(target.size - 500) < 4 * 21.8
    assert np.unique(owner * 1000 + target).size == target.size


@pytest.mark.parametrize("dist", ["fixed", "poisson", "geometric"])
def test_tells_distribution_means(dist):
    x = draw_tells(np.random.default_rng(3), 200_000, 11, dist)
    if dist == "fixed":
        assert (x == 11).all()
    else:
        assert abs(x.mean() - 11) < 4 * x.std() / math.sqrt(x.size)
    if dist == "geometric":
        assert x.min() >= 1


# ---------------------------------------------------------------- retelling

def expected_told(mean: float, degree: int, at_least_one: bool = False) -> float:
    """E[min(X, degree)] for X ~ Poisson(mean) (or max(X, 1)): the distinct people a
    sharer tells over its life (docs/model.md 9.2)."""
    x = np.arange(0, 200)
    p = stats.poisson.pmf(x, mean)
    told = np.minimum(np.maximum(x, 1) if at_least_one else x, degree)
    return float((p * told).sum())


@pytest.mark.parametrize("graph, degree", [(lambda: ring(4000, 12), 12), (lambda: complete_graph(4000), 3999)])
def test_mean_retellings_equal_configured_means(graph, degree):
    """Messages sent per sharer average 5 (positive) and 11 (negative) when the degree
    allows; a sharer of degree d tells min(tells, d) distinct people (ring of degree 12)."""
    g = graph()
    # 200 steps: on the ring a front moves at most 6 agents a step and the KOLs are 800
    # apart, so the last sharers are made after step 67 at the earliest
    sc = scenario(scenario={"steps": 200, "seed": 4}, graph={"kind": "complete", "n": 4000},
                  funnel={"kind": "none"},
                  wom={"mode": "retell", "positive_tells": 5, "negative_tells": 11, "tells_per_step": 2},
                  seeding={"budget": 5, "initial_complainers": 40, "kol_reach": 1.0},
                  response={"policy": "none"})
    eng = engine(g, sc, [0, 800, 1600, 2400, 3200])
    out = replicates(eng, 4, seed=4)
    last = out[:, -1, :]
    assert (last[:, col(eng, "stage_share")] == 0).all(), "some sharers had not finished"
    assert (out[:, -1, col(eng, "new_neg_messages")] == 0).all(), "some rejecters had not finished"
    kol_msgs = out[:, 1, col(eng, "new_pos_messages")] - 0  # step 1: only KOLs broadcast...
    # ...and the complainers, whose messages are negative: positives at step 1 are the KOLs'
    pos_sharers = last[:, col(eng, "adopters")] - 5 - 40  # KOLs broadcast, complainers are negative
    rejecters = last[:, col(eng, "rejected")]
    neg_sharers = rejecters + 40
    pos_mean = (last[:, col(eng, "pos_messages")] - kol_msgs).sum() / pos_sharers.sum()
    neg_mean = last[:, col(eng, "neg_messages")].sum() / neg_sharers.sum()
    want_pos = expected_told(5, degree)
    want_neg = (rejecters.sum() * expected_told(11, degree) + 160 * expected_told(11, degree, True)) / neg_sharers.sum()
    if degree > 100:  # the degree allows: the configured means
        assert abs(want_pos - 5) < 1e-9 and abs(want_neg - 11) < 1e-3
    # Poisson: variance <= mean (less when truncated); SE of the mean over all sharers
    assert abs(pos_mean - want_pos) < 4 * math.sqrt(5 / pos_sharers.sum()), (pos_mean, want_pos)
    assert abs(neg_mean - want_neg) < 4 * math.sqrt(11 / neg_sharers.sum()), (neg_mean, want_neg)


def test_sharer_with_few_neighbours_tells_them_all():
    # a star: the centre has 3 neighbours, tells_per_step 10, fixed 3 tells
    g = from_arcs(4, np.array([0, 0, 0]), np.array([1, 2, 3]), directed=False)
    sc = scenario(scenario={"steps": 3}, graph={"kind": "complete", "n": 4}, funnel={"kind": "none"},
                  wom={"tells_per_step": 10, "tells_distribution": "fixed", "negative_tells": 3},
                  seeding={"budget": 0, "initial_complainers": 1}, response={"policy": "none"})
    eng = engine(g, sc)
    out = replicates(eng, 50, seed=1)
    # whoever complains tells all its neighbours in step 1 (never one twice)
    first = out[:, 1, col(eng, "new_neg_messages")]
    assert set(first.tolist()) <= {1.0, 3.0}


def test_kol_broadcast_reaches_followers_with_kol_reach():
    g = from_arcs(1001, np.zeros(1000, np.int64), np.arange(1, 1001), directed=True)
    sc = scenario(scenario={"steps": 2}, graph={"kind": "complete", "n": 1001}, funnel={"kind": "aisas"},
                  seeding={"budget": 1, "kol_reach": 0.3}, response={"policy": "none"})
    eng = engine(g, sc, [0])
    out = replicates(eng, 20, seed=2)
    msgs = out[:, 1, col(eng, "new_pos_messages")]
    assert abs(msgs.mean() - 300) < 4 * math.sqrt(1000 * 0.21 / 20)
    # the KOL posts once, then is DONE
    assert (out[:, 2, col(eng, "new_pos_messages")] == 0).all()
    assert (out[:, 1, col(eng, "stage_done")] >= 1).all()


# ---------------------------------------------------------------- SICAS differences

def _everyone_aware(kind: str, advance, **funnel):
    """N isolated agents all made aware at step 1 by advertising (p_external = 1)."""
    return scenario(scenario={"steps": 4}, graph={"kind": "complete", "n": 5000},
                    funnel={"kind": kind, "advance": advance, "positive_boost": 0.0, **funnel},
                    wom={"p_external": 1.0}, seeding={"budget": 0},
                    response={"policy": "fixed_delay", "detect_prob": 1.0})


def test_sicas_a_brand_sensing_lifts_interest_and_connect():
    n = 5000
    out = {}
    for be in (0.0, 0.5):
        sc = _everyone_aware("sicas", [1.0, 0.5, 0.0], brand_engagement=be, skip=0.0)
        eng = engine(no_arcs(n), sc)
        out[be] = replicates(eng, 1, seed=3)[0, 3, col(eng, "stage_connect_communicate")] / n
    # step 1 aware (sensed at once), step 2 -> I&I, step 3 advances with 0.5 vs 1-(.5)(.5)
    assert abs(out[0.0] - 0.5) < 4 * math.sqrt(0.25 / n)
    assert abs(out[0.5] - 0.75) < 4 * math.sqrt(0.1875 / n)


def test_sicas_a_no_sensing_without_monitoring():
    sc = _everyone_aware("sicas", [1.0, 0.5, 0.0], brand_engagement=0.9, skip=0.0)
    sc = wom_sim.load_scenario(sc, ["response.detect_prob=0.0"])
    eng = engine(no_arcs(5000), sc)
    v = replicates(eng, 1, seed=3)[0, 3, col(eng, "stage_connect_communicate")] / 5000
    assert abs(v - 0.5) < 4 * math.sqrt(0.25 / 5000)


def _boost_at_stage3(kind: str) -> float:
    """Fraction advancing out of stage 3 (Search / C&C) after k = 3 positive messages."""
    n = 4000
    sc = scenario(scenario={"steps": 1}, graph={"kind": "complete", "n": n},
                  funnel={"kind": kind, "advance": [0.0, 0.0, 0.2], "positive_boost": 0.5,
                          "brand_engagement": 0.0, "skip": 0.0},
                  seeding={"budget": 0}, response={"policy": "none"})
    from wom_sim.engines.numpy import Inbox, Replicate
    rep = Replicate(engine(no_arcs(n), sc), np.random.default_rng(8))
    everyone = np.arange(n, dtype=np.int64)
    rep.place(everyone, 3)
    rep.aware[:] = True
    rep.inbox = Inbox(everyone, np.full(n, 3, np.int32), np.zeros(n, np.int32))
    rep.step(1)
    return float(rep.new_adopters[0]) / n


def test_sicas_b_messages_act_on_connect_but_not_on_search():
    n = 4000
    aisas, sicas = _boost_at_stage3("aisas"), _boost_at_stage3("sicas")
    assert abs(aisas - 0.2) < 4 * math.sqrt(0.16 / n), aisas  # Search: untouched
    p = 1 - 0.8 * 0.5 ** 3  # C&C: boosted by 3 messages
    assert abs(sicas - p) < 4 * math.sqrt(p * (1 - p) / n), sicas


def test_sicas_c_sharing_is_real_time():
    first_msgs = {}
    for kind in ("aisas", "sicas"):
        sc = scenario(scenario={"steps": 8}, graph={"kind": "complete", "n": 3000},
                      funnel={"kind": kind, "advance": [1.0, 1.0, 1.0], "skip": 0.0},
                      wom={"p_external": 1.0}, seeding={"budget": 0}, response={"policy": "none"})
        eng = engine(ring(3000, 6), sc)
        out = replicates(eng, 1, seed=4)[0]
        msgs = out[:, col(eng, "new_pos_messages")] + out[:, col(eng, "new_neg_messages")]
        bought = out[:, col(eng, "new_adopters")]
        t_buy = int(np.flatnonzero(bought)[0])
        first_msgs[kind] = int(np.flatnonzero(msgs)[0]) - t_buy
    assert first_msgs == {"aisas": 1, "sicas": 0}


def test_sicas_d_skip_from_sense_to_action():
    out = {}
    for kind in ("aisas", "sicas"):
        sc = _everyone_aware(kind, [0.0, 0.0, 0.0], skip=0.4)
        eng = engine(no_arcs(5000), sc)
        out[kind] = replicates(eng, 1, seed=5)[0, 2, col(eng, "adopters")] / 5000
    assert out["aisas"] == 0.0  # AISAS is linear: no skip
    assert abs(out["sicas"] - 0.4) < 4 * math.sqrt(0.24 / 5000)


# ---------------------------------------------------------------- persuasion & response

def test_negative_messages_reject_with_the_stated_probability():
    n = 4000
    sc = scenario(scenario={"steps": 1}, graph={"kind": "complete", "n": n},
                  funnel={"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
                  wom={"reject_per_negative": 0.3, "rejecter_shares": 0.0},
                  seeding={"budget": 0}, response={"policy": "none"})
    from wom_sim.engines.numpy import Inbox, Replicate
    rep = Replicate(engine(no_arcs(n), sc), np.random.default_rng(2))
    everyone = np.arange(n, dtype=np.int64)
    rep.inbox = Inbox(everyone, np.zeros(n, np.int32), np.full(n, 2, np.int32))
    rep.step(1)
    p = 1 - 0.7 ** 2
    got = rep.counts[0, rep.f.REJECTED] / n  # counters are per replicate: one row here
    assert abs(got - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert rep.n_neg_reach[0] == n and rep.n_aware[0] == n


def test_detect_one_delay_zero_stops_complainer_after_first_step():
    g = ring(2000, 20)
    sc = scenario(scenario={"steps": 10}, graph={"kind": "complete", "n": 2000}, funnel={"kind": "aisas"},
                  wom={"tells_per_step": 3, "negative_tells": 11, "tells_distribution": "fixed",
                       "reject_per_negative": 0.0, "p_negative_experience": 0.0},
                  seeding={"budget": 0, "initial_complainers": 30},
                  response={"policy": "fixed_delay", "delay": 0, "detect_prob": 1.0, "resolve_prob": 1.0,
                            "recovery_prob": 0.0, "repair_prob": 0.0})
    eng = engine(g, sc)
    out = replicates(eng, 3, seed=6)
    neg = out[:, :, col(eng, "new_neg_messages")]
    assert (neg[:, 1] == 90).all() and (neg[:, 2:] == 0).all()
    assert (out[:, -1, col(eng, "responses")] == 30).all()


def test_delay_lets_complainer_tell_d_plus_one_steps():
    g = ring(2000, 20)
    sc = scenario(scenario={"steps": 10}, graph={"kind": "complete", "n": 2000}, funnel={"kind": "aisas"},
                  wom={"tells_per_step": 1, "negative_tells": 11, "tells_distribution": "fixed",
                       "reject_per_negative": 0.0, "p_negative_experience": 0.0},
                  seeding={"budget": 0, "initial_complainers": 10},
                  response={"policy": "fixed_delay", "delay": 3, "detect_prob": 1.0, "resolve_prob": 1.0,
                            "recovery_prob": 0.0, "repair_prob": 0.0})
    eng = engine(g, sc)
    out = replicates(eng, 2, seed=6)
    assert (out[:, -1, col(eng, "neg_messages")] == 10 * 4).all()


def test_recovery_turns_complainers_into_positive_sharers():
    g = ring(3000, 10)
    base = dict(scenario={"steps": 8}, graph={"kind": "complete", "n": 3000},
                funnel={"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
                wom={"reject_per_negative": 0.0}, seeding={"budget": 0, "initial_complainers": 100})
    pos = {}
    for rec in (0.0, 1.0):
        sc = scenario(**base, response={"policy": "fixed_delay", "delay": 0, "detect_prob": 1.0,
                                        "resolve_prob": 1.0, "recovery_prob": rec, "repair_prob": 0.0})
        eng = engine(g, sc)
        out = replicates(eng, 2, seed=7)
        pos[rec] = out[:, -1, col(eng, "pos_messages")].mean()
    assert pos[0.0] == 0 and pos[1.0] > 100 * 3  # about 5 tells each


def test_repair_brings_rejecters_back_to_the_funnel():
    g = ring(3000, 10)
    rej = {}
    for repair in (0.0, 1.0):
        sc = scenario(scenario={"steps": 12}, graph={"kind": "complete", "n": 3000},
                      funnel={"kind": "aisas", "advance": [0.0, 0.0, 0.0]},
                      # each complainer tells all 10 neighbours in step 1; they reject in
                      # step 2, and the reply at the end of step 2 reaches every one of them
                      wom={"reject_per_negative": 1.0, "rejecter_shares": 0.0, "tells_per_step": 20,
                           "negative_tells": 10, "tells_distribution": "fixed"},
                      seeding={"budget": 0, "initial_complainers": 50},
                      response={"policy": "fixed_delay", "delay": 1, "detect_prob": 1.0, "resolve_prob": 1.0,
                                "recovery_prob": 0.0, "repair_prob": repair})
        eng = engine(g, sc)
        rej[repair] = replicates(eng, 2, seed=8)[:, -1, col(eng, "rejected")].mean()
    assert rej[0.0] > 300 and rej[1.0] == 0


# ---------------------------------------------------------------- invariants & determinism

def test_invariants_of_the_full_model():
    res = wom_sim.run("scenarios/quickstart.toml")
    s = res.series
    stage_cols = [i for i, m in enumerate(res.metrics) if m.startswith("stage_")]
    assert (s[:, :, stage_cols].sum(axis=2) == res.n_agents).all()
    for m in ("aware", "adopters", "negative_reach", "pos_messages", "neg_messages", "responses", "npv"):
        assert (np.diff(res.metric(m), axis=1) >= 0).all(), f"{m} must never decrease"
    assert (res.metric("adopters") <= res.metric("aware")).all()
    assert (res.metric("adopters")[:, 0] == 20).all()  # the KOLs
    assert np.allclose(np.cumsum(res.metric("new_adopters"), axis=1)[:, -1] + 20, res.metric("adopters")[:, -1])
    ns = res.metric("net_sentiment")
    assert (np.abs(ns) <= 1).all()


def test_same_seed_same_numbers_any_workers():
    sc = wom_sim.load_scenario("scenarios/quickstart.toml", ["scenario.replicates=4", "scenario.steps=15"])
    a = wom_sim.run(sc).series
    b = wom_sim.run(sc).series
    c = wom_sim.run(sc, workers=2).series
    assert np.array_equal(a, b) and np.array_equal(a, c)
    d = wom_sim.run(wom_sim.load_scenario(sc, ["scenario.seed=43"])).series
    assert not np.array_equal(a, d)


def test_run_on_a_networkx_graph():
    import networkx as nx
    G = nx.karate_club_graph()
    for _, _, d in G.edges(data=True):
        d.pop("weight", None)  # interaction counts, not transmissibilities
    sc = scenario(scenario={"steps": 20, "replicates": 5}, graph={"kind": "complete", "n": 34},
                  seeding={"budget": 2}, wom={"p_external": 0.05})
    res = wom_sim.run(sc, graph=G)
    assert res.n_agents == 34 and res.n_arcs == 2 * G.number_of_edges()
    # degree seeding picks the two hubs of the karate club (nodes 33 and 0)
    assert sorted(res.kols) == [0, 33]
    with pytest.raises(wom_sim.ScenarioError, match="exceeds"):
        wom_sim.run(wom_sim.load_scenario(sc, ["seeding.budget=30", "seeding.initial_complainers=10"]), graph=G)
