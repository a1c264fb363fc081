"""The points of a grid: every combination of a scenario's [sweep] table (or an explicit
list of combinations), validated before anything runs, and their split into work units."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from ..scenario import Scenario, apply_point, sweep_points, validate_dict


@dataclass
class Point:
    index: int
    values: dict[str, Any]
    scenario: Scenario

    @property
    def folder(self) -> str:
        parts = [f"{k.split('.')[-1]}-{_slug(v)}" for k, v in self.values.items()]
        return f"{self.index:04d}" + ("_" + "_".join(parts) if parts else "")


def _slug(v: Any) -> str:
    text = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
    return re.sub(r"[^A-Za-z0-9.+-]+", "", text)[:40] or "x"


def expand(sc: Scenario, combos: list[dict[str, Any]] | None = None) -> list[Point]:
    """Every point of the grid (or of an explicit list of `combos`, dotted key ->
    value), validated before anything runs: a bad value is reported with the key,
    the value and the point."""
    base = sc.to_dict()
    base.pop("sweep", None)
    points = []
    for i, combo in enumerate(combos if combos is not None else sweep_points(sc)):
        raw = apply_point(base, combo)
        label = ", ".join(f"{k} = {v!r}" for k, v in combo.items())
        try:
            psc = validate_dict(raw, f"{sc.source} [sweep point {i}: {label}]")
        except ScenarioError as exc:
            raise ScenarioError(f"{exc}\n  The value comes from the [sweep] table: fix or remove it there.") from None
        psc._source = sc.source
        points.append(Point(i, combo, psc))
    return points


@dataclass
class Unit:
    point: int
    reps: list[int]


def plan_units(points: list[Point], todo: Iterable[int], workers: int) -> list[Unit]:
    """Split the work into (point, replicate chunk) units: whole points when there
    are many, replicate chunks when few points would leave workers idle."""
    todo = list(todo)
    units = []
    for i in todo:
        R = points[i].scenario.scenario.replicates
        chunks = 1 if len(todo) >= 2 * workers else max(1, min(R, math.ceil(2 * workers / max(len(todo), 1))))
        size = math.ceil(R / chunks)
        for start in range(0, R, size):
            units.append(Unit(i, list(range(start, min(R, start + size)))))
    return units
