"""Inputs and outputs a user can trust (issue 12), each through the command line:
folders that are never clobbered, real edge lists read as meant, every failure a clear
message with exit code 2, plug-in code only on request."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from wom_sim.cli import main

SMALL = """
[scenario]
name = "small"
steps = 6
replicates = 3
[graph]
kind = "erdos_renyi"
n = 300
mean_degree = 5
[seeding]
budget = 3
[output]
plots = false
"""


def cli(*args: object, cwd: Path | None = None):
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


def scenario_file(tmp_path: Path, text: str = SMALL, name: str = "small.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


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
])
def test_bad_options_exit_2_with_the_fix(tmp_path, args, needle):
    scen = scenario_file(tmp_path)
    grid_text = SMALL.replace("[output]", "[sweep]\n\"response.delay\" = [0, 1]\n[output]")
    grid = scenario_file(tmp_path, grid_text, "g.toml")
    r = cli(*[a.format(scen=scen, grid=grid) for a in args], "-o" if args[0] != "run" else "--quiet",
            *([tmp_path / "o"] if args[0] != "run" else []))
    assert r.exit_code == 2 and needle in r.output and "bug" not in r.output, r.output


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
    scen = scenario_file(tmp_path, slow.replace("[output]", "[sweep]\n\"response.delay\" = [0, 1, 2, 3, 4, 5, 6, 7]\n"
                                                           "[output]"))
    out = tmp_path / "grid"
    proc = subprocess.Popen([sys.executable, "-m", "wom_sim.cli", "sweep", str(scen), "-o", str(out), "--quiet",
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / "points").glob("[0-9]*")):
        time.sleep(0.2)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
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
