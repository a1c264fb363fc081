"""The two baseline strategies: random agents, and the agents with most followers."""
from __future__ import annotations

import numpy as np


def random_seeds(graph, budget: int, rng: np.random.Generator, scenario=None) -> np.ndarray:
    """Uniformly random distinct agents: the baseline every strategy must beat."""
    return rng.choice(graph.n, size=budget, replace=False).astype(np.int32)


def top_degree(graph, budget: int, rng: np.random.Generator, scenario=None) -> np.ndarray:
    """The `budget` agents with most followers (out-degree); ties go to the lower id.

    argpartition keeps this O(n) on graphs of millions of agents.
    """
    deg = graph.out_degree()
    n = deg.size
    if budget >= n:
        order = np.lexsort((np.arange(n), -deg))
        return order[:budget].astype(np.int32)
    # candidates: everything with degree >= the budget-th largest degree
    kth = np.partition(deg, n - budget)[n - budget]
    cand = np.flatnonzero(deg >= kth)
    order = cand[np.lexsort((cand, -deg[cand]))]
    return order[:budget].astype(np.int32)
