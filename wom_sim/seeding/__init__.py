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


def kol_prices(graph, scenario) -> np.ndarray:
    """Price of every agent as a KOL: base + rate x followers^alpha (seeding.kol_cost_*)."""
    s = scenario.seeding
    followers = graph.out_degree().astype(np.float64)
    return s.kol_cost_base + s.kol_cost_rate * followers ** s.kol_cost_alpha


def kol_cost(graph, scenario, kols: np.ndarray) -> float:
    """What a set of KOLs costs under the scenario's price model."""
    if kols.size == 0:
        return 0.0
    s = scenario.seeding
    followers = graph.out_degree()[kols].astype(np.float64)
    return float((s.kol_cost_base + s.kol_cost_rate * followers ** s.kol_cost_alpha).sum())


def select_seeds(graph, scenario, rng: np.random.Generator) -> np.ndarray:
    """The KOLs of a run: the scenario's strategy applied to its budget.

    A money budget (seeding.budget_money > 0) asks the strategy for a ranking as long
    as the money could buy at the cheapest price, then takes KOLs in rank order,
    skipping any that no longer fit: one mega-KOL or many micro-KOLs, as the prices say.
    """
    strategy = STRATEGIES[scenario.seeding.strategy]
    money = scenario.seeding.budget_money
    if money > 0:
        prices = kol_prices(graph, scenario)
        budget = int(min(graph.n, money // max(prices.min(), 1e-12)))
    else:
        budget = min(scenario.seeding.budget, graph.n)
    if budget == 0:
        return np.zeros(0, dtype=np.int32)
    try:
        seeds = np.asarray(strategy(graph, budget, rng, scenario), dtype=np.int32)
    except ValueError as exc:  # the strategy cannot serve this scenario (size, mode): the user's to fix
        from ..errors import ScenarioError
        raise ScenarioError(f"{scenario.source}: seeding.strategy = {scenario.seeding.strategy!r}: {exc}") from None
    if np.unique(seeds).size != seeds.size or seeds.size != budget:
        raise RuntimeError(f"strategy {scenario.seeding.strategy!r} returned {seeds.size} seeds "
                           f"({np.unique(seeds).size} distinct) for a budget of {budget}")
    if money > 0:
        keep, spent = [], 0.0
        for i, price in zip(seeds.tolist(), prices[seeds].tolist()):  # a loop over the budget
            if spent + price <= money:
                keep.append(i)
                spent += price
        seeds = np.asarray(keep, dtype=np.int32)
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


from . import basic, centrality, community, discount, influence  # noqa: E402,F401  (register the strategies)
