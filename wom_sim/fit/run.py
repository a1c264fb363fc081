"""`wom-sim fit`: calibrate a scenario's parameters to observed series by ABC-SMC
(fit/abc.py) on wom-sim's own engines, then forecast with the posterior.

Layout of a fit folder:
    fit-state.json    the fit's definition and every finished generation (written after
                      each one: an interrupted fit resumes with --resume, and gives the
                      same numbers as one never interrupted)
    fit.json          per parameter: estimate (posterior median), ci90, prior, whether the
                      data identify it; method, simulations, distance; the Bass baseline
    posterior.csv     the final population: particle, weight, distance, one column per key
    forecast.csv      step, metric, median, q05, q95, observed, part (train / held_out /
                      forecast), bass
    fit_forecast.png  observed against the posterior predictive band, Bass beside it
    fit_posterior.png the pairwise posterior

The distance between a simulation and the data is the root mean square of
(simulated - observed) / scale over the observed (training) points, each metric weighted
alike; a metric's scale is the larger of its observed standard deviation, a tenth of
its mean absolute value, and 1. Numbers never depend on the workers (abc.py).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError, WomSimError
from ..execution import make_executor
from ..execution.memory import check_fits
from ..execution.run import run_points
from ..files import MARKER, atomic_write_text, claim_folder, write_csv
from ..scenario import Scenario, apply_point, load_scenario, validate_dict
from .abc import Generation, Settings, resample, run_smc, sim_id, weighted_quantiles
from .bass import fit_bass
from .data import Observed, read_observed
from .priors import Prior, parse_priors
from .result import FitResult, ParamEstimate

STATE = "fit-state.json"
#: posterior predictive simulations (the forecast's median and 90% band)
PREDICTIVE = 200
METHOD = ("ABC-SMC (Beaumont et al. 2009; adaptive tolerance at the median distance; normal kernel in logit "
          "space), wom-sim's own implementation")


# --- simulation ----------------------------------------------------------------------


def simulate_unit(base: dict, keys: list[str], values: list[list[Any]], reps: list[int], metrics: list[str],
                  steps: list[int] | None) -> np.ndarray:
    """One unit of work, run wherever the executor puts it: scenario `base` with
    keys = values[i] as replicate reps[i], for each i; the `metrics` at `steps` (all
    steps when None): (len(reps), len(metrics), len(steps))."""
    scenarios = [validate_dict(apply_point(base, dict(zip(keys, vals))), "<fit>") for vals in values]
    tables, names = run_points(scenarios, reps)  # points of one model in batches (their numbers as alone)
    idx = [names.index(m) for m in metrics]
    return np.stack([t[:, idx].T if steps is None else t[:, idx].T[:, steps] for t in tables])


class Simulator:
    """Runs batches of parameter points on the executor, in order, chunked for the workers."""

    def __init__(self, base: dict, priors: list[Prior], workers: int, scheduler: str | None) -> None:
        self.base, self.priors, self.workers = base, priors, workers
        self.keys = [p.key for p in priors]
        self.ex = make_executor(workers, scheduler)
        self.on_done: Callable[[int], None] | None = None

    def values(self, u: np.ndarray) -> list[list[Any]]:
        return [[p.value(float(ui)) for p, ui in zip(self.priors, row)] for row in u]

    def run(self, u: np.ndarray, reps: np.ndarray, metrics: list[str], steps: list[int] | None) -> np.ndarray:
        vals = self.values(u)
        k = len(vals)
        # chunks of up to 256 points: a chunk's points run as batches (run_points), and
        # each worker still gets a couple of chunks for the progress bar and the balance
        size = max(1, min(256, math.ceil(k / (2 * self.workers))))
        futures = {}
        for a in range(0, k, size):
            f = self.ex.submit(simulate_unit, self.base, self.keys, vals[a:a + size], reps[a:a + size].tolist(),
                               metrics, steps)
            futures[f] = a
        parts: dict[int, np.ndarray] = {}
        pending = set(futures)
        while pending:
            done, pending = self.ex.wait_any(pending)
            for f in done:
                parts[futures[f]] = f.result()
                if self.on_done:
                    self.on_done(parts[futures[f]].shape[0])
        return np.concatenate([parts[a] for a in sorted(parts)])

    def close(self, cancel: bool = False) -> None:
        self.ex.shutdown(cancel=cancel)


class Distance:
    """RMS of scaled differences over the observed points (module docstring)."""

    def __init__(self, obs: Observed) -> None:
        self.metrics = obs.metrics
        self.steps = sorted({int(s) for st, _ in obs.series.values() for s in st})
        col = {s: i for i, s in enumerate(self.steps)}
        self.cols = [np.array([col[int(s)] for s in obs.series[m][0]]) for m in self.metrics]
        self.y = [obs.series[m][1] for m in self.metrics]
        self.scale = [max(float(np.std(y)), 0.1 * float(np.mean(np.abs(y))), 1.0) for y in self.y]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (k, metrics, steps) at self.steps -> (k,) distances."""
        total = np.zeros(x.shape[0])
        for i, (c, y, s) in enumerate(zip(self.cols, self.y, self.scale)):
            total += np.mean(((x[:, i, c] - y) / s) ** 2, axis=1)
        return np.sqrt(total / len(self.metrics))


# --- the fit ---------------------------------------------------------------------------


def _spec(sc: Scenario, obs: Observed, priors: list[Prior], s: Settings, train_until: int) -> dict:
    """What defines a fit: a resumed fit must match it exactly."""
    base = sc.to_dict()
    base.pop("sweep", None)
    return json.loads(json.dumps({
        "scenario": base, "priors": {p.key: p.to_json() for p in priors},
        "observed": {m: [st.tolist(), v.tolist()] for m, (st, v) in obs.series.items()},
        "train_until": train_until,
        "settings": {"particles": s.particles, "generations": s.generations, "quantile": s.quantile,
                     "min_acceptance": s.min_acceptance, "max_simulations": s.max_simulations}}))


def _prepare(out: Path, spec: dict, resume: bool, force: bool) -> list[Generation]:
    """Check the folder against this fit; return the generations already done."""
    state = out / STATE
    if state.exists():
        try:
            old = json.loads(state.read_text())
        except ValueError:
            old = {}
        if force:
            for f in out.iterdir():
                if f.name != MARKER and f.is_file() and (f.name == STATE or f.name.startswith(("fit", "posterior",
                                                                                                  "forecast"))):
                    f.unlink()
            return []
        if old.get("spec") != spec:
            raise WomSimError(f"{out} holds a different fit (another scenario, data, --fit range or setting)"
                              f"{'; --resume cannot continue it' if resume else ''}. Choose another -o folder, or "
                              f"add --force to delete it and start over.")
        if not resume:
            raise WomSimError(f"{out} already holds this fit; add --resume to finish it (finished generations are "
                              f"kept), or --force to start over.")
        return [Generation.from_json(g) for g in old.get("generations", [])]
    if resume and out.exists() and any(out.iterdir()):
        raise WomSimError(f"{out} has no {STATE}: there is no fit to resume there. Drop --resume, or use another "
                          f"-o folder.")
    claim_folder(out, force=force, what="results")
    return []


def _save_state(out: Path, spec: dict, gens: list[Generation], stop: str | None) -> None:
    atomic_write_text(out / STATE, json.dumps({"spec": spec, "generations": [g.to_json() for g in gens],
                                               "complete": stop is not None, "stop_reason": stop}) + "\n")


def fit_scenario(scenario: Scenario | dict | str | Path, data: str | Path | Observed, params: list[str] | list[Prior],
        out: str | Path, *, train_steps: int | None = None, particles: int = 200, generations: int = 6,
        max_simulations: int = 20_000, predictive: int = PREDICTIVE, workers: int = 1,
        scheduler: str | None = None, resume: bool = False, force: bool = False, plots: bool = True,
        progress: Callable[[int, int], None] | None = None) -> FitResult:
    """Calibrate `params` of a scenario to observed series and forecast from the posterior.

    `data`: OBSERVED.csv (fit/data.py) or an Observed. `params`: "KEY=LOW:HIGH[:log]"
    specs or Priors. `train_steps`: fit on the observations up to this step only and
    hold out the rest (the forecast's test); None uses all. `particles`, `generations`,
    `max_simulations`: the ABC-SMC's size (fit/abc.py). Writes the folder described in
    the module docstring into `out`; `resume` continues an interrupted fit there.
    `progress(done, total)` counts simulations (total is an estimate that firms up).

    >>> import tempfile, wom_sim
    >>> from wom_sim.fit import Observed
    >>> sc = {"scenario": {"steps": 10, "seed": 1}, "graph": {"n": 200}}
    >>> obs = Observed("demo", {"adopters": (np.arange(11), np.linspace(20, 60, 11))})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     res = wom_sim.fit_scenario(sc, obs, ["wom.p_external=0.001:0.1"], d + "/f", particles=20, generations=2,
    ...                               predictive=10, plots=False)
    >>> len(res.generations), res.simulations >= 40
    (2, True)
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.scenario.engine == "mesa":
        raise ScenarioError(f"{sc.source}: fitting runs thousands of simulations; use the NumPy engine "
                            f"(--set scenario.engine=\"numpy\"): it runs the same rules")
    metrics_all = _metric_names(sc)
    obs = data if isinstance(data, Observed) else read_observed(str(data), metrics_all, sc.scenario.steps)
    pri = ([p for p in params if isinstance(p, Prior)] if all(isinstance(p, Prior) for p in params)
           else parse_priors([str(p) for p in params], sc))
    for n, what in ((particles, "particles"), (generations, "generations"), (predictive, "predictive")):
        if n < 1 or (what == "particles" and n < 10):
            raise WomSimError(f"--{what} {n}: give at least {10 if what == 'particles' else 1}")
    if max_simulations < particles:
        raise WomSimError(f"--max-simulations {max_simulations}: give at least --particles ({particles})")
    last = obs.last_step
    train_until = last if train_steps is None else int(train_steps)
    if train_until < 0:
        raise WomSimError(f"--train-steps {train_steps}: give a step from 0 to {last}")
    train = obs.until(train_until)
    if not train.series or sum(s.size for s, _ in train.series.values()) < 2:
        raise WomSimError(f"{obs.source}: fewer than 2 observations up to step {train_until}; a fit needs more "
                          f"(raise --train-steps)")
    s = Settings(particles=particles, generations=generations, max_simulations=max_simulations)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WomSimError(f"{out}: is a file, not a folder; choose another output folder (-o DIR)")
    check_fits(sc, 1 if scheduler else workers)
    spec = _spec(sc, obs, pri, s, train_until)
    done = _prepare(out, spec, resume, force)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / MARKER, "written by wom-sim; --force may replace the files it wrote here\n")
    base = spec["scenario"]
    dist = Distance(train)
    sim = Simulator(base, pri, workers, scheduler)
    seed = sc.scenario.seed
    count = [sum(g.proposals for g in done)]

    def estimate(gens: list[Generation]) -> int:
        used = sum(g.proposals for g in gens)
        if not gens:
            return min(max_simulations, particles * (1 + 2 * (generations - 1))) + predictive
        rate = max(gens[-1].acceptance if gens[-1].t else 0.5, s.min_acceptance)
        left = max(generations - len(gens), 0)
        return min(max_simulations, used + int(left * particles / (rate * 0.7))) + predictive

    def tick(k: int) -> None:
        count[0] += k
        if progress:
            progress(count[0], max(estimate(done), count[0] + 1))

    sim.on_done = tick
    try:
        if progress:
            progress(count[0], estimate(done))

        def simulate(u: np.ndarray, ids: np.ndarray) -> np.ndarray:
            return dist(sim.run(u, ids, dist.metrics, dist.steps))

        def saved(g: Generation, used: int) -> None:
            if not done or done[-1].t < g.t:
                done.append(g)
            _save_state(out, spec, done, None)

        gens, reason = run_smc(seed, len(pri), s, simulate, done, saved)
        final = gens[-1]
        pick = resample(final, predictive, seed)
        ids = np.array([sim_id(999, i) for i in range(predictive)], dtype=np.int64)
        pred_metrics = list(dict.fromkeys(obs.metrics))
        pred = sim.run(final.u[pick], ids, pred_metrics, None)
        count[0] = sum(g.proposals for g in gens) + predictive
        if progress:
            progress(count[0], count[0])
    except BaseException:
        sim.close(cancel=True)
        raise
    sim.close()
    res = FitResult(out=out, scenario=sc, observed=obs, train_until=train_until, priors=pri, generations=gens,
                    stop_reason=reason, params=_estimates(final, pri), steps=np.arange(sc.scenario.steps + 1),
                    predictive={m: pred[:, i, :] for i, m in enumerate(pred_metrics)})
    _baselines(res, train)
    _write(res)
    if plots:
        from .figures import save_fit_figures
        save_fit_figures(res)
    _save_state(out, spec, gens, reason)
    return res


def _metric_names(sc: Scenario) -> list[str]:
    """The metrics a scenario's runs report (from its funnel, without building an engine)."""
    from ..model.metrics import metric_names
    from ..model.rules import funnel_of
    return metric_names(funnel_of(sc))


def _estimates(final: Generation, priors: list[Prior]) -> dict[str, ParamEstimate]:
    out = {}
    for j, p in enumerate(priors):
        lo_u, med_u, hi_u = weighted_quantiles(final.u[:, j], final.w, (0.05, 0.5, 0.95))
        out[p.key] = ParamEstimate(p, float(p.value(med_u)), (float(p.value(lo_u)), float(p.value(hi_u))),
                                   min((hi_u - lo_u) / 0.9, 1.0))
    return out


def _rmse(pred: np.ndarray, obs: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - obs) ** 2)))


def _baselines(res: FitResult, train: Observed) -> None:
    """The Bass fit on the training part of each metric, and both models' errors on the
    held-out observations (root mean square, in the metric's unit)."""
    held = res.observed.after(res.train_until)
    for m in res.observed.metrics:
        if m not in train.series:
            res.bass[m] = None
            continue
        st, v = train.series[m]
        res.bass[m] = b = fit_bass(m, st, v)
        if m in held.series:
            hs, hv = held.series[m]
            med = res.band(m)[0]
            res.errors[m] = {"wom-sim": _rmse(med[hs], hv), "bass": _rmse(b.predict(hs), hv) if b else math.nan,
                             "held_out_points": int(hs.size)}


def _write(res: FitResult) -> None:
    from ..files import fmt
    out = res.out
    final = res.final
    summary = {
        "params": {k: p.to_json() for k, p in res.params.items()},
        "method": METHOD,
        "simulations": res.simulations + next(iter(res.predictive.values())).shape[0],
        "generations": [{"t": g.t, "tolerance": g.eps if math.isfinite(g.eps) else None, "proposals": g.proposals,
                         "acceptance": round(g.acceptance, 4), "ess": round(g.ess(), 1)} for g in res.generations],
        "stop_reason": res.stop_reason,
        "distance": {"definition": "root mean square of (simulated - observed) / scale over the training points; "
                                   "scale = max(sd, 0.1 * mean |observed|, 1) per metric",
                     "tolerance": final.eps if math.isfinite(final.eps) else None,
                     "median": float(np.median(final.d)), "best": float(final.d.min())},
        "observed": {"file": str(res.observed.source), "metrics": res.observed.metrics,
                     "train_until_step": res.train_until, "last_step": res.observed.last_step},
        "forecast_error": res.errors,
        "bass": {m: (b.to_json() if b else None) for m, b in res.bass.items()},
        "not_identified": [p.prior.key for p in res.flat()],
        **res.unit.to_json(),
    }
    atomic_write_text(out / "fit.json", json.dumps(summary, indent=2) + "\n")
    keys = [p.key for p in res.priors]
    vals = [p.value(final.u[:, j]) for j, p in enumerate(res.priors)]
    write_csv(out / "posterior.csv", ["particle", "weight", "distance", *keys],
              ([i, final.w[i], final.d[i], *[v[i] for v in vals]] for i in range(final.w.size)))
    rows = []
    for m in res.observed.metrics:
        med, lo, hi = res.band(m)
        b = res.bass.get(m)
        bass = b.predict(res.steps) if b else None
        for t in res.steps:
            o = res.observed.value_at(m, int(t))
            part = "forecast" if math.isnan(o) else ("train" if t <= res.train_until else "held_out")
            rows.append([int(t), m, med[t], lo[t], hi[t], "" if math.isnan(o) else fmt(o), part,
                         "" if bass is None else fmt(bass[t])])
    write_csv(out / "forecast.csv", ["step", "metric", "median", "q05", "q95", "observed", "part", "bass"], rows)
