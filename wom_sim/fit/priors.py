"""The parameters a fit estimates: `KEY=LOW:HIGH[:log|:linear]`, each a prior range of a
numeric scenario key (docs/model.md section 12).

A prior is uniform on its range, or log-uniform (uniform in log(value)) where the range
spans two decades or more, or when `:log` is asked for: advertising rates and small
probabilities are known to the order of magnitude, not to the digit. Integer keys (e.g.
response.delay) take the rounded value. Inference runs in the unit cube (u in [0, 1] per
parameter); `Prior.value` maps u back to the key's value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..scenario import SECTIONS, Scenario, apply_point, nearest, validate_dict

#: a range spanning this ratio or more is log-uniform unless ":linear" is asked for
LOG_RATIO = 100.0


@dataclass(frozen=True)
class Prior:
    key: str
    low: float
    high: float
    log: bool
    integer: bool

    def value(self, u: np.ndarray | float) -> Any:
        """The key's value at unit coordinate `u` (array or scalar)."""
        u = np.asarray(u, dtype=np.float64)
        if self.log:
            v = np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        if self.integer:
            v = np.rint(v)
        return v if v.ndim else (int(v) if self.integer else float(v))

    def unit(self, value: np.ndarray | float) -> np.ndarray:
        """The unit coordinate of a value (the inverse of `value`, before rounding)."""
        v = np.asarray(value, dtype=np.float64)
        if self.log:
            return (np.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    @property
    def scale(self) -> str:
        return "log" if self.log else "linear"

    def to_json(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "scale": self.scale, "integer": self.integer}


def parse_prior(spec: str, sc: Scenario) -> Prior:
    """`KEY=LOW:HIGH[:log|:linear]` checked against the scenario: a known numeric key,
    LOW < HIGH, both values valid for the key (the scenario's own validation says why not)."""
    example = "e.g. --fit wom.p_external=0.0005:0.05"
    if "=" not in spec:
        raise ScenarioError(f"--fit {spec!r}: expected KEY=LOW:HIGH, {example}")
    key, _, rng = (s.strip() for s in spec.partition("="))
    parts = key.split(".")
    if len(parts) != 2 or not all(parts):
        raise ScenarioError(f"--fit {spec!r}: the key must be section.key, {example}")
    sec, name = parts
    if sec not in SECTIONS:
        raise ScenarioError(f"--fit {spec!r}: unknown section '{sec}'{nearest(sec, SECTIONS)}; "
                            f"sections: {', '.join(SECTIONS)}")
    fields = SECTIONS[sec].model_fields
    if name not in fields:
        raise ScenarioError(f"--fit {spec!r}: unknown key '{name}' in [{sec}]{nearest(name, fields)}")
    kind = fields[name].annotation
    if kind not in (int, float) or key in ("scenario.seed", "scenario.steps", "scenario.replicates"):
        raise ScenarioError(f"--fit {spec!r}: {key} is not a model parameter a fit can estimate (it must be a "
                            f"number of the model, such as wom.p_external or funnel.positive_boost)")
    bits = [b.strip() for b in rng.split(":")]
    scale = None
    if len(bits) == 3 and bits[2] in ("log", "linear"):
        scale = bits.pop()
    if len(bits) != 2:
        raise ScenarioError(f"--fit {spec!r}: give the prior range as LOW:HIGH (optionally :log or :linear), "
                            f"{example}")
    try:
        low, high = float(bits[0]), float(bits[1])
    except ValueError:
        raise ScenarioError(f"--fit {spec!r}: LOW and HIGH must be numbers, {example}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ScenarioError(f"--fit {spec!r}: the range must have LOW < HIGH (finite numbers)")
    integer = kind is int
    if integer and math.floor(high) - math.ceil(low) < 1:
        raise ScenarioError(f"--fit {spec!r}: {key} is a whole number; the range must hold at least two of them")
    log = scale == "log" or (scale is None and low > 0 and high / low >= LOG_RATIO)
    if log and low <= 0:
        raise ScenarioError(f"--fit {spec!r}: a log-uniform prior needs LOW > 0; use :linear or a positive LOW")
    prior = Prior(key, low, high, log, integer)
    base = sc.to_dict()
    base.pop("sweep", None)
    for end in (prior.value(0.0), prior.value(1.0)):
        try:
            validate_dict(apply_point(base, {key: end}), f"{sc.source} [--fit {key} = {end!r}]")
        except ScenarioError as exc:
            raise ScenarioError(f"{exc}\n  The value is an end of the prior range given with --fit: "
                                "narrow it.") from None
    return prior


def parse_priors(specs: list[str] | tuple[str, ...], sc: Scenario) -> list[Prior]:
    """Every --fit spec, each key once."""
    if not specs:
        raise ScenarioError("name at least one parameter to fit, e.g. --fit wom.p_external=0.0005:0.05")
    priors = [parse_prior(s, sc) for s in specs]
    keys = [p.key for p in priors]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ScenarioError(f"--fit names {', '.join(twice)} more than once; give each key one range")
    return priors
