"""KOL seeding strategies behind one small interface, and the registry of their names.

A strategy is a function ``select(graph, budget, rng, scenario) -> int32 array`` of
distinct agent ids, best first. Register a new one with ``@register("name")``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from ..streams import stream


class SeedingStrategy(Protocol):
    def __call__(self, graph, budget: int, rng: np.random.Generator, scenario) -> np.ndarray: ...


STRATEGIES: dict[str, SeedingStrategy] = {}


def register(name: str, per_replicate: bool = False) -> Callable[[SeedingStrategy], SeedingStrategy]:
    """Register a strategy. `per_replicate=True` (random): a fresh pick for every
    replicate, so the baseline averages over picks instead of resting on one draw."""
    def deco(fn: SeedingStrategy) -> SeedingStrategy:
        fn.per_replicate = per_replicate  # type: ignore[attr-defined]
        STRATEGIES[name] = fn
        return fn
    return deco


def select_seeds(graph, scenario, rng: np.random.Generator) -> np.ndarray:
    """The KOLs of a run: the scenario's strategy applied to its budget."""
    budget = min(scenario.seeding.budget, graph.n)
    if budget == 0:
        return np.zeros(0, dtype=np.int32)
    seeds = np.asarray(STRATEGIES[scenario.seeding.strategy](graph, budget, rng, scenario), dtype=np.int32)
    assert np.unique(seeds).size == seeds.size == budget, "a strategy must return distinct seeds"
    return seeds


@dataclass
class SeedPlan:
    """Which KOLs each replicate starts with: one fixed pick, or a pick per replicate."""
    graph: object
    scenario: object
    fixed: np.ndarray | None
    seconds: float = 0.0  # time the fixed pick took

    @property
    def per_replicate(self) -> bool:
        return self.fixed is None

    def for_replicate(self, r: int) -> np.ndarray:
        if self.fixed is not None:
            return self.fixed
        return select_seeds(self.graph, self.scenario, stream(self.scenario.scenario.seed, 1, r))

    def describe(self):
        """What summary.json records: the KOL ids, or how they were drawn."""
        if self.fixed is None:
            return f"drawn per replicate ({self.scenario.seeding.strategy})"
        return self.fixed.tolist() if self.fixed.size <= 1000 else f"{self.fixed.size} agents"


def plan_seeds(graph, scenario) -> SeedPlan:
    strategy = STRATEGIES[scenario.seeding.strategy]
    if getattr(strategy, "per_replicate", False):
        return SeedPlan(graph, scenario, None)
    t0 = time.perf_counter()
    fixed = select_seeds(graph, scenario, stream(scenario.scenario.seed, 1))
    return SeedPlan(graph, scenario, fixed, time.perf_counter() - t0)


from . import basic  # noqa: E402,F401  (registers the built-in strategies)
