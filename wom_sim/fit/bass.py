"""The baseline every fit is printed beside: the Bass model fitted by nonlinear least
squares on its closed form (model.theory.bass_cdf), as netdiffuseR's fitbass and
pymc-marketing's Bass model do. One fit per observed count metric: a running total
y(t) = y0 + m F(t - t0; p, q), a per-step flow y(t) = m (F(t - t0) - F(t - 1 - t0)),
with t0 the first observed step (y0 its value).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..model.metrics import FLOWS, is_count
from ..model.theory import bass_cdf


@dataclass
class BassFit:
    metric: str
    m: float
    p: float
    q: float
    t0: int
    y0: float
    flow: bool

    def predict(self, steps: np.ndarray) -> np.ndarray:
        t = np.asarray(steps, dtype=np.float64) - self.t0
        if self.flow:
            return self.m * (bass_cdf(t, self.p, self.q) - bass_cdf(t - 1, self.p, self.q))
        return self.y0 + self.m * bass_cdf(t, self.p, self.q)

    def to_json(self) -> dict:
        return {"m": self.m, "p": self.p, "q": self.q, "t0": self.t0, "y0": self.y0,
                "form": "flow" if self.flow else "running total"}


def fit_bass(metric: str, steps: np.ndarray, values: np.ndarray) -> BassFit | None:
    """The least-squares Bass curve through one series, or None when it cannot be fitted
    (not a count, fewer than 4 points, or no convergence)."""
    from scipy.optimize import curve_fit
    if not is_count(metric) or steps.size < 4:
        return None
    flow = metric in FLOWS
    t0 = int(steps[0]) - (1 if flow else 0)
    y0 = 0.0 if flow else float(values[0])
    t = steps.astype(np.float64) - t0
    total = float(values.sum()) if flow else float(values[-1] - y0)
    if total <= 0:
        return None

    def model(tt: np.ndarray, log_m: float, log_p: float, log_q: float) -> np.ndarray:
        m, p, q = math.exp(log_m), math.exp(log_p), math.exp(log_q)
        if flow:
            return m * (bass_cdf(tt, p, q) - bass_cdf(tt - 1, p, q))
        return y0 + m * bass_cdf(tt, p, q)

    best = None
    for m_mult in (1.2, 3.0, 10.0):  # a few starts: the market size is the hard part
        for p0, q0 in ((0.01, 0.3), (0.001, 0.5), (0.05, 0.1)):
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    par, _ = curve_fit(model, t, values, p0=(math.log(total * m_mult), math.log(p0), math.log(q0)),
                                       bounds=([math.log(max(total, 1e-9)) - 1e-9, math.log(1e-7), math.log(1e-6)],
                                               [math.log(max(total, 1.0) * 1e4), math.log(1.0), math.log(5.0)]),
                                       maxfev=4000)
            except (RuntimeError, ValueError):
                continue
            sse = float(np.sum((model(t, *par) - values) ** 2))
            if math.isfinite(sse) and (best is None or sse < best[0]):
                best = (sse, par)
    if best is None:
        return None
    log_m, log_p, log_q = best[1]
    return BassFit(metric, math.exp(log_m), math.exp(log_p), math.exp(log_q), t0, y0, flow)
