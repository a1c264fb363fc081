"""Every file wom-sim writes goes through here: atomic files and folders, CSV text.

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
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


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


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `out` to write into; when the block ends without
    an error, move it in (a new `out` appears in one rename; files of an existing one
    are replaced one by one, each atomically). On an error or Ctrl-C, nothing moves."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
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


def fmt(x: float) -> str:
    """Deterministic number text: integers as integers, else 10 significant digits."""
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


def write_csv(path: str | Path, header: list[str], rows: Iterable[Iterable[Any]]) -> Path:
    """A CSV file written atomically (see `csv_text`)."""
    return atomic_write_text(path, csv_text(header, rows))
