"""Simulated greedy: KOLs chosen by CELF on the full model itself (docs/model.md section 11).

greedy and ris score KOLs on a surrogate: the scenario's independent cascade truncated
at the horizon (model.theory), which ignores the funnel's message boosts, rejection and
the firm's answers. This strategy scores a set of KOLs by what the planner is judged on,
``seeding.objective`` at the scenario's last step, averaged over `replicates` runs of
the full model (the NumPy core, batched). Every set is run on the same streams (common
random numbers), so the difference two KOLs make is not drowned by the runs' own noise.

The search is CELF (Leskovec et al. 2007): a candidate's last measured gain bounds its
gain now, so only the candidates whose bound could beat the best fresh gain are run
again, a batch of them at a time. A measured gain is noisy (see below), so it is read
with the surrogate as a prior (empirical Bayes, :class:`_Shrinkage`): the surrogate's
gain on ris's RR sets, scaled to the simulation by a fit over the first round, and the
simulated gain pulls the estimate away from it by the share of the candidates' spread
that is not noise. Where the runs are informative (large early gains) the simulation
decides; where they are not (late KOLs' small gains) the surrogate does. The full model
is not exactly submodular (a rejection can undo a purchase), so the bounds are a
heuristic there, as in every simulation-based greedy. Candidates are a shortlist: the
surrogate's own ranking (ris, which spreads its picks over the graph) joined with the
best-connected agents, so a trap like the KOL club (REFERENCE.md) is open to the search
and no candidate the surrogates both ignore is run.

Cost: (shortlist + 1) x replicates runs to start, then about `batch_kols` x replicates
runs per KOL; at 20k agents a run of 60 steps costs ~7 ms (benchmarks/bench_seeding.py).

Its limit is noise. Adding a KOL changes every later draw of a run (a replicate's stream
is consumed in order), so the common streams cancel little of the runs' spread, and a
late KOL's gain is as small as the error of tens of runs: on the KOL club (benchmarks),
16 runs a set reached 334 where ris reaches 371, 64 runs 354, 256 runs 359 (before the
prior). greedy's live-edge worlds do not have this problem (a world is the same for
every set), which is why the surrogates win where they are exact.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..engines import NumpyEngine
from ..graphs.csr import CSRGraph
from ..model.metrics import kol_prices
from ..seeding.centrality import check_budget
from ..seeding.influence import LAST_STATS, Coverage, RRSets, ris_seeds
from ..seeding.progress import report
from .memory import numpy_batch

#: runs per candidate set (common random numbers across sets): RUNS_BUDGET / n agents,
#: between 16 and 64 (more runs where a run is cheap: 64 up to 5,000 agents, 16 from 20k)
RUNS_BUDGET, MIN_REPLICATES, MAX_REPLICATES = 320_000, 16, 64
#: candidates run again together when their bounds are stale (one batch of the engine)
BATCH_KOLS = 4
#: shortlist: the surrogate's best this many, joined with as many top-degree agents
SHORTLIST = 60


def simulated_seeds(graph: CSRGraph, budget: int, rng: np.random.Generator, scenario: Any = None, *,
                    replicates: int | None = None, shortlist: int = SHORTLIST,
                    batch_kols: int = BATCH_KOLS) -> np.ndarray:
    """CELF on the full model: `budget` KOLs, best first, each the candidate of the
    shortlist that adds most to ``seeding.objective`` at the horizon, measured on
    `replicates` runs with common random numbers (default: by the graph's size, see
    RUNS_BUDGET). For the net_npv objective it stops before a KOL that would lower net
    NPV. Stats in LAST_STATS["simulated"]."""
    if scenario is None:
        raise ValueError("the simulated strategy runs the scenario's own model: it needs the scenario")
    if scenario.wom.mode == "bass":
        raise ValueError("wom.mode = \"bass\" has no network for KOLs to reach: choose another mode")
    budget = check_budget(graph, budget)
    if budget == 0:
        return np.zeros(0, dtype=np.int32)
    if replicates is None:
        replicates = int(np.clip(RUNS_BUDGET // max(graph.n, 1), MIN_REPLICATES, MAX_REPLICATES))
    t0 = time.perf_counter()
    cand, rr = _shortlist(graph, scenario, max(shortlist, budget), rng)
    # the surrogate's gains: what each candidate adds on ris's RR sets, n / sets a set
    prior = Coverage(rr, graph.n) if rr is not None else None
    per_set = graph.n / max(rr.n_sets, 1) if rr is not None else 0.0
    # the KOLs' prices enter the gain of the net_npv objective (the surrogate counts adopters)
    price = (kol_prices(graph.out_degree()[cand], scenario.seeding) if scenario.seeding.objective == "net_npv"
             else None)
    shrink: _Shrinkage | None = None
    ev = _Evaluator(graph, scenario, replicates, int(rng.integers(2**63)))
    chosen: list[int] = []
    current = ev.values([np.zeros(0, dtype=np.int64)])[0]  # the objective without KOLs, per replicate
    gain = np.full(cand.size, np.inf)   # each candidate's last measured gain (a bound on it now)
    fresh = np.full(cand.size, -1)      # the round in which it was measured
    taken = np.zeros(cand.size, dtype=bool)
    vals: dict[int, np.ndarray] = {}
    stop_at_loss = scenario.seeding.objective == "net_npv"
    for k in range(min(budget, cand.size)):
        report(f"choosing KOLs by simulation: {ev.runs:,} runs", k, budget)
        surrogate = prior.counts[cand] * per_set if prior is not None else None
        if surrogate is not None and shrink is not None and shrink.kappa2 == 0:
            # the first round's runs added nothing the surrogate did not say: no run can
            # move an estimate off the prior, so the later KOLs follow its gains unrun
            gain[~taken] = (_covariates(surrogate, price) @ shrink.coef)[~taken]
            fresh[~taken] = k
        while True:
            order = np.flatnonzero(~taken)[np.argsort(-gain[~taken], kind="stable")]
            best = int(order[0])
            if fresh[best] == k:
                break
            stale = order[fresh[order] != k][:cand.size if k == 0 else batch_kols]
            base = np.asarray(chosen, dtype=np.int64)
            out = ev.values([np.append(base, cand[i]) for i in stale.tolist()])
            diff = out - current
            measured = diff.mean(axis=1)
            noise = diff.var(axis=1, ddof=1) / diff.shape[1] if diff.shape[1] > 1 else np.zeros(stale.size)
            if surrogate is not None:
                cov = _covariates(surrogate[stale], None if price is None else price[stale])
                if k == 0:  # the first round measures every candidate: fit the prior on it
                    shrink = _Shrinkage.fit(measured, noise, cov)
                if shrink is not None:
                    measured = shrink.posterior(measured, noise, cov)
            for j, i in enumerate(stale.tolist()):
                vals[i] = out[j]
                gain[i] = float(measured[j])
                fresh[i] = k
        if stop_at_loss and gain[best] <= 0:
            break
        chosen.append(int(cand[best]))
        taken[best] = True
        current = vals.get(best, current)
        if prior is not None:
            prior.cover(int(cand[best]))
    unrun = shrink is not None and shrink.kappa2 == 0
    report(f"choosing KOLs by simulation: {ev.runs:,} runs", budget, budget)
    LAST_STATS["simulated"] = {"runs": ev.runs, "replicates": replicates, "shortlist": int(cand.size),
                               "prior_scale": None if shrink is None else shrink.coef.tolist(),
                               "prior_spread": None if shrink is None else shrink.kappa2,
                               "note": ("the first round's runs added nothing to the surrogate's gains (prior "
                                        "spread 0): the later KOLs follow the surrogate") if unrun else "",
                               "objective": scenario.seeding.objective,
                               "value": None if unrun else float(np.mean(current)),  # (not run when unrun)
                               "kols": len(chosen), "time_select": time.perf_counter() - t0}
    return np.asarray(chosen, dtype=np.int32)


def _shortlist(graph: CSRGraph, scenario: Any, size: int,
               rng: np.random.Generator) -> tuple[np.ndarray, RRSets | None]:
    """Candidates: ris's ranking on the time-bounded surrogate, then top-degree agents
    not in it, `size` of each at most (every agent on a small graph); and ris's RR sets
    (None under complete mixing, where every agent is alike)."""
    if graph.complete:
        return np.arange(min(graph.n, 2 * size), dtype=np.int64), None
    keep: list[RRSets] = []
    surrogate = np.asarray(ris_seeds(graph, size, rng, scenario, sentinel=False, keep=keep), dtype=np.int64)
    rr = keep[0] if keep else None
    if graph.n <= 2 * size:
        return np.arange(graph.n, dtype=np.int64), rr
    deg = graph.out_degree()
    top = np.argsort(-deg, kind="stable")[:size]
    return np.concatenate([surrogate, top[~np.isin(top, surrogate)]]).astype(np.int64), rr


def _covariates(surrogate: np.ndarray, price: np.ndarray | None) -> np.ndarray:
    """What the prior regresses a simulated gain on: the surrogate's gain (adopters), and
    for net_npv the candidate's price."""
    return surrogate[:, None] if price is None else np.column_stack([surrogate, price])


class _Shrinkage:
    """Empirical Bayes for noisy simulated gains. Prior: gain ~ N(m, kappa2 m^2) with
    m = covariates @ coef (least squares over the first round's candidates); a measured
    gain g of noise variance v then estimates m + tau2 / (tau2 + v) (g - m), tau2 =
    kappa2 m^2. kappa2 is the spread of the first round's gains around m that is not
    noise: (sum (g - m)^2 - sum v) / sum m^2, at least 0."""

    def __init__(self, coef: np.ndarray, kappa2: float) -> None:
        self.coef, self.kappa2 = coef, kappa2

    @staticmethod
    def fit(g: np.ndarray, v: np.ndarray, cov: np.ndarray) -> _Shrinkage | None:
        if g.size < 2 * cov.shape[1] + 2 or not np.any(cov[:, 0] > 0):
            return None
        coef = np.linalg.lstsq(cov, g, rcond=None)[0]
        if coef[0] <= 0:  # the surrogate says nothing about the simulation here
            return None
        m = cov @ coef
        kappa2 = float((np.sum((g - m) ** 2) - np.sum(v)) / max(np.sum(m ** 2), 1e-12))
        return _Shrinkage(coef, kappa2 if kappa2 > 1e-9 else 0.0)  # (rounding is no spread)

    def posterior(self, g: np.ndarray, v: np.ndarray, cov: np.ndarray) -> np.ndarray:
        m = cov @ self.coef
        tau2 = self.kappa2 * m ** 2
        share = np.divide(tau2, tau2 + v, out=np.ones_like(tau2), where=(tau2 + v) > 0)
        return m + share * (g - m)


class _Evaluator:
    """Runs KOL sets on the full model: every set on the same `replicates` streams."""

    def __init__(self, graph: CSRGraph, scenario: Any, replicates: int, entropy: int) -> None:
        self.eng = NumpyEngine(graph, scenario)
        self.col = self.eng.metrics.index(scenario.seeding.objective)
        self.seqs = [np.random.SeedSequence(entropy, spawn_key=(r,)) for r in range(replicates)]
        self.batch = numpy_batch(scenario, graph.n, graph.n_arcs)  # also for a Mesa scenario: the same rules
        self.runs = 0

    def values(self, sets: list[np.ndarray]) -> np.ndarray:
        """(sets, replicates): the objective at the last step of each set's runs."""
        R = len(self.seqs)
        jobs = [(s, r) for s in range(len(sets)) for r in range(R)]
        out = np.empty(len(jobs))
        for a in range(0, len(jobs), self.batch):
            part = jobs[a:a + self.batch]
            table = self.eng.run_batch([np.random.default_rng(self.seqs[r]) for _, r in part],
                                       [sets[s] for s, _ in part])
            out[a:a + len(part)] = table[:, -1, self.col]
        self.runs += len(jobs)
        return out.reshape(len(sets), R)
