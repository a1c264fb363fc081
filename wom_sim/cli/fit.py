"""`wom-sim fit`: calibrate a scenario to observed series and forecast."""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import click

from ..errors import WomSimError
from .common import Terminated, fail, friendly, load, set_option, shown, slug, with_bar


@click.command("fit")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--data", "data", required=True, type=click.Path(dir_okay=True),
              help="OBSERVED.csv: a step column and columns named as metrics (new_adopters, adopters, ...).")
@click.option("--fit", "params", multiple=True, required=True, metavar="KEY=LOW:HIGH[:log]",
              help="A scenario key to estimate and its prior range (repeatable), e.g. wom.p_external=0.0005:0.05. "
                   "Log-uniform when the range spans two decades, or with :log.")
@click.option("--train-steps", type=int, default=None,
              help="Fit on the observations up to this step; the later ones are held out to test the forecast.")
@click.option("--particles", type=int, default=200, show_default=True, help="ABC-SMC population size.")
@click.option("--generations", type=int, default=6, show_default=True, help="At most this many ABC-SMC generations.")
@click.option("--max-simulations", type=int, default=20_000, show_default=True,
              help="Stop before a generation would pass this many simulations.")
@click.option("-o", "--out", "out_dir", type=click.Path(), help="Output folder (default: results/<file name>-fit).")
@set_option
@click.option("--workers", type=int, default=None,
              help="Local processes (default: all cores). Results are identical for any number.")
@click.option("--scheduler", metavar="ADDRESS", help="Run on a Dask cluster (pip install '.[dask]').")
@click.option("--resume", is_flag=True, help="Finish an interrupted fit in the folder (finished generations are kept).")
@click.option("--force", is_flag=True, help="Delete an earlier fit in the folder and start over.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only.")
@friendly
def fit_cmd(scenario: str, data: str, params: tuple[str, ...], train_steps: int | None, particles: int,
            generations: int, max_simulations: int, out_dir: str | None, sets: tuple[str, ...],
            workers: int | None, scheduler: str | None, resume: bool, force: bool, quiet: bool) -> None:
    """Calibrate SCENARIO's parameters to your data (ABC-SMC), and forecast.

    \b
    wom-sim fit scenarios/fit_launch.toml --data scenarios/data/launch_weekly.csv \\
        --fit wom.p_external=0.0005:0.05 --fit funnel.positive_boost=0:0.6 --train-steps 12
    \b
    Writes DIR/fit.json (estimates with 90% intervals), posterior.csv, forecast.csv
    (median and 90% band per step, the observations, the Bass baseline) and figures.
    A Bass curve fitted to the same data is printed beside it, with both forecast
    errors on the held-out steps. Interrupted? Run the same command with --resume.
    """
    from ..execution import default_workers
    from ..fit import fit_scenario
    sc = load(scenario, sets)
    if workers is not None and workers < 1:
        raise WomSimError(f"--workers {workers}: give at least 1")
    if resume and force:
        raise WomSimError("--resume and --force contradict each other: choose one")
    out = Path(out_dir or Path("results") / f"{slug(Path(scenario).stem)}-fit")
    t0 = time.perf_counter()
    try:
        res = with_bar("fitting (simulations)", quiet, lambda progress: fit_scenario(
            sc, data, list(params), out, train_steps=train_steps, particles=particles, generations=generations,
            max_simulations=max_simulations, workers=workers or default_workers(), scheduler=scheduler,
            resume=resume, force=force, plots=sc.output.plots, progress=progress))
    except KeyboardInterrupt as exc:
        how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        fail(f"{how}: the finished generations are saved in {out}/fit-state.json. Run the same command "
             f"with --resume to finish the fit.", code)
        return
    if not quiet:
        _print_fit(res, time.perf_counter() - t0)


def _num(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _print_fit(res, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table
    console = Console()
    u = res.unit
    obs = res.observed
    title = (f"{shown(res.scenario.scenario.name)}: fitted to {', '.join(obs.metrics)} "
             f"up to {u.one} {res.train_until}")
    table = Table(title=title)
    for col in ("parameter", "estimate (median)", "90% interval", "prior", "identified?"):
        table.add_column(col, justify="left" if col in ("parameter", "identified?") else "right",
                         no_wrap=col in ("parameter", "90% interval"))
    for k, p in res.params.items():
        pr = p.prior
        table.add_row(k, _num(p.estimate), f"[{_num(p.ci90[0])}, {_num(p.ci90[1])}]",
                      f"{_num(pr.low)}..{_num(pr.high)} ({pr.scale})",
                      "yes" if p.identified else f"NO: interval spans {p.share_of_prior:.0%} of the prior")
    console.print(table)
    g = res.final
    console.print(f"ABC-SMC: {len(res.generations)} generations, {res.simulations:,} simulations; final tolerance "
                  f"{g.eps:.3g} (median distance {float(sorted(g.d)[len(g.d) // 2]):.3g}); stopped: "
                  f"{res.stop_reason}", highlight=False, soft_wrap=True)
    for p in res.flat():
        console.print(f"[bold]note:[/bold] the data hardly constrain {p.prior.key}: its 90% interval covers "
                      f"{p.share_of_prior:.0%} of the prior range. Its estimate is the prior's middle, not a "
                      f"finding; observe a metric it moves, or fix it from other knowledge.", soft_wrap=True,
                      highlight=False)
    if res.errors:
        err = Table(title=f"Forecast error on the held-out {u.many} (root mean square, in the metric's unit)")
        for col in ("metric", "held-out points", "wom-sim (posterior median)", "Bass baseline", "better"):
            err.add_column(col, justify="left" if col in ("metric", "better") else "right")
        for m, e in res.errors.items():
            better = ("wom-sim" if e["wom-sim"] < e["bass"] else "Bass") if math.isfinite(e["bass"]) else "wom-sim"
            err.add_row(m, str(e["held_out_points"]), _num(e["wom-sim"]), _num(e["bass"]), better)
        console.print(err)
    else:
        fits = [f"{m}: m = {_num(b.m)}, p = {_num(b.p)}, q = {_num(b.q)}" for m, b in res.bass.items() if b]
        if fits:
            console.print("Bass baseline (least squares on the closed form): " + "; ".join(fits),
                          highlight=False, soft_wrap=True)
        if obs.last_step < res.scenario.scenario.steps:
            console.print(f"forecast: {u.many} {obs.last_step + 1}..{res.scenario.scenario.steps} are predicted "
                          f"(forecast.csv, part = forecast)", highlight=False, soft_wrap=True)
    console.print(f"wrote {res.out}/: fit.json, posterior.csv, forecast.csv"
                  f"{', fit_forecast.png, fit_posterior.png' if res.scenario.output.plots else ''} "
                  f"({elapsed:.1f} s)", highlight=False, soft_wrap=True)
    sys.stdout.flush()
