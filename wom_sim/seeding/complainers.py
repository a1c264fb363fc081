"""Who the initial complainers are (seeding.complainers, docs/model.md section 9.5):

    random          drawn per replicate from its dynamics stream (the engines do it)
    top_followers   the accounts with most followers (ties: the lower id first)
    labels          the agents seeding.complainer_labels names, in that order

For the two fixed choices this module gives an ORDER of candidates; each replicate's
complainers are the first initial_complainers of them that are not its KOLs (a KOL posts,
it does not complain). Both engines call `pick_from_order`, so the rule lives here once.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..graphs.csr import CSRGraph
from ..graphs.io import agent_label


def complainer_order(graph: CSRGraph, seeding: Any, source: str = "<scenario>") -> np.ndarray | None:
    """Candidates best first (int64), or None for random complainers. Enough of them for
    any replicate: initial_complainers + budget for top_followers (KOLs are skipped)."""
    k = seeding.complainer_count
    if seeding.complainers == "random" or k == 0:
        return None
    if seeding.complainers == "top_followers":
        followers = graph.out_degree()
        m = min(graph.n, k + seeding.budget + (1 if seeding.budget_money > 0 else 0) * graph.n)
        if m >= graph.n:
            top = np.arange(graph.n)
        else:
            top = np.argpartition(-followers, m - 1)[:m]
        return top[np.lexsort((top, -followers[top]))].astype(np.int64)
    names = graph.meta.get("labels")
    index = ({str(x): i for i, x in enumerate(names)} if names is not None else None)
    out, missing = [], []
    for lab in seeding.complainer_labels:
        key = str(lab)
        if index is not None:
            i = index.get(key)
        else:
            i = int(key) if key.lstrip("-").isdigit() and 0 <= int(key) < graph.n else None
        if i is None:
            missing.append(key)
        else:
            out.append(i)
    if missing:
        known = ", ".join(agent_label(graph, i) for i in range(min(graph.n, 5)))
        raise ScenarioError(f"{source}: seeding.complainer_labels names {', '.join(map(repr, missing[:5]))}"
                            f"{' and more' if len(missing) > 5 else ''}, not in the graph (its agents are named like "
                            f"{known}, ...); use the names of your edge list, or agent ids 0..{graph.n - 1}")
    return np.asarray(out, dtype=np.int64)


def pick_from_order(order: np.ndarray, k: int, kols: np.ndarray) -> np.ndarray:
    """The first k agents of `order` that are not KOLs (fewer if the order runs out)."""
    if kols.size:
        order = order[~np.isin(order, kols)]
    return order[:k]
