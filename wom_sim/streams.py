"""Random streams (docs/model.md section 7), all spawned from scenario.seed with SeedSequence:

    spawn_key (0,)      the graph
    spawn_key (1,)      a seeding strategy that picks once per scenario
    spawn_key (1, r)    a seeding strategy that picks per replicate (random)
    spawn_key (2, r)    replicate r's dynamics

A batch of replicates (the NumPy core runs many at once on small graphs) draws through
`Draws`, which keeps every replicate on its own stream: the numbers do not depend on
the batch size.

Replicate r draws the same numbers whatever the number of workers or machines, and two
scenarios that differ only in a policy or a strategy share their dynamics streams
(common random numbers).
"""
from __future__ import annotations

import numpy as np


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class Draws:
    """The uniform random numbers of a batch of replicates, each from its own stream.

    Replicate r's numbers are the doubles of its own Generator (``gens[r].random()``),
    consumed strictly in order, so a replicate draws the same numbers whether it runs
    alone or in a batch of any size: every sampler of the batched engine is written on
    these uniforms, asking for ``counts[r]`` numbers for replicate r at each call.

    A batch keeps a row of pre-drawn numbers per replicate, so one call serves all B
    replicates with a few array operations (a gather), not B Generator calls; a row is
    refilled from its Generator when it runs short (doubles are drawn one 64-bit output
    each, so refills do not change the sequence), and a request larger than half a row
    is served straight from the Generator. A batch of one skips the rows.

    >>> import numpy as np
    >>> solo = [Draws([stream(1, 2, r)]).uniform(np.array([3])) for r in range(2)]
    >>> both = Draws([stream(1, 2, 0), stream(1, 2, 1)]).uniform(np.array([3, 3]))
    >>> bool((np.concatenate(solo) == both).all())
    True
    """

    #: numbers kept in the rows of all replicates together (2 MB): a row is refilled
    #: often enough, and a replicate that ends leaves few numbers drawn for nothing
    POOL = 1 << 18

    def __init__(self, gens: list[np.random.Generator]) -> None:
        self.gens = list(gens)
        self.B = len(self.gens)
        self.row = int(min(8192, max(128, self.POOL // max(self.B, 1))))
        if self.B > 1:
            self.buf = np.empty((self.B, self.row), dtype=np.float64)
            self.ptr = np.full(self.B, self.row, dtype=np.int64)  # all rows empty

    def uniform(self, counts: np.ndarray) -> np.ndarray:
        """`counts[r]` uniforms in [0, 1) for each replicate r, replicate-major."""
        if self.B == 1:
            return self.gens[0].random(int(np.sum(counts)))
        counts = np.asarray(counts, dtype=np.int64)
        left = self.row - self.ptr
        short = np.flatnonzero(counts > left)
        big: list[int] = []
        for r in short.tolist():
            if counts[r] > self.row // 2:
                big.append(r)
            else:  # refill: the rest of the row, then fresh numbers
                rest = self.buf[r, self.ptr[r]:].copy()
                self.buf[r, :rest.size] = rest
                self.gens[r].random(self.row - rest.size, out=self.buf[r, rest.size:])
                self.ptr[r] = 0
        if not big:
            total = int(counts.sum())
            if total > 400 * self.B:  # long runs: copy each replicate's slice of its row (a loop
                # iteration costs ~0.6 us, a gathered number ~1.5 ns: the crossover)
                out = np.empty(total, dtype=np.float64)
                at = 0
                for r in np.flatnonzero(counts).tolist():
                    c, p = int(counts[r]), int(self.ptr[r])
                    out[at:at + c] = self.buf[r, p:p + c]
                    at += c
            else:  # short runs: one gather
                out = self.buf.ravel()[ranges(np.arange(self.B, dtype=np.int64) * self.row + self.ptr, counts)]
            self.ptr += counts
            return out
        out = np.empty(int(counts.sum()), dtype=np.float64)
        starts = np.cumsum(counts) - counts
        small = counts.copy()
        small[big] = 0
        idx = ranges(np.arange(self.B, dtype=np.int64) * self.row + self.ptr, small)
        out[ranges(starts, small)] = self.buf.ravel()[idx]
        self.ptr += small
        for r in big:  # the rest of the row, then straight from the Generator
            rest = self.buf[r, self.ptr[r]:]
            s = int(starts[r])
            out[s:s + rest.size] = rest
            self.gens[r].random(int(counts[r]) - rest.size, out=out[s + rest.size:s + int(counts[r])])
            self.ptr[r] = self.row
        return out

    def uniform_for(self, rep: np.ndarray | None, size: int | None = None, each: int = 1) -> np.ndarray:
        """`each` uniforms per element (consecutive numbers of its stream), element i
        from replicate rep[i]'s stream; the elements of one replicate take its numbers
        in their order in the array. `rep` None: a batch of one, `size` elements.
        Returns size * each numbers, element-major."""
        n = rep.size if rep is not None else int(size or 0)
        if self.B == 1 or rep is None:
            return self.gens[0].random(n * each)
        if rep.size == 0:
            return np.zeros(0, dtype=np.float64)
        counts = np.bincount(rep, minlength=self.B) * each
        if rep.size < 2 or bool((rep[1:] >= rep[:-1]).all()):  # replicates apart: no sort
            return self.uniform(counts)
        order = np.argsort(rep, kind="stable")
        out = np.empty((rep.size, each), dtype=np.float64)
        out[order] = self.uniform(counts).reshape(rep.size, each)
        return out.reshape(-1)


    def uniform_runs(self, rep: np.ndarray | None, lengths: np.ndarray) -> np.ndarray:
        """`lengths[i]` uniforms for each element i of replicate rep[i]'s stream, element
        after element (uniform_for with each element repeated lengths[i] times), without
        building the repeated replicate array when the elements are replicate-ordered."""
        if self.B == 1 or rep is None:
            return self.gens[0].random(int(np.sum(lengths)))
        if rep.size < 2 or bool((rep[1:] >= rep[:-1]).all()):
            return self.uniform(np.bincount(rep, weights=lengths, minlength=self.B).astype(np.int64))
        return self.uniform_for(np.repeat(rep, lengths))


def as_draws(source: Draws | np.random.Generator) -> Draws:
    """A Draws for a batch of one when given a plain Generator (tests, one-off calls)."""
    return source if isinstance(source, Draws) else Draws([source])


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenated index ranges starts[i] : starts[i] + counts[i] (int64): the
    gather of the draws' rows here, and the graph kernels' arcs of many agents
    (wom_sim.graphs.kernels uses this one).

    >>> ranges(np.array([10, 3]), np.array([2, 3])).tolist()
    [10, 11, 3, 4, 5]
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(np.asarray(starts, dtype=np.int64) - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + shift
