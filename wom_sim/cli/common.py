"""What every command shares: errors turned into one message and exit code 2, the
scenario loader with --set, the shared options of grid commands, progress bars."""
from __future__ import annotations

import errno
import functools
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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


#: what the user can do about an error of the operating system, by errno
_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or write elsewhere (-o DIR)",
    errno.EDQUOT: "your disk quota is used up: free some space, or write elsewhere (-o DIR)",
    errno.EFBIG: "the file would be larger than this system allows (ulimit -f): write elsewhere, or raise the limit",
    errno.EROFS: "the file system is read-only: write elsewhere (-o DIR)",
    errno.EACCES: "permission denied: choose a folder you can write to (-o DIR), or fix its permissions",
    errno.EPERM: "the system does not allow it: choose another folder (-o DIR)",
    errno.ENOTDIR: "a part of the path is a file, not a folder: fix the path",
    errno.EISDIR: "it is a folder where a file was expected: fix the path",
    errno.ENAMETOOLONG: "the path is too long: choose a shorter one",
    errno.ENOENT: "no such file or folder: check the path",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) or use fewer --workers",
}


def os_error_message(exc: OSError) -> str:
    """One line for an error of the file system: what, where, and the fix."""
    where = exc.filename if exc.filename is not None else "a file"
    hint = _OS_HINTS.get(exc.errno or -1, "check the path and the disk")
    return f"cannot use {where}: {safe(exc.strerror or str(exc))}; {hint}"


class Terminated(KeyboardInterrupt):
    """SIGTERM (a timeout, systemd, SLURM, docker stop) ends a command like Ctrl-C."""


@contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated, so workers are stopped and the
    user is told what was saved, as on Ctrl-C."""
    def handler(signum: int, frame: Any) -> None:
        raise Terminated()
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def friendly(fn: F) -> F:
    """Turn library errors into a message and exit code 2; never a traceback for input."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with terminate_like_ctrl_c():
                return fn(*args, **kwargs)
        except WomSimError as exc:
            fail(safe(str(exc)))
        except Terminated:
            fail("terminated; no result was written (files are only moved in when complete)", 143)
        except KeyboardInterrupt:
            fail("interrupted; no result was written (files are only moved in when complete)", 130)
        except MemoryError:
            fail("ran out of memory; lower graph.n or the replicates run at once (--workers)", 2)
        except BrokenPipeError:  # the reader went away (`wom-sim defaults | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
            sys.exit(0)
        except OSError as exc:  # disk full, read-only, permissions, a path that is a file: the user's to fix
            if os.environ.get("WOM_SIM_DEBUG"):
                raise
            fail(os_error_message(exc))
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


force_option = click.option("--force", is_flag=True,
                            help="Replace the results wom-sim wrote in the output folder before.")

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


def _selection_bar(bar: Any, **fields: Any) -> Callable[[str, float, float | None], None]:
    """A seeding.progress hook that shows a KOL selection as its own line of `bar`."""
    task: list[Any] = []

    def hook(text: str, done: float, total: float | None) -> None:
        if not task:
            task.append(bar.add_task(text, total=total, **fields))
        bar.update(task[0], description=text, completed=done, total=total)
    return hook


def with_bar(label: str, quiet: bool, job: Callable[[Any], Any]) -> Any:
    """`job(progress)` with a percentage bar and ETA on a terminal; `job(None)` when
    quiet or not a terminal. `progress(done, total)` is what the library calls; a KOL
    selection (ris, greedy) shows on a line of its own."""
    if quiet or not sys.stderr.isatty():
        return job(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from ..seeding.progress import reporting
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), transient=True) as bar, reporting(_selection_bar(bar)):
        task = bar.add_task(label, total=None)
        return job(lambda done, total: bar.update(task, completed=done, total=total))


def run_grid(label: str, out: Path, quiet: bool, job: Callable[[Any], Any]) -> Any:
    """Run `job(progress)` with a progress bar (replicates done, ETA) on a terminal;
    on Ctrl-C say what is saved and how to resume."""
    try:
        if quiet or not sys.stderr.isatty():
            return job(None)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from ..seeding.progress import reporting
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[what]}"), TimeRemainingColumn(), transient=True) as bar, \
                reporting(_selection_bar(bar, what="")):  # a KOL selection: a line of its own
            task = bar.add_task(label, total=None, what="replicates")
            return job(lambda d, t: bar.update(task, completed=d, total=t))
    except KeyboardInterrupt as exc:
        done = len(list((out / "points").glob("[0-9]*"))) if (out / "points").exists() else 0
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        fail(f"{how}: {done} finished point(s) are saved in {out}/points/. "
             f"Run the same command with --resume to finish the rest.", 143 if how == "terminated" else 130)


def _defined(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def interval_cell(lo: float | None, hi: float | None, spec: str = ",.1f") -> str:
    """A 95% interval as a table shows it: "[2.1, 7.9]", or "n/a" where it is undefined
    (too few replicates: wom_sim.stats.MIN_REPLICATES)."""
    if not (_defined(lo) and _defined(hi)):
        return "n/a"
    return f"[{lo:{spec}}, {hi:{spec}}]"


def mean_pm(mean: float, lo: float | None, hi: float | None, spec: str = ",.0f") -> str:
    """A mean with its 95% half-width: "120 ±14", or "120 ± n/a". A count's interval
    cut at 0 is no longer symmetric, and a "±" would reach below 0: it is shown whole,
    "12 [0, 31]"."""
    if lo is None or hi is None or not (_defined(lo) and _defined(hi)):
        return f"{mean:{spec}} ± n/a"
    if abs((mean - lo) - (hi - mean)) > 1e-6 * max(1.0, abs(hi - lo), abs(mean)):  # (CSV text keeps 10 digits)
        return f"{mean:{spec}} {interval_cell(lo, hi, spec)}"
    return f"{mean:{spec}} ±{(hi - lo) / 2:{spec}}"


def print_interval_note(console: Any, replicates: int, cells: Iterable[str] = ()) -> None:
    """The footnotes under a table: why its intervals are "n/a", and what "[low, high]"
    means among mean_pm `cells` (nothing when neither happens)."""
    from ..stats import interval_note
    note = interval_note(replicates)
    if note:
        console.print(note, highlight=False, soft_wrap=True)
    if any("[" in c for c in cells):
        console.print("mean [low, high]: a count's 95% interval, cut at 0 (a count is never negative), so it is "
                      "shown whole instead of ± half its width.", highlight=False, soft_wrap=True, markup=False)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def shown(text: str) -> str:
    """A user's text inside rich output: safe() and rich's markup escaped ("[red]" stays text)."""
    from rich.markup import escape
    return escape(safe(text))


def safe(text: str) -> str:
    """Text from a user's files, fit for a terminal: control characters (escape
    sequences that could recolour, retitle or rewrite the terminal) are shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
