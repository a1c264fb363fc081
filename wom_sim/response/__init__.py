"""bench-response: every policy x response delay with a no-response baseline and common
random numbers (run.py), and its figures (figures.py)."""
from __future__ import annotations

from .run import (
    BASELINE,
    RESPONSE_CSV,
    Bench,
    PolicySpec,
    Rise,
    bench_response,
    jump,
    largest_rise,
    parse_delays,
    parse_policies,
)

__all__ = ["bench_response", "Bench", "PolicySpec", "parse_policies", "parse_delays", "jump", "largest_rise", "Rise",
           "BASELINE", "RESPONSE_CSV"]
