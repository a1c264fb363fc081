"""The command line as a user meets it: outputs, and every error path (exit code 2,
one clear message naming the file and key, no traceback, nothing written)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from wom_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = str(ROOT / "scenarios" / "quickstart.toml")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def small(tmp_path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


SMALL = """
[scenario]
name = "tiny"
steps = 5
replicates = 3
[graph]
kind = "erdos_renyi"
n = 500
mean_degree = 6
"""


def test_run_writes_every_output(tmp_path):
    out = tmp_path / "out"
    r = invoke("run", QUICK, "-o", out, "--replicates", 3, "--set", "scenario.steps=10")
    assert r.exit_code == 0, r.output
    for f in ("timeseries.csv", "replicates.csv", "summary.json", "adoption.png", "funnel.png", "messages.png"):
        assert (out / f).stat().st_size > 0, f
    s = json.loads((out / "summary.json").read_text())
    assert s["seed"] == 42 and s["n_agents"] == 20000 and s["scenario"]["scenario"]["replicates"] == 3
    assert {"graph_s", "simulate_s", "write_s"} <= set(s["timing"])
    for m in ("aware", "adopters", "rejected", "negative_reach", "pos_messages", "neg_messages",
              "responses", "net_sentiment", "npv", "stage_attention", "stage_share"):
        lo, hi = s["metrics"][m]["ci95"]
        assert lo <= s["metrics"][m]["mean"] <= hi
    ts = (out / "timeseries.csv").read_text().splitlines()
    assert ts[0] == "step,metric,mean,ci_low,ci_high"
    assert len(ts) == 1 + 11 * len(s["metrics"])
    rep = (out / "replicates.csv").read_text().splitlines()
    assert rep[0].startswith("replicate,step,aware,adopters") and len(rep) == 1 + 3 * 11
    assert "adopters" in r.output and "95% interval" in r.output and str(out) in r.output


def test_same_seed_gives_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert invoke("run", small(tmp_path, SMALL), "-o", d, "--quiet").exit_code == 0
    for f in ("timeseries.csv", "replicates.csv"):
        assert (a / f).read_bytes() == (b / f).read_bytes()
    assert invoke("run", small(tmp_path, SMALL), "-o", b, "--quiet", "--workers", 2, "--force").exit_code == 0
    assert (a / "replicates.csv").read_bytes() == (b / "replicates.csv").read_bytes()


def test_quiet_prints_nothing(tmp_path):
    r = invoke("run", small(tmp_path, SMALL), "-o", tmp_path / "o", "--quiet")
    assert r.exit_code == 0 and r.output == ""


def test_validate_prints_every_default(tmp_path):
    r = invoke("validate", small(tmp_path, SMALL))
    assert r.exit_code == 0, r.output
    for key in ("negative_tells = 11", "kol_reach = 0.3", "[response]", "policy = \"fixed_delay\"",
                "mean_degree = 6", "GB"):
        assert key in r.output, key
    assert "m = " not in r.output  # ER takes no m


def test_defaults_lists_every_schema_key():
    from wom_sim.scenario import SECTIONS
    r = invoke("defaults", "--markdown")
    assert r.exit_code == 0
    for sec, model in SECTIONS.items():
        for key in model.model_fields:
            assert f"`{sec}.{key}`" in r.output, f"{sec}.{key}"
    assert "[0, 1]" in r.output


@pytest.mark.parametrize("suffix", [".npz", ".txt"])
def test_graph_command_saves(tmp_path, suffix):
    out = tmp_path / f"g{suffix}"
    r = invoke("graph", small(tmp_path, SMALL), "-o", out)
    assert r.exit_code == 0, r.output
    assert "500 nodes" in r.output and "arcs" in r.output and "built in" in r.output
    if suffix == ".npz":
        z = np.load(out)
        assert z["indptr"].shape == (501,) and z["indices"].dtype == np.int32
    else:
        assert len(out.read_text().split("\n")) > 100


# ---------------------------------------------------------------- error paths

BAD = [
    ("[wom]\nnegative_tell = 11\n", ["wom.negative_tell", "did you mean 'negative_tells'"]),
    ("[womm]\nmode = 'retell'\n", ["womm", "did you mean 'wom'"]),
    ("[wom]\nmode = 'retel'\n", ["wom.mode", "retell", "did you mean 'retell'"]),
    ("[wom]\nshare_prob = 1.5\n", ["wom.share_prob = 1.5", "less than or equal to 1"]),
    ("[wom]\nshare_prob = -0.1\n", ["wom.share_prob", "greater than or equal to 0"]),
    ("[wom]\nshare_prob = nan\n", ["wom.share_prob", "finite"]),
    ("[wom]\nshare_prob = inf\n", ["wom.share_prob", "finite"]),
    ("[wom]\ntells_per_step = 'two'\n", ["wom.tells_per_step = 'two'", "integer"]),
    ("[scenario]\nsteps = 0\n", ["scenario.steps", "greater than or equal to 1"]),
    ("[seeding]\nstrategy = 'degre'\n", ["seeding.strategy", "did you mean 'degree'"]),
    ("[seeding]\nbudget = 600\n[graph]\nkind='erdos_renyi'\nn=500\n", ["budget", "exceeds the population"]),
    ("[response]\npolicy = 'fixed'\n", ["response.policy", "fixed_delay"]),
    ("[graph]\nkind = 'barabasi_albert'\nn = 10\nm = 10\n", ["m = 10", "below n"]),
    ("[graph]\nkind = 'erdos_renyi'\nn = 10\nmean_degree = 20\n", ["mean_degree", "below n - 1"]),
    ("[graph]\nkind = 'erdos_renyi'\nm = 3\n", ["graph.m", "does not take", "mean_degree"]),
    ("[graph]\nkind = 'watts_strogatz'\nk = 5\n", ["k = 5", "even"]),
    ("[graph]\nkind = 'edgelist'\n", ["path"]),
    ("[funnel]\nkind = 'custom'\nstages = ['a', 'b', 'c']\n", ["custom funnel", "advance"]),
    ("[funnel]\nkind = 'aisas'\nadvance = [0.1, 0.2]\n", ["funnel.advance", "3 probabilities"]),
    ("[sweep]\n\"response.dely\" = [1, 2]\n", ["sweep", "did you mean 'delay'"]),
    ("wom = 3\n", ["[wom] must be a table"]),
    ("[wom\nmode = 1\n", ["not valid TOML", "line"]),
    ("", ["empty"]),
]


@pytest.mark.parametrize("text,needles", BAD)
def test_bad_scenarios_exit_2_with_a_clear_message(tmp_path, text, needles):
    p = small(tmp_path, text)
    out = tmp_path / "never"
    r = invoke("run", p, "-o", out)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert str(p) in r.output or "--set" in r.output
    for needle in needles:
        assert needle in r.output, (needle, r.output)
    assert not out.exists(), "nothing may be written for a bad scenario"
    assert invoke("validate", p).exit_code == 2


def test_binary_and_missing_files(tmp_path):
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "UTF-8" in r.output
    r = invoke("run", tmp_path / "nope.toml")
    assert r.exit_code == 2 and "no such scenario file" in r.output
    r = invoke("run", tmp_path)
    assert r.exit_code == 2 and "folder" in r.output


@pytest.mark.parametrize("item,needle", [
    ("response.delay", "section.key=value"),
    ("respons.delay=3", "did you mean 'response'"),
    ("delay=3", "section.key"),
    ("response.delay=-1", "response.delay = -1"),
    ("response.dlay=1", "did you mean 'delay'"),
])
def test_bad_overrides(tmp_path, item, needle):
    r = invoke("run", small(tmp_path, SMALL), "-o", tmp_path / "o", "--set", item)
    assert r.exit_code == 2 and needle in r.output, r.output
    assert not (tmp_path / "o").exists()


def test_memory_guard_refuses_before_allocating(tmp_path):
    p = small(tmp_path, "[graph]\nkind = 'barabasi_albert'\nn = 1_500_000_000\nm = 50\n[seeding]\nbudget = 5\n")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "GB" in r.output and "needs about" in r.output, r.output
    assert not (tmp_path / "o").exists()
    r = invoke("graph", p, "-o", tmp_path / "g.npz")
    assert r.exit_code == 2 and "GB" in r.output


def test_bad_edgelist_names_file_and_line(tmp_path):
    el = tmp_path / "edges.txt"
    el.write_text("# friends\n0 1\n1 2\n2 x y z\n")
    p = small(tmp_path, f"[graph]\nkind = 'edgelist'\npath = '{el.name}'\n[seeding]\nbudget = 1\n")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2, r.output
    assert "edges.txt" in r.output and "4" in r.output
    assert not (tmp_path / "o").exists()


def test_edgelist_scenario_runs(tmp_path):
    el = tmp_path / "edges.csv"
    el.write_text("# u,v\n" + "\n".join(f"{i},{(i + 1) % 50}" for i in range(50)) + "\n")
    p = small(tmp_path, f"[scenario]\nsteps = 5\nreplicates = 2\n[graph]\nkind = 'edgelist'\npath = '{el.name}'\n"
                        "delimiter = ','\n[seeding]\nbudget = 2\n")
    r = invoke("run", p, "-o", tmp_path / "o", "--quiet")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["n_agents"] == 50


def test_edgelist_budget_larger_than_graph_is_refused(tmp_path):
    el = tmp_path / "small.txt"
    el.write_text("0 1\n1 2\n2 3\n")
    p = small(tmp_path, f"[graph]\nkind = 'edgelist'\npath = '{el.name}'\n[seeding]\nbudget = 10\n")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "exceeds the 4 agents" in r.output and str(p) in r.output
    assert not (tmp_path / "o").exists()


def test_missing_edgelist_names_the_key(tmp_path):
    p = small(tmp_path, "[graph]\nkind = 'edgelist'\npath = 'nope.txt'\n[seeding]\nbudget = 1\n")
    r = invoke("run", p, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "graph.path" in r.output and "nope.txt" in r.output


def test_byte_order_mark_is_accepted(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes("\ufeff[scenario]\nsteps = 2\nreplicates = 1\n"
                  "[graph]\nkind = 'erdos_renyi'\nn = 100\nmean_degree = 4\n"
                  "[seeding]\nbudget = 2\n".encode("utf-8"))
    assert invoke("validate", p).exit_code == 0


def test_sweep_over_graph_kinds(tmp_path):
    p = small(tmp_path, "[scenario]\nsteps = 3\nreplicates = 2\n[graph]\nkind = 'barabasi_albert'\nn = 300\nm = 3\n"
                        "[seeding]\nbudget = 2\n[sweep]\n\"graph.kind\" = ['barabasi_albert', 'erdos_renyi']\n")
    r = invoke("sweep", p, "-o", tmp_path / "s", "--workers", 1, "--quiet")
    assert r.exit_code == 0, r.output


def test_a_closed_pipe_is_not_an_error():
    """`wom-sim defaults | head -3`: the reader leaves early; wom-sim stops quietly."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "wom_sim.cli", "defaults", "--markdown"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before wom-sim has started: its first write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "error" not in err and "Traceback" not in err, err
