"""Influence maximisation: CELF greedy and RIS (IMM) on an independent-cascade
approximation of the scenario.

Both strategies optimise the same objective, the expected reach of a seed set in the
IC model returned by :func:`ic_approximation`:

* **first hop** -- a KOL's one broadcast reaches each follower independently with
  ``first`` (``seeding.kol_reach``);
* **later hops** -- an agent who heard the message passes it on along each out-arc
  independently with the arc's transmissibility ``p_a`` (uniform, per source agent,
  or per arc; formulas in :func:`ic_approximation`).

The objective and its live-edge formulation are documented in wom_sim.model.theory,
which builds the IC model (`ic_approximation`). reach(S) is monotone and submodular, so
greedy is (1 - 1/e)-optimal, and CELF's lazy evaluations are exact on any fixed set of
worlds.

* ``greedy``: CELF lazy greedy (Leskovec et al. 2007) on R pre-drawn live-edge worlds
  (common random numbers: every marginal gain is measured on the same worlds, so the
  sample average is itself submodular and CELF returns exactly plain greedy's seeds).
  For graphs up to 20,000 agents.
* ``ris``: reverse-reachable sets, (1 - 1/e - eps)-approximate with probability
  1 - 1/n, for graphs of millions: OPIM-C (Tang, Tang, Xiao & Yuan 2018), which
  stops once two independent samples certify the ratio (:func:`opim`), or IMM's
  worst-case sample bound (Tang, Shi & Xiao 2015, :func:`imm`); when RR sets are huge
  (a supercritical cascade) they stop at a few "sentinel" hubs (hit and stop).

Statistics of the last call of each strategy (evaluations, RR sets, timings) are kept
in :data:`LAST_STATS`.
"""
from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..graphs.csr import CSRGraph, group_by_key, repeat_index, transpose
from ..graphs.kernels import ranges, success_positions
from ..model.metrics import kol_prices
from ..model.theory import ICModel, ic_approximation
from .centrality import check_budget
from .progress import report

#: statistics of the last call of each strategy, by strategy name
LAST_STATS: dict[str, dict] = {}

#: greedy keeps R live-edge worlds of the whole graph in memory: this size is its limit
GREEDY_MAX_AGENTS = 20_000

_EMPTY_I64 = np.zeros(0, dtype=np.int64)


def _model_for(graph: CSRGraph, scenario, model: ICModel | None, p: float | None,
               timed: bool | None = None) -> ICModel:
    """The given model, else the scenario's IC: time-bounded with a scenario unless
    ``timed`` is False (greedy and ris judge seeds at the scenario's horizon)."""
    if model is not None:
        return model
    return ic_approximation(graph, scenario, p=p, timed=scenario is not None and timed is not False)


def _by_step(steps: np.ndarray, *arrays: np.ndarray) -> Iterator[tuple[int, list[np.ndarray]]]:
    """The integer-bucket queue of the timed searches: `arrays` (aligned with `steps`)
    split into runs of one step each, ascending: (step, the arrays' slices)."""
    if steps.size == 0:
        return
    order = np.argsort(steps, kind="stable")
    steps = steps[order]
    parts = [x[order] for x in arrays]
    cuts = np.flatnonzero(np.diff(steps)) + 1
    for a, b in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [steps.size]))):
        yield int(steps[a]), [x[a:b] for x in parts]


# ============================================================================ sampling

def _sample_arcs(ptr: np.ndarray, nodes: np.ndarray, prob, pmax: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each arc of `nodes`' rows (in CSR `ptr`) succeeds independently with its
    probability (`prob`: a scalar, or an array over arcs whose maximum is `pmax`).

    Candidates are drawn at rate pmax by geometric skips (cost follows the hits, not
    the arcs), then thinned to prob[arc] / pmax. Returns (owner index into nodes, arc).
    """
    starts = ptr[nodes]
    deg = ptr[nodes + 1] - starts
    total = int(deg.sum())
    if total == 0 or pmax <= 0:
        return _EMPTY_I64, _EMPTY_I64
    ends = np.cumsum(deg)
    pos = success_positions(rng, total, pmax)
    owner = np.searchsorted(ends, pos, side="right")
    arc = starts[owner] + (pos - (ends[owner] - deg[owner]))
    if not np.isscalar(prob) and arc.size:
        keep = rng.random(arc.size) * pmax < prob[arc]
        owner, arc = owner[keep], arc[keep]
    return owner, arc


def _ranges(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenated index ranges ptr[r]:ptr[r+1] of `rows`."""
    return ranges(ptr[rows], ptr[rows + 1] - ptr[rows])


# ============================================================================ greedy / CELF

class LiveEdgeSpread:
    """spread(S) averaged over R pre-drawn live-edge worlds (common random numbers).

    World r is stored as part of one big disjoint "union graph" whose agent r*n + v is
    agent v in world r: a BFS over it runs all worlds at once. (Agent-major, v*R + r,
    was tried: no faster, a search is dominated by its ~50 levels' NumPy calls.) Two arc sets per world:
    live (U < p_a) and first-hop live (U < max(first, p_a), a superset).

    Incremental use (greedy): :meth:`gain` is the number of (world, agent) pairs that a
    new seed would add to the current reach (summed over worlds: an integer, so ties are
    exact), :meth:`add` commits a seed. :attr:`evaluations` counts gain calls.
    """

    def __init__(self, graph: CSRGraph, model: ICModel, samples: int,
                 rng: np.random.Generator, max_stored_arcs: int = 60_000_000) -> None:
        if graph.complete:
            raise ValueError("live-edge worlds need stored arcs; complete mixing has none")
        n, R = graph.n, int(samples)
        if R < 1:
            raise ValueError("samples must be >= 1")
        self.n, self.R = n, R
        m = graph.indices.size
        src = graph.arc_sources(np.int64)
        kfirst = float(model.first)
        if model.uniform:
            assert model.p is not None
            c = max(kfirst, float(model.p))
        else:
            pa = model.arc_probs(graph)
            c = float(np.maximum(pa, kfirst).max()) if m else 0.0
        expected = R * m * c
        if expected > max_stored_arcs:
            raise ValueError(f"{R} live-edge worlds of this graph hold ~{expected:.3g} arcs "
                             f"(limit {max_stored_arcs:.3g}): use fewer samples or the ris strategy")
        N = n * R
        self.idx = np.int32 if N < 2**31 - 1 else np.int64
        parts1, parts2 = [], []
        # draw the worlds in chunks of positions over R*m "world arcs"
        step = max(1, 20_000_000 // max(m, 1))
        for r0 in range(0, R, step):
            r1 = min(R, r0 + step)
            pos = success_positions(rng, (r1 - r0) * m, c)
            r = pos // m + r0 if m else pos
            a = pos - (r - r0) * m
            x = rng.random(pos.size) * c
            pl = model.p if model.p is not None else pa[a]  # model.uniform: one p for every arc
            l1 = x < np.maximum(kfirst, pl)
            l2 = x < pl
            usrc = r * n + src[a]
            udst = r * n + graph.indices[a]
            parts1.append((usrc[l1], udst[l1]))
            parts2.append((usrc[l2], udst[l2]))
        self.first_ptr, self.first_dst = self._csr(N, parts1)
        self.live_ptr, self.live_dst = self._csr(N, parts2)
        self.base = np.arange(R, dtype=np.int64) * n
        self._COVERED = np.iinfo(np.int32).max
        self.mark = np.zeros(N, dtype=np.int32)     # current token / COVERED / older
        self.scratch = np.zeros(N, dtype=np.int32)  # dedup helper
        self.token = 0
        self.covered = 0       # (world, agent) pairs reached by the committed seeds
        self.seeds: list[int] = []
        self.evaluations = 0

    def _csr(self, N: int, parts) -> tuple[np.ndarray, np.ndarray]:
        s = np.concatenate([p[0] for p in parts]) if parts else _EMPTY_I64
        d = np.concatenate([p[1] for p in parts]) if parts else _EMPTY_I64
        # positions were ascending, so arcs are sorted by (world, source): no sort
        ptr = np.zeros(N + 1, dtype=np.int64)
        np.cumsum(np.bincount(s, minlength=N), out=ptr[1:])
        return ptr, d.astype(self.idx)

    def _unique_new(self, x: np.ndarray) -> np.ndarray:
        """Entries of x not yet visited (this evaluation) nor covered, deduplicated."""
        x = x[self.mark[x] < self.token]
        if x.size > 1:
            self.scratch[x] = np.arange(x.size, dtype=np.int32)
            x = x[self.scratch[x] == np.arange(x.size, dtype=np.int32)]
        self.mark[x] = self.token
        return x

    def _reach_new(self, u: int) -> np.ndarray:
        """(world, agent) pairs that seed u adds to the committed reach."""
        self.token += 1
        start = self.base + u
        first = self.first_dst[_ranges(self.first_ptr, start)]
        front = self._unique_new(np.concatenate([start, first]))
        found = [front]
        while front.size:
            nb = self.live_dst[_ranges(self.live_ptr, front)]
            front = self._unique_new(nb)
            if front.size:
                found.append(front)
        return np.concatenate(found) if len(found) > 1 else found[0]

    def singleton_bounds(self) -> np.ndarray:
        """An upper bound on gain(u) for every agent u with no seed committed, for all
        agents at once: CELF starts from these instead of evaluating every agent (that
        first pass was most of greedy's time; only agents whose bound beats the current
        best are then evaluated, most after the first seeds have covered the hubs'
        reach, when a search is short).

        In the live graph of all worlds, condensed into its strongly connected
        components (a DAG), U(C) = |C| + sum of U over C's successors bounds the reach
        of C (a union is at most the sum of its parts), solved as the triangular system
        (I - M) U = sizes. A seed reaches itself and its first-hop targets' live reach:
        bound 1 + sum of U over its first-hop arcs, summed over the worlds.
        """
        from scipy.sparse import csr_matrix, identity
        from scipy.sparse.csgraph import connected_components
        from scipy.sparse.linalg import spsolve_triangular

        n, R = self.n, self.R
        N = n * R
        live = csr_matrix((np.ones(self.live_dst.size, dtype=np.int8), self.live_dst, self.live_ptr), shape=(N, N))
        nc, lab = connected_components(live, directed=True, connection="strong")
        del live
        cs = lab[repeat_index(np.diff(self.live_ptr), np.int64)]
        cd = lab[self.live_dst]
        keep = cs != cd
        key = np.unique(cs[keep].astype(np.int64) * nc + cd[keep])
        cs, cd = key // nc, key % nc
        sizes = np.bincount(lab, minlength=nc).astype(np.float64)
        if np.all(cd < cs):  # scipy numbers the components sinks first (checked, not assumed)
            m = identity(nc, format="csr") - csr_matrix((np.ones(cs.size), (cs, cd)), shape=(nc, nc))
            reach = spsolve_triangular(m, sizes, lower=True)
        else:  # pragma: no cover - another numbering: relax to the fixed point (DAG depth)
            reach = sizes.copy()
            while True:
                nxt = sizes + np.bincount(cs, weights=reach[cd], minlength=nc)
                if np.array_equal(nxt, reach):
                    break
                reach = nxt
        first_src = repeat_index(np.diff(self.first_ptr), np.int64)
        pair = 1.0 + np.bincount(first_src, weights=reach[lab[self.first_dst]], minlength=N)
        # + a small margin: the solve is floating point, the gains exact integers
        return pair.reshape(R, n).sum(axis=0) * (1 + 1e-9) + 1e-6

    def reset(self) -> None:
        self.mark[:] = 0
        self.token = 0
        self.covered = 0
        self.seeds = []

    def gain(self, u: int) -> int:
        """Marginal reach of u summed over the R worlds (divide by R for a mean)."""
        self.evaluations += 1
        return int(self._reach_new(int(u)).size)

    def add(self, u: int) -> int:
        new = self._reach_new(int(u))
        self.mark[new] = self._COVERED
        self.covered += new.size
        self.seeds.append(int(u))
        return int(new.size)

    #: pairs that count with no seed (advertising, in the timed worlds)
    baseline = 0

    def _counting(self) -> np.ndarray:
        """Which (world, agent) pairs the committed seeds make count."""
        return self.mark == self._COVERED

    def _state(self) -> tuple:
        return (self.mark.copy(), self.token, self.covered, list(self.seeds), self.evaluations)

    def _set_state(self, state: tuple) -> None:
        self.mark, self.token, self.covered, self.seeds, self.evaluations = state

    def _with_seeds(self, seeds, measure):
        """measure() with exactly `seeds` committed; the committed state is kept."""
        saved = self._state()
        self.reset()
        for u in np.unique(np.asarray(seeds, dtype=np.int64)):
            self.add(int(u))
        try:
            return measure()
        finally:
            self._set_state(saved)

    def spread(self, seeds) -> float:
        """Mean reach of a seed set over the worlds (does not change the committed state)."""
        return self._with_seeds(seeds, lambda: (self.covered + self.baseline) / self.R)

    def reach_per_world(self, seeds) -> np.ndarray:
        """|reach(S)| in each world (for the exact-estimator test)."""
        return self._with_seeds(seeds, lambda: np.bincount(np.flatnonzero(self._counting()) // self.n,
                                                            minlength=self.R))


class TimedLiveEdgeSpread(LiveEdgeSpread):
    """LiveEdgeSpread on the time-bounded IC (model.timing, a HopTiming): besides its
    live arcs, world r draws a telling delay for each live arc and a purchase time tau
    for each agent, and a pair counts when it is reached in time: a KOL at once, an
    agent that hears in step h when h + tau <= horizon (h <= horizon for the aware
    objective). A KOL's followers hear in step 2 (first-hop-live arcs); a hearer tells
    along its live arcs after tau + delay, heard one step later.

    A pair counts for a seed set when some seed reaches it in time, so the objective is
    still a union over seeds (monotone, submodular in each world) and CELF applies, from
    bounds by the horizon (:meth:`singleton_bounds`; the unbounded reach's are valid too,
    and looser).
    Unlike the unbounded case a covered pair cannot stop a search: a new seed may reach
    it sooner, and its followers sooner still. So the committed seeds keep each pair's
    earliest hearing step (`best`), and a search goes on through a pair only when it
    gets there strictly earlier (a search in steps, from the horizon's first step up).
    """

    def __init__(self, graph: CSRGraph, model: ICModel, samples: int,
                 rng: np.random.Generator, max_stored_arcs: int = 60_000_000) -> None:
        super().__init__(graph, model, samples, rng, max_stored_arcs)
        tm = model.timing
        assert tm is not None, "a time-bounded model (ic_approximation(..., timed=True))"
        self.timing = tm
        N = self.n * self.R
        # drawn after the worlds' arcs, so the arcs are those of the unbounded worlds
        self.tau = np.searchsorted(tm.buy_cdf, rng.random(N), side="right").astype(np.int32)
        self.delay = np.searchsorted(tm.tell_cdf, rng.random(self.live_dst.size), side="right").astype(np.int32)
        self.need = np.zeros(N, dtype=np.int32) if tm.count_aware else self.tau
        self._NEVER = np.iinfo(np.int32).max // 2
        self._SEED = -(tm.horizon + 2)   # a KOL counts at once, whatever its tau
        self.best = np.full(N, self._NEVER, dtype=np.int32)   # the committed seeds' earliest hearing step
        self.arr = np.zeros(N, dtype=np.int32)                 # this search's
        # advertising: each pair's first ad, a step from 1 on with p_external (kept by the horizon)
        p_ext = tm.p_external
        if p_ext > 0:
            first = np.ceil(np.log1p(-rng.random(N)) / math.log1p(-p_ext)).astype(np.int64)
            self.ad_pairs = np.flatnonzero((first >= 1) & (first <= tm.horizon))
            self.ad_steps = first[self.ad_pairs]
        else:
            self.ad_pairs = self.ad_steps = np.zeros(0, dtype=np.int64)
        self.baseline = 0
        self.reset()

    def reset(self) -> None:
        """No seed; with advertising, the pairs the ads make count come first (their
        cascades too): a seed's gain is what it adds to them, as in the engine."""
        super().reset()
        self.best.fill(self._NEVER)
        self.baseline = 0
        if self.ad_pairs.size:
            self.token += 1
            T = self.timing.horizon
            buckets: list[list[np.ndarray]] = [[] for _ in range(T + 1)]
            for step, (pairs,) in _by_step(self.ad_steps, self.ad_pairs):
                buckets[step].append(pairs)
            x = self._walk(buckets, [], 1)
            self.best[x] = self.arr[x]
            self.baseline = int(np.count_nonzero(self._counting()))

    def singleton_bounds(self) -> np.ndarray:
        """An upper bound on every agent's gain with no seed committed, by the horizon:
        the time-expanded path count. C(x, t), the pairs a pair x heard in step t makes
        count (itself included), is at most [t + need(x) <= T] plus the sum over its live
        arcs of C(child, t + tau(x) + delay + 1), and at most n in a world; computed for
        every t from T down, a world chunk at a time (a union is at most the sum of its
        parts). A seed: 1 + the sum of C(follower, 2) over its first-hop arcs. Much
        tighter than the unbounded reach when the horizon allows a few hops."""
        n, R, T, lo = self.n, self.R, self.timing.horizon, self.timing.first_read
        out = np.zeros(n, dtype=np.float64)
        chunk = max(1, (64 << 20) // (4 * n * (T + 2)))
        for r0 in range(0, R, chunk):
            r1 = min(R, r0 + chunk)
            P, off = (r1 - r0) * n, r0 * n
            lp = self.live_ptr[off:off + P + 1]
            src = repeat_index(np.diff(lp), np.int64)
            dst = self.live_dst[lp[0]:lp[-1]].astype(np.int64) - off
            step = self.tau[off:off + P][src] + self.delay[lp[0]:lp[-1]] + 1
            need = self.need[off:off + P]
            C = np.zeros((T + 2, P), dtype=np.float32)   # row T + 1: heard too late, counts nothing
            for t in range(T, lo - 1, -1):
                nxt = np.minimum(t + step, T + 1)
                row = np.bincount(src, weights=C[nxt, dst], minlength=P)
                row += t + need <= T
                np.minimum(row, n, out=row)
                C[t] = row
            fp = self.first_ptr[off:off + P + 1]
            fsrc = repeat_index(np.diff(fp), np.int64)
            fdst = self.first_dst[fp[0]:fp[-1]].astype(np.int64) - off
            seed = 1.0 + (np.bincount(fsrc, weights=C[lo, fdst], minlength=P) if lo <= T else 0.0)
            out += np.minimum(seed, n).reshape(r1 - r0, n).sum(axis=0)
        # + a small margin: float32 sums, exact integer gains
        return out * (1 + 1e-5) + 1e-3

    def _search(self, u: int) -> np.ndarray:
        """The pairs that seed u reaches strictly earlier than the committed seeds do
        (their steps in self.arr): KOL pairs first, then by hearing step."""
        self.token += 1
        T, first_read, token = self.timing.horizon, self.timing.first_read, self.token
        mark, best, arr = self.mark, self.best, self.arr
        start = (self.base + u).astype(np.int64)
        start = start[self._SEED < best[start]]
        mark[start] = token
        arr[start] = self._SEED
        buckets: list[list[np.ndarray]] = [[] for _ in range(T + 1)]
        if first_read <= T:
            buckets[first_read].append(self.first_dst[_ranges(self.first_ptr, start)].astype(np.int64))
        return self._walk(buckets, [start], first_read)

    def _walk(self, buckets: list[list[np.ndarray]], found: list[np.ndarray], t0: int) -> np.ndarray:
        """The search in steps from the pairs heard in each bucket (step t: buckets[t])
        from step t0 on, in the current token: a pair is taken at its earliest step, and
        only where that is earlier than the committed seeds' (self.best)."""
        T, token = self.timing.horizon, self.token
        mark, best, arr, scratch = self.mark, self.best, self.arr, self.scratch
        for t in range(t0, T + 1):
            if not buckets[t]:
                continue
            x = np.concatenate(buckets[t]) if len(buckets[t]) > 1 else buckets[t][0]
            buckets[t] = []
            x = x[(mark[x] != token) & (t < best[x])]
            if x.size > 1:  # each pair once
                scratch[x] = np.arange(x.size, dtype=np.int32)
                x = x[scratch[x] == np.arange(x.size, dtype=np.int32)]
            if x.size == 0:
                continue
            mark[x] = token
            arr[x] = t
            found.append(x)
            tell = x[t + self.tau[x] + 1 <= T]  # bought in time to be heard by the horizon
            if tell.size == 0:
                continue
            starts = self.live_ptr[tell]
            deg = self.live_ptr[tell + 1] - starts
            arcs = ranges(starts, deg)
            heard = t + np.repeat(self.tau[tell], deg) + self.delay[arcs] + 1
            dst = self.live_dst[arcs].astype(np.int64)
            ok = heard <= T
            dst, heard = dst[ok], heard[ok]
            for step, (d,) in _by_step(heard, dst):
                buckets[step].append(d)
        return np.concatenate(found) if len(found) > 1 else found[0]

    def _newly_counting(self, x: np.ndarray) -> np.ndarray:
        T = self.timing.horizon
        need = self.need[x]
        return (self.arr[x] + need <= T) & (self.best[x] + need > T)

    def gain(self, u: int) -> int:
        self.evaluations += 1
        return int(np.count_nonzero(self._newly_counting(self._search(int(u)))))

    def add(self, u: int) -> int:
        x = self._search(int(u))
        new = int(np.count_nonzero(self._newly_counting(x)))
        self.best[x] = self.arr[x]
        self.covered += new
        self.seeds.append(int(u))
        return new

    def _counting(self) -> np.ndarray:
        return self.best + self.need <= self.timing.horizon

    def _state(self) -> tuple:
        return (self.best.copy(), self.token, self.covered, list(self.seeds), self.evaluations)

    def _set_state(self, state: tuple) -> None:
        self.best, self.token, self.covered, self.seeds, self.evaluations = state


@dataclass
class GreedyResult:
    seeds: np.ndarray
    gains: list[float]      # marginal mean reach of each seed, in order
    evaluations: int        # marginal-gain evaluations
    spread: float           # mean reach of all seeds over the worlds


def celf(obj: LiveEdgeSpread, k: int) -> GreedyResult:
    """CELF lazy greedy (Leskovec et al. 2007): exactly plain greedy's seeds (ties to the
    lower id) with far fewer evaluations, since gains only shrink (submodularity).

    The queue starts from upper bounds (:meth:`LiveEdgeSpread.singleton_bounds`, round
    -1: stale), as UBLF does (Zhou et al. 2013), so an agent is evaluated only when its
    bound could beat the best: on BA 20k, 25k evaluations instead of 42k, and most of
    them short. An agent is committed only when fresh, and every other entry's value is
    an upper bound of its gain, so the seeds are plain greedy's, ties included."""
    obj.reset()
    ev0 = obj.evaluations
    heap = [(-b, u, -1) for u, b in enumerate(obj.singleton_bounds().tolist())]
    heapq.heapify(heap)
    gains: list[float] = []
    report("choosing KOLs with greedy", 0, k)
    while len(obj.seeds) < k:
        neg, u, rnd = heapq.heappop(heap)
        if rnd == len(obj.seeds):  # fresh in this round: no one else can beat it
            obj.add(u)
            gains.append(-neg / obj.R)
            report("choosing KOLs with greedy", len(obj.seeds), k)
        else:
            heapq.heappush(heap, (-obj.gain(u), u, len(obj.seeds)))
    return GreedyResult(np.asarray(obj.seeds, dtype=np.int32), gains, obj.evaluations - ev0,
                        obj.covered / obj.R)


def plain_greedy(obj: LiveEdgeSpread, k: int) -> GreedyResult:
    """Non-lazy greedy on the same worlds: every remaining agent is evaluated each round."""
    obj.reset()
    ev0 = obj.evaluations
    chosen = np.zeros(obj.n, dtype=bool)
    gains: list[float] = []
    for _ in range(k):
        best, best_g = -1, -1
        for u in range(obj.n):
            if not chosen[u]:
                g = obj.gain(u)
                if g > best_g:
                    best, best_g = u, g
        chosen[best] = True
        obj.add(best)
        gains.append(best_g / obj.R)
    return GreedyResult(np.asarray(obj.seeds, dtype=np.int32), gains, obj.evaluations - ev0,
                        obj.covered / obj.R)


def _trivial(graph: CSRGraph, budget: int, name: str) -> np.ndarray | None:
    """Seeds needing no search: none, or complete mixing where every agent is
    equivalent, so the lowest ids (as the other strategies do)."""
    if budget == 0 or graph.complete:
        LAST_STATS[name] = {"note": "budget 0 or complete mixing: lowest ids"}
        return np.arange(budget, dtype=np.int32)
    return None


def greedy_seeds(graph: CSRGraph, budget: int, rng: np.random.Generator, scenario=None, *,
                 samples: int = 200, model: ICModel | None = None,
                 p: float | None = None, timed: bool | None = None) -> np.ndarray:
    """CELF greedy on `samples` live-edge worlds of :func:`ic_approximation`, with a
    scenario its time-bounded IC (what the KOLs make count by the horizon, as ris;
    ``timed=False`` for the unbounded reach); at most 20,000 agents (ValueError above:
    use ``ris``). Stats in LAST_STATS["greedy"]."""
    budget = check_budget(graph, budget)
    if graph.n > GREEDY_MAX_AGENTS:
        raise ValueError(f"the greedy strategy keeps {samples} live-edge worlds of the whole "
                         f"graph and evaluates every agent: it is limited to "
                         f"{GREEDY_MAX_AGENTS:,} agents, this graph has {graph.n:,}. Use "
                         f"strategy = \"ris\" (reverse-reachable sets, IMM) for large graphs")
    trivial = _trivial(graph, budget, "greedy")
    if trivial is not None:
        return trivial
    t0 = time.perf_counter()
    ic = _model_for(graph, scenario, model, p, timed)
    obj = (TimedLiveEdgeSpread if ic.timing is not None else LiveEdgeSpread)(graph, ic, samples, rng)
    t1 = time.perf_counter()
    res = celf(obj, budget)
    LAST_STATS["greedy"] = {"evaluations": res.evaluations, "samples": samples,
                            "spread": res.spread, "gains": res.gains, "model": ic.description,
                            "time_sample": t1 - t0, "time_select": time.perf_counter() - t1}
    return res.seeds


# ============================================================================ RIS / IMM

def _in_arc_probs(graph: CSRGraph, model: ICModel):
    """The transpose (ptr, sources) with each in-arc's live probability and its extra
    first-hop probability q = (max(first, p) - p) / (1 - p) (scalars when uniform,
    else arrays aligned with the transpose), and their maxima."""
    k = float(model.first)
    if model.uniform:
        assert model.p is not None
        tptr, tsrc, _ = transpose(graph)
        p = float(model.p)
        q = (max(k, p) - p) / (1 - p) if p < 1 else 0.0
        return tptr, tsrc, p, p, q, q
    if model.node_p is not None:
        tptr, tsrc, _ = transpose(graph)
        p_in = np.asarray(model.node_p, dtype=np.float64)[tsrc]
    else:
        tptr, tsrc, tid = transpose(graph, with_ids=True)
        p_in = np.asarray(model.arc_p, dtype=np.float64)[tid]
    with np.errstate(divide="ignore", invalid="ignore"):
        q_in = np.where(p_in < 1, (np.maximum(k, p_in) - p_in) / (1 - p_in), 0.0)
    pmax = float(p_in.max()) if p_in.size else 0.0
    qmax = float(q_in.max()) if q_in.size else 0.0
    return tptr, tsrc, p_in, pmax, q_in, qmax


@dataclass
class RRSets:
    """RR sets that miss the sentinel set, as CSR (ptr, nodes), plus how many hit it.

    With advertising in a time-bounded model, covering set j is worth ``weights[j]`` =
    1 - q_j, q_j the chance that the root counts anyway (through an ad), and ``base`` is
    the sum of the q_j: E[count | S] = n (base + weighted sets S meets) / sets."""
    ptr: np.ndarray
    nodes: np.ndarray
    n_hit: int = 0
    weights: np.ndarray | None = None
    base: float = 0.0

    @property
    def n_sets(self) -> int:
        return self.ptr.size - 1 + self.n_hit

    @staticmethod
    def empty() -> RRSets:
        return RRSets(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), 0)

    def extend(self, other: RRSets) -> RRSets:
        return RRSets.concat([self, other])

    @staticmethod
    def concat(parts: list[RRSets]) -> RRSets:
        if not parts:
            return RRSets.empty()
        if len(parts) == 1:
            return parts[0]
        shift = np.cumsum([0] + [p.ptr[-1] for p in parts[:-1]])
        ptr = np.concatenate([parts[0].ptr[:1]] + [p.ptr[1:] + d for p, d in zip(parts, shift)])
        weights = None
        if any(p.weights is not None for p in parts):
            weights = np.concatenate([p.weights if p.weights is not None else np.ones(p.ptr.size - 1)
                                      for p in parts])
        return RRSets(ptr, np.concatenate([p.nodes for p in parts]), sum(p.n_hit for p in parts), weights,
                      sum(p.base for p in parts))


class RRSampler:
    """Random reverse-reachable sets of the IC model, many at once (level-synchronous).

    An RR set of a uniform root v is the set of agents u such that seeding u reaches v
    in one live-edge world: B = the agents with a live path to v (reverse BFS over live
    in-arcs, including v), plus the sources of first-hop-live arcs into B. Since the
    arcs into B from outside B were all drawn dead, each is first-hop live with
    q = (max(first, p) - p) / (1 - p) given that: exactly the coupled live-edge
    objective of the module docstring, so P(S meets the RR set) = spread(S) / n.

    With a sentinel set, an RR set stops growing as soon as it meets a sentinel (it is
    covered by any seed set holding the sentinels; only the fact is kept): "hit and
    stop" (Guo et al. 2020, HIST).
    """

    #: batches are sized to about this many (set, agent) visits: the hash set of a
    #: batch then stays small enough for the cache
    BATCH_VISITS = 400_000

    def __init__(self, graph: CSRGraph, model: ICModel, rng: np.random.Generator) -> None:
        self.g, self.n, self.rng = graph, graph.n, rng
        (self.tptr, self.tsrc, self.p_in, self.pmax,
         self.q_in, self.qmax) = _in_arc_probs(graph, model)
        self.sentinel: np.ndarray | None = None
        self.visits = 0   # (set, agent) pairs touched, hit sets included
        self.sets_drawn = 0
        self.batch_visits = self.BATCH_VISITS
        self._keys = _KeySet(span=self.n << 17)
        self.timing = model.timing
        if self.timing is not None:
            self._done = _KeySet(span=self.n << 17)
            self._salt = np.uint64(int(rng.integers(0, 2**63)))

    def set_sentinel(self, nodes) -> None:
        nodes = np.asarray(nodes, dtype=np.int64)
        if nodes.size == 0:
            self.sentinel = None
            return
        self.sentinel = np.zeros(self.n, dtype=bool)
        self.sentinel[nodes] = True

    def sample(self, count: int, batch: int | None = None, max_visits: float = math.inf) -> RRSets:
        """`count` RR sets in batches (fewer if `max_visits` agent visits are used up).

        Without `batch`, batches are sized to about 2M visits from the mean so far."""
        parts: list[RRSets] = []
        done = 0
        start = self.visits
        while done < count and self.visits - start < max_visits:
            if batch is None:
                per_set = self.visits / self.sets_drawn if self.sets_drawn else 4.0
                b = int(min(1 << 16, max(256, self.batch_visits / max(per_set, 1.0))))
            else:
                b = batch
            b = min(b, count - done)
            parts.append(self._batch(self.rng.integers(0, self.n, size=b)))
            done += b
        return RRSets.concat(parts)

    def _tau(self, keys: np.ndarray) -> np.ndarray:
        """Each agent's steps from reading to buying (HopTiming.buy_cdf), one per (set,
        agent) key, the same every time the key comes up: from a hash of the key, so
        an agent met along several paths of one RR set keeps one purchase time."""
        assert self.timing is not None
        with np.errstate(over="ignore"):
            z = keys.astype(np.uint64) + self._salt
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)   # splitmix64's finaliser
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z ^= z >> np.uint64(31)
        u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
        return np.searchsorted(self.timing.buy_cdf, u, side="right")

    def _batch_timed(self, roots: np.ndarray) -> RRSets:
        """RR sets of the time-bounded IC (HopTiming): the agents that, as KOLs, make
        the root count by the horizon. A reverse search by deadline: rho(v) is the
        latest step v may read a message and still make the root count (the root:
        horizon - tau, or the horizon when the objective is aware); a live in-arc u -> v
        gives rho(u) = rho(v) - 1 - delay - tau(u), and an agent is expanded once, at
        its largest rho (deadlines are processed from the horizon down, so the first
        is the largest: Dijkstra with integer buckets). Any agent with a first-hop-live
        arc into an expanded v (rho(v) >= first_read) reaches it as a KOL in time."""
        tm = self.timing
        assert tm is not None
        n, B, T, lo = self.n, roots.size, tm.horizon, tm.first_read
        members, done = self._keys, self._done
        members.reset()
        done.reset()
        done_r: list[np.ndarray] = []
        done_t: list[int] = []
        rid = np.arange(B, dtype=np.int64)
        roots = roots.astype(np.int64)
        members.insert(rid * n + roots)
        found_r, found_v = [rid], [roots]
        rho = np.full(B, T, dtype=np.int64) if tm.count_aware else T - self._tau(rid * n + roots)
        buckets: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(T + 1)]

        # an ad can reach an agent from step 1, a KOL's post from step `lo`: with ads,
        # agents due by step 1 are searched too (for the ads only)
        least = 1 if tm.p_external > 0 else lo

        def push(r: np.ndarray, v: np.ndarray, deadline: np.ndarray) -> None:
            ok = deadline >= least
            for step, (rs, vs) in _by_step(deadline[ok], r[ok], v[ok]):
                buckets[step].append((rs, vs))

        def member(r: np.ndarray, v: np.ndarray) -> None:
            new = members.insert(r * n + v)
            if new.size:
                found_r.append(r[new])
                found_v.append(v[new])

        push(rid, roots, rho)
        for t in range(T, least - 1, -1):
            if not buckets[t]:
                continue
            r = np.concatenate([x[0] for x in buckets[t]])
            v = np.concatenate([x[1] for x in buckets[t]])
            buckets[t] = []
            new = done.insert(r * n + v)
            r, v = r[new], v[new]
            if r.size == 0:
                continue
            done_r.append(r)
            done_t.append(t)
            if t < lo:  # too late for any KOL's post, and for anyone telling it
                continue
            owner, arc = _sample_arcs(self.tptr, v, self.p_in, self.pmax, self.rng)
            if owner.size:
                ur, u = r[owner], self.tsrc[arc].astype(np.int64)
                member(ur, u)
                delay = np.searchsorted(tm.tell_cdf, self.rng.random(u.size), side="right")
                push(ur, u, t - 1 - delay - self._tau(ur * n + u))
            if self.qmax > 0:  # first-hop-only arcs: their sources reach v as KOLs, nothing more
                owner, arc = _sample_arcs(self.tptr, v, self.q_in, self.qmax, self.rng)
                if owner.size:
                    member(r[owner], self.tsrc[arc].astype(np.int64))
        self.visits += members.count + done.count
        self.sets_drawn += B
        r_all, v_all = np.concatenate(found_r), np.concatenate(found_v)
        ptr, nodes, _ = group_by_key(B, r_all.astype(np.int32), v_all.astype(np.int32), None, np.int32)
        if tm.p_external <= 0:
            return RRSets(ptr, nodes, 0)
        # advertising: the root counts anyway if some agent of the search gets an ad by its
        # deadline (steps 1..rho, independently each step): P(none) = prod (1 - p)^rho
        rho = np.repeat(np.array(done_t, dtype=np.float64), [x.size for x in done_r]) if done_r else np.zeros(0)
        rs = np.concatenate(done_r) if done_r else np.zeros(0, dtype=np.int64)
        missed = np.exp(np.bincount(rs, weights=rho, minlength=B) * math.log1p(-tm.p_external))
        return RRSets(ptr, nodes, 0, missed, float((1.0 - missed).sum()))

    def _batch(self, roots: np.ndarray) -> RRSets:
        if self.timing is not None:
            return self._batch_timed(roots)
        n, B = self.n, roots.size
        sent = self.sentinel
        ks = self._keys
        ks.reset()
        hit = sent[roots].copy() if sent is not None else np.zeros(B, dtype=bool)
        rid = np.arange(B, dtype=np.int64)
        roots = roots.astype(np.int64)
        ks.insert(rid * n + roots)
        found_r, found_v = [rid], [roots]
        fr, fv = rid[~hit], roots[~hit]
        while fv.size:
            owner, arc = _sample_arcs(self.tptr, fv, self.p_in, self.pmax, self.rng)
            if owner.size == 0:
                break
            cr, cv = fr[owner], self.tsrc[arc].astype(np.int64)
            new = ks.insert(cr * n + cv)
            if new.size == 0:
                break
            r, v = cr[new], cv[new]
            if sent is not None:
                h = sent[v]
                if h.any():
                    hit[r[h]] = True
            found_r.append(r)
            found_v.append(v)
            keep = ~hit[r]
            fr, fv = r[keep], v[keep]
        r_all, v_all = np.concatenate(found_r), np.concatenate(found_v)
        keep = ~hit[r_all]
        r_all, v_all = r_all[keep], v_all[keep]
        if self.qmax > 0 and v_all.size:  # first-hop-only arcs into B
            owner, arc = _sample_arcs(self.tptr, v_all, self.q_in, self.qmax, self.rng)
            if owner.size:
                cr, cv = r_all[owner], self.tsrc[arc].astype(np.int64)
                new = ks.insert(cr * n + cv)
                if new.size:
                    r2, v2 = cr[new], cv[new]
                    if sent is not None:
                        h = sent[v2]
                        if h.any():
                            hit[r2[h]] = True
                    r_all, v_all = np.concatenate([r_all, r2]), np.concatenate([v_all, v2])
                    keep = ~hit[r_all]
                    r_all, v_all = r_all[keep], v_all[keep]
        self.visits += ks.count
        self.sets_drawn += B
        # CSR over the kept sets, in root order (a counting sort by set)
        kept = np.flatnonzero(~hit)
        local = np.full(B, -1, dtype=np.int32)
        local[kept] = np.arange(kept.size, dtype=np.int32)
        ptr, nodes, _ = group_by_key(kept.size, local[r_all], v_all.astype(np.int32), None, np.int32)
        return RRSets(ptr, nodes, int(hit.sum()))


class _KeySet:
    """A set of non-negative int64 keys: open addressing, linear probing, vectorized.

    insert(keys) adds a batch (duplicates allowed) and returns the positions in `keys`
    of the keys that were new, one position per new key: O(1) work per key, where a
    sorted visited array would cost O(visited) per BFS level and numpy 2.4's hashing
    np.unique is slow (REFERENCE.md).

    reset() empties the set in O(1) by starting a new generation: keys are stored with
    an offset that grows by `span` each generation, and a slot holding a key of an
    earlier generation (below the offset) counts as free. Clearing the used slots one
    by one cost a sixth of RR sampling (scattered writes into a table of several MB).
    """

    _MUL = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
    _LIMIT = 1 << 62

    def __init__(self, span: int, bits: int = 16) -> None:
        self.span = int(span)   # every key inserted is < span
        self.floor = 0          # keys of this generation are stored as key + floor
        self._alloc(bits)

    def _alloc(self, bits: int) -> None:
        self.bits = bits
        self.table = np.full(1 << bits, -1, dtype=np.int64)
        self.owner = np.zeros(1 << bits, dtype=np.int32)
        self.count = 0

    def reset(self) -> None:
        self.count = 0
        self.floor += self.span
        if self.floor + self.span >= self._LIMIT:  # pragma: no cover - after ~2^62 keys
            self.table.fill(-1)
            self.floor = 0

    def keys(self) -> np.ndarray:
        t = self.table
        return np.compress(t >= self.floor, t) - self.floor

    def insert(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        if 2 * (self.count + keys.size) > self.table.size:
            old = self.keys()
            bits = self.bits
            while (1 << bits) < 2 * (self.count + keys.size):
                bits += 1
            self._alloc(bits + 1)
            if old.size:
                self.insert(old)
        mask = (1 << self.bits) - 1
        floor = self.floor
        k = keys + floor
        with np.errstate(over="ignore"):
            s = ((k.view(np.uint64) * self._MUL) >> np.uint64(64 - self.bits)).astype(np.int64)
        at = np.arange(keys.size, dtype=np.int32 if keys.size < 2**31 else np.int64)
        out: list[np.ndarray] = []
        table, owner = self.table, self.owner
        while k.size:
            cur = table[s]
            empty = np.flatnonzero(cur < floor)
            if empty.size:
                se = s[empty]
                owner[se] = empty
                win = empty[owner[se] == empty]  # one claimant per free slot
                table[s[win]] = k[win]
                out.append(at[win])
                cur[empty] = table[se]   # a duplicate of a winner is present now
            rest = cur != k   # not present yet: probe the next slot
            k, at = k[rest], at[rest]
            s = (s[rest] + 1) & mask
        new = np.concatenate(out) if len(out) > 1 else (out[0] if out else _EMPTY_I64)
        self.count += new.size
        return new.astype(np.int64, copy=False)


class Coverage:
    """What picking KOLs covers of RR sets, one pick at a time: ``counts[u]`` is the
    (weighted) number of sets holding u that no pick covers yet (u's marginal gain),
    ``n_cov`` the (weighted) sets covered, hit sets included. The greedy of
    :func:`max_coverage` and the surrogate gains of simulated seeding
    (execution/simulated.py) both read it.

    Vectorized: counts from a bincount; an inverted index (agent -> sets, a counting
    sort) finds the sets a pick covers, and only their members' counts are decreased."""

    def __init__(self, rr: RRSets, n: int) -> None:
        self.rr, self.n = rr, n
        n_sets = rr.ptr.size - 1
        set_of = repeat_index(np.diff(rr.ptr), np.int32 if n_sets < 2**31 - 1 else np.int64)
        self.iptr, self.sets_by_node = _inverted_index(n, rr.nodes, set_of)
        w = rr.weights  # None: every set counts 1
        self.counts = np.diff(self.iptr) if w is None else np.bincount(rr.nodes, weights=w[set_of], minlength=n)
        self.covered = np.zeros(n_sets, dtype=bool)
        self.n_cov: float = rr.n_hit

    def cover(self, u: int) -> None:
        """Agent u is picked: its sets are covered, their members' counts drop."""
        rr, n, counts = self.rr, self.n, self.counts
        sets = self.sets_by_node[self.iptr[u]:self.iptr[u + 1]]
        sets = sets[~self.covered[sets]]
        if sets.size == 0:
            return
        self.covered[sets] = True
        members = rr.nodes[_ranges(rr.ptr, sets)]
        if rr.weights is not None:  # weighted: each member loses its set's weight
            self.n_cov += float(rr.weights[sets].sum())
            counts -= np.bincount(members, weights=np.repeat(rr.weights[sets], rr.ptr[sets + 1] - rr.ptr[sets]),
                                  minlength=n)
            return
        self.n_cov += sets.size
        if members.size > n // 8:
            counts -= np.bincount(members, minlength=n)
        else:
            np.subtract.at(counts, members, 1)


def max_coverage(rr: RRSets, n: int, k: int, forced=(), price: np.ndarray | None = None,
                 unit: float = 1.0) -> tuple[np.ndarray, float, float]:
    """Greedy maximum coverage of the RR sets: the `forced` agents (the sentinels, which
    cover the hit sets) first, then k - len(forced) greedy picks (ties: lower id).

    With `price` (each agent's price) the picks maximise the net value unit x (sets it
    newly covers) - price instead, and stop before the first agent whose net value is
    not positive: fewer than k when KOLs no longer pay for themselves (the net_npv
    objective; the bound is then the plain coverage's).

    Picks one at a time on a :class:`Coverage`. Returns (seeds, sets covered, upper bound):
    by submodularity no k agents cover more than covered + the k largest residual
    counts after any prefix of the picks (the least of a few prefixes is returned;
    exact for this sample, hit sets included since the seeds cover them).
    """
    cov = Coverage(rr, n)
    counts = cov.counts
    seeds: list[int] = []
    forced = [int(u) for u in forced][:k]
    kk = min(k, n)
    # the bound holds after any prefix of picks: take the least of a few (Tang et al.
    # 2018's Lambda^u; each costs a partition over n)
    checks = {len(forced), *range(len(forced), k, max((k - len(forced)) // 4, 1))}
    upper = math.inf
    while len(seeds) < k:
        if len(seeds) in checks and kk:
            c = counts.copy()
            if seeds:
                c[np.asarray(seeds, dtype=np.int64)] = 0
            upper = min(upper, cov.n_cov + np.partition(c, n - kk)[n - kk:].sum())
        if len(seeds) < len(forced):
            u = forced[len(seeds)]
        elif price is None:
            c = counts.copy()
            if seeds:
                c[np.asarray(seeds)] = -1
            u = int(np.argmax(c))
        else:
            net = unit * counts - price
            if seeds:
                net[np.asarray(seeds)] = -np.inf
            u = int(np.argmax(net))
            if not net[u] > 0:
                break
        seeds.append(u)
        cov.cover(u)
    n_cov = cov.n_cov
    counts[np.asarray(seeds, dtype=np.int64)] = 0
    final = n_cov + np.partition(counts, n - kk)[n - kk:].sum() if kk else n_cov
    bound = min(upper, final)
    if rr.weights is None:
        return np.asarray(seeds, dtype=np.int32), int(n_cov), int(bound)
    return np.asarray(seeds, dtype=np.int32), float(n_cov), float(bound)


def _inverted_index(n: int, nodes: np.ndarray, set_of: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """agent -> the RR sets holding it, as CSR: a counting sort (scipy's coo->csr)."""
    if nodes.size == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    idx = np.int32 if (set_of.dtype == np.int32 and nodes.size < 2**31 - 1) else np.int64
    iptr, sets, _ = group_by_key(n, nodes.astype(idx, copy=False), set_of.astype(idx, copy=False),
                           None, idx)
    return iptr, sets


def _top_by_count(rr: RRSets, n: int, m: int) -> np.ndarray:
    """The m agents in most RR sets (ties: lower id)."""
    counts = np.bincount(rr.nodes, minlength=n)
    m = min(m, n)
    cand = np.argpartition(-counts, m - 1)[:m] if m < n else np.arange(n)
    return cand[np.lexsort((cand, -counts[cand]))]


def _sets_meeting(rr: RRSets, n: int, nodes) -> float:
    """The sets that `nodes` meet (hit sets included), each counted with its weight."""
    mark = np.zeros(n, dtype=bool)
    mark[np.asarray(nodes, dtype=np.int64)] = True
    sizes = np.diff(rr.ptr)
    m = mark[rr.nodes]
    hits = np.zeros(sizes.size, dtype=bool)
    if m.size:
        hits[sizes > 0] = np.logical_or.reduceat(m, rr.ptr[:-1][sizes > 0])
    if rr.weights is None:
        return int(hits.sum()) + rr.n_hit
    return float(rr.weights[hits].sum()) + rr.n_hit


def choose_sentinel(pilot: RRSets, n: int, k: int, slack: float = 1.25) -> list[int]:
    """Sentinels for hit-and-stop: the b agents in most pilot RR sets, for the largest
    b in k/4, k/8, ..., 1 whose pilot coverage is at least `slack` times
    (1 - (1 - 1/k)^b) * (pilot upper bound on the best k-set coverage).

    That condition is what greedy's own first b picks guarantee, so continuing greedy
    from such sentinels keeps greedy's (1 - (1 - 1/k)^k) >= 1 - 1/e factor: each of the
    k - b further picks closes at least 1/k of the remaining gap to the optimum.
    More sentinels stop the RR sets sooner but fix more seeds: on BA(1M, m=5), p=0.05,
    k=50, b=1 took 410 s, b=4 42 s, b=12 12 s, b=25 7 s, with b=12's seeds as good as
    b=1's in a forward Monte Carlo (within one SE) and b=25's worse; hence b <= k/4.
    """
    if k < 2 or pilot.n_sets == 0:
        return []
    b = max(k // 4, 1)
    top = _top_by_count(pilot, n, b)
    _, _, upper = max_coverage(pilot, n, k)
    while b >= 1:
        if _sets_meeting(pilot, n, top[:b]) >= slack * (1 - (1 - 1 / k) ** b) * upper:
            return [int(u) for u in top[:b]]
        b //= 2
    return []


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm_bounds(n: int, k: int, eps: float, ell: float) -> tuple[float, float, float]:
    """IMM's (lambda', lambda*, eps') for n agents, k seeds (Tang, Shi, Xiao 2015)."""
    ln_n = math.log(max(n, 3))  # tiny graphs: keep the logs positive
    ell = ell * (1 + math.log(2) / ln_n)  # so the two phases together fail w.p. n^-ell
    eps1 = math.sqrt(2) * eps
    lc = _log_comb(n, min(k, n))
    lam1 = (2 + 2 * eps1 / 3) * (lc + ell * ln_n + math.log(math.log2(max(n, 3)))) * n / eps1 ** 2
    a = math.sqrt(ell * ln_n + math.log(2))
    b = math.sqrt((1 - 1 / math.e) * (lc + ell * ln_n + math.log(2)))
    lam_star = 2 * n * ((1 - 1 / math.e) * a + b) ** 2 / eps ** 2
    return lam1, lam_star, eps1


@dataclass
class IMMResult:
    seeds: np.ndarray
    rr_sets: int               # RR sets drawn in all
    theta: int                 # RR sets IMM's bound asked for (phase 2)
    lower_bound: float         # phase 1's lower bound on OPT
    spread_estimate: float     # n * covered fraction of the final sample
    sentinel: list[int]
    capped: bool
    eps_effective: float       # eps the RR sets used actually support (= eps unless capped)
    times: dict = field(default_factory=dict)
    visits: int = 0
    sentinel_certified: bool = True   # sentinels passed the coverage condition on the final sample
    coverage_upper: float = math.inf  # n * (upper bound on the best k-set coverage of the sample)
    method: str = "imm"
    ratio: float = math.nan           # OPIM-C's certified approximation ratio (nan for IMM)
    sample: RRSets | None = None      # the final RR sets (OPIM-C: R1 and R2 together)


def _sentinels(sampler: RRSampler, k: int, sentinel, times: dict[str, float]) -> list[int]:
    """The hit-and-stop sentinels (see :func:`imm`), set on the sampler: None =
    automatic (a pilot of 2,000 RR sets; sentinels when its mean set exceeds 64
    agents), True = always, False = none, or an explicit list."""
    t0 = time.perf_counter()
    n = sampler.n
    sent: list[int] = []
    if sampler.timing is not None:  # the horizon bounds the RR sets: no hit-and-stop
        sampler.set_sentinel([])
        return sent
    if isinstance(sentinel, (list, tuple, np.ndarray)):
        sent = [int(u) for u in sentinel]
    elif sentinel is None or sentinel:
        pilot = sampler.sample(2000, batch=250, max_visits=max(30_000_000, 4 * n))
        mean_size = pilot.nodes.size / max(pilot.n_sets, 1)
        if sentinel or mean_size > 64:
            sent = choose_sentinel(pilot, n, k)
        times["pilot"] = time.perf_counter() - t0
    sent = sent[:max(k - 1, 0)] if k > 1 else []
    sampler.set_sentinel(sent)
    return sent


def imm(graph: CSRGraph, model: ICModel, k: int, rng: np.random.Generator, *,
        eps: float = 0.1, ell: float = 1.0, sentinel: bool | list[int] | None = None,
        max_rr_sets: int = 10_000_000, fresh_phase2: bool = False) -> IMMResult:
    """IMM (Tang, Shi, Xiao 2015): phase 1 finds a lower bound LB of OPT by halving
    x = n/2, n/4, ... (theta_i = lambda'/x RR sets, stop once n F(S_i) >= (1 + eps') x),
    phase 2 draws theta = lambda*/LB RR sets and returns greedy max coverage on them.

    By default phase 2 reuses phase 1's sets as in the paper; ``fresh_phase2`` draws a
    new sample instead (Chen 2018's fix of the martingale argument).

    ``sentinel`` (hit and stop, Guo et al. 2020's HIST idea, for supercritical cascades
    whose RR sets hold a large part of the graph): None = automatic: a pilot of 2,000
    RR sets is drawn, and when its mean set exceeds 64 agents, :func:`choose_sentinel`
    picks up to k/4 agents in most sets; True = choose them whatever the pilot's sizes;
    False = none; or an explicit list. An RR set stops growing once it meets a sentinel,
    the seeds start with the sentinels and the others maximise the marginal coverage
    (exact: a set that met a sentinel is covered anyway). IMM's (1 - 1/e - eps) bound
    then holds if the sentinels cover at least (1 - (1 - 1/k)^b) of the best k-set
    coverage, which is checked on the final sample against an exact upper bound
    (``sentinel_certified``; phase 1's samples are not checked).

    ``max_rr_sets`` caps the sample (IMM asks ~ n log(C(n,k)) / (eps^2 OPT) sets, huge
    when the cascade barely spreads); eps_effective then reports what the sample
    supports.
    """
    n = graph.n
    k = min(k, n)
    t0 = time.perf_counter()
    sampler = RRSampler(graph, model, rng)
    times: dict[str, float] = {}
    sent = _sentinels(sampler, k, sentinel, times)
    lam1, lam_star, eps1 = imm_bounds(n, k, eps, ell)
    rr = RRSets.empty()
    lb = 1.0
    capped = False
    t1 = time.perf_counter()
    for i in range(1, max(int(math.log2(n)), 2)):
        x = n / 2 ** i
        theta_i = int(math.ceil(lam1 / x))
        if theta_i > max_rr_sets:
            capped = True
            theta_i = max_rr_sets
        if theta_i > rr.n_sets:
            report(f"choosing KOLs with ris (IMM): {rr.n_sets:,} of {theta_i:,} RR sets", rr.n_sets, theta_i)
            rr = rr.extend(sampler.sample(theta_i - rr.n_sets))
        seeds_i, cov, _ = max_coverage(rr, n, k, sent)
        est = n * cov / rr.n_sets
        if est >= (1 + eps1) * x or capped:
            lb = est / (1 + eps1)
            break
    times["phase1"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    theta = int(math.ceil(lam_star / lb))
    used = min(theta, max_rr_sets)
    capped = capped or theta > max_rr_sets
    if fresh_phase2:
        final = sampler.sample(used)
        drawn = rr.n_sets + used
    else:
        if used > rr.n_sets:
            rr = rr.extend(sampler.sample(used - rr.n_sets))
        final = rr
        drawn = rr.n_sets
    times["phase2_sampling"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    seeds, cov, upper = max_coverage(final, n, k, sent)
    times["selection"] = time.perf_counter() - t3
    b = len(sent)
    certified = (not sent) or final.n_hit >= (1 - (1 - 1 / k) ** b) * upper
    times["total"] = time.perf_counter() - t0
    eps_eff = eps if not capped else eps * math.sqrt(theta / max(final.n_sets, 1))
    return IMMResult(seeds=seeds, rr_sets=drawn, theta=theta, lower_bound=lb,
                     spread_estimate=n * (cov + final.base) / final.n_sets, sentinel=sent, capped=capped,
                     eps_effective=eps_eff, times=times, visits=sampler.visits,
                     sentinel_certified=bool(certified), coverage_upper=n * upper / final.n_sets, sample=final)


def opim_bounds(n: int, k: int, eps: float, delta: float) -> tuple[int, int, int, float]:
    """OPIM-C's (theta_0, theta_max, i_max, a) for n agents, k seeds (Tang, Tang, Xiao
    & Yuan 2018): theta_max RR sets suffice in the worst case (OPT >= k); the sample
    starts at theta_0 and doubles at most i_max times; a = ln(3 i_max / delta)."""
    c = 1 - 1 / math.e
    ld = math.log(6 / delta)
    lc = _log_comb(n, min(k, n))
    theta_max = 2 * n * (c * math.sqrt(ld) + math.sqrt(c * (lc + ld))) ** 2 / (eps ** 2 * k)
    theta_0 = theta_max * eps ** 2 * k / n
    i_max = max(int(math.ceil(math.log2(max(theta_max / theta_0, 2)))), 1)
    return int(math.ceil(theta_0)), int(math.ceil(theta_max)), i_max, math.log(3 * i_max / delta)


def opim_lower(cov: float, theta: int, a: float) -> float:
    """Lower bound on spread / n of a seed set covering `cov` of `theta` RR sets that
    did not choose it (Tang et al. 2018's sigma^l; holds w.p. 1 - e^-a)."""
    return max((math.sqrt(cov + 2 * a / 9) - math.sqrt(a / 2)) ** 2 - a / 18, 0.0) / theta


def opim_upper(cov_upper: float, theta: int, a: float) -> float:
    """Upper bound on the optimum's spread / n from an upper bound `cov_upper` on the
    best k-set coverage of `theta` RR sets (Tang et al. 2018's sigma^u)."""
    return (math.sqrt(cov_upper + a / 2) + math.sqrt(a / 2)) ** 2 / theta


def opim(graph: CSRGraph, model: ICModel, k: int, rng: np.random.Generator, *,
         eps: float = 0.1, delta: float | None = None, sentinel: bool | list[int] | None = None,
         max_rr_sets: int = 10_000_000, min_rr_sets: int = 0) -> IMMResult:
    """OPIM-C (Tang, Tang, Xiao & Yuan 2018): the same (1 - 1/e - eps) guarantee as IMM
    with probability 1 - delta (default 1/n), from far fewer RR sets in practice.

    Two independent samples R1 and R2 start at theta_0 sets each. Greedy picks S on R1;
    R1 also bounds the optimum from above (:func:`max_coverage`'s bound), R2 bounds
    S's spread from below (it did not choose S, so its coverage is unbiased). Once the
    ratio of the two bounds reaches 1 - 1/e - eps (and the samples hold `min_rr_sets`
    together), S is returned with that certificate; otherwise both samples double (at
    most i_max times, up to theta_max, IMM-like worst case). IMM asks for its worst-case
    count at once: on BA(1M, m=5), p = 0.05, k = 50 it drew 2.07M RR sets where OPIM-C
    certified at 60k.

    Sentinels (hit and stop) as in :func:`imm`; the certificate covers them, since the
    ratio compares the seeds actually returned with an upper bound on any k agents.
    Each round reports its RR sets and certified ratio (seeding.progress); the next
    round, if any, doubles the sample.
    """
    n = graph.n
    k = min(k, n)
    delta = 1.0 / n if delta is None else delta
    t0 = time.perf_counter()
    sampler = RRSampler(graph, model, rng)
    times: dict[str, float] = {}
    sent = _sentinels(sampler, k, sentinel, times)
    theta_0, theta_max, i_max, a = opim_bounds(n, k, eps, delta)
    goal = 1 - 1 / math.e - eps
    cap = max(max_rr_sets // 2, 1)
    size = min(theta_0, cap)
    report(f"choosing KOLs with ris: drawing {2 * size:,} RR sets", 0, 2 * size)
    r1, r2 = sampler.sample(size), sampler.sample(size)
    capped = theta_0 > cap
    t1 = time.perf_counter()
    sample_s = t1 - t0
    select_s = 0.0
    for i in range(1, i_max + 1):
        ts = time.perf_counter()
        seeds, cov1, upper = max_coverage(r1, n, k, sent)
        cov2 = _sets_meeting(r2, n, seeds)
        select_s += time.perf_counter() - ts
        lower = opim_lower(cov2, r2.n_sets, a)
        ratio = lower / opim_upper(upper, r1.n_sets, a)
        report(f"choosing KOLs with ris: {r1.n_sets + r2.n_sets:,} RR sets, ratio {ratio:.2f} of "
               f"{goal:.2f}", r1.n_sets, 2 * r1.n_sets)
        if (ratio >= goal and r1.n_sets + r2.n_sets >= min_rr_sets) or i == i_max or r1.n_sets >= cap:
            capped = capped or (ratio < goal and r1.n_sets >= cap)
            break
        ts = time.perf_counter()
        grow = min(r1.n_sets, cap - r1.n_sets)
        r1, r2 = r1.extend(sampler.sample(grow)), r2.extend(sampler.sample(grow))
        sample_s += time.perf_counter() - ts
    times["sampling"] = sample_s - times.get("pilot", 0.0)
    times["selection"] = select_s
    times["total"] = time.perf_counter() - t0
    # the eps this sample certifies: 1 - 1/e - ratio (= eps or better unless capped)
    eps_eff = max(1 - 1 / math.e - ratio, 0.0)
    return IMMResult(seeds=seeds, rr_sets=sampler.sets_drawn, theta=r1.n_sets + r2.n_sets,
                     lower_bound=n * lower,
                     spread_estimate=n * (cov2 + r2.base) / max(r2.n_sets, 1), sentinel=sent,
                     capped=capped, eps_effective=min(eps_eff, 1.0), times=times,
                     visits=sampler.visits, sentinel_certified=ratio >= goal,
                     coverage_upper=n * upper / max(r1.n_sets, 1), method="opim-c",
                     ratio=ratio, sample=RRSets.concat([r1, r2]))


#: ris draws at least this many RR sets per KOL of the budget (OPIM-C's two samples
#: together) even when the certificate holds sooner: the seeds' quality rests on the
#: sample's ranking of the last KOLs. On kol_launch at 100k agents and 50 KOLs, the 11.5k
#: sets that certified left the seeds 1.5% below top-degree's adopters and ris's result
#: moved by about 150 adopters from one sample of ~185k to another; 200k-400k keep it
#: level (benchmarks/notes/ris.md and seeding.md)
RIS_MIN_RR_SETS_PER_KOL = 4_000
#: ... and never asks for more than this many on that account (a money budget counted at
#: the cheapest price can ask for thousands of KOLs)
RIS_MIN_RR_SETS_CAP = 400_000


def ris_seeds(graph: CSRGraph, budget: int, rng: np.random.Generator, scenario=None, *,
              eps: float = 0.02, ell: float = 1.0, model: ICModel | None = None,
              p: float | None = None, sentinel=None, method: str = "opim",
              timed: bool | None = None, keep: list[RRSets] | None = None) -> np.ndarray:
    """Reverse-reachable sets: OPIM-C (default; eps = 0.02, delta = n^-ell) or IMM
    (``method="imm"``), on the scenario's time-bounded IC by default
    (``ic_approximation(..., timed=True)``: what the KOLs make count by the scenario's
    last step, the planner's horizon; ``timed=False`` for the unbounded reach).

    OPIM-C stops once its two samples certify 1 - 1/e - eps (on BA 1M: 60k RR sets
    where IMM drew 2.07M, benchmarks/notes/ris.md) and it holds RIS_MIN_RR_SETS_PER_KOL
    sets per KOL. Stats in LAST_STATS["ris"]. `keep`: a list the final RR sets are
    appended to (a caller that builds on the surrogate: execution/simulated.py)."""
    budget = check_budget(graph, budget)
    trivial = _trivial(graph, budget, "ris")
    if trivial is not None:
        return trivial
    ic = _model_for(graph, scenario, model, p, timed)
    if method == "opim":
        res = opim(graph, ic, budget, rng, eps=eps, delta=float(graph.n) ** -ell, sentinel=sentinel,
                   min_rr_sets=min(RIS_MIN_RR_SETS_PER_KOL * budget, RIS_MIN_RR_SETS_CAP))
    elif method == "imm":
        res = imm(graph, ic, budget, rng, eps=eps, ell=ell, sentinel=sentinel)
    else:
        raise ValueError(f"ris method {method!r}: choose 'opim' or 'imm'")
    seeds = res.seeds
    if keep is not None and res.sample is not None:
        keep.append(res.sample)
    if scenario is not None and scenario.seeding.objective == "net_npv" and res.sample is not None:
        seeds = net_value_ranking(graph, scenario, res.sample, budget)
    LAST_STATS["ris"] = {"method": res.method, "rr_sets": res.rr_sets, "theta": res.theta,
                         "lower_bound": res.lower_bound, "spread_estimate": res.spread_estimate,
                         "sentinel": res.sentinel, "capped": res.capped, "eps": eps,
                         "eps_effective": res.eps_effective, "ratio": res.ratio,
                         "times": res.times, "visits": res.visits, "model": ic.description,
                         "sentinel_certified": res.sentinel_certified,
                         "coverage_upper": res.coverage_upper, "kols": int(seeds.size)}
    return seeds


def net_value_ranking(graph: CSRGraph, scenario, rr: RRSets, budget: int) -> np.ndarray:
    """KOLs for the net_npv objective: greedy on the RR sets by the value a KOL adds
    (margin x the adopters it newly reaches, n / sets per covered set) minus its price
    (metrics.kol_prices), stopping before the first that would not pay for itself: at
    most `budget`, maybe none. The value leaves out discounting and counts a KOL's own
    purchase (a KOL is an adopter, not a sale): both small against margin x reach."""
    price = kol_prices(graph.out_degree(), scenario.seeding)
    unit = float(scenario.economics.margin) * graph.n / max(rr.n_sets, 1)
    seeds, _, _ = max_coverage(rr, graph.n, budget, price=price, unit=unit)
    return seeds
