"""The `wom-sim` command line. Thin: it parses, calls the library, and prints.

Every error that is the user's to fix exits with code 2 and one clear message, no
traceback (set WOM_SIM_DEBUG=1 to see one for a bug)."""
from __future__ import annotations

import functools
import os
import re
import sys
import time
from pathlib import Path

import click

from .errors import WomSimError


def _fail(msg: str, code: int = 2) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


def friendly(fn):
    """Turn library errors into a message and exit code 2; never a traceback for input."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WomSimError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; no result was written (files are only moved in when complete)", 130)
        except MemoryError:
            _fail("ran out of memory; lower graph.n or the replicates run at once (--workers)", 2)
        except Exception as exc:  # a bug: say so plainly
            if os.environ.get("WOM_SIM_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in wom-sim; "
                  "rerun with WOM_SIM_DEBUG=1 for the traceback and report it.", 1)
    return wrapper


def _load(path: str, sets: tuple[str, ...], replicates: int | None = None, seed: int | None = None):
    from .scenario import load_scenario
    overrides = list(sets)
    if replicates is not None:
        overrides.append(f"scenario.replicates={replicates}")
    if seed is not None:
        overrides.append(f"scenario.seed={seed}")
    return load_scenario(path, overrides)


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "_", text).strip("_") or "run"


set_option = click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
                          help="Override a scenario key (repeatable), e.g. --set response.delay=4.")


def grid_options(f):
    """Options shared by the commands that run a grid of points (sweep, compare-seeding,
    bench-response): output folder, overrides, workers or Dask, resume/force, quiet."""
    opts = [
        click.option("-o", "--out", "out_dir", type=click.Path(), help="Output folder (default: results/<file name>-<command>)."),
        set_option,
        click.option("--workers", type=int, default=None, help="Local processes (default: all cores). Results are identical for any number."),
        click.option("--scheduler", metavar="ADDRESS", help="Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install 'wom-sim[dask]')."),
        click.option("--resume", is_flag=True, help="Keep the finished points in the folder and run the rest."),
        click.option("--force", is_flag=True, help="Delete earlier results in the folder and start over."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _grid_setup(scenario: str, sets, out_dir: str | None, suffix: str, workers: int | None,
                resume: bool, force: bool, use_output_dir: bool = False):
    """Load the scenario and settle the folder and worker count of a grid command
    (a sweep honours the scenario's output.dir when no -o is given)."""
    from .runner import default_workers
    sc = _load(scenario, sets)
    own = sc.output.dir if use_output_dir else ""
    out = Path(out_dir or own or Path("results") / f"{_slug(Path(scenario).stem)}-{suffix}")
    if workers is not None and workers < 1:
        raise WomSimError(f"--workers {workers}: give at least 1")
    if resume and force:
        raise WomSimError("--resume and --force contradict each other: choose one")
    return sc, out, workers or default_workers()


def _with_bar(label: str, quiet: bool, job):
    """`job(progress)` with a percentage bar and ETA on a terminal; `job(None)` when
    quiet or not a terminal. `progress(done, total)` is what the library calls."""
    if quiet or not sys.stderr.isatty():
        return job(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=None)
        return job(lambda done, total: bar.update(task, completed=done, total=total))


def _run_grid(label: str, out: Path, quiet: bool, job):
    """Run `job(progress)` with a progress bar (replicates done, ETA) on a terminal;
    on Ctrl-C say what is saved and how to resume."""
    try:
        if quiet or not sys.stderr.isatty():
            return job(None)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("replicates"),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("", total=None)
            return job(lambda d, t: bar.update(task, completed=d, total=t))
    except KeyboardInterrupt:
        done = len(list((out / "points").glob("[0-9]*"))) if (out / "points").exists() else 0
        _fail(f"interrupted: {done} finished point(s) are saved in {out}/points/. "
              f"Run the same command with --resume to finish the rest.", 130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wom-sim")
def main() -> None:
    """wom-sim: word-of-mouth diffusion on social graphs.

    \b
    wom-sim run scenarios/quickstart.toml      run a scenario, write tables and plots
    wom-sim validate SCENARIO                  check a file, print it with every default
    wom-sim defaults                           every key, its default, range and meaning
    wom-sim graph SCENARIO -o g.npz            build and save the scenario's graph
    wom-sim sweep SCENARIO -o DIR [--resume]   run a [sweep] grid on all cores or Dask
    wom-sim compare-seeding SCENARIO --strategies degree,ris --budget 10,50
    wom-sim bench-response SCENARIO --delays 0,1,2,4,8 --policies fixed_delay,capacity:C=5
    wom-sim teach compare                      AISAS vs SICAS in class: figures and a handout
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("-o", "--out", "out_dir", type=click.Path(), help="Output folder (default: output.dir, else results/<file name>).")
@set_option
@click.option("--replicates", type=int, help="Override scenario.replicates.")
@click.option("--seed", type=int, help="Override scenario.seed.")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes for replicates (results are identical for any number).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only.")
@friendly
def run(scenario: str, out_dir: str | None, sets, replicates, seed, workers: int, quiet: bool) -> None:
    """Run SCENARIO and write timeseries.csv, replicates.csv, summary.json and plots."""
    from .runner import run as run_scenario
    sc = _load(scenario, sets, replicates, seed)
    out = Path(out_dir or sc.output.dir or Path("results") / _slug(Path(scenario).stem))
    if workers < 1:
        raise WomSimError(f"--workers {workers}: give at least 1")
    t0 = time.perf_counter()
    res = _with_bar(sc.scenario.name, quiet, lambda progress: run_scenario(sc, workers=workers, progress=progress))
    res.save(out)
    if quiet:
        return
    _print_table(res, time.perf_counter() - t0, out)


def _print_table(res, elapsed: float, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table
    from .results import HEADLINE
    m = res.final()
    table = Table(title=f"{res.scenario.scenario.name}: after {res.series.shape[1] - 1} steps, "
                        f"{res.series.shape[0]} replicates, N = {res.n_agents:,}")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("share of N", justify="right")
    for name in HEADLINE:
        v = m[name]
        lo, hi = v["ci95"]
        share = "" if name == "npv" else f"{v['mean'] / res.n_agents:.1%}"
        table.add_row(name, f"{v['mean']:,.1f}", f"[{lo:,.1f}, {hi:,.1f}]", share)
    console = Console()
    console.print(table)
    files = sorted(p.name for p in out.iterdir())
    console.print(f"wrote {out}/: {', '.join(files)}  ({elapsed:.1f} s; graph {res.timing['graph_s']:.2f} s, "
                  f"simulate {res.timing['simulate_s']:.2f} s)", highlight=False, soft_wrap=True)


@main.command()
@click.argument("mode", metavar="aisas|sicas|compare")
@click.argument("scenario", required=False, type=click.Path(dir_okay=True))
@click.option("-o", "--out", "out_dir", type=click.Path(),
              help="Output folder (default: results/teach-MODE, or results/<file name>-teach-MODE).")
@set_option
@click.option("--replicates", type=int, help="Override scenario.replicates (the rates' 95% intervals need a few).")
@click.option("--seed", type=int, help="Override scenario.seed.")
@click.option("--snapshot-step", type=int, help="Step of the network snapshot (default: mid-diffusion).")
@click.option("--format", "formats", default="png,svg", show_default=True, help="Figure formats: png, svg or png,svg.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary; errors only.")
@friendly
def teach(mode: str, scenario: str | None, out_dir: str | None, sets, replicates: int | None, seed: int | None,
          snapshot_step: int | None, formats: str, quiet: bool) -> None:
    """Teach the AISAS and SICAS funnels: figures and a Markdown handout.

    \b
    wom-sim teach aisas      the AISAS funnel (bundled aisas_classroom.toml)
    wom-sim teach sicas      the SICAS funnel (bundled sicas_classroom.toml)
    wom-sim teach compare    both on the same network, seed and KOLs
    Give SCENARIO to use your own file (compare runs it as AISAS and as SICAS).
    Writes DIR/handout.md (each stage, the model's rule behind it, this run's
    numbers), funnel, differences and network figures (PNG and SVG),
    stages.csv, conversion.csv, differences.csv and lesson.json, all at once.
    """
    from .teach import run_lesson
    mode = mode.lower()
    fmts = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats.split(",") if f.strip()))
    if scenario is None:
        default = Path("results") / f"teach-{_slug(mode)}"
    else:
        default = Path("results") / f"{_slug(Path(scenario).stem)}-teach-{_slug(mode)}"
    out = Path(out_dir) if out_dir else default
    command = " ".join(["wom-sim teach", mode, *([scenario] if scenario else []),
                        *[f"--set {s}" for s in sets],
                        *([f"--replicates {replicates}"] if replicates is not None else []),
                        *([f"--seed {seed}"] if seed is not None else []),
                        *([f"--snapshot-step {snapshot_step}"] if snapshot_step is not None else [])])
    kwargs = dict(sets=sets, replicates=replicates, seed=seed, snapshot_step=snapshot_step, formats=fmts,
                  command=command)
    t0 = time.perf_counter()
    res = _with_bar("lesson", quiet, lambda progress: run_lesson(mode, scenario, out, progress=progress, **kwargs))
    if quiet:
        return
    from .teach.tables import get
    for rec, rows in zip(res.records, res.stages):
        click.echo(f"{rec.kind.upper()}: adopters {get(rows, 'adopters').text()}, aware {get(rows, 'aware').text()} "
                   f"of {res.n_agents:,} agents after {rec.series.shape[1] - 1} steps ({rec.series.shape[0]} replicates)")
    if res.paired is not None:
        click.echo(f"SICAS minus AISAS, paired: {res.paired.text()} adopters")
    click.echo(f"wrote {res.out}/: {', '.join(res.files)} ({time.perf_counter() - t0:.1f} s)")
    click.echo(f"open {res.out / 'handout.md'} to teach from it")


@main.command()
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
    from .sweep import run_sweep
    sc, out, workers = _grid_setup(scenario, sets, out_dir, "sweep", workers, resume, force, use_output_dir=True)
    t0 = time.perf_counter()
    manifest = _run_grid("sweep", out, quiet, lambda progress: run_sweep(
        sc, out, workers=workers, scheduler=scheduler, resume=resume, force=force, plots=sc.output.plots,
        progress=progress))
    if not quiet:
        _print_sweep(out, manifest, time.perf_counter() - t0)


def _print_sweep(out: Path, manifest: dict, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table
    from .sweep import read_table
    _, rows = read_table(out)
    keys = manifest["keys"]
    table = Table(title=f"{manifest['scenario']['scenario']['name']}: {len(rows)} points")
    for k in keys:
        table.add_column(k.split(".")[-1], justify="right")
    shown = ["adopters", "negative_reach", "rejected", "npv"]
    for m in shown:
        table.add_column(f"{m.replace('_', ' ')}\n(± 95% half-width)", justify="right")
    for r in rows:
        table.add_row(*[r[k] for k in keys], *[
            f"{float(r[m + '_mean']):,.0f} ±{(float(r[m + '_ci_high']) - float(r[m + '_ci_low'])) / 2:,.0f}"
            for m in shown])
    console = Console()
    console.print(table)
    console.print(f"wrote {out}/: sweep.csv, manifest.json, points/ ({len(rows)} folders) and plots "
                  f"({elapsed:.1f} s)", highlight=False, soft_wrap=True)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@set_option
@friendly
def validate(scenario: str, sets) -> None:
    """Check SCENARIO without running it; print it resolved, with every default."""
    import tomli_w
    from .memory import estimate_bytes
    sc = _load(scenario, sets)
    click.echo(f"# {scenario}: valid. Resolved scenario, every default filled in:")
    click.echo(tomli_w.dumps(sc.to_dict()).rstrip())
    click.echo(f"# estimated peak memory of `wom-sim run`: {estimate_bytes(sc) / 1e9:.2f} GB")


@main.command()
@click.option("--markdown", is_flag=True, help="Print a Markdown table (for docs).")
@friendly
def defaults(markdown: bool) -> None:
    """Every scenario key: its default, its range, and what it means (from the schema)."""
    from .scenario import defaults_table
    rows = defaults_table()
    if markdown:
        click.echo("| key | default | range | meaning |\n|---|---|---|---|")
        for r in rows:
            click.echo("| " + " | ".join(f"`{c}`" if i < 2 and c else c.replace("|", "\\|") for i, c in enumerate(r)) + " |")
        return
    from rich.console import Console
    from rich.table import Table
    table = Table(title="wom-sim scenario keys", show_lines=False)
    for col in ("key", "default", "range", "meaning"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*r)
    Console(width=max(140, Console().width)).print(table)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(),
              help="Where to save: .npz (CSR arrays) or .txt (edge list).")
@set_option
@friendly
def graph(scenario: str, out_file: str, sets) -> None:
    """Build SCENARIO's graph, save it, and print its size and degrees."""
    from .graphs import io
    from .memory import check_fits
    from .runner import make_graph
    out = Path(out_file)
    if out.suffix not in (".npz", ".txt"):
        raise WomSimError(f"-o {out_file}: the file must end in .npz (CSR arrays) or .txt (edge list)")
    sc = _load(scenario, sets)
    check_fits(sc)
    t0 = time.perf_counter()
    g = make_graph(sc)
    built = time.perf_counter() - t0
    if g.complete:
        raise WomSimError(f"{scenario}: graph.kind = 'complete' is mean-field mixing and has no arcs to save")
    tmp = out.with_name(f".{out.name}.partial{out.suffix}")
    out.parent.mkdir(parents=True, exist_ok=True)
    (io.write_npz if out.suffix == ".npz" else io.write_edgelist)(g, tmp)
    os.replace(tmp, out)
    s = g.degree_stats()
    click.echo(f"{sc.graph.kind}: {s['nodes']:,} nodes, {s['arcs']:,} arcs ({'directed' if s['directed'] else 'undirected: both arcs of each edge'})")
    click.echo(f"out-degree: mean {s['degree_mean']:.2f}, sd {s['degree_std']:.2f}, min {s['degree_min']}, "
               f"median {s['degree_median']:g}, max {s['degree_max']}, isolated {s['isolated']}")
    click.echo(f"built in {built:.2f} s; saved to {out}")


@main.command("compare-seeding")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--strategies", help="Comma list (random is always added as the baseline), e.g. degree,pagerank,ris.")
@click.option("--budget", "budgets", help="Comma list of budgets: KOL counts, or money with --money (default: the scenario's).")
@click.option("--money", is_flag=True, help="Budgets are money: KOLs priced by seeding.kol_cost_* are bought in rank order.")
@grid_options
@friendly
def compare_seeding_cmd(scenario: str, strategies: str | None, budgets: str | None, money: bool, out_dir: str | None,
                        sets, workers: int | None, scheduler: str | None, resume: bool, force: bool, quiet: bool) -> None:
    """Which KOLs to pay: every strategy x budget with common random numbers.

    \b
    Writes DIR/comparison.csv (strategy, budget, metric, mean, ci_low, ci_high, and the
    lift over random with a paired 95% interval, KOL count, cost, selection time),
    plots, and the sweep folders behind them (so --resume works).
    """
    from .compare import compare_seeding, parse_list
    sc, out, workers = _grid_setup(scenario, sets, out_dir, "seeding", workers, resume, force)
    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else []
    blist = parse_list(budgets, float if money else int, "budget")
    t0 = time.perf_counter()
    cmp = _run_grid("strategies x budgets", out, quiet, lambda progress: compare_seeding(
        sc, out, names, blist, money=money, workers=workers, scheduler=scheduler, resume=resume, force=force,
        plots=sc.output.plots, progress=progress))
    if not quiet:
        _print_comparison(cmp, time.perf_counter() - t0)


def _print_comparison(cmp, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table
    from .compare import BASELINE, ranked
    from .results import mean_ci
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


@main.command("bench-response")
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--delays", help="Comma list of response delays in steps (default 0,1,2,4,8,16).")
@click.option("--policies", help="Comma list, parameters after colons: fixed_delay,capacity:C=5:queue=by_reach,threshold:X=20.")
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
    from .response_bench import bench_response, parse_delays, parse_policies
    sc, out, workers = _grid_setup(scenario, sets, out_dir, "response", workers, resume, force)
    specs = parse_policies(policies)
    dlist = parse_delays(delays)
    t0 = time.perf_counter()
    bench = _run_grid("policies x delays", out, quiet, lambda progress: bench_response(
        sc, out, specs, dlist, workers=workers, scheduler=scheduler, resume=resume, force=force,
        plots=sc.output.plots, progress=progress))
    if not quiet:
        _print_response(bench, time.perf_counter() - t0)


def _print_response(bench, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table
    from .response_bench import BASELINE, jump
    from .results import mean_ci
    console = Console()
    shown = ["negative_reach", "rejected", "adopters", "npv", "responses"]
    idx = [bench.metrics.index(m) for m in shown]
    base = bench.finals[(BASELINE, 0)]
    for p in bench.policies:
        table = Table(title=f"{p.label}: final metrics by response delay (mean ± 95% half-width)")
        table.add_column("delay", justify="right")
        for m in shown:
            table.add_column(m.replace("_", " "), justify="right")
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


# `wom-sim ui`: the command itself imports only click; the [ui] extra loads on use
from .ui.command import ui  # noqa: E402

main.add_command(ui)


if __name__ == "__main__":
    main()
