"""`wom-sim run`, `validate`, `defaults` and `graph`: one scenario at a time."""
from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import WomSimError
from .common import (
    force_option,
    friendly,
    interval_cell,
    load,
    print_interval_note,
    safe,
    set_option,
    shown,
    slug,
    with_bar,
)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("-o", "--out", "out_dir", type=click.Path(),
              help="Output folder (default: output.dir, else results/<file name>).")
@set_option
@click.option("--replicates", type=int, help="Override scenario.replicates.")
@click.option("--seed", type=int, help="Override scenario.seed.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Processes for replicates (results are identical for any number).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only.")
@click.option("--trace", is_flag=True, help="Also write who told whom: trace.csv (step, teller, hearer, valence, "
                                            "changed) for the first replicate.")
@click.option("--trace-replicates", type=int, default=None, metavar="N",
              help="Trace the first N replicates (implies --trace).")
@click.option("--trace-format", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="trace.csv, or trace.parquet (needs pyarrow).")
@force_option
@friendly
def run(scenario: str, out_dir: str | None, sets, replicates, seed, workers: int, quiet: bool, trace: bool,
        trace_replicates: int | None, trace_format: str, force: bool) -> None:
    """Run SCENARIO and write timeseries.csv, replicates.csv, summary.json and plots.

    \b
    The output folder: a new or empty one is used; one that wom-sim wrote before is
    replaced only with --force (the default results/<name> steps aside to
    results/<name>-2 instead); one holding other files is never written into."""
    from ..execution import run as run_scenario
    from ..files import claim_folder
    sc = load(scenario, sets, replicates, seed)
    named = out_dir or sc.output.dir
    wanted = Path(named or Path("results") / slug(Path(scenario).stem))
    out = claim_folder(wanted, force=force, default=not named, what="a run's results")
    if workers < 1:
        raise WomSimError(f"--workers {workers}: give at least 1")
    if trace_replicates is not None and trace_replicates < 1:
        raise WomSimError(f"--trace-replicates {trace_replicates}: give at least 1")
    traced = trace_replicates or (1 if trace else 0)
    t0 = time.perf_counter()
    res = with_bar(shown(sc.scenario.name), quiet,
                   lambda progress: run_scenario(sc, workers=workers, progress=progress,
                                                 on_graph=None if quiet else _print_reading, trace=traced,
                                                 trace_format=trace_format))
    res.save(out, force=True)
    if quiet:
        return
    if out != wanted:
        click.echo(f"{wanted} holds an earlier run: wrote {out} instead (--force replaces it)", err=True)
    _print_table(res, time.perf_counter() - t0, out)


def _print_reading(graph) -> None:
    """What an edge list held (header, labels, top accounts by followers), before the
    run goes on: a user sees at once whether the file was read the right way round."""
    from ..graphs.io import reading_report
    for line in reading_report(graph):
        click.echo(safe(line), err=True)


def _print_table(res, elapsed: float, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..model.metrics import HEADLINE
    m = res.final()
    R, T = res.series.shape[0], res.series.shape[1] - 1
    table = Table(title=f"{shown(res.scenario.scenario.name)}: after {res.scenario.scenario.unit.count(T)}, "
                        f"{R} replicate{'' if R == 1 else 's'}, N = {res.n_agents:,}")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("share of N", justify="right")
    for name in HEADLINE:
        v = m[name]
        lo, hi = v["ci95"]
        share = "" if name == "npv" else f"{v['mean'] / res.n_agents:.1%}"
        table.add_row(name, f"{v['mean']:,.1f}", interval_cell(lo, hi), share)
    console = Console()
    console.print(table)
    print_interval_note(console, R)
    files = sorted(p.name for p in out.iterdir())
    console.print(f"wrote {out}/: {', '.join(files)}  ({elapsed:.1f} s; graph {res.timing['graph_s']:.2f} s, "
                  f"simulate {res.timing['simulate_s']:.2f} s)", highlight=False, soft_wrap=True)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@set_option
@friendly
def validate(scenario: str, sets) -> None:
    """Check SCENARIO without running it; print it resolved, with every default."""
    import tomli_w

    from ..execution import check_runnable, make_graph
    from ..graphs.io import reading_report
    sc = load(scenario, sets)
    need = check_runnable(sc)
    notes: list[str] = []
    if sc.graph.kind == "edgelist":  # read it as run would: the same checks and memory guard
        notes = reading_report(make_graph(sc))
    click.echo(f"# {safe(scenario)}: valid. Resolved scenario, every default filled in:")
    click.echo(safe(tomli_w.dumps(sc.to_dict()).rstrip()))
    for line in notes:
        click.echo(f"# {safe(line)}")
    click.echo(f"# estimated peak memory of `wom-sim run`: {need / 1e9:.2f} GB")


@click.command()
@click.option("--markdown", is_flag=True, help="Print a Markdown table (for docs).")
@friendly
def defaults(markdown: bool) -> None:
    """Every scenario key: its default, its range, and what it means (from the schema)."""
    from ..scenario import defaults_table
    rows = defaults_table()
    if markdown:
        click.echo("| key | default | range | meaning |\n|---|---|---|---|")
        for r in rows:
            click.echo("| " + " | ".join(f"`{c}`" if i < 2 and c else c.replace("|", "\\|") for i, c in enumerate(r))
                       + " |")
        return
    from rich.console import Console
    from rich.table import Table
    table = Table(title="wom-sim scenario keys", show_lines=False)
    for col in ("key", "default", "range", "meaning"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*r)
    Console(width=max(140, Console().width)).print(table)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(),
              help="Where to save: .npz (CSR arrays) or .txt (edge list).")
@set_option
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@friendly
def graph(scenario: str, out_file: str, sets, force: bool) -> None:
    """Build SCENARIO's graph, save it, and print its size and degrees."""
    from ..execution import check_fits, make_graph
    from ..graphs import io
    out = Path(out_file)
    if out.suffix not in (".npz", ".txt"):
        raise WomSimError(f"-o {out_file}: the file must end in .npz (CSR arrays) or .txt (edge list)")
    if out.is_dir():
        raise WomSimError(f"-o {out_file}: is a folder; give a file name ending in .npz or .txt")
    if out.exists() and not force:
        raise WomSimError(f"-o {out_file}: the file exists; choose another name, or add --force to replace it")
    sc = load(scenario, sets)
    check_fits(sc)
    t0 = time.perf_counter()
    g = make_graph(sc)
    built = time.perf_counter() - t0
    if g.complete:
        raise WomSimError(f"{scenario}: graph.kind = 'complete' is mean-field mixing and has no arcs to save")
    (io.write_npz if out.suffix == ".npz" else io.write_edgelist)(g, out)
    for line in io.reading_report(g):
        click.echo(safe(line))
    s = g.degree_stats()
    click.echo(f"{sc.graph.kind}: {s['nodes']:,} nodes, {s['arcs']:,} arcs "
               f"({'directed' if s['directed'] else 'undirected: both arcs of each edge'})")
    click.echo(f"out-degree: mean {s['degree_mean']:.2f}, sd {s['degree_std']:.2f}, min {s['degree_min']}, "
               f"median {s['degree_median']:g}, max {s['degree_max']}, isolated {s['isolated']}")
    click.echo(f"built in {built:.2f} s; saved to {out}")


@click.command("scenarios")
@friendly
def scenarios() -> None:
    """The bundled scenarios: `wom-sim run NAME` (or any command) finds one from any folder."""
    from rich.console import Console
    from rich.table import Table

    from ..scenario import bundled_names, bundled_path
    from ..scenario.load import read_toml
    table = Table(title="Bundled scenarios (wom-sim run NAME; copy one to edit it: wom-sim validate NAME prints it)")
    table.add_column("name", no_wrap=True)
    table.add_column("title")
    table.add_column("what it shows")
    for name in bundled_names():
        path = bundled_path(name + ".toml")
        lines = path.read_text(encoding="utf-8").splitlines()
        first = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#") and ln.strip("# ")), "")
        title = str(read_toml(path).get("scenario", {}).get("name", ""))
        table.add_row(name, shown(title), shown(first))
    Console().print(table)
