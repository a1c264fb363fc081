"""Atomic output folders: a result appears whole or not at all (never half-written)."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `out` to write into; when the block ends without
    an error, move it in (a new `out` appears in one rename; files of an existing one
    are replaced one by one, each atomically). On an error or Ctrl-C, nothing moves."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield stage
        if not out.exists():
            os.replace(stage, out)
        else:
            for f in stage.iterdir():
                os.replace(f, out / f.name)
            stage.rmdir()
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
