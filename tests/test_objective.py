"""The planner's objective (issue 14, first part): net_npv = npv - what the KOLs cost, on
every engine path, and compare-seeding ranking by seeding.objective at the horizon."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import SMALL, cli, scenario_file

import wom_sim
from wom_sim.model import metrics
from wom_sim.seeding import kol_cost

PRICED = {"kol_cost_base": 250.0, "kol_cost_rate": 3.0, "kol_cost_alpha": 1.0}


@pytest.mark.parametrize("engine,wom,funnel", [
    ("numpy", {"mode": "retell"}, "aisas"),                                  # the general rules
    ("numpy", {"mode": "cascade", "active_steps": 1, "p_external": 0.0}, "none"),  # the IC kernel
    ("numpy", {"mode": "bass"}, "aisas"),
    ("mesa", {"mode": "retell"}, "sicas"),
    ("mesa", {"mode": "bass"}, "aisas"),
])
def test_net_npv_is_npv_minus_the_kols_cost_exactly(engine, wom, funnel):
    """Every step of every replicate: net_npv = npv - kol_cost(KOLs), the cost paid at
    launch under the scenario's price model (also for random KOLs drawn per replicate)."""
    for strategy in ("degree", "random"):
        sc = wom_sim.load_scenario({
            "scenario": {"steps": 8, "replicates": 3, "seed": 4, "engine": engine},
            "graph": {"kind": "barabasi_albert", "n": 300, "m": 3},
            "funnel": {"kind": funnel}, "wom": wom,
            "seeding": {"strategy": strategy, "budget": 4, **PRICED}})
        res = wom_sim.run(sc)
        npv, net = (res.series[..., res.metrics.index(m)] for m in ("npv", "net_npv"))
        graph = wom_sim.execution.make_graph(sc)
        _, plan = wom_sim.execution.prepare(sc, graph)
        cost = np.array([kol_cost(graph, sc, plan.for_replicate(r)) for r in range(3)])
        assert cost.min() > 4 * 250
        assert np.array_equal(net, npv - cost[:, None])


def test_net_npv_in_the_metric_table_and_units():
    assert "net_npv" in metrics.BASE_METRICS and metrics.unit("net_npv") == "currency units"
    assert not metrics.is_count("net_npv") and metrics.label("net_npv") == "net NPV"
    from wom_sim.funnels import no_funnel
    c = np.zeros((2, 3, len(metrics.COUNTERS) + no_funnel().n_codes))
    c[..., 2] = [[0, 1, 0], [0, 0, 2]]   # new adopters per step, two replicates
    econ = type("E", (), {"margin": 10.0, "discount_rate": 0.0})()
    out = metrics.table(c, no_funnel(), econ, spend=np.array([5.0, 30.0]))
    i = metrics.metric_names(no_funnel()).index("net_npv")
    assert out[..., i].tolist() == [[-5.0, 5.0, 5.0], [-30.0, -30.0, -10.0]]


def _comparison(path) -> list[dict]:
    with open(path / "comparison.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_compare_seeding_ranks_by_the_objective_and_says_so(tmp_path):
    """KOLs priced per follower: top-degree buys the most adopters but pays the most, so
    it ranks first by adopters and below random by net NPV; the table says which
    objective ranked it, comparison.csv gives the rank, and the pick times print once."""
    text = SMALL.replace("replicates = 3", "replicates = 12").replace(
        "[seeding]\nbudget = 3", "[seeding]\nbudget = 3\nkol_cost_base = 0\nkol_cost_rate = 2000\n"
                                 "[economics]\nmargin = 100\ndiscount_rate = 0")
    f = scenario_file(tmp_path, text)
    ranks = {}
    for objective in ("adopters", "net_npv"):
        out = tmp_path / objective
        r = cli("compare-seeding", f, "--strategies", "degree", "--budget", "3", "-o", out,
                "--set", f"seeding.objective={objective}")
        assert r.exit_code == 0, r.output
        title = {"adopters": "ranked by adopters after 6 steps", "net_npv": "ranked by net NPV after 6 steps"}
        assert title[objective] in r.output and "(seeding.objective" in r.output
        assert r.output.count("choosing the KOLs took:") == 1 and "degree" in r.output.split("choosing")[-1]
        rows = [row for row in _comparison(out) if row["metric"] == objective]
        assert {row["objective"] for row in rows} == {objective}
        ranks[objective] = {row["strategy"]: int(row["rank"]) for row in rows}
        means = {row["strategy"]: float(row["mean"]) for row in rows}
        best = min(ranks[objective], key=ranks[objective].get)
        assert means[best] == max(means.values())
    assert ranks["adopters"] == {"degree": 1, "random": 2}
    assert ranks["net_npv"] == {"random": 1, "degree": 2}


def test_an_unknown_objective_is_refused_with_the_choices(tmp_path):
    f = scenario_file(tmp_path, SMALL.replace("[seeding]\nbudget = 3", "[seeding]\nbudget = 3\nobjective = \"sales\""))
    r = cli("run", f, "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert "seeding.objective" in r.output and "net_npv" in r.output and "Traceback" not in r.output


# ----------------------------------------------------------------------------- selection progress


def test_ris_and_greedy_report_their_progress_only_to_an_installed_hook():
    from wom_sim.graphs.generators import barabasi_albert
    from wom_sim.seeding import strategy
    from wom_sim.seeding.progress import report, reporting
    g = barabasi_albert(2000, 3, np.random.default_rng(1))
    seen: list[tuple[str, float, float | None]] = []
    with reporting(lambda text, done, total: seen.append((text, done, total))):
        ris = strategy("ris")(g, 10, np.random.default_rng(2), None, p=0.05)
        greedy = strategy("greedy")(g, 5, np.random.default_rng(2), None, p=0.05, samples=50)
    rr = [s for s in seen if "ris" in s[0]]
    assert rr and all("RR sets" in text for text, _, _ in rr) and rr[-1][1] > 0 and rr[-1][2] >= rr[-1][1]
    gr = [(done, total) for text, done, total in seen if "greedy" in text]
    assert gr == [(i, 5) for i in range(6)]
    report("nobody listens", 1, 2)  # no hook: nothing happens
    assert ris.size == 10 and greedy.size == 5


def test_the_terminal_shows_the_kol_selection(tmp_path):
    """On a terminal (a pseudo-terminal here), compare-seeding with ris draws a line for
    the KOL selection, naming the RR sets, instead of a bar stuck at 0/? replicates."""
    import os
    import pty
    import subprocess
    import sys
    f = scenario_file(tmp_path, SMALL.replace("n = 300", "n = 3000"))
    main_fd, sub_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": "150", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "wom_sim.cli.main", "compare-seeding", str(f), "--strategies",
                             "ris", "--budget", "5", "-o", str(tmp_path / "out")],
                            stdin=sub_fd, stdout=sub_fd, stderr=sub_fd, env=env, cwd=tmp_path)
    os.close(sub_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert "choosing KOLs with ris" in text and "RR sets" in text
