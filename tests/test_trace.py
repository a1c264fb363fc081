"""`wom-sim run --trace`: who told whom, matching the run's own messages draw for draw."""
from __future__ import annotations

import csv
import importlib.util

import numpy as np
from conftest import cli

import wom_sim

SMALL = {"scenario": {"seed": 3, "steps": 15, "replicates": 3}, "graph": {"kind": "powerlaw_cluster", "n": 400, "m": 3,
                                                                         "p": 0.3},
         "funnel": {"kind": "aisas"}, "wom": {"p_negative_experience": 0.2, "p_external": 0.01},
         "seeding": {"budget": 4, "initial_complainers": 3}, "output": {"plots": False}}


def test_trace_has_every_message_of_the_traced_replicates():
    """Per step, the trace holds exactly the run's new positive and negative messages of
    replicates 0 and 1, and tracing changes no number of the run."""
    plain = wom_sim.run(SMALL)
    traced = wom_sim.run(SMALL, trace=2)
    assert np.array_equal(plain.series, traced.series)
    tr = traced.trace
    assert tr is not None and set(tr["replicate"].tolist()) == {0, 1}
    pos, neg = (traced.metrics.index(m) for m in ("new_pos_messages", "new_neg_messages"))
    for r in (0, 1):
        mine = tr["replicate"] == r
        for t in range(1, 16):
            at = mine & (tr["step"] == t)
            assert (tr["valence"][at] > 0).sum() == traced.series[r, t, pos]
            assert (tr["valence"][at] < 0).sum() == traced.series[r, t, neg]
    last = tr["step"] == 15
    assert np.all(tr["changed"][last] == -1) and np.all(np.isin(tr["changed"][~last], [0, 1]))
    assert tr["changed"][~last].any()


def test_trace_of_the_worked_timeline(tmp_path):
    """docs/model.md's timeline: a KOL heads a path 0 -> 1 -> 2, every probability 1."""
    edges = tmp_path / "path.txt"
    edges.write_text("kol ann\nann bob\n")
    sc = {"scenario": {"seed": 1, "steps": 8, "replicates": 1},
          "graph": {"kind": "edgelist", "path": str(edges), "directed": True},
          "funnel": {"kind": "none"}, "wom": {"mode": "cascade", "transmissibility": 1.0, "active_steps": 1,
                                              "p_negative_experience": 0.0, "weak_ties_per_step": 0},
          "seeding": {"strategy": "degree", "budget": 1, "kol_reach": 1.0}, "response": {"policy": "none"},
          "output": {"plots": False}}
    path = tmp_path / "s.toml"
    import tomli_w
    path.write_text(tomli_w.dumps(sc))
    r = cli("run", path, "--trace", "-o", tmp_path / "out", "--quiet")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(tmp_path / "out" / "trace.csv")))
    got = [(row["step"], row["teller"], row["hearer"], row["valence"], row["changed"]) for row in rows]
    # step 1 the KOL posts to ann; ann reads it in step 2 (aware, adopts) and tells bob in
    # that step (funnel none shares in real time); bob reads it in step 3
    assert got == [("1", "kol", "ann", "1", "1"), ("2", "ann", "bob", "1", "1")]


def test_trace_refusals_and_formats(tmp_path):
    r = cli("run", "aisas_classroom", "--trace", "--set", "scenario.engine=\"mesa\"", "-o", tmp_path / "m")
    assert r.exit_code == 2 and "--trace records the NumPy engine" in r.output
    r = cli("run", "bass_forecast", "--trace", "--set", "graph.n=200", "-o", tmp_path / "b")
    assert r.exit_code == 2 and "nothing to trace" in r.output
    r = cli("run", "aisas_classroom", "--trace-replicates", "0", "-o", tmp_path / "z")
    assert r.exit_code == 2 and "--trace-replicates 0" in r.output
    r = cli("run", "aisas_classroom", "--trace-format", "parquet", "--trace", "-o", tmp_path / "p", "--quiet")
    if importlib.util.find_spec("pyarrow") is None:
        assert r.exit_code == 2 and "pip install pyarrow" in r.output
    else:
        assert r.exit_code == 0 and (tmp_path / "p" / "trace.parquet").is_file()
    r = cli("run", "aisas_classroom", "-o", tmp_path / "none", "--quiet")
    assert r.exit_code == 0 and not (tmp_path / "none" / "trace.csv").exists()


def test_trace_of_a_pure_cascade_comes_from_the_general_rules():
    """A pure IC scenario runs on the IC kernel; its trace is recorded on the general rules
    (the same model in distribution): it holds the cascade's positive messages."""
    res = wom_sim.run(wom_sim.load_scenario("ic_percolation", ["graph.n=2000", "scenario.replicates=2",
                                                                "scenario.steps=30"]), trace=1)
    tr = res.trace
    assert tr is not None and tr["step"].size > 50 and set(tr["valence"].tolist()) == {1}
    assert set(tr["replicate"].tolist()) == {0}
