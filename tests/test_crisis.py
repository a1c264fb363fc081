"""The crisis playbook (docs/model.md section 5): who complains, what answering costs,
backfiring replies, and named response teams compared with common random numbers."""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from conftest import cli

import wom_sim
from wom_sim.engines import make_engine
from wom_sim.errors import ScenarioError
from wom_sim.execution.run import make_graph
from wom_sim.model.metrics import discount_factors
from wom_sim.stats import mean_ci
from wom_sim.streams import stream

CRISIS = {"scenario": {"seed": 77, "steps": 25, "replicates": 6},
          "graph": {"kind": "powerlaw_cluster", "n": 1500, "m": 3, "p": 0.3},
          "funnel": {"kind": "aisas"},
          "wom": {"mode": "retell", "p_negative_experience": 0.15, "reject_per_negative": 0.35, "rejecter_shares": 0.3,
                  "p_external": 0.003},
          "seeding": {"strategy": "degree", "budget": 5, "initial_complainers": 15},
          "response": {"policy": "fixed_delay", "delay": 2, "detect_prob": 0.6, "resolve_prob": 0.8,
                       "recovery_prob": 0.2, "repair_prob": 0.25}}

#: count metrics of CRISIS (npv and sentiment left out: floats) before the playbook was
#: added, hashed: made by the code of the commit before it, on both engines. The NumPy
#: core's were pinned again when it moved to waiting times for funnel progression and to
#: a partial shuffle for telling plans (issue 13, 2026-12-03: other draws, the same process; the
#: statistical tests hold it), with backfire_prob = 0 still drawing nothing
BEFORE = {"numpy-retell": "939be19f1822c690", "numpy-cascade": "260e44fd678a2873",
          "mesa-retell": "6f8bfecd00513ce6", "mesa-cascade": "fa808a6da38fe7b2"}


def _digest(res) -> str:
    names = [m for m in res.metrics if m not in ("response_cost", "npv", "net_npv", "net_sentiment")]
    x = np.ascontiguousarray(res.series[:, :, [res.metrics.index(m) for m in names]]).astype(np.int64)
    return hashlib.sha256(x.tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_backfire_zero_reproduces_the_numbers_draw_for_draw(key):
    eng, mode = key.split("-")
    sets = [f"scenario.engine=\"{eng}\"", f"wom.mode=\"{mode}\"", "response.backfire_prob=0",
            "response.cost_per_response=50", "response.monitoring_cost_per_step=20"]
    res = wom_sim.run(wom_sim.load_scenario(CRISIS, sets + (["wom.active_steps=3"] if mode == "cascade" else [])))
    assert _digest(res) == BEFORE[key]


def test_top_followers_complainers_reach_more_than_random_ones():
    """Same streams, same KOLs: 15 complainers with the most followers against 15 drawn
    at random; negative reach and rejecters, paired, intervals above 0."""
    sets = ["scenario.replicates=30", "response.policy=\"none\""]
    rnd = wom_sim.run(wom_sim.load_scenario(CRISIS, sets))
    top = wom_sim.run(wom_sim.load_scenario(CRISIS, sets + ["seeding.complainers=\"top_followers\""]))
    for metric in ("negative_reach", "rejected"):
        i = rnd.metrics.index(metric)
        m, lo, hi = mean_ci(top.series[:, -1, i] - rnd.series[:, -1, i])
        assert lo > 0, (metric, m, lo, hi)


def test_top_followers_and_labels_pick_those_agents_on_both_engines(tmp_path):
    sc = wom_sim.load_scenario(CRISIS, ["seeding.complainers=\"top_followers\"", "seeding.initial_complainers=4"])
    g = make_graph(sc)
    deg = g.out_degree()
    kols = np.argsort(-deg, kind="stable")[:5]
    eng = make_engine(sc, g, kols)
    expect = [i for i in np.lexsort((np.arange(g.n), -deg)).tolist() if i not in set(kols.tolist())][:4]
    rep = eng.replicate(stream(1, 2, 0), kols)
    assert sorted(np.flatnonzero(rep.experience < 0).tolist()) == sorted(expect)
    mesa = make_engine(wom_sim.load_scenario(sc, ["scenario.engine=\"mesa\""]), g, kols)
    from wom_sim.engines.mesa.model import WomModel
    model = WomModel(mesa, np.random.default_rng(0), kols)
    assert sorted(a.node for a in model.consumers if a.experience < 0) == sorted(expect)
    # labels of an edge list
    edges = tmp_path / "g.csv"
    edges.write_text("source,target\nann,bob\nbob,cat\ncat,dan\ndan,eve\neve,ann\nann,cat\n")
    lab = wom_sim.load_scenario({**CRISIS, "graph": {"kind": "edgelist", "path": str(edges), "delimiter": ","},
                                 "seeding": {"strategy": "random", "budget": 0, "complainers": "labels",
                                             "complainer_labels": ["dan", "bob"]}})
    assert lab.seeding.complainer_count == 2
    g2 = make_graph(lab)
    rep = make_engine(lab, g2).replicate(stream(1, 2, 0))
    names = g2.meta["labels"]
    assert sorted(names[i] for i in np.flatnonzero(rep.experience < 0)) == ["bob", "dan"]
    bad = wom_sim.load_scenario(lab, ["seeding.complainer_labels=[\"zed\"]"])
    with pytest.raises(ScenarioError, match="'zed', not in the graph"):
        make_engine(bad, g2)


@pytest.mark.parametrize("raw,msg", [
    ({"seeding": {"complainers": "labels"}}, "needs seeding.complainer_labels"),
    ({"seeding": {"complainer_labels": ["a"]}}, "set complainers = \"labels\""),
    ({"seeding": {"complainers": "labels", "complainer_labels": ["a", "b"], "initial_complainers": 3}},
     "initial_complainers = 3 but complainer_labels names 2"),
    ({"seeding": {"complainers": "loudest"}}, "complainers"),
    ({"response": {"teams": {"in house": {"delay": 1}}}}, "a team name is letters"),
    ({"response": {"teams": {"a": {"delay": -1}}}}, "delay"),
    ({"response": {"teams": {"a": {"dealy": 1}}}}, "dealy"),
])
def test_playbook_keys_are_checked(raw, msg):
    with pytest.raises(ScenarioError, match=msg.replace("(", r"\(")):
        wom_sim.load_scenario(raw)


@pytest.mark.parametrize("engine", ["numpy", "mesa"])
def test_net_npv_is_npv_minus_kol_and_response_costs_exactly(engine):
    cpr, mon, expo = 40.0, 25.0, 2.0
    sc = wom_sim.load_scenario(CRISIS, [f"scenario.engine=\"{engine}\"", f"response.cost_per_response={cpr}",
                                        f"response.monitoring_cost_per_step={mon}",
                                        f"response.monitoring_cost_exponent={expo}", "economics.discount_rate=0.01"])
    res = wom_sim.run(sc)
    col = {m: res.series[:, :, res.metrics.index(m)] for m in ("npv", "net_npv", "new_responses", "response_cost")}
    disc = discount_factors(sc.scenario.steps, sc.economics)
    per = cpr * col["new_responses"] + mon * 0.6 ** expo
    per[:, 0] = 0
    cost = np.cumsum(per * disc, axis=1)
    assert np.allclose(col["response_cost"], cost, rtol=1e-12, atol=1e-9)
    g = make_graph(sc)
    kol_cost = float(np.sum(sc.seeding.kol_cost_base + sc.seeding.kol_cost_rate
                            * np.sort(g.out_degree())[::-1][:5].astype(float) ** sc.seeding.kol_cost_alpha))
    assert np.allclose(col["net_npv"], col["npv"] - kol_cost - cost, rtol=1e-12, atol=1e-6)
    assert col["new_responses"].sum() > 0
    none = wom_sim.run(wom_sim.load_scenario(sc, ["response.policy=\"none\""]))
    assert not none.series[:, :, none.metrics.index("response_cost")].any()  # no team, no cost


def test_backfiring_replies_spread_more_bad_news_on_both_engines():
    """backfire 0.5 against 0: more negative messages (paired, interval above 0); the two
    engines agree on the mean within 4 standard errors."""
    sets = ["scenario.replicates=40", "response.detect_prob=0.9", "response.delay=0"]
    finals = {}
    for engine in ("numpy", "mesa"):
        for b in (0.0, 0.5):
            r = wom_sim.run(wom_sim.load_scenario(CRISIS, sets + [f"scenario.engine=\"{engine}\"",
                                                                  f"response.backfire_prob={b}"]))
            finals[(engine, b)] = r.series[:, -1, r.metrics.index("neg_messages")]
    m, lo, hi = mean_ci(finals[("numpy", 0.5)] - finals[("numpy", 0.0)])
    assert lo > 0, (m, lo, hi)
    a, b = finals[("numpy", 0.5)], finals[("mesa", 0.5)]
    assert abs(a.mean() - b.mean()) < 4 * math.sqrt(a.var() / a.size + b.var() / b.size)


TEAMS = """
[scenario]
name = "teams"
seed = 5
steps = 20
replicates = 8
[graph]
kind = "powerlaw_cluster"
n = 1200
m = 3
p = 0.3
[wom]
p_negative_experience = 0.15
[seeding]
budget = 5
initial_complainers = 10
complainers = "top_followers"
[response.teams.in_house]
delay = 1
detect_prob = 0.9
cost_per_response = 30
monitoring_cost_per_step = 200
[response.teams.agency]
delay = 4
detect_prob = 0.5
resolve_prob = 0.6
recovery_prob = 0.05
backfire_prob = 0.1
cost_per_response = 10
monitoring_cost_per_step = 50
[output]
plots = false
"""


def test_teams_comparison_is_byte_identical_across_worker_counts(tmp_path):
    f = tmp_path / "teams.toml"
    f.write_text(TEAMS)
    outs = []
    for w in (1, 2):
        r = cli("bench-response", f, "--teams", "in_house,agency", "--workers", w, "-o", tmp_path / f"w{w}")
        assert r.exit_code == 0, r.output
        outs.append((tmp_path / f"w{w}" / "response.csv").read_bytes())
    assert outs[0] == outs[1]
    assert "in_house" in r.output and "agency" in r.output and "net NPV" in r.output
    rows = outs[0].decode().splitlines()
    assert any(row.startswith("in_house,1,net_npv,") for row in rows)
    assert any(row.startswith("agency,4,response_cost,") for row in rows)
    bad = cli("bench-response", f, "--teams", "in_hous", "-o", tmp_path / "bad")
    assert bad.exit_code == 2 and "did you mean 'in_house'" in bad.output
    both = cli("bench-response", f, "--teams", "agency", "--delays", "0,1", "-o", tmp_path / "both")
    assert both.exit_code == 2 and "drop --delays" in both.output


def test_break_even_delay_is_reported(tmp_path):
    f = tmp_path / "teams.toml"
    f.write_text(TEAMS.replace("replicates = 8", "replicates = 10")
                 + "[response]\ncost_per_response = 5\nmonitoring_cost_per_step = 10\n"
                 if "[response]\n" not in TEAMS else TEAMS)
    r = cli("bench-response", f, "--delays", "0,2,8", "-o", tmp_path / "b", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "break-even:" in r.output
    head, *rows = (tmp_path / "b" / "break_even.csv").read_text().splitlines()
    assert head == "policy,best_delay,break_even_delay,net_npv_gap,ci_low,ci_high"
    policy, best, slowest, *_ = rows[0].split(",")
    assert policy == "fixed_delay" and int(slowest) >= int(best)
