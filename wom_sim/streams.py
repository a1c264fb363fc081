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

import functools
from typing import Any, cast

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def streams(seed: int, key: tuple[int, ...], last: list[int]) -> list[np.random.Generator]:
    """[stream(seed, *key, r) for r in last]: the same Generators, bit for bit (and
    their spawn()), a quarter of the time (~2 us each against ~8 here). A batch of small replicates paid a
    sixth of its time building them (SeedSequence hashes its entropy word by word in
    Python; PCG64 then asks it for its state). Here the hash of the entropy common to
    all (seed and key) is computed once a run (_mix_prefix), the mixing of the last word r is
    vectorized over the replicates, and each PCG64 is seeded from its words through
    a seed sequence that holds them (_Seeded; spawn() gives the real children).
    tests/test_streams.py holds it to NumPy's SeedSequence."""
    if len(last) < _FEW:
        return [stream(seed, *key, int(x)) for x in last]
    r = np.asarray(last, dtype=np.int64)
    if r.min() < 0 or r.max() > _MASK32 or seed < 0:  # r of more than one word: NumPy's own way
        return [stream(seed, *key, int(x)) for x in last]
    # SeedSequence's mix_entropy: the words before r once per (seed, key), then r for
    # every replicate at once (uint64 arrays of 32-bit values)
    mixed, hc = _mix_prefix(seed, key)
    pool = [np.full(r.size, m, dtype=np.uint64) for m in mixed]
    ru = r.astype(np.uint64)
    for dst in range(_POOL):
        v, hc = _hashmix(ru, hc)
        pool[dst] = _mix(pool[dst], v)
    # generate_state(4, uint64): eight 32-bit words from the pool, paired little-endian
    hb = _INIT_B
    w = []
    for i in range(8):
        d = pool[i % _POOL] ^ np.uint64(hb)
        hb = (hb * _MULT_B) & _MASK32
        d = (d * np.uint64(hb)) & np.uint64(_MASK32)
        w.append(d ^ (d >> np.uint64(16)))
    state = np.stack([w[2 * k] | (w[2 * k + 1] << np.uint64(32)) for k in range(4)], axis=1)
    # (numpy's stubs name SeedSequence; PCG64 takes any ISeedSequence)
    return [np.random.Generator(np.random.PCG64(cast(Any, _Seeded(state[i], seed, (*key, int(x))))))
            for i, x in enumerate(last)]


# NumPy's SeedSequence constants (numpy/random/bit_generator.pyx, after M. O'Neill's seed_seq)
_MASK32 = 0xFFFFFFFF
_POOL = 4
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


#: fewer replicates than this are seeded by SeedSequence itself (the vectorized hash has
#: a fixed cost of some 40 array operations)
_FEW = 16


@functools.lru_cache(maxsize=64)
def _mix_prefix(seed: int, key: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """SeedSequence's mix_entropy over the words of (seed, key), before a last spawn-key
    word: the pool's four values and the running hash constant, the same for every
    replicate of a run (a batch's streams() call mixes in only the replicate's word)."""
    entropy = _words(seed)
    if len(entropy) < _POOL:  # a spawn key pads the run entropy to the pool size
        entropy += [0] * (_POOL - len(entropy))
    for k in key:
        entropy += _words(k)
    words = [np.array([x], dtype=np.uint64) for x in entropy]
    hc = _INIT_A
    pool = []
    for i in range(_POOL):
        v, hc = _hashmix(words[i], hc)
        pool.append(v)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                v, hc = _hashmix(pool[src], hc)
                pool[dst] = _mix(pool[dst], v)
    for src in range(_POOL, len(words)):
        for dst in range(_POOL):
            v, hc = _hashmix(words[src], hc)
            pool[dst] = _mix(pool[dst], v)
    return tuple(int(p[0]) for p in pool), hc


def _words(x: int) -> list[int]:
    """An int as SeedSequence's 32-bit words, least significant first (0 is one word)."""
    x = int(x)
    if x == 0:
        return [0]
    out = []
    while x > 0:
        out.append(x & _MASK32)
        x >>= 32
    return out


def _hashmix(value: np.ndarray, hc: int) -> tuple[np.ndarray, int]:
    """SeedSequence's hashmix of 32-bit values (a uint64 array) with the running hash
    constant `hc`: (the mixed values, the next constant)."""
    v = value ^ np.uint64(hc)
    hc = (hc * _MULT_A) & _MASK32
    v = (v * np.uint64(hc)) & np.uint64(_MASK32)
    return v ^ (v >> np.uint64(16)), hc


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """SeedSequence's mix of two arrays of 32-bit values (uint64 arrays)."""
    m = np.bitwise_and(np.uint64(_MIX_L) * x - np.uint64(_MIX_R) * y, np.uint64(_MASK32))
    return m ^ (m >> np.uint64(16))


class _Seeded(ISpawnableSeedSequence):
    """A seed sequence that already knows its PCG64 state words; spawn() and anything
    else come from the SeedSequence(entropy, spawn_key) it stands for, made when asked."""

    def __init__(self, state: np.ndarray, entropy: int, spawn_key: tuple[int, ...]) -> None:
        self.state = state
        self.entropy, self.spawn_key = entropy, spawn_key
        self._real: np.random.SeedSequence | None = None

    @property
    def real(self) -> np.random.SeedSequence:
        if self._real is None:
            self._real = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)
        return self._real

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words == 4 and np.dtype(dtype) == np.uint64:
            return self.state
        return self.real.generate_state(n_words, dtype)

    def spawn(self, n_children: int) -> list[Any]:  # SeedSequences, as NumPy's own
        return self.real.spawn(n_children)


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
