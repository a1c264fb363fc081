"""ABC-SMC: approximate Bayesian computation by sequential Monte Carlo (Beaumont, Cornuet,
Marin & Robert 2009; Del Moral, Doucet & Jasra 2012's adaptive tolerances), written so
that the numbers never depend on the workers, the scheduler or an interruption.

Why our own and not pyabc, sbi or elfi (docs/model.md section 12): pyabc accepts the
particles that finish first (its parallel samplers make the posterior depend on the
number of workers and on timing) and keeps its state in a database; sbi's neural
estimators need torch and training, far from a 2-core laptop's minutes; elfi is little
maintained. This module is ~150 lines on numpy, driven by wom-sim's own executors.

The algorithm, in the unit cube u in [0, 1]^d of the priors (fit/priors.py):
  generation 0   N particles from the prior, all kept (tolerance infinite);
  generation t   tolerance eps_t = the `quantile` of generation t-1's distances;
                 proposals: a particle of t-1 drawn by weight, moved in logit space by a
                 normal kernel of twice the population's weighted covariance; a proposal
                 is kept when its simulated distance is <= eps_t, until N are kept;
                 weight = prior density / mixture density of the kernel (in logit space,
                 where the uniform prior has density u (1 - u) and the kernel is never
                 truncated).
Proposal k of generation t draws from the stream (seed, 3, t, k) and is simulated as
replicate `sim_id(t, k)`: proposals are evaluated in rounds of a size fixed by earlier
results only, and kept in order of k, so the result is the same for any parallelism.
It stops after `generations`, when a generation keeps fewer than `min_acceptance` of
its proposals, or before a generation would pass the simulation budget.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..streams import stream

#: a generation's proposals are numbered below this (sim_id keeps generations apart)
MAX_PROPOSALS = 10_000_000


@dataclass
class Generation:
    """One population: particles `u` (N, d) in the unit cube, normalised weights, the
    distances of their simulations, the tolerance, and what it cost."""
    t: int
    eps: float
    u: np.ndarray
    w: np.ndarray
    d: np.ndarray
    proposals: int

    @property
    def acceptance(self) -> float:
        return self.u.shape[0] / max(self.proposals, 1)

    def ess(self) -> float:
        """Effective sample size of the weights."""
        return float(1.0 / np.sum(self.w ** 2))

    def to_json(self) -> dict:
        return {"t": self.t, "eps": self.eps, "u": self.u.tolist(), "w": self.w.tolist(), "d": self.d.tolist(),
                "proposals": self.proposals}

    @classmethod
    def from_json(cls, x: dict) -> Generation:
        return cls(int(x["t"]), float(x["eps"]), np.asarray(x["u"], dtype=np.float64),
                   np.asarray(x["w"], dtype=np.float64), np.asarray(x["d"], dtype=np.float64), int(x["proposals"]))


@dataclass
class Settings:
    particles: int = 200
    generations: int = 6
    quantile: float = 0.5
    min_acceptance: float = 0.02
    max_simulations: int = 20_000


def sim_id(t: int, k: int) -> int:
    """The replicate index that simulates proposal k of generation t (unique per fit)."""
    return t * MAX_PROPOSALS + k


#: simulate(u (k, d), ids (k,)) -> distances (k,)
Simulate = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _logit(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return np.log(u) - np.log1p(-u)


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    c = np.cumsum(w[order])
    return float(x[order][min(int(np.searchsorted(c, q * c[-1])), x.size - 1)])


class Kernel:
    """The proposal of generation t: a mixture of normals around the previous particles in
    logit space (covariance twice the weighted one, Beaumont et al. 2009)."""

    def __init__(self, prev: Generation) -> None:
        self.z = _logit(prev.u)
        self.w = prev.w
        d = self.z.shape[1]
        cov = np.atleast_2d(np.cov(self.z, rowvar=False, aweights=self.w)) * 2.0
        cov += np.eye(d) * 1e-6
        self.chol = np.linalg.cholesky(cov)
        self.prec = np.linalg.inv(cov)
        self.lognorm = -0.5 * (d * math.log(2 * math.pi) + float(np.linalg.slogdet(cov)[1]))
        self.cum = np.cumsum(self.w)

    def propose(self, seed: int, t: int, k: int) -> np.ndarray:
        rng = stream(seed, 3, t, k)
        j = min(int(np.searchsorted(self.cum, rng.random() * self.cum[-1], side="right")), self.z.shape[0] - 1)
        return _expit(self.z[j] + self.chol @ rng.standard_normal(self.z.shape[1]))

    def weights(self, u: np.ndarray) -> np.ndarray:
        """Prior density / proposal density of particles `u`, in logit space."""
        z = _logit(u)
        log_prior = np.sum(np.log(np.clip(u, 1e-300, None)) + np.log(np.clip(1 - u, 1e-300, None)), axis=1)
        diff = z[:, None, :] - self.z[None, :, :]
        quad = np.einsum("kjd,de,kje->kj", diff, self.prec, diff)
        logk = self.lognorm - 0.5 * quad + np.log(self.w)[None, :]
        mx = logk.max(axis=1, keepdims=True)
        log_mix = (mx + np.log(np.exp(logk - mx).sum(axis=1, keepdims=True)))[:, 0]
        return np.exp(log_prior - log_mix - np.max(log_prior - log_mix))


def first_generation(seed: int, d: int, s: Settings, simulate: Simulate) -> Generation:
    """N particles from the prior (uniform on the unit cube), all kept."""
    u = np.stack([stream(seed, 3, 0, k).random(d) for k in range(s.particles)])
    dist = simulate(u, np.array([sim_id(0, k) for k in range(s.particles)], dtype=np.int64))
    return Generation(0, math.inf, u, np.full(s.particles, 1.0 / s.particles), dist, s.particles)


def next_generation(seed: int, prev: Generation, s: Settings, simulate: Simulate, budget: int) -> Generation | None:
    """Generation prev.t + 1, or None when it could not keep N particles within `budget`
    proposals (the fit then ends with `prev`)."""
    t = prev.t + 1
    eps = _weighted_quantile(prev.d, prev.w, s.quantile)
    kern = Kernel(prev)
    N = s.particles
    kept_u: list[np.ndarray] = []
    kept_d: list[float] = []
    k = 0
    rate = max(prev.acceptance, s.min_acceptance) if t > 1 else 0.5
    while len(kept_u) < N:
        need = N - len(kept_u)
        size = int(min(max(math.ceil(1.1 * need / max(rate, s.min_acceptance)), need), 10 * N, budget - k))
        if size <= 0:
            return None
        u = np.stack([kern.propose(seed, t, k + i) for i in range(size)])
        dist = simulate(u, np.array([sim_id(t, k + i) for i in range(size)], dtype=np.int64))
        ok = np.flatnonzero(dist <= eps)[:need]
        kept_u.extend(u[ok])
        kept_d.extend(dist[ok].tolist())
        k += size
        rate = max(len(kept_u) / k, s.min_acceptance / 2)
    U = np.stack(kept_u)
    w = kern.weights(U)
    return Generation(t, eps, U, w / w.sum(), np.asarray(kept_d), k)


def run_smc(seed: int, d: int, s: Settings, simulate: Simulate, done: list[Generation] | None = None,
            on_generation: Callable[[Generation, int], None] | None = None) -> tuple[list[Generation], str]:
    """All generations (continuing from `done`, e.g. a resumed fit) and why it stopped.
    `on_generation(gen, simulations so far)` is called as each generation completes."""
    gens = list(done or [])
    if not gens:
        gens.append(first_generation(seed, d, s, simulate))
        if on_generation:
            on_generation(gens[-1], sum(g.proposals for g in gens))
    while True:
        used = sum(g.proposals for g in gens)
        last = gens[-1]
        if len(gens) >= s.generations:
            return gens, f"reached {s.generations} generations"
        if last.t > 0 and last.acceptance < s.min_acceptance:
            return gens, (f"acceptance fell to {last.acceptance:.1%} (below {s.min_acceptance:.0%}): the data "
                          f"allow little more precision")
        expected = math.ceil(s.particles / max(last.acceptance * (0.5 if last.t > 0 else 1.0), s.min_acceptance))
        if used + min(expected, 2 * s.particles) > s.max_simulations:
            return gens, f"the simulation budget ({s.max_simulations:,}) would be passed"
        nxt = next_generation(seed, last, s, simulate, s.max_simulations - used)
        if nxt is None:
            return gens, f"the simulation budget ({s.max_simulations:,}) ran out within a generation"
        gens.append(nxt)
        if on_generation:
            on_generation(nxt, sum(g.proposals for g in gens))


def resample(gen: Generation, size: int, seed: int) -> np.ndarray:
    """`size` particle indices drawn by weight (systematic resampling, stream (seed, 4))."""
    u0 = stream(seed, 4).random()
    c = np.cumsum(gen.w)
    return np.minimum(np.searchsorted(c, (u0 + np.arange(size)) / size * c[-1], side="right"), gen.w.size - 1)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    return [_weighted_quantile(x, w, q) for q in qs]
