"""compare-seeding: every strategy x budget on one scenario with common random numbers
(run.py), and its figures (figures.py)."""
from __future__ import annotations

from .run import BASELINE, COMPARISON_CSV, Choice, Comparison, check_strategies, compare_seeding, parse_list, ranked

__all__ = ["compare_seeding", "Comparison", "Choice", "BASELINE", "COMPARISON_CSV", "check_strategies",
           "parse_list", "ranked"]
