"""Calibration: `wom-sim fit` (ABC-SMC on the engines, a Bass baseline, forecasts)."""
from .abc import Generation, Settings
from .data import Observed, read_observed
from .priors import Prior, parse_priors
from .result import FitResult
from .run import fit_scenario

__all__ = ["fit_scenario", "FitResult", "Observed", "read_observed", "Prior", "parse_priors", "Generation", "Settings"]
