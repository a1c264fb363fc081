"""`wom-sim teach`: the files of each mode, the handout's numbers against the tables,
the four SICAS differences as recorded, agreement with `wom_sim.run` on the same
streams, the bundled scenarios, and the error paths (exit code 2, nothing written)."""
from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import wom_sim
from wom_sim.cli import main
from wom_sim.scenario import load_scenario
from wom_sim.teach import bundled
from wom_sim.teach.lesson import run_lesson
from wom_sim.teach.tables import fmt

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["scenario.steps=20"]  # with 3 replicates: a lesson in a second or two
UNITS = {"fraction": "%", "fraction_difference": "pp", "agents": "agents", "steps": "steps"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def compare(tmp_path_factory):
    """The compare lesson through the Python API (PNG and SVG), keeping the records."""
    out = tmp_path_factory.mktemp("teach") / "compare"
    return run_lesson("compare", out=out, sets=SMALL, replicates=3)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """`wom-sim teach aisas` and `teach sicas` through the command line (PNG only)."""
    base = tmp_path_factory.mktemp("teach")
    outs = {}
    for mode in ("aisas", "sicas"):
        out = base / mode
        r = invoke("teach", mode, "-o", out, "--replicates", 3, "--set", SMALL[0], "--format", "png",
                   "--snapshot-step", 5)
        assert r.exit_code == 0, r.output
        assert str(out) in r.output and "handout.md" in r.output
        outs[mode] = out
    return outs


def _diffs(out: Path) -> dict[tuple[str, str], dict]:
    return {(r["funnel"], r["key"]): r for r in rows(out / "differences.csv")}


# ------------------------------------------------------------------ files


def test_compare_writes_every_file(compare):
    out = compare.out
    for stem in ("funnel", "differences", "network"):
        for ext in ("png", "svg"):
            assert (out / f"{stem}.{ext}").stat().st_size > 5000, (stem, ext)
    assert (out / "network.svg").read_text().lstrip().startswith("<?xml")
    for name in ("handout.md", "stages.csv", "conversion.csv", "differences.csv", "lesson.json"):
        assert (out / name).stat().st_size > 0, name
    text = (out / "handout.md").read_text()
    for link in ("funnel.png", "differences.png", "network.png"):
        assert f"]({link})" in text
    meta = json.loads((out / "lesson.json").read_text())
    assert meta["mode"] == "compare" and meta["replicates"] == 3 and meta["steps"] == 20
    assert set(meta["scenarios"]) == {"aisas", "sicas"}
    assert 0 <= meta["snapshot_step"] <= 20 and meta["drawn_agents"] == 300
    assert not list(out.parent.glob(".compare.partial-*"))


def test_single_modes_write_every_file(single):
    for mode, out in single.items():
        # an AISAS lesson has no SICAS difference at work: no figure of empty panels, a pointer instead
        stems = ("funnel", "network") + (("differences",) if mode == "sicas" else ())
        for stem in stems:
            assert (out / f"{stem}.png").stat().st_size > 5000
            assert not (out / f"{stem}.svg").exists()  # --format png
        if mode == "aisas":
            assert not (out / "differences.png").exists()
            text = (out / "handout.md").read_text()
            assert "What SICAS would change" in text and "differences.png" not in text
        meta = json.loads((out / "lesson.json").read_text())
        assert meta["mode"] == mode and list(meta["scenarios"]) == [mode] and meta["snapshot_step"] == 5
        text = (out / "handout.md").read_text()
        assert f"The {mode.upper()} funnel" in text and "step 5" in text
        assert {r["funnel"] for r in rows(out / "conversion.csv")} == {mode}


# ------------------------------------------------------------------ numbers


def _check_handout_numbers(out: Path) -> int:
    text = (out / "handout.md").read_text()
    checked = 0
    last = max(int(r["step"]) for r in rows(out / "stages.csv"))
    for r in rows(out / "stages.csv"):
        if int(r["step"]) == last:
            s = fmt(float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), "agents")
            assert f"| {s} |" in text, (r, s)
            checked += 1
    for r in rows(out / "conversion.csv"):
        s = fmt(float(r["rate"]), float(r["ci_low"]), float(r["ci_high"]), "%")
        assert f"| {s} |" in text, (r, s)
        checked += 1
    if "The four SICAS differences" in text:  # (an AISAS lesson points to teach compare instead)
        for r in rows(out / "differences.csv"):
            s = fmt(float(r["value"]), float(r["ci_low"]), float(r["ci_high"]), UNITS[r["unit"]])
            assert s in text, (r, s)
            checked += 1
    return checked


def test_handout_numbers_match_the_tables(compare, single):
    assert _check_handout_numbers(compare.out) > 40
    for mode, out in single.items():
        assert _check_handout_numbers(out) > (20 if mode == "sicas" else 10)
    # and the tables hold the recorded numbers
    a, s = compare.records
    d = _diffs(compare.out)
    assert float(d[("sicas", "sensed")]["value"]) == pytest.approx(s.sensed[:, -1].mean())
    assert float(d[("sicas", "skips")]["value"]) == pytest.approx(s.skips[:, -1].mean())
    conv = {(r["funnel"], r["from"], r["to"]): r for r in rows(compare.out / "conversion.csv")}
    c = conv[("aisas", "search", "action")]
    assert float(c["reached"]) == a.reached[:, 2].sum() and float(c["reached_next"]) == a.reached[:, 3].sum()
    assert float(c["rate"]) == pytest.approx(a.reached[:, 3].sum() / a.reached[:, 2].sum())


def test_the_four_sicas_differences(compare, single):
    d = _diffs(compare.out)
    a, s = compare.records
    # (a) brand sensing: nobody under AISAS; most aware agents under SICAS, lifting stage 2 as the rule says
    assert a.sensed.max() == 0 and float(d[("aisas", "sensed")]["value"]) == 0
    assert s.sensed[:, -1].min() > 0 and np.all(np.diff(s.sensed, axis=1) >= 0)
    lift = float(d[("sicas", "lift2")]["value"])
    assert lift > 0.1 and abs(lift - float(d[("sicas", "lift2")]["rule"])) < 0.1
    assert d[("aisas", "adv2_sensed")]["value"] == "nan"
    # (b) peers' messages act on Connect & Communicate, never on Search: no boosted advance under AISAS
    assert float(d[("aisas", "boosted_share3")]["value"]) == 0
    assert float(d[("aisas", "message_effect3")]["rule"]) == pytest.approx(0, abs=1e-12)
    assert float(d[("sicas", "boosted_share3")]["value"]) > 0
    for rec, boosted in ((a, False), (s, True)):  # the rule at stage 3 with and without a message
        sensed = 1 if rec is s else 0
        with_msg = rec.expected[:, 2, sensed, 1].sum() / rec.at_risk[:, 2, sensed, 1].sum()
        without = rec.expected[:, 2, sensed, 0].sum() / rec.at_risk[:, 2, sensed, 0].sum()
        assert (with_msg > without + 0.05) if boosted else with_msg == pytest.approx(without)
    # (c) real time: every SICAS sharer first tells in the step it bought; every AISAS one a step later
    assert a.lags[:, 1].sum() > 0 and a.lags.sum() == a.lags[:, 1].sum()
    assert s.lags[:, 0].sum() > 0 and s.lags.sum() == s.lags[:, 0].sum()
    assert float(d[("aisas", "lag_mean")]["value"]) == 1 and float(d[("sicas", "lag_mean")]["value"]) == 0
    # (d) the skip: none under AISAS, some under SICAS
    assert a.skips.max() == 0 and float(d[("aisas", "skips")]["value"]) == 0
    assert s.skips[:, -1].sum() > 0
    # the single-funnel lessons record the same
    ds, da = _diffs(single["sicas"]), _diffs(single["aisas"])
    assert float(ds[("sicas", "sensed")]["value"]) > 0 and float(da[("aisas", "sensed")]["value"]) == 0
    assert float(ds[("sicas", "lag_mean")]["value"]) == 0 and float(da[("aisas", "lag_mean")]["value"]) == 1
    assert float(da[("aisas", "skips")]["value"]) == 0


def test_recorded_stage_counts_equal_wom_sim_run(compare):
    """Same streams and KOLs as `wom-sim run`: the stage counts at every step, and every
    other metric, are identical, for both funnels, and for the SICAS file itself."""
    a, s = compare.records
    for rec in (a, s):
        res = wom_sim.run(rec.scenario)
        stage_cols = [i for i, m in enumerate(res.metrics) if m.startswith("stage_")]
        assert res.metrics == rec.metrics and len(stage_cols) == 8
        np.testing.assert_array_equal(rec.series[:, :, stage_cols], res.series[:, :, stage_cols])
        np.testing.assert_array_equal(rec.series, res.series)
    sicas_file = load_scenario(ROOT / "scenarios" / "sicas_classroom.toml", [*SMALL, "scenario.replicates=3"])
    res = wom_sim.run(sicas_file)
    np.testing.assert_array_equal(s.series, res.series)
    # the stacked-area numbers written to stages.csv are the means of these counts
    st = {(r["funnel"], int(r["step"]), r["stage"]): float(r["mean"]) for r in rows(compare.out / "stages.csv")}
    assert st[("sicas", 20, "done")] == pytest.approx(res.metric("stage_done")[:, 20].mean())


RECORDED = ["series", "sensed", "skips", "at_risk", "advanced", "expected", "boosted_advances", "lags", "reached",
            "bought", "n_seeds", "snapshot", "kols0"]


@pytest.mark.parametrize("funnel", ["aisas", "sicas"])
def test_the_recorder_runs_batches_with_the_numbers_of_one_at_a_time(funnel, monkeypatch):
    """A lesson records its replicates in batches (as `wom-sim run` does): every recorded
    quantity, not only the metric table, is the same whether the replicates run one at a
    time, in threes (a last batch of one) or all seven at once; progress reaches every step."""
    from wom_sim.execution import make_graph
    from wom_sim.seeding import plan_seeds
    from wom_sim.teach import recorder
    sc = load_scenario(ROOT / "scenarios" / f"{funnel}_classroom.toml", [*SMALL, "scenario.replicates=7"])
    graph = make_graph(sc)
    plan = plan_seeds(graph, sc)
    nodes = np.arange(0, graph.n, 3)
    assert recorder.numpy_batch(sc, graph.n, graph.n_arcs, 7) == 7  # what the lesson runs: one batch
    recs, ticks = {}, {}
    for b in (1, 3, 7):
        monkeypatch.setattr(recorder, "numpy_batch", lambda *args, b=b: b)
        seen: list[int] = []
        recs[b] = recorder.record(sc, graph, plan, nodes, seen.append)
        ticks[b] = seen
    for b in (3, 7):
        for name in RECORDED:
            np.testing.assert_array_equal(getattr(recs[b], name), getattr(recs[1], name), err_msg=f"{name}, batch {b}")
        assert ticks[b] == sorted(ticks[b]) and ticks[b][-1] == 7 * 20
    rec = recs[7]
    assert rec.at_risk.sum() > 0 and rec.lags.sum() > 0 and rec.reached.sum() > 0  # the record is not empty
    assert (rec.sensed[:, -1].max() > 0) == (funnel == "sicas")  # SICAS's brand senses; AISAS has no sensing
    np.testing.assert_array_equal(rec.series, wom_sim.run(sc, graph=graph).series)


def test_compare_uses_one_graph_and_the_same_kols(compare):
    a, s = compare.records
    np.testing.assert_array_equal(a.kols0, s.kols0)
    da, ds = a.scenario.to_dict(), s.scenario.to_dict()
    for sec in ("graph", "seeding", "wom", "response", "economics"):
        assert da[sec] == ds[sec], sec
    assert da["scenario"]["seed"] == ds["scenario"]["seed"] and a.kind == "aisas" and s.kind == "sicas"
    # step 0 is the same state: the same KOLs start as sharers
    np.testing.assert_array_equal(a.snapshot[0] > 0, s.snapshot[0] > 0)


# ------------------------------------------------------------------ scenarios


def test_compare_of_differing_files_uses_the_aisas_graph_and_says_so(tmp_path, monkeypatch):
    for name in bundled.CLASSROOM.values():
        shutil.copy(ROOT / "scenarios" / name, tmp_path / name)
    p = tmp_path / "sicas_classroom.toml"
    p.write_text(p.read_text().replace("p = 0.1", "p = 0.3").replace("budget = 3", "budget = 5"))
    monkeypatch.setattr(bundled, "bundled_path", lambda name: tmp_path / name)
    les = bundled.lesson("compare", None)
    a, s = les.scenarios
    assert s.graph.p == a.graph.p == 0.1 and s.seeding.budget == a.seeding.budget == 3
    assert s.funnel.kind == "sicas" and s.funnel.skip == 0.02
    assert any("graph.p" in n and "seeding.budget" in n for n in les.notes), les.notes


def test_compare_of_one_file_swaps_only_the_funnel(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text("[scenario]\nseed = 5\nsteps = 4\nreplicates = 2\n[graph]\nkind = 'erdos_renyi'\nn = 150\n"
                 "mean_degree = 5\n[funnel]\nkind = 'sicas'\nskip = 0.1\n[seeding]\nbudget = 2\n")
    les = bundled.lesson("compare", str(p))
    a, s = les.scenarios
    assert (a.funnel.kind, s.funnel.kind) == ("aisas", "sicas")
    da, ds = a.to_dict(), s.to_dict()
    assert {k for k in da if da[k] != ds[k]} <= {"funnel", "scenario"}
    assert da["funnel"]["skip"] == 0.1 and "only funnel.kind differs" in les.notes[0]


def test_bundled_scenarios_ship_with_the_package():
    """pyproject lists every package (the bundled-scenarios mapping needs an explicit
    list): a new subpackage must be added there, or a non-editable install lacks it."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "wom_sim").rglob("__init__.py")}
    assert set(cfg["packages"]) == on_disk | {"wom_sim.bundled"}
    assert cfg["package-dir"]["wom_sim.bundled"] == "scenarios"
    assert cfg["package-data"]["wom_sim.bundled"] == ["*.toml", "data/*.csv"]  # the fit's example data too
    for name in bundled.CLASSROOM.values():
        path = bundled.bundled_path(name)
        assert path.is_file() and path.read_bytes() == (ROOT / "scenarios" / name).read_bytes()


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("args, needle", [
    (["teach", "aidas"], "unknown mode 'aidas'"),
    (["teach", "aisas", "nope.toml"], "nope.toml: no such scenario file"),
    (["teach", "sicas", "--set", "funnel.skipp=0.1"], "skipp"),
    (["teach", "sicas", "--set", "nodot"], "nodot"),
    (["teach", "compare", "--replicates", "0"], "scenario.replicates"),
    (["teach", "aisas", "--snapshot-step", "41"], "--snapshot-step 41"),
    (["teach", "aisas", "--format", "png,gif"], "--format"),
    (["teach", "aisas", str(ROOT / "scenarios" / "sicas_classroom.toml")], "--set funnel.kind=aisas"),
    (["teach", "compare", str(ROOT / "scenarios" / "bass_forecast.toml")], "wom.mode = 'bass'"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "o"
    r = invoke(*args, "-o", out)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output, r.output
    assert r.output.startswith("error: ")
    assert not out.exists() and not list(tmp_path.iterdir())


def test_help_names_the_modes():
    r = invoke("teach", "--help")
    assert r.exit_code == 0 and "aisas|sicas|compare" in r.output and "--snapshot-step" in r.output


def test_the_handout_names_the_palette_colours():
    """The words the handout uses for colours are the palette's (viz.style): bad news is
    red (NEGATIVE), rejection orange (REJECTED), good news green (POSITIVE)."""
    import inspect

    from wom_sim.teach import handout
    from wom_sim.viz import style
    text = inspect.getsource(handout)
    assert style.NEGATIVE == "#d7191c" and style.REJECTED == "#fdae61" and style.POSITIVE == "#1a9641"
    assert "red: bad news" in text and "orange: bad news" not in text and "red triangles" in text
    assert "orange is \"" in text and "red is \"" not in text  # the funnel figure's rejection band
