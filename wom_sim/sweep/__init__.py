"""Sweeps: every point of a [sweep] grid times its replicates, on local processes or
Dask, written point by point so an interrupted sweep resumes (run.py); the points and
work units (grid.py); sweep.csv (table.py); the figures (figures.py)."""
from __future__ import annotations

from .grid import Point, expand, plan_units
from .run import MANIFEST, prepare_folder, run_sweep
from .table import SWEEP_CSV, final_rows, read_table, write_table

__all__ = ["run_sweep", "expand", "plan_units", "Point", "prepare_folder", "write_table", "read_table",
           "final_rows", "MANIFEST", "SWEEP_CSV"]
