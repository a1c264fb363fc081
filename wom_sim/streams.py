"""Random streams (docs/model.md section 7), all spawned from scenario.seed with SeedSequence:

    spawn_key (0,)      the graph
    spawn_key (1,)      a seeding strategy that picks once per scenario
    spawn_key (1, r)    a seeding strategy that picks per replicate (random)
    spawn_key (2, r)    replicate r's dynamics

Replicate r draws the same numbers whatever the number of workers or machines, and two
scenarios that differ only in a policy or a strategy share their dynamics streams
(common random numbers).
"""
from __future__ import annotations

import numpy as np


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
