"""Inputs and outputs a user can trust (issue 12), each through the command line:
folders that are never clobbered, real edge lists read as meant, every failure a clear
message with exit code 2, plug-in code only on request."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import SMALL, cli, scenario_file

# ----------------------------------------------------------------------------- output folders

def test_a_named_folder_is_never_clobbered(tmp_path):
    scen = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert cli("run", scen, "-o", out, "--quiet").exit_code == 0
    first = (out / "summary.json").read_text()
    r = cli("run", scen, "-o", out, "--quiet", "--set", "scenario.engine=mesa")
    assert r.exit_code == 2 and "--force" in r.output and "already holds" in r.output
    assert (out / "summary.json").read_text() == first, "the first run's files are untouched"
    (out / "my_notes.txt").write_text("mine")
    assert cli("run", scen, "-o", out, "--quiet", "--force", "--set", "scenario.engine=mesa").exit_code == 0
    assert json.loads((out / "summary.json").read_text())["scenario"]["scenario"]["engine"] == "mesa"
    assert (out / "my_notes.txt").read_text() == "mine", "a file wom-sim did not write is left alone"


def test_the_default_folder_steps_aside_and_says_where(tmp_path):
    scen = scenario_file(tmp_path)
    assert cli("run", scen, "--quiet", cwd=tmp_path).exit_code == 0
    r = cli("run", scen, cwd=tmp_path)
    assert r.exit_code == 0 and "results/small-2" in r.output
    assert (tmp_path / "results" / "small" / "summary.json").exists()
    assert (tmp_path / "results" / "small-2" / "summary.json").exists()


@pytest.mark.parametrize("command", [["run"], ["teach", "aisas"], ["sweep"]])
def test_a_folder_of_someone_elses_files_is_never_written_into(tmp_path, command):
    scen = scenario_file(tmp_path, SMALL.replace("[output]", "[sweep]\n\"response.delay\" = [0, 1]\n[output]"))
    out = tmp_path / "photos"
    out.mkdir()
    (out / "summary.json.bak").write_text("holiday")
    args = [*command, *([] if command[0] == "teach" else [scen]), "-o", out, "--quiet", "--force"]
    if command[0] == "teach":
        args += ["--replicates", "2"]
    r = cli(*args)
    assert r.exit_code == 2 and "did not write" in r.output, r.output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json.bak"]


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    scen = scenario_file(tmp_path)
    f = tmp_path / "out.txt"
    f.write_text("x")
    r = cli("run", scen, "-o", f, "--quiet")
    assert r.exit_code == 2 and "is a file" in r.output and f.read_text() == "x"


def test_folders_honour_the_umask(tmp_path):
    scen = scenario_file(tmp_path)
    old = os.umask(0o022)
    try:
        assert cli("run", scen, "-o", tmp_path / "out", "--quiet").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out" / "summary.json").stat().st_mode) == 0o644


def test_resume_cleans_what_a_kill_left_half_written(tmp_path):
    scen = scenario_file(tmp_path, SMALL.replace("[output]", "[sweep]\n\"response.delay\" = [0, 1]\n[output]"))
    out = tmp_path / "grid"
    assert cli("sweep", scen, "-o", out, "--quiet", "--workers", 1).exit_code == 0
    stale_dir = out / "points" / ".0001_delay-1.partial-abc123"
    stale_dir.mkdir()
    (stale_dir / "replicates.csv").write_text("half")
    stale_file = out / ".sweep.csv.x1y2.partial"
    stale_file.write_text("half")
    assert cli("sweep", scen, "-o", out, "--quiet", "--resume", "--workers", 1).exit_code == 0
    assert not stale_dir.exists() and not stale_file.exists()


# ----------------------------------------------------------------------------- failures the user can fix

def _subprocess_cli(args: list, tmp_path: Path, preexec=None, env=None):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "wom_sim.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=tmp_path, preexec_fn=preexec, env=env, timeout=300)


def test_a_full_disk_is_the_users_to_fix(tmp_path):
    """Writing the results fails (here: the file-size limit, like a full disk): exit 2,
    what and where, no traceback, no half-written folder."""
    import resource
    scen = scenario_file(tmp_path)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
    r = _subprocess_cli(["run", scen, "-o", tmp_path / "out", "--quiet"], tmp_path, preexec=small_files)
    assert r.returncode == 2, r.stderr
    assert "cannot use" in r.stderr and "Traceback" not in r.stderr and "bug" not in r.stderr
    assert not (tmp_path / "out").exists(), "nothing half-written"
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_a_folder_that_cannot_be_written_is_the_users_to_fix(tmp_path):
    r = cli("run", scenario_file(tmp_path), "-o", "/sys/wom-sim-cannot-write-here", "--quiet")
    assert r.exit_code == 2 and "cannot use" in r.output and "bug" not in r.output, r.output


@pytest.mark.parametrize("args, needle", [
    (["bench-response", "{scen}", "--policies", "capacity:C=x", "--delays", "0"], "is not a number"),
    (["run", "{scen}", "--set", "wom.share_prob=" + "[" * 3000], "nested too deeply"),
    (["sweep", "{grid}", "--scheduler", "notanaddress::"], "cannot reach a Dask scheduler"),
    (["sweep", "{grid}", "--scheduler", "tls://127.0.0.1:1"], "DASK_DISTRIBUTED__COMM__TLS__CA_FILE"),
])
def test_bad_options_exit_2_with_the_fix(tmp_path, args, needle):
    scen = scenario_file(tmp_path)
    grid_text = SMALL.replace("[output]", "[sweep]\n\"response.delay\" = [0, 1]\n[output]")
    grid = scenario_file(tmp_path, grid_text, "g.toml")
    r = cli(*[a.format(scen=scen, grid=grid) for a in args], "-o" if args[0] != "run" else "--quiet",
            *([tmp_path / "o"] if args[0] != "run" else []))
    assert r.exit_code == 2 and needle in r.output and "bug" not in r.output, r.output
    assert not (tmp_path / "o").exists(), "a refused command leaves no folder behind"


@pytest.mark.parametrize("key", ["seeding.kol_reach", "wom.transmissibility"])
def test_vanishing_probabilities_run(tmp_path, key):
    """kol_reach or transmissibility near 1e-19 used to crash the geometric skips."""
    r = cli("run", "scenarios/ic_percolation.toml", "--set", f"{key}=1e-20", "--replicates", 2,
            "-o", tmp_path / "o", "--quiet", cwd=Path(__file__).resolve().parents[1])
    assert r.exit_code == 0, r.output


def test_sigterm_stops_a_sweep_like_ctrl_c(tmp_path):
    """SIGTERM (timeout, systemd, SLURM, docker stop) to a sweep: its workers are
    stopped, finished points kept, and the user told how to resume."""
    import signal
    import subprocess
    import sys
    import time
    slow = SMALL.replace("n = 300", "n = 60000").replace("steps = 6", "steps = 60").replace("replicates = 3",
                                                                                            "replicates = 4")
    # 40 points: the sweep must still be running when the signal comes (8 points took
    # under 2 s and finished first on a fast machine)
    delays = ", ".join(str(d) for d in range(40))
    scen = scenario_file(tmp_path, slow.replace("[output]", f"[sweep]\n\"response.delay\" = [{delays}]\n[output]"))
    out = tmp_path / "grid"
    proc = subprocess.Popen([sys.executable, "-m", "wom_sim.cli", "sweep", str(scen), "-o", str(out), "--quiet",
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / "points").glob("[0-9]*")):
        time.sleep(0.2)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert len(list((out / "points").glob("[0-9]*"))) < 40, "the sweep finished before the signal: make it longer"
    assert proc.returncode == 143 and "--resume" in err and "Traceback" not in err, err
    time.sleep(0.5)
    alive = [c for c in children if Path(f"/proc/{c}").exists()]
    assert not alive, f"workers left running: {alive}"


# ----------------------------------------------------------------------------- plug-ins and terminals

def test_a_scenario_imports_code_only_when_allowed(tmp_path, monkeypatch):
    (tmp_path / "sneaky.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('IMPORTED').write_text('x')\n"
        "from wom_sim.policies import ResponsePolicy\nclass P(ResponsePolicy):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WOM_SIM_PLUGINS", "0")
    scen = scenario_file(tmp_path, SMALL + "[response]\npolicy = \"sneaky:P\"\n")
    for command in (["validate", scen], ["run", scen, "-o", tmp_path / "o", "--quiet"]):
        r = cli(*command)
        assert r.exit_code == 2 and "--allow-plugins" in r.output, r.output
        assert not (tmp_path / "IMPORTED").exists(), "the module was imported without permission"
    r = cli("--allow-plugins", "run", scen, "-o", tmp_path / "o", "--quiet")
    assert r.exit_code == 0 and (tmp_path / "IMPORTED").exists(), r.output


def test_no_terminal_escape_sequence_from_a_scenario_is_printed(tmp_path):
    evil_toml = "\\u001b]0;pwned\\u0007\\u001b[31m[bold red]loud[/]"  # TOML escapes
    scen = scenario_file(tmp_path, SMALL.replace('name = "small"', f'name = "{evil_toml}"'))
    r = cli("run", scen, "-o", tmp_path / "o")
    assert r.exit_code == 0 and "\x1b" not in r.output and "\x07" not in r.output, repr(r.output)
    r = cli("run", scen, "-o", tmp_path / "o")  # the refusal names the folder, not the scenario
    assert "\x1b" not in r.output


# ----------------------------------------------------------------------------- real edge lists

def edgelist_scenario(tmp_path: Path, edges: str, graph: str = "", seeding: str = "budget = 3",
                      name: str = "edges.csv") -> Path:
    (tmp_path / name).write_text(edges)
    return scenario_file(tmp_path, f"""
[scenario]
name = "real"
steps = 4
replicates = 3
[graph]
kind = "edgelist"
path = "{name}"
{graph}
[seeding]
{seeding}
[output]
plots = false
""", "real.toml")


def ring_csv(n: int, header: str = "source,target") -> str:
    return header + "\n" + "".join(f"{i},{(i + 1) % n}\n{i},{(i + 7) % n}\n" for i in range(n))


def test_a_header_line_is_skipped_and_said(tmp_path):
    scen = edgelist_scenario(tmp_path, ring_csv(2000), 'delimiter = ","')
    r = cli("run", scen, "-o", tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["n_agents"] == 2000
    assert "skipped the header line 'source,target'" in r.output
    r = cli("validate", scen)
    assert r.exit_code == 0 and "skipped the header line" in r.output and "2,000 agents" in r.output


def test_a_stray_label_among_ids_is_refused_unless_labels_are_meant(tmp_path):
    scen = edgelist_scenario(tmp_path, "0 1\n1 2\n2 x3\n3 4\n4 0\n")
    for command in ("run", "validate"):
        r = cli(command, scen, *(["-o", tmp_path / "o"] if command == "run" else []))
        assert r.exit_code == 2 and "mix integer ids and labels" in r.output and "'x3', line 3" in r.output, r.output
        assert "labels = true" in r.output and not (tmp_path / "o").exists()
    scen = edgelist_scenario(tmp_path, "0 1\n1 2\n2 x3\n3 4\n4 0\n", "labels = true")
    r = cli("run", scen, "-o", tmp_path / "o")
    assert r.exit_code == 0 and "6 agent labels (graph.labels = true)" in r.output, r.output


def test_all_label_names_are_counted(tmp_path):
    scen = edgelist_scenario(tmp_path, "ann bob\nbob cy\ncy dee\ndee ann\n")
    r = cli("run", scen, "-o", tmp_path / "o")
    assert r.exit_code == 0 and "4 agent labels (non-numeric names)" in r.output, r.output


def _follower_export(tmp_path: Path) -> str:
    """300 accounts follow 5 others each; 199 of them also follow star_account."""
    import random
    rnd = random.Random(1)
    lines = ["follower,followee"]
    for i in range(300):
        lines += [f"user{i},user{j}" for j in rnd.sample(range(300), 5) if j != i]
    lines += [f"user{i},star_account" for i in range(1, 200)]
    return "\n".join(lines) + "\n"


def test_a_follower_export_is_read_the_right_way_round_and_the_kols_are_named(tmp_path):
    graph = 'delimiter = ","\ndirected = true\narc = "follower_followee"'
    scen = edgelist_scenario(tmp_path, _follower_export(tmp_path), graph, 'strategy = "degree"\nbudget = 2')
    r = cli("run", scen, "-o", tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert "top accounts by followers: star_account (199)" in r.output
    kols = (tmp_path / "o" / "kols.csv").read_text().splitlines()
    assert kols[0] == "strategy,budget,replicate,rank,agent,followers,cost"
    assert kols[1].startswith("degree,2,,1,star_account,199,")
    assert len(kols) == 3
    # read backwards (the old behaviour), the star has no followers: the report says so at once
    scen = edgelist_scenario(tmp_path, _follower_export(tmp_path), 'delimiter = ","\ndirected = true')
    r = cli("run", scen, "-o", tmp_path / "back")
    assert "top accounts by followers: star_account" not in r.output
    assert 'set graph.arc = "follower_followee"' in r.output


def test_follower_followee_needs_a_directed_graph(tmp_path):
    scen = edgelist_scenario(tmp_path, "a b\n", 'arc = "follower_followee"')
    r = cli("validate", scen)
    assert r.exit_code == 2 and "directed = true" in r.output


def test_compare_seeding_names_every_strategys_kols(tmp_path):
    graph = 'delimiter = ","\ndirected = true\narc = "follower_followee"'
    scen = edgelist_scenario(tmp_path, _follower_export(tmp_path), graph)
    r = cli("compare-seeding", scen, "-o", tmp_path / "cmp", "--strategies", "degree,pagerank", "--budget", "2,4",
            "--quiet")
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "cmp" / "kols.csv").read_text().splitlines()
    assert rows[0] == "strategy,budget,replicate,rank,agent,followers,cost"
    degree4 = [row.split(",") for row in rows if row.startswith("degree,4,")]
    assert [r_[3] for r_ in degree4] == ["1", "2", "3", "4"] and degree4[0][4] == "star_account"
    random2 = [row.split(",") for row in rows if row.startswith("random,2,")]
    assert {r_[2] for r_ in random2} == {"0", "1", "2"}  # drawn per replicate: one pick per replicate
    assert all(r_[4].startswith(("user", "star")) for r_ in random2)


def test_validate_runs_the_memory_guard(tmp_path, monkeypatch):
    huge = SMALL.replace("n = 300", "n = 1_000_000_000").replace("mean_degree = 5", "mean_degree = 50")
    r = cli("validate", scenario_file(tmp_path, huge))
    assert r.exit_code == 2 and "GB of memory" in r.output, r.output


@pytest.mark.parametrize("edges", [
    "0 1\n1 2\n0 200000000\n",                                             # one huge id at the end
    "# wom_sim edge list: g, n=2147483647, undirected, 2 edges\n0 1\n1 2\n",  # a header's n
])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_edge_lists_true_size_meets_the_memory_guard_before_allocation(tmp_path, monkeypatch, edges, command):
    monkeypatch.setenv("WOM_SIM_MAX_MEMORY_GB", "2")
    scen = edgelist_scenario(tmp_path, edges, seeding="budget = 1")
    r = cli(command, scen, *(["-o", tmp_path / "o"] if command == "run" else []))
    assert r.exit_code == 2 and "GB of memory" in r.output and "agents" in r.output, r.output
    assert "labels = true" in r.output  # ids are agent numbers: say how to number only the names used


def test_compare_seeding_checks_memory_before_building_the_graph(tmp_path, monkeypatch):
    import wom_sim.graphs.build as build
    monkeypatch.setenv("WOM_SIM_MAX_MEMORY_GB", "0.5")

    def never(*args, **kwargs):
        raise AssertionError("the graph was built before the memory guard")
    import sys
    for module in [m for name, m in sys.modules.items() if name.startswith("wom_sim") and m is not None]:
        if getattr(module, "build_graph", None) is build.build_graph:  # wherever it was imported
            monkeypatch.setattr(module, "build_graph", never)
    big = SMALL.replace("n = 300", "n = 20_000_000")
    r = cli("compare-seeding", scenario_file(tmp_path, big), "-o", tmp_path / "cmp", "--quiet")
    assert r.exit_code == 2 and "GB" in r.output, r.output


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("role", ["scenario", "edge list"])
def test_a_fifo_or_a_device_is_refused_not_read(tmp_path, target, role):
    if target == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = Path(target)
    scen = path if role == "scenario" else edgelist_scenario(tmp_path, "", "").parent / "real.toml"
    if role == "edge list":
        scen.write_text(scen.read_text().replace('path = "edges.csv"', f'path = "{path}"'))
    for command in ("validate", "run"):
        r = cli(command, scen, *(["-o", tmp_path / "o"] if command == "run" else []))
        assert r.exit_code == 2 and str(path) in r.output, r.output
        assert ("named pipe" if target == "fifo" else "character device") in r.output


def test_stopping_workers_while_they_send_results_does_not_hang():
    """A worker stopped while writing a big result leaves half a message in the result
    pipe; stopping the pool must not wait for the rest (it did: a sweep once hung on
    SIGTERM). Before the fix this script hung on its first shutdown."""
    import subprocess
    import sys
    code = """
import time, numpy as np
from wom_sim.execution.executors import LocalExecutor
def big(i):
    return np.ones(40_000_000, dtype=np.uint8)
for k in range(3):
    ex = LocalExecutor(2)
    fs = [ex.submit(big, i) for i in range(6)]
    time.sleep(0.35 + 0.05 * k)
    ex.shutdown(cancel=True)
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
