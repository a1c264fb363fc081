"""Every file wom-sim writes goes through here: atomic files and folders, CSV text; and
the one check every file it reads passes first (:func:`check_input_file`).

A result appears whole or not at all: a file is written to a temporary name beside its
target and renamed over it (``os.replace`` is atomic on one file system); a folder of
results is staged beside its target and moved in when complete. Numbers in CSV files go
through :func:`fmt`, so that the same numbers always give the same bytes.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from .errors import WomSimError

#: the file wom-sim leaves in every folder it writes: it proves the folder is wom-sim's
#: (so --force may replace what wom-sim wrote there) and says what wrote it
MARKER = ".wom-sim"
#: what older versions left in their folders before the marker (runs, lessons, grids)
_OLD_MARKERS = ("summary.json", "lesson.json", "manifest.json")


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def _article(noun: str) -> str:
    """'a' or 'an' before `noun`, so messages read "not an edge list file"."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def check_input_file(path: str | Path, what: str, max_bytes: int | None = None) -> int:
    """Raise WomSimError unless `path` is a readable regular file (at most `max_bytes`);
    return its size. A FIFO, /dev/zero or a socket would hang a read or fill memory,
    so they are refused before anything opens them (stat does not block)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise WomSimError(f"{p}: no such file; check the path to the {what}") from None
    except OSError as exc:
        raise WomSimError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    for test, kind in _NOT_REGULAR:
        if test(st.st_mode):
            hint = "; name a file inside it" if kind == "a folder" else "; give a regular file (save the data first)"
            raise WomSimError(f"{p}: is {kind}, not {_article(what)} {what}{hint}")
    if not stat.S_ISREG(st.st_mode):
        raise WomSimError(f"{p}: is not a regular file; give the {what} as a regular file")
    if not os.access(p, os.R_OK):
        raise WomSimError(f"{p}: cannot read the {what} (permission denied); check its permissions")
    if max_bytes is not None and st.st_size > max_bytes:
        raise WomSimError(f"{p}: is {st.st_size / 1e6:,.0f} MB, too large for {_article(what)} {what} "
                          f"(at most {max_bytes / 1e6:,.0f} MB); is it the right file?")
    return int(st.st_size)


def _umask() -> int:
    """The process's umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _honour_umask(path: str | Path, mode: int) -> None:
    """mkstemp and mkdtemp make private (0600/0700) entries; give them the mode a plain
    open() or mkdir() would have given (`mode` minus the umask)."""
    os.chmod(path, mode & ~_umask())


def atomic_write(path: str | Path, chunks: Iterable[str | bytes] | Callable[[IO[Any]], None], *,
                 text: bool = True) -> Path:
    """Write `chunks` (strings or bytes, or a function that writes to the open file) to
    `path` atomically: a temporary file beside it, renamed over it when complete. On any
    error, including Ctrl-C, the temporary file is removed and `path` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if text else {}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w" if text else "wb", **kwargs) as f:
            if callable(chunks):
                chunks(f)
            else:
                for chunk in chunks:
                    f.write(chunk)
        _honour_umask(tmp, 0o666)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """`path` gets exactly `text` (UTF-8), atomically."""
    return atomic_write(path, [text], text=True)


def _stage_prefix(out: Path) -> str:
    """The prefix of the staging folders beside an output folder (cleaned on the next write)."""
    return f".{out.name}.partial-"


def clean_stale_stages(out: Path) -> list[Path]:
    """Remove the staging folders a killed write left beside `out` (wom-sim's own, by name)."""
    removed = []
    if out.parent.is_dir():
        for stale in out.parent.glob(_stage_prefix(out) + "*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
                removed.append(stale)
    return removed


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `out` to write into; when the block ends without
    an error, move it in (a new `out` appears in one rename; files of an existing one
    are replaced one by one, each atomically). On an error or Ctrl-C, nothing moves.
    The folder gets wom-sim's marker file; stale staging folders are removed first."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=_stage_prefix(out), dir=out.parent))
    try:
        (stage / MARKER).write_text("written by wom-sim; --force may replace the files it wrote here\n")
        yield stage
        _honour_umask(stage, 0o777)
        if not out.exists():
            os.replace(stage, out)
        else:
            for f in stage.iterdir():
                os.replace(f, out / f.name)
            stage.rmdir()
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def written_by_wom_sim(folder: Path) -> bool:
    """Whether wom-sim wrote `folder` (its marker, or what older versions wrote)."""
    return (folder / MARKER).is_file() or any((folder / f).is_file() for f in _OLD_MARKERS)


def claim_folder(out: str | Path, *, force: bool = False, default: bool = False, what: str = "results") -> Path:
    """The folder to write `what` into, following one rule for every command:

    - a new or empty folder is used as it is;
    - a folder wom-sim wrote before is replaced only with `force` (files wom-sim did
      not write in it are left alone); without `force`, a `default` folder steps
      aside to a fresh name (``results/x-2``) and an explicitly named one is refused;
    - a folder holding files wom-sim did not write is never written into.

    Raises WomSimError (exit code 2) with the fix."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WomSimError(f"{out}: is a file, not a folder; choose another output folder (-o DIR)")
    if not out.exists() or not any(out.iterdir()):
        return out
    if not written_by_wom_sim(out):
        raise WomSimError(f"{out}: holds files that wom-sim did not write, and wom-sim never writes over them; "
                          f"choose another output folder (-o DIR)")
    if force:
        return out
    if default:
        k = 2
        while True:
            fresh = out.with_name(f"{out.name}-{k}")
            if not fresh.exists() or not any(fresh.iterdir()):
                return fresh
            k += 1
    raise WomSimError(f"{out}: already holds {what} that wom-sim wrote; add --force to replace them, or choose "
                      f"another output folder (-o DIR)")


def fmt(x: float) -> str:
    """Deterministic number text: integers as integers, else 10 significant digits;
    an undefined number (NaN: e.g. a 95% interval of fewer than 3 replicates) is "nan",
    which pandas, numpy, R and Python's float() all read back as NaN. Its column form,
    for NumPy columns, is `_column_text` (the same text, held by tests/test_outputs.py)."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".10g")


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV with a header row; numbers through `fmt`, strings as they are."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([v if isinstance(v, str) else fmt(v) for v in row])
    return buf.getvalue()


def csv_columns(header: list[str], columns: list[Any]) -> str:
    """csv_text of a table given column by column, byte for byte: a NumPy column of
    numbers is formatted in a few array operations instead of `fmt` per value (a
    replicates.csv of 500 replicates x 201 steps took 1 s, most of a small run's wall
    time). Other columns (lists of strings or numbers) go value by value."""
    if len(columns) < 2:  # (a lone empty field is quoted by the csv module: keep its rules)
        return csv_text(header, zip(*columns))
    cols = [_column_text(c) for c in columns]
    if len({len(c) for c in cols}) > 1:
        raise ValueError("csv_columns: columns of different lengths")
    lines = [_csv_line(header)]
    lines.extend(map(",".join, zip(*cols)))
    return "\n".join(lines) + "\n"


#: characters that make the csv module quote a field (delimiter, quote, line ends)
_QUOTED = (",", '"', "\r", "\n")


def _csv_line(fields: list[Any]) -> str:
    """One row as the csv module writes it (csv_text's dialect), without the line end."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()[:-1]


def _column_text(col: Any) -> list[str]:
    """The CSV fields of one column, as csv_text writes them."""
    if isinstance(col, np.ndarray) and col.dtype.kind in "biuf":
        x = col.ravel()
        if x.dtype.kind in "biu" and (x.size == 0 or int(np.abs(x.astype(np.int64)).max()) < 10**15):
            return list(map(str, x.astype(np.int64).tolist()))
        x = x.astype(np.float64)
        whole = (np.abs(x) < 1e15) & (x == np.trunc(x))  # fmt: integers as integers (NaN, inf: not)
        out = np.empty(x.size, dtype=object)
        out[whole] = list(map(str, x[whole].astype(np.int64).tolist()))
        rest = ~whole
        out[rest] = [format(v, ".10g") for v in x[rest].tolist()]
        return out.tolist()
    return [(_csv_line([v, ""])[:-1] if any(c in v for c in _QUOTED) else v) if isinstance(v, str) else fmt(v)
            for v in col]


def write_csv(path: str | Path, header: list[str], rows: Iterable[Iterable[Any]]) -> Path:
    """A CSV file written atomically (see `csv_text`)."""
    return atomic_write_text(path, csv_text(header, rows))
