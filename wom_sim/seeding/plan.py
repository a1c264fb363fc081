"""Which KOLs a run starts with: the scenario's strategy (from the catalog) applied to
its budget, once per scenario or afresh per replicate (random)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalogs import STRATEGIES
from ..errors import ScenarioError
from ..graphs.csr import CSRGraph
from ..graphs.io import agent_label
from ..model.metrics import kol_cost as metrics_kol_cost
from ..model.metrics import kol_prices
from ..streams import stream


def strategy(name: str) -> Any:
    """The implementation of a catalogued strategy (imported on first use)."""
    return STRATEGIES[name].load()


def prices(graph: CSRGraph, scenario: Any) -> np.ndarray:
    """Price of every agent as a KOL under the scenario's price model."""
    return kol_prices(graph.out_degree(), scenario.seeding)


#: the columns of kols.csv (run and compare-seeding): who was paid, in the user's own labels
KOL_COLUMNS = ["strategy", "budget", "replicate", "rank", "agent", "followers", "cost"]


def kol_rows(graph: CSRGraph, scenario: Any, picks: list[tuple[int | None, np.ndarray]]) -> list[list[Any]]:
    """Rows of kols.csv for picks [(replicate or None for every replicate, KOL ids best
    first)]: the agent as the edge list named it, its followers (out-degree) and price."""
    price = prices(graph, scenario)
    followers = graph.out_degree()
    s = scenario.seeding
    budget = s.budget_money if s.budget_money > 0 else s.budget
    return [[s.strategy, budget, "" if rep is None else rep, rank, agent_label(graph, int(k)),
             int(followers[k]), float(price[k])]
            for rep, kols in picks for rank, k in enumerate(np.asarray(kols).tolist(), start=1)]


def kol_cost(graph: CSRGraph, scenario: Any, kols: np.ndarray) -> float:
    """What a set of KOLs costs under the scenario's price model."""
    return metrics_kol_cost(graph.out_degree()[np.asarray(kols, dtype=np.int64)], scenario.seeding)


def select_seeds(graph: CSRGraph, scenario: Any, rng: np.random.Generator) -> np.ndarray:
    """The KOLs of a run: the scenario's strategy applied to its budget.

    A money budget (seeding.budget_money > 0) asks the strategy for a ranking as long
    as the money could buy at the cheapest price, then takes KOLs in rank order,
    skipping any that no longer fit: one mega-KOL or many micro-KOLs, as the prices say.
    """
    name = scenario.seeding.strategy
    money = scenario.seeding.budget_money
    price = prices(graph, scenario) if money > 0 else None
    if price is not None:
        budget = int(min(graph.n, money // max(price.min(), 1e-12)))
    else:
        budget = min(scenario.seeding.budget, graph.n)
    if budget == 0:
        return np.zeros(0, dtype=np.int32)
    try:
        seeds = np.asarray(strategy(name)(graph, budget, rng, scenario), dtype=np.int32)
    except ValueError as exc:  # the strategy cannot serve this scenario (size, mode): the user's to fix
        raise ScenarioError(f"{scenario.source}: seeding.strategy = {name!r}: {exc}") from None
    # a strategy returns `budget` distinct agents, best first; for the net_npv objective
    # it may return fewer: the KOLs that pay for themselves (ris does)
    fewer_ok = scenario.seeding.objective == "net_npv" and seeds.size < budget
    if np.unique(seeds).size != seeds.size or (seeds.size != budget and not fewer_ok):
        raise RuntimeError(f"strategy {name!r} returned {seeds.size} seeds "
                           f"({np.unique(seeds).size} distinct) for a budget of {budget}")
    if price is not None:
        keep, spent = [], 0.0
        for i, p in zip(seeds.tolist(), price[seeds].tolist()):  # a loop over the budget
            if spent + p <= money:
                keep.append(i)
                spent += p
        seeds = np.asarray(keep, dtype=np.int32)
    return seeds


@dataclass
class SeedPlan:
    """Which KOLs each replicate starts with: one fixed pick, or a pick per replicate."""
    graph: CSRGraph
    scenario: Any
    fixed: np.ndarray | None
    seconds: float = 0.0  # time the fixed pick took

    @property
    def per_replicate(self) -> bool:
        return self.fixed is None

    def for_replicate(self, r: int) -> np.ndarray:
        """Replicate r's KOLs (a per-replicate pick draws from stream (seed, 1, r))."""
        if self.fixed is not None:
            return self.fixed
        return select_seeds(self.graph, self.scenario, stream(self.scenario.scenario.seed, 1, r))

    def kol_table(self) -> list[list[Any]]:
        """kols.csv rows: the fixed pick, or each replicate's pick (per-replicate strategies)."""
        if self.fixed is not None:
            return kol_rows(self.graph, self.scenario, [(None, self.fixed)])
        return kol_rows(self.graph, self.scenario,
                        [(r, self.for_replicate(r)) for r in range(self.scenario.scenario.replicates)])

    def describe(self) -> list[int] | str:
        """What summary.json records: the KOL ids, or how they were drawn."""
        if self.fixed is None:
            return f"drawn per replicate ({self.scenario.seeding.strategy})"
        return self.fixed.tolist() if self.fixed.size <= 1000 else f"{self.fixed.size} agents"


def plan_seeds(graph: CSRGraph, scenario: Any) -> SeedPlan:
    """The seed plan of a scenario on a graph (a fixed pick uses stream (seed, 1))."""
    if STRATEGIES[scenario.seeding.strategy].per_replicate:
        return SeedPlan(graph, scenario, None)
    t0 = time.perf_counter()
    fixed = select_seeds(graph, scenario, stream(scenario.scenario.seed, 1))
    return SeedPlan(graph, scenario, fixed, time.perf_counter() - t0)
