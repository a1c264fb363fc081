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


def test_talk_of_the_network_weak_ties_and_advertising(tmp_path):
    """Goldenberg, Libai & Muller 2001: weak ties speed diffusion at least as much as the
    same number of strong ties (to 16% and to 95% informed: the paired 95% interval of
    weak minus strong savings reaches above 0, and is above 0 for 95%); advertising
    matters early (its relative saving on the time to 16% exceeds that on the time from
    16% to 95%, intervals apart)."""
    f = _study("talk_of_the_network").run(tmp_path, replicates=20)
    for arm in f["arms"].values():
        assert all(np.isfinite(arm[k][0]) for k in ("t16", "t95"))  # every arm reaches 95% in time
    m16, lo16, hi16 = f["weak_minus_strong_saving_t16"]
    m95, lo95, hi95 = f["weak_minus_strong_saving_t95"]
    assert hi16 > 0 and lo95 > 0, (f["weak_minus_strong_saving_t16"], f["weak_minus_strong_saving_t95"])
    adv = f["arms"]["3x advertising"]
    assert adv["relative_saving_t16"][1] > adv["relative_saving_t16_to_t95"][2]
    weak = f["arms"]["+3 weak ties / period"]  # ties, by contrast, matter most late
    assert weak["relative_saving_t16_to_t95"][1] > weak["relative_saving_t16"][2]
    assert (tmp_path / "talk_of_the_network.png").stat().st_size > 0


def test_influentials_start_global_cascades_only_modestly_more_often(tmp_path):
    """Watts & Dodds 2007: the top-degree seed starts global cascades more often than a
    random seed (multiplier's 95% interval above 1) but by less than its degree advantage
    above the threshold's immediate neighbourhood, and the multiplier shrinks as the
    network grows more susceptible (intervals apart). Both frequencies follow percolation
    theory (within twice the Wilson half-width plus 0.02 for a 10,000-agent graph)."""
    f = _study("watts_dodds").run(tmp_path)
    rows = [f["by_T"][k] for k in sorted(f["by_T"], key=float)]
    for row in rows:
        assert row["multiplier"][1] > 1
        for arm in ("top-degree seed", "random seed"):
            p, lo, hi = row[arm]
            assert abs(p - row["theory"][arm]) <= (hi - lo) + 0.02, (arm, p, row["theory"][arm])
    for row in rows[1:]:
        assert row["multiplier"][2] < f["degree_advantage"]
    assert rows[-1]["multiplier"][2] < rows[0]["multiplier"][1]
    assert (tmp_path / "watts_dodds.png").stat().st_size > 0


def test_the_npv_of_bad_news_grows_with_weak_ties(tmp_path):
    """Goldenberg, Libai, Moldovan & Muller 2007: the NPV lost grows with the disappointed
    share; with weak ties it grows faster than the share itself (multiplier's 95% interval
    above 1 at every share), and weak ties make every level of disappointment cost more
    (paired 95% interval above 0)."""
    f = _study("npv_bad_news").run(tmp_path)
    qs = f["shares"]
    for w, row in f["by_weak_ties"].items():
        lost = [row[f"lost_share_q{q}"][0] for q in qs]
        assert lost == sorted(lost) and lost[0] > 0, (w, lost)
    weak = f["by_weak_ties"]["3"]
    for q in qs:
        assert weak[f"multiplier_q{q}"][1] > 1
        assert f[f"weak_ties_add_q{q}"][1] > 0
    assert (tmp_path / "npv_bad_news.png").stat().st_size > 0
