"""The grid commands: `sweep`, `compare-seeding` and `bench-response` (resumable, on
local processes or Dask)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from .common import friendly, grid_options, grid_setup, run_grid, shown


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

    from ..sweep import read_table
    _, rows = read_table(out)
    keys = manifest["keys"]
    table = Table(title=f"{shown(manifest['scenario']['scenario']['name'])}: {len(rows)} points")
    for k in keys:
        table.add_column(k.split(".")[-1], justify="right")
    columns = ["adopters", "negative_reach", "rejected", "npv"]
    for m in columns:
        table.add_column(f"{m.replace('_', ' ')}\n(± 95% half-width)", justify="right")
    for r in rows:
        table.add_row(*[r[k] for k in keys], *[
            f"{float(r[m + '_mean']):,.0f} ±{(float(r[m + '_ci_high']) - float(r[m + '_ci_low'])) / 2:,.0f}"
            for m in columns])
    console = Console()
    console.print(table)
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
    from ..stats import mean_ci
    console = Console()
    unit = "money" if cmp.money else "KOLs"
    ia, inpv = cmp.metrics.index("adopters"), cmp.metrics.index("npv")
    for b in cmp.budgets:
        table = Table(title=f"Budget {b:g} {unit}: ranked by final adopters (paired 95% CI vs {BASELINE})")
        for col in ("#", "strategy", "adopters", "lift vs random", "NPV", "KOLs", "cost", "pick time"):
            table.add_column(col, justify="right" if col not in ("strategy",) else "left")
        for rank, s in enumerate(ranked(cmp, b), 1):
            m, lo, hi = mean_ci(cmp.finals[(s, b)][:, ia])
            lift, llo, lhi = cmp.lift(s, b, "adopters")
            base = cmp.finals[(BASELINE, b)][:, ia].mean()
            pct = f" ({lift / base:+.1%})" if base else ""
            ch = cmp.choices[(s, b)]
            npv = cmp.finals[(s, b)][:, inpv].mean()
            table.add_row(str(rank), s, f"{m:,.0f} ±{(hi - lo) / 2:,.0f}",
                          "—" if s == BASELINE else f"{lift:+,.0f} [{llo:+,.0f}, {lhi:+,.0f}]{pct}",
                          f"{npv:,.0f}", f"{ch.n_kols:g}", f"{ch.cost:,.0f}", f"{ch.seconds:.2f} s")
        console.print(table)
    console.print(f"wrote {cmp.out}/comparison.csv and plots ({elapsed:.1f} s)", highlight=False, soft_wrap=True)


@click.command("bench-response")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--delays", help="Comma list of response delays in steps (default 0,1,2,4,8,16).")
@click.option("--policies",
              help="Comma list, parameters after colons: fixed_delay,capacity:C=5:queue=by_reach,threshold:X=20.")
@grid_options
@friendly
def bench_response_cmd(scenario: str, delays: str | None, policies: str | None, out_dir: str | None, sets,
                       workers: int | None, scheduler: str | None, resume: bool, force: bool, quiet: bool) -> None:
    """How fast is fast enough? Every policy x response delay, with common random numbers.

    \b
    Writes DIR/response.csv (policy, delay, metric, mean, ci_low, ci_high), plots (the
    phase-transition figure, negative messages over time, cost against benefit) and the
    sweep folders behind them (so --resume works). A no-response baseline runs once.
    """
    from ..response import bench_response, parse_delays, parse_policies
    sc, out, workers = grid_setup(scenario, sets, out_dir, "response", workers, resume, force)
    specs = parse_policies(policies)
    dlist = parse_delays(delays)
    t0 = time.perf_counter()
    bench = run_grid("policies x delays", out, quiet, lambda progress: bench_response(
        sc, out, specs, dlist, workers=workers, scheduler=scheduler, resume=resume, force=force,
        plots=sc.output.plots, progress=progress))
    if not quiet:
        _print_response(bench, time.perf_counter() - t0)


def _print_response(bench, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..response import BASELINE, jump
    from ..stats import mean_ci
    console = Console()
    columns = ["negative_reach", "rejected", "adopters", "npv", "responses"]
    idx = [bench.metrics.index(m) for m in columns]
    base = bench.finals[(BASELINE, 0)]
    for p in bench.policies:
        table = Table(title=f"{p.label}: final metrics by response delay (mean ± 95% half-width)")
        table.add_column("delay", justify="right")
        for metric in columns:
            table.add_column(metric.replace("_", " "), justify="right")
        rows = [("none", base)] + [(str(d), bench.finals[(p.label, d)]) for d in bench.delays]
        for name, fin in rows:
            cells = []
            for i in idx:
                m, lo, hi = mean_ci(fin[:, i])
                cells.append(f"{m:,.0f} ±{(hi - lo) / 2:,.0f}")
            table.add_row(name, *cells)
        console.print(table)
        j = jump(bench, p.label)
        if j:
            console.print(f"  negative reach jumps most between delay {j[0]} and {j[1]} (+{j[2]:,.0f} agents)",
                          highlight=False)
    th = bench.theory
    if th:
        Ts = ", ".join(f"d={d}: {T:.3f}" for d, T in th["T_by_delay"].items())
        console.print(f"percolation (cascade mode): effective T(d) = {Ts}", highlight=False, soft_wrap=True)
        console.print(f"  generating-function threshold T_c = <k>/(<k^2>-<k>) = {th['T_c_generating_function']:.4f}: "
                      f"critical delay {th['critical_delay_generating_function']}", highlight=False)
        if "T_c_erdos_renyi" in th:
            console.print(f"  Erdős–Rényi threshold 1/c = {th['T_c_erdos_renyi']:.4f}: critical delay "
                          f"{th['critical_delay_erdos_renyi']}", highlight=False)
    console.print(f"wrote {bench.out}/response.csv and plots ({elapsed:.1f} s)", highlight=False, soft_wrap=True)
