"""KOL seeding: the strategies (one module per family) and the plan of a run.

A strategy is a function ``select(graph, budget, rng, scenario) -> int32 array`` of
distinct agent ids, best first, named in the catalog (wom_sim.catalogs.STRATEGIES);
add your own with ``wom_sim.catalogs.register_strategy``.

    basic        random, degree
    centrality   pagerank, kcore
    discount     degree_discount
    community    community
    influence    greedy (CELF), ris (OPIM-C or IMM)
    plan         select_seeds, SeedPlan, plan_seeds, KOL prices
"""
from __future__ import annotations

from ..catalogs import STRATEGIES
from .plan import KOL_COLUMNS, SeedPlan, kol_cost, kol_rows, plan_seeds, prices, select_seeds, strategy

__all__ = ["STRATEGIES", "KOL_COLUMNS", "SeedPlan", "kol_cost", "kol_rows", "plan_seeds", "prices", "select_seeds",
           "strategy"]
