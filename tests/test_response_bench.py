"""bench-response: the delay grid with CRN, the percolation view, and the table."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from click.testing import CliRunner

import wom_sim
from wom_sim.cli import main
from wom_sim.model.theory import delay_transmissibility as effective_transmissibility
from wom_sim.model.theory import threshold_T
from wom_sim.response import bench_response, parse_policies
from wom_sim.stats import mean_ci

PERC = """
[scenario]
name = "Complaint percolation on ER"
seed = 12
steps = 200
replicates = 6
[graph]
kind = "erdos_renyi"
n = 20000
mean_degree = 10
[funnel]
kind = "none"
[wom]
mode = "cascade"
transmissibility = 0.05
active_steps = 100000
p_negative_experience = 1.0
reject_per_negative = 0.0
[seeding]
strategy = "random"
budget = 0
initial_complainers = 50
[response]
detect_prob = 1.0
resolve_prob = 1.0
recovery_prob = 0.0
repair_prob = 0.0
"""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_effective_transmissibility():
    # perfect listening: T = 1 - (1 - b)^(d + 1) (REFERENCE.md)
    for d in (0, 1, 3, 10):
        assert abs(effective_transmissibility(0.05, d, 1.0, 1.0, 10**5) - (1 - 0.95 ** (d + 1))) < 1e-12
    # nobody listening: the complainer tells for all its active steps
    assert abs(effective_transmissibility(0.05, 2, 0.0, 1.0, 7) - (1 - 0.95 ** 7)) < 1e-12
    # detection with p per step: Monte Carlo of L = G + d (G geometric from 1)
    rng = np.random.default_rng(0)
    G = rng.geometric(0.4, 200_000)
    mc = 1 - np.mean(0.95 ** (G + 2))
    assert (abs(effective_transmissibility(0.05, 2, 0.4, 1.0, 10**5) - mc)
            < 4 * np.std(0.95 ** (G + 2)) / math.sqrt(G.size))
    assert abs(threshold_T(np.full(100, 10)) - 1 / 9) < 1e-12


def test_cascade_delay_follows_percolation(tmp_path):
    p = tmp_path / "perc.toml"
    p.write_text(PERC)
    out = tmp_path / "out"
    r = invoke("bench-response", p, "-o", out, "--delays", "0,1,3,10", "--policies", "fixed_delay", "--workers", 2)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out / "response.csv")))
    assert set(rows[0]) == {"policy", "delay", "metric", "mean", "ci_low", "ci_high"}
    reach = {(r["policy"], int(r["delay"])): float(r["mean"]) / 20000 for r in rows if r["metric"] == "negative_reach"}
    assert reach[("none", 0)] > 0.99           # nobody answers: the whole network hears it
    assert reach[("fixed_delay", 0)] < 0.02    # T = 0.05, cT = 0.5: subcritical, dies out
    assert abs(reach[("fixed_delay", 3)] - 0.7523) < 0.015  # REFERENCE.md
    assert abs(reach[("fixed_delay", 10)] - 0.9857) < 0.01
    assert "critical delay 2" in r.output and "1/c" in r.output
    for f in ("response_delay.png", "negative_messages.png", "cost_benefit.png"):
        assert (out / f).exists()


def test_negative_reach_does_not_decrease_with_delay(tmp_path):
    """With common random numbers, each longer delay never lowers negative reach
    significantly, and the longest delay raises it clearly over the shortest."""
    sc = wom_sim.load_scenario("scenarios/crisis_response.toml",
                               ["graph.n=8000", "scenario.replicates=16", "scenario.steps=40"])
    specs = parse_policies("fixed_delay,capacity:C=3:queue=by_reach")
    bench = bench_response(sc, tmp_path / "b", specs, [0, 1, 2, 4, 8, 16], workers=2, plots=False)
    i = bench.metrics.index("negative_reach")
    for spec in bench.policies:
        vals = [bench.finals[(spec.label, d)][:, i] for d in bench.delays]
        for a, b in zip(vals, vals[1:]):
            _, lo, hi = mean_ci(b - a)
            assert hi >= 0, (spec.label, lo, hi)
        _, lo, _ = mean_ci(vals[-1] - vals[0])
        assert lo > 0, spec.label
    # the benefit is measured against no response: responding early avoids reach
    m, lo, hi = bench.avoided("fixed_delay", 0)
    assert lo > 0


@pytest.mark.parametrize("args,needle", [
    (["--policies", "fixed_dealy"], "did you mean 'fixed_delay'"),
    (["--policies", "capacity:Z=3"], "KEY=VALUE"),
    (["--delays", "a,b"], "whole numbers"),
    (["--delays", "-1"], "0 or more"),
    (["--policies", "capacity:C=0"], "response.capacity"),
])
def test_bench_response_bad_arguments(tmp_path, args, needle):
    p = tmp_path / "perc.toml"
    p.write_text(PERC)
    r = invoke("bench-response", p, "-o", tmp_path / "x", *args)
    assert r.exit_code == 2 and needle in r.output, r.output
    assert not (tmp_path / "x" / "response.csv").exists()
