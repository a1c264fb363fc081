"""compare-seeding: the grid, common random numbers and paired lifts, money budgets."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from click.testing import CliRunner

import wom_sim
from wom_sim.cli import main
from wom_sim.compare import compare_seeding
from wom_sim.seeding import kol_cost, select_seeds
from wom_sim.stats import mean_ci
from wom_sim.streams import stream

SCEN = """
[scenario]
name = "seeding comparison"
seed = 21
steps = 25
replicates = 12
[graph]
kind = "barabasi_albert"
n = 4000
m = 3
[funnel]
kind = "aisas"
[wom]
p_external = 0.0
[seeding]
kol_reach = 0.4
[response]
policy = "none"
"""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def scen(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SCEN)
    return p


def test_compare_seeding_writes_table_plots_and_ranks(scen, tmp_path):
    out = tmp_path / "cmp"
    r = invoke("compare-seeding", scen, "--strategies", "degree", "--budget", "5,20", "-o", out, "--workers", 1)
    assert r.exit_code == 0, r.output
    with open(out / "comparison.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) >= {"strategy", "budget", "metric", "mean", "ci_low", "ci_high", "lift", "lift_ci_low",
                            "lift_ci_high", "selection_s", "cost"}
    strategies = {r["strategy"] for r in rows}
    assert strategies == {"random", "degree"}  # random is always the baseline
    adopt = {(r["strategy"], r["budget"]): r for r in rows if r["metric"] == "adopters"}
    for b in ("5", "20"):
        base = adopt[("random", b)]
        assert float(base["lift"]) == 0 and float(base["lift_ci_low"]) == 0  # random vs itself
        d = adopt[("degree", b)]
        assert float(d["lift_ci_low"]) <= float(d["lift"]) <= float(d["lift_ci_high"])
    # hubs reach more followers than random accounts on a BA graph, and more budget helps
    assert float(adopt[("degree", "20")]["lift_ci_low"]) > 0
    assert float(adopt[("degree", "20")]["mean"]) > float(adopt[("degree", "5")]["mean"])
    for f in ("strategies_final.png", "strategies_adoption.png", "spread_vs_budget.png", "kol_degrees.png",
              "sweep.csv", "manifest.json"):
        assert (out / f).exists(), f
    assert "degree" in r.output and "lift" in r.output


def test_common_random_numbers_narrow_the_paired_interval(scen, tmp_path):
    """Two strategies with overlapping picks (degree and pagerank on a BA graph) share
    the replicate streams, so their paired difference is far less noisy than the
    same comparison on independent streams (replicates R..2R-1 of the same graph)."""
    pytest.importorskip("wom_sim.seeding.centrality")
    R = 30
    sc = wom_sim.load_scenario(scen, [f"scenario.replicates={R}"])
    cmp = compare_seeding(sc, tmp_path / "crn", ["degree", "pagerank"], [10], workers=1, plots=False)
    i = cmp.metrics.index("adopters")
    a, b = cmp.finals[("degree", 10)][:, i], cmp.finals[("pagerank", 10)][:, i]
    _, lo, hi = mean_ci(a - b)
    crn_width = float(hi - lo)
    longer = wom_sim.run(wom_sim.load_scenario(sc, [f"scenario.replicates={2 * R}", "seeding.strategy=pagerank",
                                                    "seeding.budget=10"]))
    b_ind = longer.metric("adopters")[R:, -1]  # streams (seed, 2, R + r): independent of a's
    assert np.array_equal(longer.metric("adopters")[:R, -1], b)  # same graph, same streams as the grid
    _, lo2, hi2 = mean_ci(a - b_ind)
    ind_width = float(hi2 - lo2)
    assert crn_width < 0.75 * ind_width, (crn_width, ind_width)


def test_random_baseline_draws_a_new_pick_per_replicate(scen):
    sc = wom_sim.load_scenario(scen, ["seeding.strategy=random", "seeding.budget=5"])
    from wom_sim.execution import make_graph
    from wom_sim.execution import prepare as make_engine
    g = make_graph(sc)
    _, plan = make_engine(sc, g)
    assert plan.per_replicate
    picks = {tuple(sorted(plan.for_replicate(r).tolist())) for r in range(5)}
    assert len(picks) == 5
    assert plan.for_replicate(3).tolist() == plan.for_replicate(3).tolist()  # reproducible


def test_money_budget_buys_many_micro_or_one_mega_kol(scen):
    # price = base + rate * followers^alpha: with a steep price the money buys many
    # small accounts; a flat price buys the hubs
    base = wom_sim.load_scenario(scen, ["seeding.strategy=degree", "seeding.budget_money=2000",
                                        "seeding.kol_cost_base=100", "seeding.kol_cost_rate=0"])
    from wom_sim.execution import make_graph
    g = make_graph(base)
    flat = select_seeds(g, base, stream(1, 1))
    assert flat.size == 20 and kol_cost(g, base, flat) <= 2000
    steep = wom_sim.load_scenario(base, ["seeding.kol_cost_rate=10", "seeding.kol_cost_alpha=1.0",
                                         "seeding.strategy=degree"])
    picks = select_seeds(g, steep, stream(1, 1))
    assert kol_cost(g, steep, picks) <= 2000
    deg = g.out_degree()
    # the top hubs cost more than the budget: none of them can be bought
    assert all(100 + 10 * deg[i] <= 2000 for i in picks)
    assert picks.size < flat.size


def test_compare_with_money_budgets(scen, tmp_path):
    out = tmp_path / "money"
    r = invoke("compare-seeding", scen, "--strategies", "degree", "--budget", "3000,6000", "--money", "-o", out,
               "--workers", 1, "--quiet", "--set", "seeding.kol_cost_rate=5")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out / "comparison.csv")))
    costs = {(r["strategy"], r["budget"]): float(r["cost"]) for r in rows if r["metric"] == "adopters"}
    assert all(c <= float(b) for (_, b), c in costs.items())


@pytest.mark.parametrize("args,needle", [
    (["--strategies", "degre"], "did you mean 'degree'"),
    (["--budget", "ten"], "'ten' is not a whole number"),
    (["--budget", "10,1e3x", "--money"], "'1e3x' is not a number"),
    (["--budget", "0"], "positive"),
])
def test_compare_bad_arguments(scen, tmp_path, args, needle):
    r = invoke("compare-seeding", scen, "-o", tmp_path / "x", *args)
    assert r.exit_code == 2 and needle in r.output, r.output


def test_greedy_on_a_big_graph_is_refused_with_a_pointer_to_ris(tmp_path):
    p = tmp_path / "big.toml"
    p.write_text("[graph]\nkind = 'erdos_renyi'\nn = 30000\nmean_degree = 4\n"
                 "[seeding]\nstrategy = 'greedy'\nbudget = 5\n"
                 "[scenario]\nsteps = 2\nreplicates = 1\n")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "ris" in r.output and "seeding.strategy" in r.output, r.output
