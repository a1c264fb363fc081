"""bench-response: every policy x response delay with a no-response baseline and common
random numbers (run.py), and its figures (figures.py)."""
from __future__ import annotations

from .run import (
    BASELINE,
    RESPONSE_CSV,
    Bench,
    BreakEven,
    PolicySpec,
    Rise,
    bench_response,
    break_even,
    jump,
    largest_rise,
    parse_delays,
    parse_policies,
    parse_teams,
    points_of,
)

__all__ = ["bench_response", "Bench", "PolicySpec", "parse_policies", "parse_delays", "parse_teams", "jump",
           "largest_rise", "Rise", "BASELINE", "RESPONSE_CSV", "BreakEven", "break_even", "points_of"]
