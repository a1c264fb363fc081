"""KOL seeding strategies behind one small interface, and the registry of their names.

A strategy is a function ``select(graph, budget, rng, scenario) -> int32 array`` of
distinct agent ids, best first. Register a new one with ``@register("name")``.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np


class SeedingStrategy(Protocol):
    def __call__(self, graph, budget: int, rng: np.random.Generator, scenario) -> np.ndarray: ...


STRATEGIES: dict[str, SeedingStrategy] = {}


def register(name: str) -> Callable[[SeedingStrategy], SeedingStrategy]:
    def deco(fn: SeedingStrategy) -> SeedingStrategy:
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


from . import basic  # noqa: E402,F401  (registers the built-in strategies)
