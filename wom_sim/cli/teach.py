"""`wom-sim teach aisas|sicas|compare`: the classroom lesson."""
from __future__ import annotations

import time
from pathlib import Path

import click

from .common import force_option, friendly, set_option, slug, with_bar


@click.command()
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
@click.option("--animate", is_flag=True, help="Also write spread.gif (spread.mp4 too when ffmpeg is installed).")
@force_option
@friendly
def teach(mode: str, scenario: str | None, out_dir: str | None, sets, replicates: int | None, seed: int | None,
          snapshot_step: int | None, formats: str, quiet: bool, animate: bool, force: bool) -> None:
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
    from ..teach.lesson import run_lesson
    mode = mode.lower()
    fmts = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats.split(",") if f.strip()))
    if scenario is None:
        default = Path("results") / f"teach-{slug(mode)}"
    else:
        default = Path("results") / f"{slug(Path(scenario).stem)}-teach-{slug(mode)}"
    out = Path(out_dir) if out_dir else default
    command = " ".join(["wom-sim teach", mode, *([scenario] if scenario else []),
                        *[f"--set {s}" for s in sets],
                        *([f"--replicates {replicates}"] if replicates is not None else []),
                        *([f"--seed {seed}"] if seed is not None else []),
                        *([f"--snapshot-step {snapshot_step}"] if snapshot_step is not None else [])])
    kwargs = dict(sets=sets, replicates=replicates, seed=seed, snapshot_step=snapshot_step, formats=fmts,
                  command=command, force=force, default_folder=not out_dir, animate=animate)
    t0 = time.perf_counter()
    res = with_bar("lesson", quiet, lambda progress: run_lesson(mode, scenario, out, progress=progress, **kwargs))
    if quiet:
        return
    from ..teach.tables import get
    for rec, rows in zip(res.records, res.stages):
        click.echo(f"{rec.kind.upper()}: adopters {get(rows, 'adopters').text()}, aware {get(rows, 'aware').text()} "
                   f"of {res.n_agents:,} agents after {rec.scenario.scenario.unit.count(rec.series.shape[1] - 1)} "
                   f"({rec.series.shape[0]} replicates)")
    if res.paired is not None:
        click.echo(f"SICAS minus AISAS, paired: {res.paired.text()} adopters")
    from ..stats import interval_note
    note = interval_note(res.records[0].series.shape[0], "means alone, no interval")
    if note:
        click.echo(note)
    click.echo(f"wrote {res.out}/: {', '.join(res.files)} ({time.perf_counter() - t0:.1f} s)")
    click.echo(f"open {res.out / 'handout.md'} to teach from it")


@click.command("animate")
@click.argument("run_dir", type=click.Path(dir_okay=True))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; errors only.")
@friendly
def animate_cmd(run_dir: str, quiet: bool) -> None:
    """Animate a `wom-sim run` folder: RUN_DIR/spread.gif (and spread.mp4 with ffmpeg).

    \b
    Replicate 0 is run again (the same stream and KOLs, so the same spread) and drawn
    step by step: the network coloured by stage, sharers of good and bad news, the
    KOLs, and the agents in each stage over time. A big graph shows the KOLs'
    neighbourhood (about 1,500 agents) and says so.
    """
    from ..teach.lesson import animate_run
    t0 = time.perf_counter()
    paths = with_bar("animating", quiet, lambda progress: animate_run(run_dir, progress))
    if not quiet:
        click.echo(f"wrote {', '.join(str(p) for p in paths)} ({time.perf_counter() - t0:.1f} s)")
