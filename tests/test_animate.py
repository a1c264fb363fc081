"""Animations: `wom-sim teach ... --animate` and `wom-sim animate RUN_DIR` write spread.gif,
one frame per step, of the same spread as the run."""
from __future__ import annotations

import shutil

from conftest import cli
from PIL import Image


def test_teach_animate_writes_one_frame_per_step(tmp_path):
    r = cli("teach", "aisas", "--animate", "--replicates", "2", "--set", "scenario.steps=12", "--format", "png",
            "-o", tmp_path / "les", "--quiet")
    assert r.exit_code == 0, r.output
    gif = Image.open(tmp_path / "les" / "spread.gif")
    assert gif.n_frames == 13 and gif.size[0] > 600


def test_animate_a_run_folder_and_refuse_what_cannot_be_animated(tmp_path):
    r = cli("run", "aisas_classroom", "--replicates", "2", "--set", "scenario.steps=10", "-o", tmp_path / "run",
            "--quiet")
    assert r.exit_code == 0, r.output
    r = cli("animate", tmp_path / "run", "--quiet")
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "run" / "spread.gif").n_frames == 11
    if shutil.which("ffmpeg"):  # the video too, where ffmpeg is installed
        assert (tmp_path / "run" / "spread.mp4").stat().st_size > 1000
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".animate")]  # nothing left behind
    (tmp_path / "other").mkdir()
    r = cli("animate", tmp_path / "other")
    assert r.exit_code == 2 and "not a `wom-sim run` folder" in r.output
    r = cli("run", "bass_forecast", "--set", "graph.n=300", "--replicates", "2", "-o", tmp_path / "bass", "--quiet")
    assert r.exit_code == 0, r.output
    r = cli("animate", tmp_path / "bass")
    assert r.exit_code == 2 and ("Bass-mode" in r.output or "mean-field" in r.output)
