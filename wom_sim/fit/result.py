"""What a fit found: the estimates and the posterior predictive (fit/run.py makes it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..scenario import Scenario, StepUnit
from .abc import Generation
from .bass import BassFit
from .data import Observed
from .priors import Prior

#: a parameter whose 90% interval covers more than this share of its prior range is
#: called not identified by the data
FLAT_SHARE = 0.75


@dataclass
class ParamEstimate:
    prior: Prior
    estimate: float
    ci90: tuple[float, float]
    share_of_prior: float

    @property
    def identified(self) -> bool:
        return self.share_of_prior <= FLAT_SHARE

    def to_json(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "ci90": list(self.ci90), "prior": self.prior.to_json(),
                "share_of_prior_range": round(self.share_of_prior, 4), "identified": self.identified}


@dataclass
class FitResult:
    out: Path
    scenario: Scenario
    observed: Observed
    train_until: int
    priors: list[Prior]
    generations: list[Generation]
    stop_reason: str
    params: dict[str, ParamEstimate]
    steps: np.ndarray
    predictive: dict[str, np.ndarray]          # metric -> (PREDICTIVE, steps + 1)
    bass: dict[str, BassFit | None] = field(default_factory=dict)
    errors: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def simulations(self) -> int:
        return sum(g.proposals for g in self.generations)

    @property
    def final(self) -> Generation:
        return self.generations[-1]

    @property
    def unit(self) -> StepUnit:
        return self.scenario.scenario.unit

    def band(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median, 5% and 95% of the posterior predictive at every step."""
        x = self.predictive[metric]
        return np.median(x, axis=0), np.quantile(x, 0.05, axis=0), np.quantile(x, 0.95, axis=0)

    def flat(self) -> list[ParamEstimate]:
        return [p for p in self.params.values() if not p.identified]
