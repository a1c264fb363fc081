"""Sweeps: identical results whatever the scheduler, resume after SIGKILL without
losing or redoing a finished point, clean Ctrl-C, and guarded output folders."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wom_sim.cli import main

SWEEP = """
[scenario]
name = "delay sweep"
seed = 5
steps = 15
replicates = 4
[graph]
kind = "erdos_renyi"
n = 2000
mean_degree = 8
[seeding]
budget = 5
initial_complainers = 8
[sweep]
"response.delay" = [0, 2, 8]
"wom.negative_tells" = [5, 11]
"""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def sweep_file(tmp_path):
    p = tmp_path / "sweep.toml"
    p.write_text(SWEEP)
    return p


def test_sweep_writes_points_table_and_plots(sweep_file, tmp_path):
    out = tmp_path / "out"
    r = invoke("sweep", sweep_file, "-o", out, "--workers", 1)
    assert r.exit_code == 0, r.output
    points = sorted(p.name for p in (out / "points").iterdir())
    assert points[0] == "0000_delay-0_negative_tells-5" and len(points) == 6
    for p in points:
        assert ({"summary.json", "timeseries.csv", "replicates.csv", "scenario.toml"}
                <= {f.name for f in (out / "points" / p).iterdir()})
    lines = (out / "sweep.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["response.delay", "wom.negative_tells", "aware_mean", "aware_ci_low", "aware_ci_high"]
    assert len(lines) == 7 and lines[1].startswith("0,5,") and lines[6].startswith("8,11,")
    assert (out / "sweep_response_delay.png").exists() and (out / "heatmap_adopters.png").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["keys"] == ["response.delay", "wom.negative_tells"]
    # each point equals a plain run of the same scenario
    s = json.loads((out / "points" / points[3] / "summary.json").read_text())
    assert s["scenario"]["response"]["delay"] == 2 and s["scenario"]["wom"]["negative_tells"] == 11
    single = tmp_path / "single"
    r = invoke("run", sweep_file, "-o", single, "--quiet",
               "--set", "response.delay=2", "--set", "wom.negative_tells=11")
    assert r.exit_code == 0
    assert (single / "replicates.csv").read_bytes() == (out / "points" / points[3] / "replicates.csv").read_bytes()


def test_same_table_with_one_two_workers_and_dask(sweep_file, tmp_path):
    tables = []
    for args in (["--workers", 1], ["--workers", 2]):
        out = tmp_path / f"w{args[1]}"
        assert invoke("sweep", sweep_file, "-o", out, "--quiet", *args).exit_code == 0
        tables.append((out / "sweep.csv").read_bytes())
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        out = tmp_path / "dask"
        r = invoke("sweep", sweep_file, "-o", out, "--quiet", "--scheduler", cluster.scheduler_address)
        assert r.exit_code == 0, r.output
        tables.append((out / "sweep.csv").read_bytes())
    assert tables[0] == tables[1] == tables[2]


def _worker_periods(dask_worker):
    from wom_sim.execution.executors import QUIET_WORKER_MS
    return {k: (pc.callback_time, pc.is_running()) for k, pc in dask_worker.periodic_callbacks.items()
            if k in QUIET_WORKER_MS}


def test_dask_workers_quieted_during_a_sweep_then_restored():
    distributed = pytest.importorskip("distributed")
    from wom_sim.execution.executors import DaskExecutor as _DaskExecutor
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        before = client.run(_worker_periods)
        _DaskExecutor(cluster.scheduler_address).client.close()  # a sweep killed before it could restore them
        ex = _DaskExecutor(cluster.scheduler_address)
        (during,) = client.run(_worker_periods).values()
        assert during["profile"][1] is False and during["tick"][0] >= 1000
        ex.shutdown()
        assert client.run(_worker_periods) == before


def test_folder_guards(sweep_file, tmp_path):
    out = tmp_path / "out"
    assert invoke("sweep", sweep_file, "-o", out, "--quiet", "--workers", 1).exit_code == 0
    r = invoke("sweep", sweep_file, "-o", out, "--workers", 1)
    assert r.exit_code == 2 and "--resume" in r.output and "--force" in r.output
    other = tmp_path / "other.toml"
    other.write_text(SWEEP.replace('name = "delay sweep"', 'name = "another"'))
    r = invoke("sweep", other, "-o", out, "--resume", "--workers", 1)
    assert r.exit_code == 2 and "different scenario" in r.output
    before = (out / "sweep.csv").read_bytes()
    r = invoke("sweep", sweep_file, "-o", out, "--resume", "--quiet", "--workers", 1)
    assert r.exit_code == 0 and (out / "sweep.csv").read_bytes() == before
    r = invoke("sweep", other, "-o", out, "--force", "--quiet", "--workers", 1)
    assert r.exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["scenario"]["scenario"]["name"] == "another"


def test_bad_sweeps_refused_before_running(tmp_path):
    for text, needle in [
        (SWEEP.replace('"wom.negative_tells" = [5, 11]', '"wom.share_prob" = [0.5, 1.5]'), "wom.share_prob = 1.5"),
        (SWEEP.replace('"wom.negative_tells" = [5, 11]', '"wom.negative_tels" = [5]'), "did you mean 'negative_tells'"),
        (SWEEP.replace('"wom.negative_tells" = [5, 11]', '"seeding.budget" = [10, 5000]'), "exceeds the population"),
        (SWEEP.replace('"wom.negative_tells" = [5, 11]', '"wom.negative_tells" = []'), "at least one value"),
    ]:
        p = tmp_path / "bad.toml"
        p.write_text(text)
        out = tmp_path / "never"
        r = invoke("sweep", p, "-o", out, "--workers", 1)
        assert r.exit_code == 2 and needle in r.output, r.output
        assert "Traceback" not in r.output and not out.exists()
    p = tmp_path / "nosweep.toml"
    p.write_text("[scenario]\nsteps = 3\n")
    r = invoke("sweep", p, "-o", tmp_path / "n")
    assert r.exit_code == 2 and "[sweep]" in r.output


def test_sweep_memory_guard(tmp_path, monkeypatch):
    p = tmp_path / "big.toml"
    p.write_text(SWEEP.replace('"wom.negative_tells" = [5, 11]', '"graph.n" = [1000, 400000000]'))
    r = invoke("sweep", p, "-o", tmp_path / "o", "--workers", 2)
    assert r.exit_code == 2 and "largest sweep point" in r.output and "GB" in r.output
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ interruptions

# 30 points: long enough that a signal sent after the first point finds the sweep running
# (12 points finished first once batched replicates made each point faster)
SLOW = SWEEP.replace('"response.delay" = [0, 2, 8]', '"response.delay" = [' + ", ".join(map(str, range(30))) + "]") \
    .replace("n = 2000", "n = 30000").replace("replicates = 4", "replicates = 6").replace("steps = 15", "steps = 40")
SLOW_POINTS = 30 * 2  # delays x the two negative_tells of SWEEP


def _default_sigint() -> None:
    """A test runner started in the background (`cmd &` without job control) ignores
    SIGINT, and Python keeps an inherited SIG_IGN: the sweep would never see Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(scenario: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "wom_sim.cli", "sweep", str(scenario), "-o", str(out),
                             "--workers", "2", "--quiet", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_sigint)


def _wait_points(out: Path, k: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if ((out / "points").exists()
                and len([p for p in (out / "points").iterdir() if not p.name.startswith(".")]) >= k):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("sweep made no progress")


def test_sigkill_then_resume_loses_and_redoes_nothing(tmp_path):
    scen = tmp_path / "slow.toml"
    scen.write_text(SLOW)
    ref = tmp_path / "ref"
    assert invoke("sweep", scen, "-o", ref, "--quiet", "--workers", 2).exit_code == 0

    out = tmp_path / "killed"
    proc = _start(scen, out)
    _wait_points(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole sweep, workers included
    proc.wait()
    done = {p.name: p.stat().st_ino for p in (out / "points").iterdir() if not p.name.startswith(".")}
    assert 3 <= len(done) < SLOW_POINTS
    for name in done:  # every folder that exists is complete
        assert (out / "points" / name / "summary.json").exists()
    r = invoke("sweep", scen, "-o", out, "--resume", "--quiet", "--workers", 2)
    assert r.exit_code == 0, r.output
    after = {p.name: p.stat().st_ino for p in (out / "points").iterdir() if not p.name.startswith(".")}
    assert all(after[name] == ino for name, ino in done.items()), "a finished point was recomputed"
    assert len(after) == SLOW_POINTS
    assert (out / "sweep.csv").read_bytes() == (ref / "sweep.csv").read_bytes()


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    scen = tmp_path / "slow.toml"
    scen.write_text(SLOW)
    out = tmp_path / "int"
    proc = _start(scen, out)
    _wait_points(out, 1, proc)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert not (out / "sweep.csv").exists() or proc.returncode == 130, "the sweep ended first: make SLOW longer"
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    leftovers = [p.name for p in (out / "points").iterdir() if p.name.startswith(".")]
    assert not leftovers, leftovers
    assert not (out / "sweep.csv").exists()
