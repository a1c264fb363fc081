"""The replicated findings in studies/: each runs with one command and its qualitative
finding holds, with intervals."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from wom_sim.model.theory import bass_cdf, outbreak_size

ROOT = Path(__file__).resolve().parents[1]


def _study(name: str):
    spec = importlib.util.spec_from_file_location(f"study_{name}", ROOT / "studies" / name / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_theory_lines_match_the_reference_values():
    """REFERENCE.md: percolation sizes on ER c = 10, and the Bass closed form."""
    deg = np.random.default_rng(0).poisson(10, 400_000)
    for T, S in ((0.2, 0.79681), (0.1855, 0.7523), (0.4312, 0.9857)):
        assert abs(outbreak_size(deg, T) - S) < 2e-3
    assert outbreak_size(deg, 0.09) < 1e-6  # below the threshold 1/c: no large outbreak
    closed = [0.0358, 0.1505, 0.3312, 0.6517, 0.8128, 0.9716]
    assert np.allclose(bass_cdf(np.array([1, 3, 5, 8, 10, 15]), 0.03, 0.38), closed, atol=1e-4)


def test_response_delay_is_a_percolation_phase_transition(tmp_path):
    """Negative reach jumps where T(d) crosses the threshold (paired 95% interval above 0),
    stays local below it, and follows bond percolation's S(T(d)) above it (within twice
    the 95% half-width plus 0.01 for a 5,000-agent graph's finite size)."""
    f = _study("response_delay").run(tmp_path, quick=True)
    r = f["largest_rise"]
    assert r["is_jump"] and r["ci95"][0] > 0
    assert (r["from"], r["to"]) == (f["critical_delay"] - 1, f["critical_delay"]) == (1, 2)
    m = np.array(f["measured_share"])
    lo, hi = (np.array(x) for x in f["ci95"])
    theory = np.array(f["theory_share"])
    assert m[0] < 0.05
    above = np.array(f["T"]) > 1.5 * f["T_c"]
    assert above.sum() >= 4
    assert np.all(np.abs(m - theory)[above] <= (hi - lo)[above] + 0.01), (m, theory)
    assert json.loads((tmp_path / "findings.json").read_text())["critical_delay"] == 2
    assert (tmp_path / "response_delay_study.png").stat().st_size > 0
