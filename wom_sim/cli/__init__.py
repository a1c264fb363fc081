"""The `wom-sim` command line (a thin package: it parses, calls the library, prints)."""
from __future__ import annotations

from .main import main

__all__ = ["main"]
