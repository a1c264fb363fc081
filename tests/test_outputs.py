"""Outputs a user can trust (issue 12), each through the command line:

1. a step has a unit (scenario.step_label): tables, axes and handouts say "hours";
2. too few replicates give no fake interval, and counts' intervals stop at 0;
   bench-response calls a jump only when its paired interval excludes 0;
3. no plot hides a line without saying so; integer time axes; counts from 0; no empty figure.

Figures are checked through the functions that build them (labels, limits, tick
locations, the coincidence note), never through pixels. Tiny graphs, fixed seeds.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL, cli, scenario_file
from scipy.special import stdtrit

#: a complaint on a small graph, answered by a firm that listens well
CRISIS = """
[scenario]
name = "crisis"
seed = 3
steps = 12
replicates = 4
[graph]
kind = "erdos_renyi"
n = 400
mean_degree = 6
[wom]
p_negative_experience = 0.3
[seeding]
budget = 2
initial_complainers = 6
[response]
detect_prob = 1.0
resolve_prob = 1.0
[output]
plots = false
"""


def in_hours(text: str) -> str:
    """The scenario `text` with its steps measured in hours."""
    return text.replace("[scenario]", '[scenario]\nstep_label = "hour"', 1)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def titles(fig) -> str:
    """Every title of a figure (axes titles and the suptitle), as one text."""
    out = [ax.get_title() for ax in fig.axes]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return "\n".join(out)


def integer_ticks(ax) -> bool:
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] - 1e-9 <= t <= ax.get_xlim()[1] + 1e-9]
    return len(ticks) > 0 and all(float(t).is_integer() for t in ticks)


# =============================================================================== 1. units


@pytest.mark.parametrize("label", ["hour\x1b[31m", "[red]day[/red]", "a-very-long-unit-name-x", "2 days", "",
                                   "day week month"])
def test_a_step_label_is_a_short_plain_word(tmp_path, label):
    scen = scenario_file(tmp_path)
    r = cli("validate", scen, "--set", "scenario.step_label=business day")
    assert r.exit_code == 0 and "step_label = \"business day\"" in r.output
    r = cli("validate", scen, "--set", f"scenario.step_label={label}")
    assert r.exit_code == 2 and "scenario.step_label" in r.output and "letters" in r.output
    assert "\x1b" not in r.output


def test_a_step_label_is_listed_with_the_keys():
    r = cli("defaults", "--markdown")
    assert r.exit_code == 0
    assert "| `scenario.step_label` | `'step'` |" in r.output
    assert "`scenario.step_label_plural`" in r.output


def test_run_tables_and_axes_speak_in_hours(tmp_path):
    scen = scenario_file(tmp_path, SMALL.replace("replicates = 3", 'replicates = 3\nstep_label = "hour"')
                         .replace("steps = 6", "steps = 3"))
    out = tmp_path / "run"
    r = cli("run", scen, "-o", out)
    assert r.exit_code == 0, r.output
    assert "after 3 hours" in r.output and "after 3 steps" not in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step_label"] == "hour" and summary["step_label_plural"] == "hours"
    assert summary["scenario"]["scenario"]["step_label"] == "hour"
    assert rows(out / "timeseries.csv")[0].keys() >= {"step", "metric", "mean", "ci_low", "ci_high"}  # stable

    from wom_sim.results import RunResult
    from wom_sim.viz.run import FIGURES
    res = RunResult.load(out)
    for name, draw in FIGURES.items():
        ax = draw(res).axes[0]
        assert ax.get_xlabel() == "hour", name
        assert integer_ticks(ax), (name, ax.get_xticks())
        assert ax.get_ylim()[0] == 0, name
    assert "per hour" in FIGURES["messages"](res).axes[0].get_ylabel()


@pytest.mark.parametrize("label, plural", [("day", "days"), ("week", "weeks"), ("business day", "business days"),
                                           ("half-hour", "half-hours"), ("inch", "inches"), ("story", "stories")])
def test_the_plural_rule(tmp_path, label, plural):
    scen = scenario_file(tmp_path, SMALL.replace("replicates = 3", f'replicates = 3\nstep_label = "{label}"'))
    r = cli("run", scen, "-o", tmp_path / "run")
    assert r.exit_code == 0 and f"after 6 {plural}" in r.output


def test_an_irregular_plural_can_be_given(tmp_path):
    scen = scenario_file(tmp_path, SMALL.replace("replicates = 3",
                                                 'replicates = 3\nstep_label = "Tag"\nstep_label_plural = "Tage"'))
    r = cli("run", scen, "-o", tmp_path / "run")
    assert r.exit_code == 0 and "after 6 Tage" in r.output


def test_bench_response_answers_after_hours(tmp_path):
    scen = scenario_file(tmp_path, in_hours(CRISIS), "crisis.toml")
    out = tmp_path / "resp"
    r = cli("bench-response", scen, "--delays", "0,1,2", "--policies", "fixed_delay,threshold:X=0", "-o", out,
            "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "delay (hours)" in r.output and "by response delay in hours" in r.output
    assert json.loads((out / "manifest.json").read_text())["step_label"] == "hour"
    assert rows(out / "response.csv")[0].keys() == {"policy", "delay", "metric", "mean", "ci_low", "ci_high"}

    from wom_sim.response import bench_response
    from wom_sim.response.figures import response_figures
    bench = bench_response(scen, out, "fixed_delay,threshold:X=0", [0, 1, 2], resume=True, plots=False)
    figs = response_figures(bench)
    delay = figs["response_delay"]
    for ax in delay.axes:
        assert ax.get_xlabel() == "response delay (hours)"
        assert integer_ticks(ax), ax.get_xticks()
    by_title = {ax.get_title().split("\n")[0]: ax for ax in delay.axes}
    for metric in ("negative reach", "rejected", "adopters"):
        assert by_title[metric].get_ylim()[0] == 0, metric
    # threshold:X=0 answers from the first complaint: it lies exactly on fixed_delay, and the figure says so
    assert "threshold:X=0 coincides with fixed_delay" in titles(delay)
    neg = figs["negative_messages"].axes[0]
    assert neg.get_xlabel() == "hour" and integer_ticks(neg) and neg.get_ylim()[0] == 0
    assert "per hour" in neg.get_ylabel()
    assert "answered after 0 hours" in " ".join(t.get_text() for t in neg.get_legend().get_texts())


def test_sweep_and_compare_speak_in_hours(tmp_path):
    text = in_hours(CRISIS).replace("[output]", '[sweep]\n"response.delay" = [0, 2]\n[output]')
    scen = scenario_file(tmp_path, text, "crisis.toml")
    r = cli("sweep", scen, "-o", tmp_path / "sweep", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "delay (hours)" in r.output
    from wom_sim.sweep.figures import sweep_figures
    fig = sweep_figures(tmp_path / "sweep", ["response.delay"])["sweep_response_delay"]
    for ax in fig.axes:
        assert ax.get_xlabel() == "response.delay (hours)" and integer_ticks(ax)
    assert {ax.get_title(): ax for ax in fig.axes}["adopters"].get_ylim()[0] == 0

    scen = scenario_file(tmp_path, in_hours(CRISIS), "crisis.toml")
    r = cli("compare-seeding", scen, "--strategies", "degree", "--budget", "2", "-o", tmp_path / "cmp",
            "--workers", 1)
    assert r.exit_code == 0, r.output
    from wom_sim.compare import compare_seeding
    from wom_sim.compare.figures import comparison_figures
    cmp = compare_seeding(scen, tmp_path / "cmp", "degree", "2", resume=True, plots=False)
    ax = comparison_figures(cmp)["strategies_adoption"].axes[0]
    assert ax.get_xlabel() == "hour" and integer_ticks(ax) and ax.get_ylim()[0] == 0


def test_a_lesson_speaks_in_days(tmp_path):
    out = tmp_path / "lesson"
    r = cli("teach", "aisas", "-o", out, "--replicates", 3, "--set", "scenario.steps=8", "--set",
            "scenario.step_label=day", "--format", "png")
    assert r.exit_code == 0, r.output
    assert "after 8 days" in r.output
    text = (out / "handout.md").read_text()
    assert "after 8 days" in text and "per day" in text and "per step" not in text
    assert "A step is one day" in text
    assert json.loads((out / "lesson.json").read_text())["step_label"] == "day"

    from wom_sim.teach.lesson import run_lesson
    les = run_lesson("aisas", out=tmp_path / "again", sets=["scenario.steps=8", "scenario.step_label=day"],
                     replicates=3, formats=("png",))
    from wom_sim.teach import figures
    fig = figures.differences_figure(les.records, les.differences)
    assert fig.axes[0].get_xlabel() == "day" and integer_ticks(fig.axes[0])
    assert "per day" in fig.axes[2].get_ylabel()
    fig = figures.funnel_figure(les.records, les.conversions)
    assert fig.axes[0].get_xlabel() == "day" and integer_ticks(fig.axes[0])


def test_the_page_speaks_in_hours():
    pytest.importorskip("solara")
    from wom_sim.scenario import bundled_path, load_scenario
    from wom_sim.ui.app import messages_figure, model_params, snapshot
    from wom_sim.ui.model import PageModel
    sc = load_scenario(bundled_path("aisas_classroom.toml"), ["scenario.steps=4", "scenario.step_label=hour"])
    params = model_params(sc)
    assert params["response_delay"].label == "Firm response delay (hours)"
    assert "per hour" in params["p_external"].label
    model = PageModel(base=sc, funnel="aisas", seed="1")
    model.step()
    ax = messages_figure(model, snapshot(model)).axes[0]
    assert ax.get_xlabel() == "hour" and integer_ticks(ax)


# =============================================================================== 2. intervals


@pytest.mark.parametrize("replicates", [1, 2])
def test_too_few_replicates_give_no_interval(tmp_path, replicates):
    scen = scenario_file(tmp_path)
    out = tmp_path / "run"
    r = cli("run", scen, "-o", out, "--replicates", replicates)
    assert r.exit_code == 0, r.output
    assert "n/a" in r.output and "at least 3 replicates" in r.output and "scenario.replicates" in r.output
    assert f"{replicates} replicate{'s' if replicates > 1 else ''}" in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert all(v["ci95"] == [None, None] for v in summary["metrics"].values())
    ts = rows(out / "timeseries.csv")
    assert all(row["ci_low"] == "nan" and row["ci_high"] == "nan" for row in ts)
    assert all(math.isfinite(float(row["mean"])) for row in ts)

    from wom_sim.results import RunResult
    from wom_sim.viz.run import adoption
    fig = adoption(RunResult.load(out))
    assert not fig.axes[0].collections, "no band where no interval is defined"


def test_three_replicates_give_intervals_and_counts_stop_at_zero(tmp_path):
    scen = scenario_file(tmp_path, CRISIS)
    out = tmp_path / "run"
    r = cli("run", scen, "-o", out, "--replicates", 3)
    assert r.exit_code == 0 and "n/a" not in r.output and "at least 3 replicates" not in r.output
    summary = json.loads((out / "summary.json").read_text())["metrics"]
    reps = rows(out / "replicates.csv")
    last = max(int(x["step"]) for x in reps)
    finals = {m: np.array([float(x[m]) for x in reps if int(x["step"]) == last]) for m in summary}
    t = stdtrit(2, 0.975)

    def raw(m):
        v = finals[m]
        half = t * v.std(ddof=1) / math.sqrt(v.size)
        return v.mean() - half, v.mean() + half

    clipped = 0
    for m, v in summary.items():
        lo, hi = v["ci95"]
        if m in ("npv", "net_npv", "net_sentiment"):
            assert (lo, hi) == pytest.approx(raw(m)), m  # may be negative: never clipped
        else:
            assert lo >= 0 and hi == pytest.approx(raw(m)[1]), m
            assert lo == pytest.approx(max(0.0, raw(m)[0]), abs=1e-9), m
            clipped += raw(m)[0] < 0
    assert clipped > 0, "the scenario must have a count whose raw interval crosses 0"
    assert summary["net_sentiment"]["ci95"][0] < 0, "net sentiment is negative in a crisis, and kept so"


def test_a_count_cut_at_zero_is_not_shown_as_plus_minus(tmp_path):
    # one initial complainer: rejecters are few and vary a lot between replicates, so
    # some interval reaches below 0 (so on 10 seeds of 10 tried, not only this one)
    text = CRISIS.replace("replicates = 4", "replicates = 3").replace("initial_complainers = 6",
                                                                      "initial_complainers = 1").replace(
        "[output]", '[sweep]\n"response.delay" = [0, 4]\n[output]')
    scen = scenario_file(tmp_path, text, "crisis.toml")
    r = cli("sweep", scen, "-o", tmp_path / "sweep", "--workers", 1)
    assert r.exit_code == 0, r.output
    table = rows(tmp_path / "sweep" / "sweep.csv")
    cut = [row for row in table if float(row["rejected_ci_low"]) == 0 and float(row["rejected_mean"]) > 0]
    assert cut, "the scenario must cut a count's interval at 0"
    for row in cut:
        lo, hi = float(row["rejected_ci_low"]), float(row["rejected_ci_high"])
        assert f"{float(row['rejected_mean']):,.0f} [{lo:,.0f}, {hi:,.0f}]" in r.output
    assert "cut at 0" in r.output


def test_grid_commands_say_when_intervals_are_undefined(tmp_path):
    text = CRISIS.replace("replicates = 4", "replicates = 2").replace(
        "[output]", '[sweep]\n"response.delay" = [0, 2]\n[output]')
    scen = scenario_file(tmp_path, text, "crisis.toml")
    note = "at least 3 replicates"

    r = cli("sweep", scen, "-o", tmp_path / "sweep", "--workers", 1)
    assert r.exit_code == 0 and note in r.output and "± n/a" in r.output
    table = rows(tmp_path / "sweep" / "sweep.csv")
    assert all(row["adopters_ci_low"] == "nan" and row["npv_ci_high"] == "nan" for row in table)

    r = cli("compare-seeding", scen, "--strategies", "degree", "--budget", "2", "-o", tmp_path / "cmp",
            "--workers", 1)
    assert r.exit_code == 0 and note in r.output and "n/a" in r.output
    comp = rows(tmp_path / "cmp" / "comparison.csv")
    assert all(row["ci_low"] == "nan" and row["lift_ci_low"] == "nan" for row in comp)

    r = cli("bench-response", scen, "--delays", "0,8", "-o", tmp_path / "resp", "--workers", 1)
    assert r.exit_code == 0 and note in r.output and "± n/a" in r.output
    assert "jumps" not in r.output
    assert all(row["ci_low"] == "nan" for row in rows(tmp_path / "resp" / "response.csv"))


def test_a_jump_is_called_only_beyond_its_paired_interval(tmp_path):
    # a firm that never detects anything: every delay gives the same numbers, replicate by replicate
    deaf = scenario_file(tmp_path, CRISIS.replace("detect_prob = 1.0", "detect_prob = 0.0"), "deaf.toml")
    r = cli("bench-response", deaf, "--delays", "0,1,4", "-o", tmp_path / "deaf", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "jumps" not in r.output
    assert "no jump" in r.output and "paired 95% interval" in r.output

    # a firm that answers at once or after 12 hours: the crisis runs free, well beyond the noise
    scen = scenario_file(tmp_path, in_hours(CRISIS), "crisis.toml")
    r = cli("bench-response", scen, "--delays", "0,12", "-o", tmp_path / "resp", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "negative reach jumps most between 0 and 12 hours" in r.output
    assert "paired 95% interval" in r.output


# =============================================================================== 3. figures


def test_coinciding_strategies_are_named_on_the_figure(tmp_path):
    # on a star with a few leaves attached, the hub is every strategy's first pick
    edges = tmp_path / "star.txt"
    edges.write_text("".join(f"0 {i}\n" for i in range(1, 60)) + "".join(f"{i} {i + 1}\n" for i in range(1, 59)))
    text = CRISIS.replace('[graph]\nkind = "erdos_renyi"\nn = 400\nmean_degree = 6',
                          '[graph]\nkind = "edgelist"\npath = "star.txt"').replace("budget = 2", "budget = 1")
    scen = scenario_file(tmp_path, text.replace("initial_complainers = 6", "initial_complainers = 2"), "star.toml")
    r = cli("compare-seeding", scen, "--strategies", "degree,pagerank", "--budget", "1", "-o", tmp_path / "cmp",
            "--workers", 1)
    assert r.exit_code == 0, r.output
    from wom_sim.compare import compare_seeding
    from wom_sim.compare.figures import comparison_figures
    cmp = compare_seeding(scen, tmp_path / "cmp", "degree,pagerank", "1", resume=True, plots=False)
    figs = comparison_figures(cmp)
    assert "pagerank coincides with degree" in titles(figs["strategies_adoption"])
    assert "pagerank coincides with degree" in titles(figs["spread_vs_budget"])
    assert "random coincides" not in titles(figs["strategies_adoption"])


def test_every_multi_series_figure_gives_each_series_its_own_style(tmp_path):
    scen = scenario_file(tmp_path, CRISIS, "crisis.toml")
    out = tmp_path / "resp"
    assert cli("bench-response", scen, "--delays", "0,2", "--policies", "fixed_delay,capacity:C=1", "-o", out,
               "--workers", 1).exit_code == 0
    from wom_sim.response import bench_response
    from wom_sim.response.figures import response_figures
    bench = bench_response(scen, out, "fixed_delay,capacity:C=1", [0, 2], resume=True, plots=False)
    for name, fig in response_figures(bench).items():
        for ax in fig.axes:
            lines = [ln for ln in ax.get_lines() if not str(ln.get_label()).startswith("_")]
            looks = {(ln.get_linestyle(), ln.get_marker()) for ln in lines if len(ln.get_xdata()) > 1}
            many = [ln for ln in lines if len(ln.get_xdata()) > 1]
            assert len(looks) == len(many), (name, [ln.get_label() for ln in many])


def test_no_figure_without_data(tmp_path):
    # Bass mode sends no message: no message figure, in a run or in bench-response
    text = SMALL.replace("plots = false", "plots = true") + "[wom]\nmode = \"bass\"\n"
    scen = scenario_file(tmp_path, text)
    r = cli("bench-response", scen, "--delays", "0,1", "-o", tmp_path / "resp", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "resp" / "negative_messages.png").exists()
    assert (tmp_path / "resp" / "response_delay.png").exists()
    assert "jumps" not in r.output
    # only the baseline: nothing to compare, said before anything runs
    r = cli("bench-response", scen, "--policies", "none", "-o", tmp_path / "none", "--workers", 1)
    assert r.exit_code == 2 and "--policies" in r.output and "internal error" not in r.output
    assert not (tmp_path / "none").exists()


def test_csv_by_columns_writes_the_bytes_of_csv_by_rows():
    """replicates.csv and timeseries.csv are formatted a column at a time
    (files.csv_columns): the same bytes as files.csv_text row by row, for integers past
    1e15, NaN, infinities, -0.0, float32, bools, small ints, and strings the csv module
    must quote."""
    from wom_sim.files import csv_columns, csv_text
    rng = np.random.default_rng(0)
    n = 3000
    mixed = np.round(rng.normal(size=n) * 100)
    for every, value in ((7, np.nan), (11, np.inf), (13, -np.inf), (17, -0.0), (19, 1e15), (23, -1e15),
                         (29, 999_999_999_999_999.0), (31, 2.0**53 + 2)):
        mixed[::every] = value
    words = ["a", "b,c", 'q"x', "line\nbreak", "", " sp", "cr\r", "ünï"]
    cols = [np.arange(n), rng.integers(-10**16, 10**16, n), rng.normal(size=n) * 10.0 ** rng.integers(-20, 20, n),
            mixed, rng.integers(0, 2, n).astype(bool), rng.integers(0, 100, n).astype(np.int8),
            rng.normal(size=n).astype(np.float32), [words[i % len(words)] for i in range(n)],
            [1.5 if i % 2 else "x" for i in range(n)]]
    header = [f"c{i}" for i in range(len(cols))]
    header[2] = "with,comma"
    assert csv_columns(header, cols) == csv_text(header, zip(*cols))
    assert csv_columns(["a"], [np.array([1.0, 2.5])]) == csv_text(["a"], [[1.0], [2.5]])
    assert csv_columns(["a", "b"], [np.zeros(0), []]) == "a,b\n"
    with pytest.raises(ValueError, match="different lengths"):
        csv_columns(["a", "b"], [np.zeros(2), [1]])
