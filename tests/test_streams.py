"""streams.streams builds a batch's Generators together: they must be NumPy's
SeedSequence streams bit for bit (the numbers of every run depend on it), spawn()
included, for any seed and spawn key."""
from __future__ import annotations

import numpy as np
import pytest

from wom_sim import streams as S

SEEDS = [0, 1, 7, 2024, 2**32 - 1, 2**32, 2**40 + 5, 2**96 - 1, 2**127 + 3, 2**128, 2**130 + 11]


@pytest.mark.parametrize("key", [(2,), (1,), (2, 3), (), (2**33, 1)])
def test_the_same_generators_as_seedsequence(key, monkeypatch):
    slow: list[tuple] = []
    ref = S.stream
    monkeypatch.setattr(S, "stream", lambda *a: (slow.append(a), ref(*a))[1])
    rng = np.random.default_rng(0)
    for seed in SEEDS + rng.integers(0, 2**62, 10).tolist():
        reps = [0, 1, 2, 5, 99, 2**31, 2**32 - 1] + rng.integers(0, 2**32, 13).tolist()  # >= _FEW: vectorized
        for g, r in zip(S.streams(seed, key, reps), reps):
            want = ref(seed, *key, r)
            assert g.bit_generator.state == want.bit_generator.state, (seed, key, r)
            assert g.random(3).tolist() == want.random(3).tolist()
    assert not slow, "every replicate number of one word takes the vectorized path"


def test_spawned_children_are_seedsequence_children():
    fast = S.streams(9, (2,), list(range(4, 4 + S._FEW)))[0]  # a batch: the vectorized path
    want = S.stream(9, 2, 4)
    assert [c.random() for c in fast.spawn(2)] == [c.random() for c in want.spawn(2)]
    assert fast.spawn(1)[0].random() == want.spawn(1)[0].random()  # the next child, as NumPy counts them


def test_big_replicate_numbers_fall_back_to_numpy():
    reps = [3, 2**32, 2**40]
    got = S.streams(5, (2,), reps)
    assert [g.random() for g in got] == [S.stream(5, 2, r).random() for r in reps]
    assert S.streams(5, (2,), []) == []
    assert [g.random() for g in S.streams(5, (2,), [7, 8])] == [S.stream(5, 2, r).random() for r in (7, 8)]
