"""What every command shares: errors turned into one message and exit code 2, the
scenario loader with --set, the shared options of grid commands, progress bars."""
from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import WomSimError
from ..scenario import Scenario, load_scenario

F = TypeVar("F", bound=Callable[..., Any])


def fail(msg: str, code: int = 2) -> None:
    """Print `error: msg` and exit with `code` (2: the user's to fix)."""
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


def friendly(fn: F) -> F:
    """Turn library errors into a message and exit code 2; never a traceback for input."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WomSimError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; no result was written (files are only moved in when complete)", 130)
        except MemoryError:
            fail("ran out of memory; lower graph.n or the replicates run at once (--workers)", 2)
        except BrokenPipeError:  # the reader went away (`wom-sim defaults | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
            sys.exit(0)
        except Exception as exc:  # a bug: say so plainly
            if os.environ.get("WOM_SIM_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in wom-sim; "
                  "rerun with WOM_SIM_DEBUG=1 for the traceback and report it.", 1)
    return wrapper  # type: ignore[return-value]


def load(path: str, sets: tuple[str, ...], replicates: int | None = None, seed: int | None = None) -> Scenario:
    """The scenario at `path` with --set overrides (and --replicates, --seed)."""
    overrides = list(sets)
    if replicates is not None:
        overrides.append(f"scenario.replicates={replicates}")
    if seed is not None:
        overrides.append(f"scenario.seed={seed}")
    return load_scenario(path, overrides)


def slug(text: str) -> str:
    """A file-name-safe form of `text`."""
    return re.sub(r"[^a-zA-Z0-9_.-]+", "_", text).strip("_") or "run"


set_option = click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
                          help="Override a scenario key (repeatable), e.g. --set response.delay=4.")


def grid_options(f: F) -> F:
    """Options shared by the commands that run a grid of points (sweep, compare-seeding,
    bench-response): output folder, overrides, workers or Dask, resume/force, quiet."""
    opts = [
        click.option("-o", "--out", "out_dir", type=click.Path(),
                     help="Output folder (default: results/<file name>-<command>)."),
        set_option,
        click.option("--workers", type=int, default=None,
                     help="Local processes (default: all cores). Results are identical for any number."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install 'wom-sim[dask]')."),
        click.option("--resume", is_flag=True, help="Keep the finished points in the folder and run the rest."),
        click.option("--force", is_flag=True, help="Delete earlier results in the folder and start over."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def grid_setup(scenario: str, sets: tuple[str, ...], out_dir: str | None, suffix: str, workers: int | None,
               resume: bool, force: bool, use_output_dir: bool = False) -> tuple[Scenario, Path, int]:
    """Load the scenario and settle the folder and worker count of a grid command
    (a sweep honours the scenario's output.dir when no -o is given)."""
    from ..execution import default_workers
    sc = load(scenario, sets)
    own = sc.output.dir if use_output_dir else ""
    out = Path(out_dir or own or Path("results") / f"{slug(Path(scenario).stem)}-{suffix}")
    if workers is not None and workers < 1:
        raise WomSimError(f"--workers {workers}: give at least 1")
    if resume and force:
        raise WomSimError("--resume and --force contradict each other: choose one")
    return sc, out, workers or default_workers()


def with_bar(label: str, quiet: bool, job: Callable[[Any], Any]) -> Any:
    """`job(progress)` with a percentage bar and ETA on a terminal; `job(None)` when
    quiet or not a terminal. `progress(done, total)` is what the library calls."""
    if quiet or not sys.stderr.isatty():
        return job(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=None)
        return job(lambda done, total: bar.update(task, completed=done, total=total))


def run_grid(label: str, out: Path, quiet: bool, job: Callable[[Any], Any]) -> Any:
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
        fail(f"interrupted: {done} finished point(s) are saved in {out}/points/. "
              f"Run the same command with --resume to finish the rest.", 130)
