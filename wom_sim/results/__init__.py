"""Results: RunResult (tables, summary, save and load)."""
from __future__ import annotations

from .run_result import REPLICATES, SUMMARY, TIMESERIES, RunResult

__all__ = ["RunResult", "TIMESERIES", "REPLICATES", "SUMMARY"]
