"""Statistics over replicates: the mean and its Student-t confidence interval.

One definition for every table and figure (run, sweep, compare-seeding, bench-response,
teach), so that an interval printed on the terminal is the one drawn in a figure.

Too few replicates give no interval. With 1 replicate the spread is unknown. With 2 the
t interval has one degree of freedom (t = 12.7) and its width rests on one difference:
two equal replicates give a zero-width "interval", two different ones an absurd one
(adopters [-45.5, 259.5]). From 3 replicates on (t = 4.3) the width means something, so
below MIN_REPLICATES the interval is NaN: tables print "n/a", CSV files "nan", JSON
null, and figures draw no band.
"""
from __future__ import annotations

import numpy as np
from scipy.special import stdtrit  # the t quantile; far lighter to import than scipy.stats

#: the fewest replicates that give a 95% interval (see the module docstring)
MIN_REPLICATES = 3


def mean_ci(values: np.ndarray, axis: int = 0, level: float = 0.95, lower: float | np.ndarray = -np.inf,
            upper: float | np.ndarray = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence interval over replicates (along `axis`).

    The interval is clipped to [`lower`, `upper`], the range the quantity can take
    (0 for counts: a count's interval never goes below 0). It is NaN with fewer than
    MIN_REPLICATES replicates.

    >>> import numpy as np
    >>> m, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0]))
    >>> float(m), round(float(lo), 3), round(float(hi), 3)
    (2.0, -0.484, 4.484)
    >>> float(mean_ci(np.array([1.0, 2.0, 3.0]), lower=0)[1])
    0.0
    >>> m, lo, hi = mean_ci(np.array([1.0, 5.0]))
    >>> float(m), bool(np.isnan(lo)), bool(np.isnan(hi))
    (3.0, True, True)
    """
    values = np.asarray(values, dtype=np.float64)
    r = values.shape[axis]
    mean = values.mean(axis=axis)
    if r < MIN_REPLICATES:
        return mean, np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    se = values.std(axis=axis, ddof=1) / np.sqrt(r)
    half = stdtrit(r - 1, 0.5 + level / 2) * se
    return mean, np.minimum(np.maximum(mean - half, lower), upper), np.minimum(np.maximum(mean + half, lower), upper)


def interval_note(replicates: int, lead: str = "n/a") -> str | None:
    """What a table says under its "n/a" intervals (`lead` names what stands in for
    them), or None when they are defined."""
    if replicates >= MIN_REPLICATES:
        return None
    return (f"{lead}: a 95% interval needs at least {MIN_REPLICATES} replicates, and this has {replicates}; "
            f"set scenario.replicates to {MIN_REPLICATES} or more.")
