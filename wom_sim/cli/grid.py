"""The grid commands: `sweep`, `compare-seeding` and `bench-response` (resumable, on
local processes or Dask)."""
from __future__ import annotations

import math
import time
from pathlib import Path

import click

from .common import (
    friendly,
    grid_options,
    grid_setup,
    interval_cell,
    mean_pm,
    print_interval_note,
    run_grid,
    shown,
)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@grid_options
@friendly
def sweep(scenario: str, out_dir: str | None, sets, workers: int | None, scheduler: str | None,
          resume: bool, force: bool, quiet: bool) -> None:
    """Run every point of SCENARIO's [sweep] grid x its replicates.

    \b
    Writes one folder per point under DIR/points/, DIR/sweep.csv (one row per point:
    the swept values, then mean, ci_low, ci_high of every metric), DIR/manifest.json
    and plots. Interrupted? Run the same command with --resume.
    """
    from ..sweep import run_sweep
    sc, out, workers = grid_setup(scenario, sets, out_dir, "sweep", workers, resume, force, use_output_dir=True)
    t0 = time.perf_counter()
    manifest = run_grid("sweep", out, quiet, lambda progress: run_sweep(
        sc, out, workers=workers, scheduler=scheduler, resume=resume, force=force, plots=sc.output.plots,
        progress=progress))
    if not quiet:
        _print_sweep(out, manifest, time.perf_counter() - t0)


def _print_sweep(out: Path, manifest: dict, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..scenario import StepUnit
    from ..sweep import read_table
    _, rows = read_table(out)
    keys = manifest["keys"]
    meta = manifest["scenario"]["scenario"]
    step_unit = StepUnit.from_json(manifest)
    when = "" if "scenario.steps" in keys else f", after {step_unit.count(meta['steps'])}"
    table = Table(title=f"{shown(meta['name'])}: {len(rows)} points{when}")
    for k in keys:
        table.add_column(step_unit.key(k, short=True), justify="right")
    columns = ["adopters", "negative_reach", "rejected", "npv"]
    for m in columns:
        table.add_column(f"{m.replace('_', ' ')}\n(± 95% half-width)", justify="right")
    cells: list[str] = []
    for r in rows:
        row = [mean_pm(float(r[m + "_mean"]), float(r[m + "_ci_low"]), float(r[m + "_ci_high"])) for m in columns]
        table.add_row(*[r[k] for k in keys], *row)
        cells += row
    console = Console()
    console.print(table)
    print_interval_note(console, min(int(p["values"].get("scenario.replicates", meta["replicates"]))
                                     for p in manifest["points"]), cells)
    console.print(f"wrote {out}/: sweep.csv, manifest.json, points/ ({len(rows)} folders) and plots "
                  f"({elapsed:.1f} s)", highlight=False, soft_wrap=True)


@click.command("compare-seeding")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--strategies", help="Comma list (random is always added as the baseline), e.g. degree,pagerank,ris.")
@click.option("--budget", "budgets",
              help="Comma list of budgets: KOL counts, or money with --money (default: the scenario's).")
@click.option("--money", is_flag=True,
              help="Budgets are money: KOLs priced by seeding.kol_cost_* are bought in rank order.")
@grid_options
@friendly
def compare_seeding_cmd(scenario: str, strategies: str | None, budgets: str | None, money: bool, out_dir: str | None,
                        sets, workers: int | None, scheduler: str | None, resume: bool, force: bool,
                        quiet: bool) -> None:
    """Which KOLs to pay: every strategy x budget with common random numbers.

    \b
    Writes DIR/comparison.csv (strategy, budget, metric, mean, ci_low, ci_high, and the
    lift over random with a paired 95% interval, KOL count, cost, selection time),
    plots, and the sweep folders behind them (so --resume works).
    """
    from ..compare import compare_seeding, parse_list
    sc, out, workers = grid_setup(scenario, sets, out_dir, "seeding", workers, resume, force)
    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else []
    blist = parse_list(budgets, float if money else int, "budget")
    t0 = time.perf_counter()
    cmp = run_grid("strategies x budgets", out, quiet, lambda progress: compare_seeding(
        sc, out, names, blist, money=money, workers=workers, scheduler=scheduler, resume=resume, force=force,
        plots=sc.output.plots, progress=progress))
    if not quiet:
        _print_comparison(cmp, time.perf_counter() - t0)


def _print_comparison(cmp, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..compare import BASELINE, ranked
    from ..model.metrics import label, metric_ci, unit
    console = Console()
    per = "money" if cmp.money else "KOLs"
    obj = cmp.objective
    money_cols = [m for m in ("npv", "net_npv") if m != obj]
    others = ([] if obj == "adopters" else ["adopters"]) + money_cols
    cells: list[str] = []
    for b in cmp.budgets:
        table = Table(title=f"Budget {b:g} {per}: ranked by {label(obj)} after "
                            f"{cmp.unit.count(cmp.steps)} (seeding.objective; paired 95% CI vs {BASELINE})")
        for col in ("#", "strategy", f"{label(obj)} ({unit(obj)})", "lift vs random",
                    *[label(o) for o in others], "KOLs", "cost"):
            table.add_column(col, justify="right" if col != "strategy" else "left")
        i = cmp.metrics.index(obj)
        for rank, s in enumerate(ranked(cmp, b), 1):
            m, lo, hi = metric_ci(cmp.finals[(s, b)][:, i], obj)
            lift, llo, lhi = cmp.lift(s, b, obj)
            base = cmp.finals[(BASELINE, b)][:, i].mean()
            pct = f" ({lift / abs(base):+.1%})" if base else ""
            ch = cmp.choices[(s, b)]
            paired = interval_cell(llo, lhi, "+,.0f")
            cells.append(mean_pm(float(m), float(lo), float(hi)))
            rest = [f"{cmp.finals[(s, b)][:, cmp.metrics.index(o)].mean():,.0f}" for o in others]
            table.add_row(str(rank), s, cells[-1], "—" if s == BASELINE else f"{lift:+,.0f} {paired}{pct}",
                          *rest, f"{ch.n_kols:g}", f"{ch.cost:,.0f}")
        console.print(table)
    value = Table(title="What the KOLs added against no KOLs by the horizon (paired replicates; NPV gain = "
                        "expansion + acceleration, in currency units)")
    for col in ("budget", "strategy", "extra adopters", "NPV gain", "expansion", "acceleration",
                "return on spend"):
        value.add_column(col, justify="left" if col == "strategy" else "right")
    for b in cmp.budgets:
        for s in ranked(cmp, b):
            v = cmp.value(s, b)
            row = [mean_pm(*v[m]) for m in ("extra_adopters", "npv_gain", "expansion", "acceleration")]
            ros = v["return_on_spend"]
            row.append("n/a (no cost)" if math.isnan(ros[0]) else mean_pm(ros[0], ros[1], ros[2], ",.1f") + "x")
            value.add_row(f"{b:g}", s, *row)
    console.print(value)
    print_interval_note(console, cmp.replicates, cells)
    console.print("expansion: sales by the horizon that would not have happened without the KOLs; acceleration: "
                  "the same number of sales made earlier (Libai, Muller & Peres 2013); return on spend: (NPV gain - "
                  "cost) / cost.", highlight=False, soft_wrap=True)
    best = ranked(cmp, cmp.budgets[-1])[0]
    x, y, k = cmp.budget_curve(best)
    if k is not None:
        console.print(f"budget curve of {best} ({label(obj)}, from {y[0]:,.0f} without KOLs): the knee is at budget "
                      f"{x[k]:g} {per}; beyond it each extra unit of budget buys less (spread_vs_budget.png)",
                      highlight=False, soft_wrap=True)
    # one pick per strategy (at the largest budget; smaller budgets take its first picks)
    times: dict[str, float] = {}
    for (s, _b), ch in cmp.choices.items():
        times.setdefault(s, ch.seconds)
    console.print("choosing the KOLs took: " + ", ".join(
        f"{s} {t:.2f} s" + (" a replicate" if cmp.choices[(s, cmp.budgets[0])].kols is None else "")
        for s, t in times.items()), highlight=False, soft_wrap=True)
    console.print(f"wrote {cmp.out}/comparison.csv and plots ({elapsed:.1f} s)", highlight=False, soft_wrap=True)


@click.command("bench-response")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--delays", help="Comma list of response delays in steps (default 0,1,2,4,8,16).")
@click.option("--policies",
              help="Comma list, parameters after colons: fixed_delay,capacity:C=5:queue=by_reach,threshold:X=20.")
@click.option("--teams", help="Compare named teams of [response.teams] instead (each with its own delay, detection, "
                              "costs, backfire), e.g. --teams in_house,agency.")
@grid_options
@friendly
def bench_response_cmd(scenario: str, delays: str | None, policies: str | None, teams: str | None,
                       out_dir: str | None, sets, workers: int | None, scheduler: str | None, resume: bool,
                       force: bool, quiet: bool) -> None:
    """How fast is fast enough? Every policy x response delay, with common random numbers.

    \b
    Writes DIR/response.csv (policy, delay, metric, mean, ci_low, ci_high), break_even.csv
    (per policy: the delay with the best net NPV and the slowest within its interval),
    plots (the phase-transition figure, negative messages over time, cost against
    benefit) and the sweep folders behind them (so --resume works). A no-response
    baseline runs once. --teams compares the scenario's named response teams instead.
    """
    from ..errors import WomSimError
    from ..response import bench_response, parse_delays, parse_policies, parse_teams
    sc, out, workers = grid_setup(scenario, sets, out_dir, "response", workers, resume, force)
    if teams is not None and (delays is not None or policies is not None):
        raise WomSimError("--teams compares teams at their own delays and policies; drop --delays and --policies "
                          "(or drop --teams to sweep delays)")
    specs = parse_policies(policies)
    dlist = parse_delays(delays)
    tlist = parse_teams(teams, sc) if teams is not None else None
    t0 = time.perf_counter()
    bench = run_grid("teams" if tlist else "policies x delays", out, quiet, lambda progress: bench_response(
        sc, out, specs, dlist, teams=tlist, workers=workers, scheduler=scheduler, resume=resume, force=force,
        plots=sc.output.plots, progress=progress))
    if not quiet:
        if bench.teams:
            _print_teams(bench, sc, time.perf_counter() - t0)
        else:
            _print_response(bench, time.perf_counter() - t0)


def _print_response(bench, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..model.metrics import metric_ci
    from ..response import BASELINE, break_even, largest_rise
    from ..stats import MIN_REPLICATES
    console = Console()
    u = bench.unit
    columns = ["negative_reach", "rejected", "adopters", "npv", "responses", "net_npv"]
    idx = [bench.metrics.index(m) for m in columns]
    base = bench.finals[(BASELINE, 0)]
    shown_cells: list[str] = []
    for p in bench.policies:
        table = Table(title=f"{shown(p.label)}: final metrics by response delay in {u.many} (mean ± 95% half-width)")
        table.add_column(f"delay ({u.many})", justify="right")
        for metric in columns:
            table.add_column(metric.replace("_", " "), justify="right", overflow="fold")
        rows = [("none", base)] + [(str(d), bench.finals[(p.label, d)]) for d in bench.delays]
        for name, fin in rows:
            cells = []
            for i, metric in zip(idx, columns):
                m, lo, hi = metric_ci(fin[:, i], metric)
                cells.append(mean_pm(float(m), float(lo), float(hi)))
            table.add_row(name, *cells)
            shown_cells += cells
        console.print(table)
        r = largest_rise(bench, p.label)
        if r is None:
            continue
        between = f"between {r.before} and {u.count(r.after)}"
        paired = f"paired 95% interval [{r.lo:+,.0f}, {r.hi:+,.0f}]"
        if r.is_jump:
            text = f"negative reach jumps most {between}: {r.rise:+,.0f} agents ({paired})"
        elif not math.isfinite(r.lo):
            text = f"no jump is called: a paired 95% interval needs at least {MIN_REPLICATES} replicates"
        elif r.hi < 0:
            text = (f"no jump in negative reach: it falls as the delay grows (its largest change, {r.rise:+,.0f} "
                    f"agents {between}, has {paired})")
        else:
            text = (f"no jump in negative reach: its largest rise, {r.rise:+,.0f} agents {between}, is within the "
                    f"noise ({paired} includes 0)")
        console.print(f"  {text}", highlight=False, soft_wrap=True)
        b = break_even(bench, p.label)
        if b is not None and math.isfinite(b.lo):
            if b.slowest == b.best:
                console.print(f"  break-even: answer after {u.count(b.best)} (the best net NPV); every slower delay "
                              f"loses net NPV beyond the noise", highlight=False, soft_wrap=True)
            else:
                console.print(f"  break-even: net NPV is best answering after {u.count(b.best)}; answering after "
                              f"{u.count(b.slowest)} is the slowest within its 95% interval (it gives up "
                              f"{b.gap:+,.0f} [{b.lo:+,.0f}, {b.hi:+,.0f}] net NPV)", highlight=False, soft_wrap=True)
    print_interval_note(console, bench.replicates, shown_cells)
    th = bench.theory
    if th:
        Ts = ", ".join(f"d = {u.count(d)}: {T:.3f}" for d, T in th["T_by_delay"].items())
        console.print(f"percolation (cascade mode): effective T(d) = {Ts}", highlight=False, soft_wrap=True)
        console.print(f"  generating-function threshold T_c = <k>/(<k^2>-<k>) = {th['T_c_generating_function']:.4f}: "
                      f"critical delay {_delay(th['critical_delay_generating_function'], u)}", highlight=False)
        if "T_c_erdos_renyi" in th:
            console.print(f"  Erdős–Rényi threshold 1/c = {th['T_c_erdos_renyi']:.4f}: critical delay "
                          f"{_delay(th['critical_delay_erdos_renyi'], u)}", highlight=False)
    console.print(f"wrote {bench.out}/response.csv and plots ({elapsed:.1f} s)", highlight=False, soft_wrap=True)


def _print_teams(bench, sc, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..model.metrics import metric_ci
    from ..response import BASELINE
    from ..stats import mean_ci
    console = Console()
    u = bench.unit
    columns = ["negative_reach", "rejected", "adopters", "npv", "response_cost", "net_npv"]
    idx = [bench.metrics.index(m) for m in columns]
    table = Table(title=f"Response teams: final metrics after {u.count(sc.scenario.steps)} (mean ± 95% half-width; "
                        f"common random numbers)")
    table.add_column("team", justify="left", no_wrap=True)
    table.add_column(f"delay ({u.many})", justify="right")
    for m in columns:
        table.add_column(m.replace("_", " ").replace("npv", "NPV"), justify="right", overflow="fold")
    keys = [(BASELINE, 0)] + list(bench.teams.items())
    cells: list[str] = []
    for name, d in keys:
        row = []
        for i, m in zip(idx, columns):
            mean, lo, hi = metric_ci(bench.finals[(name, d)][:, i], m)
            row.append(mean_pm(float(mean), float(lo), float(hi)))
        cells += row
        table.add_row("no response" if name == BASELINE else name, "—" if name == BASELINE else str(d), *row)
    console.print(table)
    i = bench.metrics.index("net_npv")
    best = max(bench.teams, key=lambda t: float(bench.finals[(t, bench.teams[t])][:, i].mean()))
    for t, d in bench.teams.items():
        if t == best:
            continue
        gap, lo, hi = mean_ci(bench.finals[(best, bench.teams[best])][:, i] - bench.finals[(t, d)][:, i])
        verdict = ("beyond the noise" if math.isfinite(lo) and lo > 0 else "within the noise")
        console.print(f"  {best} beats {t} by {gap:+,.0f} net NPV [{lo:+,.0f}, {hi:+,.0f}] (paired 95% interval: "
                      f"{verdict})", highlight=False, soft_wrap=True)
    print_interval_note(console, bench.replicates, cells)
    console.print(f"wrote {bench.out}/response.csv and plots ({elapsed:.1f} s)", highlight=False, soft_wrap=True)


def _delay(d, unit) -> str:
    """A critical delay in the step's unit ("3 hours"); theory may find none."""
    return unit.count(d) if isinstance(d, (int, float)) else str(d)
