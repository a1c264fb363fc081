"""Statistics over replicates: the mean and its Student-t confidence interval.

One definition for every table and figure (run, sweep, compare-seeding, bench-response,
teach), so that an interval printed on the terminal is the one drawn in a figure."""
from __future__ import annotations

import numpy as np
from scipy.special import stdtrit  # the t quantile; far lighter to import than scipy.stats


def mean_ci(values: np.ndarray, axis: int = 0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence interval over replicates (along `axis`).

    >>> import numpy as np
    >>> m, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0]))
    >>> float(m), round(float(lo), 3), round(float(hi), 3)
    (2.0, -0.484, 4.484)
    """
    values = np.asarray(values, dtype=np.float64)
    r = values.shape[axis]
    mean = values.mean(axis=axis)
    if r < 2:
        return mean, mean.copy(), mean.copy()
    se = values.std(axis=axis, ddof=1) / np.sqrt(r)
    half = stdtrit(r - 1, 0.5 + level / 2) * se
    return mean, mean - half, mean + half
