"""Bass mode (Rand & Rust 2011): adoption is the only change of state.

Each non-adopter adopts with probability min(1, p + q f), f the adopted fraction of
the agents it hears (in-neighbours; all others under complete mixing). Work follows
the active set: advertising hits are drawn as a Binomial count, imitation is evaluated
only for agents with at least one adopted neighbour, kept up to date from the new
adopters' out-arcs. Under complete mixing f is the same for everyone, so the number of
new adopters is one Binomial draw and who they are is the next slice of a permutation.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...graphs.kernels import bernoulli_arcs
from ...model import rules
from ...model.metrics import COUNTERS
from .replicate import Shared


def run_bass(eng: Shared, rng: np.random.Generator, on_step: Callable[[int], None] | None,
             kols: np.ndarray) -> np.ndarray:
    """One Bass replicate: the counters (model.metrics), shape (steps + 1, counters)."""
    sc, g, f = eng.sc, eng.g, eng.funnel
    n, steps = eng.n, sc.scenario.steps
    p, q = sc.wom.p_external, sc.wom.q_imitation
    col = {m: i for i, m in enumerate(COUNTERS)}
    out = np.zeros((steps + 1, len(COUNTERS) + f.n_codes), dtype=np.float64)
    action, unaware = len(COUNTERS) + f.ACTION, len(COUNTERS) + f.UNAWARE

    adopted = np.zeros(n, dtype=bool)
    adopted[kols] = True
    total = kols.size

    def record(t: int, new: int) -> None:
        out[t, col["aware"]] = out[t, col["adopters"]] = out[t, action] = total
        out[t, col["new_adopters"]] = new
        out[t, unaware] = n - total

    record(0, 0)
    if g.complete:
        rest = np.flatnonzero(~adopted)
        order = rest[rng.permutation(rest.size)]
        used = 0
        for t in range(1, steps + 1):
            frac = total / (n - 1) if n > 1 else 0.0
            n_new = int(rng.binomial(n - total, rules.bass_adoption_probability(p, q, frac)))
            adopted[order[used:used + n_new]] = True
            used += n_new
            total += n_new
            record(t, n_new)
            if on_step:
                on_step(t)
        return out

    indeg = np.maximum(g.in_degree(), 1).astype(np.float64)
    heard = np.zeros(n, dtype=np.int32)  # adopted agents this agent hears

    def spread(new_adopters: np.ndarray) -> np.ndarray:
        """Count the new adopters in their followers' `heard`; return the followers."""
        _, tg = bernoulli_arcs(g, new_adopters, 1.0, rng)
        if tg.size == 0:
            return np.zeros(0, dtype=np.int64)
        if tg.size * 16 > n:
            heard[:] += np.bincount(tg, minlength=n).astype(np.int32)
        else:
            np.add.at(heard, tg, 1)
        t_ = np.unique(tg.astype(np.int64))
        return t_[~adopted[t_]]

    exposed = spread(kols)  # non-adopters who hear at least one adopter
    for t in range(1, steps + 1):
        # hazard min(1, p + q f) split in two disjoint draws: advertising with p
        # for everyone (only hits drawn), then imitation for the exposed non-hits
        # with (min(1, p + q f) - p) / (1 - p).
        fr = heard[exposed] / indeg[exposed]
        hit = np.zeros(0, dtype=np.int64)
        if p > 0:
            k = rng.binomial(n, p)
            if k:
                hit = rng.choice(n, size=k, replace=False).astype(np.int64)
                hit = hit[~adopted[hit]]
                adopted[hit] = True
        not_hit = ~adopted[exposed]
        hazard = rules.bass_adoption_probability(p, q, fr[not_hit])
        extra = (hazard - p) / (1.0 - p) if p < 1 else np.zeros_like(hazard)
        cand = exposed[not_hit]
        imit = cand[rng.random(cand.size) < extra]
        adopted[imit] = True
        new = np.concatenate([hit, imit])
        total += new.size
        if new.size:
            fresh = spread(new)
            exposed = np.unique(np.concatenate([exposed[~adopted[exposed]], fresh]))
        record(t, int(new.size))
        if on_step:
            on_step(t)
    return out
