"""`bench-response`: how negative reach, rejecters, adopters and NPV change as the
response delay grows, for several policies, with common random numbers.

Every (policy, delay) point shares the graph and the replicate streams, and a `none`
baseline (the firm never answers) is run once, so "negative reach avoided" is a paired
difference per replicate. In cascade mode the delay is a percolation problem: a
complainer telling each follower with probability b per step for L steps has
transmissibility T = 1 - E[(1 - b)^L], and the crisis takes off once T exceeds the
graph's threshold (1/c on Erdős–Rényi; <k>/(<k^2> - <k>) in general).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..catalogs import POLICIES
from ..errors import WomSimError
from ..execution.run import make_graph
from ..files import write_csv
from ..model.metrics import metric_ci
from ..model.theory import delay_theory
from ..scenario import Scenario, StepUnit, load_scenario, nearest
from ..stats import mean_ci
from ..sweep import expand, final_rows, run_sweep
from .figures import save_response_plots

RESPONSE_CSV = "response.csv"
BASELINE = "none"

#: short parameter names accepted in --policies (capacity:C=5, threshold:X=20)
ALIASES = {"C": "capacity", "X": "threshold", "Q": "queue", "queue": "queue", "capacity": "capacity",
           "threshold": "threshold", "detect": "detect_prob", "resolve": "resolve_prob",
           "recovery": "recovery_prob", "repair": "repair_prob"}


@dataclass
class PolicySpec:
    label: str
    name: str
    params: dict[str, Any]

    def overrides(self) -> dict[str, Any]:
        return {"response.policy": self.name, **{f"response.{k}": v for k, v in self.params.items()}}


def parse_policies(text: str | None) -> list[PolicySpec]:
    """'fixed_delay,capacity:C=5,threshold:X=20' -> policy specs (names checked)."""
    specs = []
    for item in (text or "fixed_delay").split(","):
        item = item.strip()
        if not item:
            continue
        name, *params = item.split(":")
        if name not in POLICIES:
            raise WomSimError(f"--policies: unknown policy {name!r}{nearest(name, POLICIES)}; choose from "
                              f"{', '.join(POLICIES)} (parameters as capacity:C=5 or threshold:X=20)")
        values: dict[str, Any] = {}
        for p in params:
            key, eq, raw = p.partition("=")
            if not eq or key not in ALIASES:
                raise WomSimError(f"--policies {item!r}: parameter {p!r} should be KEY=VALUE with KEY one of "
                                  f"{', '.join(sorted(ALIASES))}{nearest(key, ALIASES)}")
            target = ALIASES[key]
            if target == "queue":
                values[target] = raw
                continue
            try:
                values[target] = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                raise WomSimError(f"--policies {item!r}: {key}={raw!r} is not a number; give one, e.g. "
                                  f"capacity:C=5 or threshold:X=20") from None
        specs.append(PolicySpec(item, name, values))
    return specs


def parse_delays(text: str | None) -> list[int]:
    try:
        delays = [int(x) for x in (text or "0,1,2,4,8,16").split(",") if x.strip()]
    except ValueError:
        raise WomSimError(f"--delays {text!r}: give whole numbers of steps, e.g. --delays 0,1,2,4,8") from None
    if not delays or min(delays) < 0:
        raise WomSimError(f"--delays {text!r}: give delays of 0 or more steps")
    return sorted(set(delays))


# ----------------------------------------------------------------------------- running


@dataclass
class Bench:
    out: Path
    policies: list[PolicySpec]
    delays: list[int]
    teams: dict[str, int] = field(default_factory=dict)  # --teams: team name -> its delay (then no policies)
    metrics: list[str] = field(default_factory=list)
    finals: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)  # (label, delay) -> (R, M)
    folders: dict[tuple[str, int], Path] = field(default_factory=dict)
    theory: dict[str, Any] = field(default_factory=dict)
    baseline: str = BASELINE  # the policy every other is measured against (run once)
    unit: StepUnit = field(default_factory=StepUnit)  # what a step (and so a delay) is: "hours"

    @property
    def replicates(self) -> int:
        return int(self.finals[(BASELINE, 0)].shape[0])

    def avoided(self, label: str, delay: int, metric: str = "negative_reach") -> tuple[float, float, float]:
        """Paired reduction against no response: baseline - policy, mean and 95% CI."""
        i = self.metrics.index(metric)
        d = self.finals[(BASELINE, 0)][:, i] - self.finals[(label, delay)][:, i]
        m, lo, hi = mean_ci(d)
        return float(m), float(lo), float(hi)


def bench_response(scenario: Scenario | dict | str | Path, out: str | Path,
                   policies: str | list[str] | list[PolicySpec] = "fixed_delay",
                   delays: str | list[int] = "0,1,2,4,8,16", *, teams: str | list[str] | None = None,
                   workers: int = 1, scheduler: str | None = None,
                   resume: bool = False, force: bool = False, plots: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> Bench:
    """Every policy x response delay of a scenario, beside a no-response baseline run
    once, with common random numbers; writes `out`/response.csv, break_even.csv and
    figures.

    `policies` as --policies takes them ("fixed_delay,capacity:C=5:queue=by_reach") or
    a list; `delays` in steps. `teams` ("in_house,agency" or a list) compares the named
    teams of [response.teams] instead, each with its own delay, detection, costs and
    backfire (policies and delays are then ignored). The grid runs on the sweep
    machinery (resumable, local processes or Dask).

    >>> import tempfile, wom_sim
    >>> sc = {"scenario": {"steps": 15, "replicates": 3}, "graph": {"n": 500},
    ...       "seeding": {"budget": 0, "initial_complainers": 5}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     bench = wom_sim.bench_response(sc, d + "/resp", "fixed_delay", [0, 8], plots=False)
    >>> sorted(bench.finals)       # (policy, delay) -> final metrics of every replicate
    [('fixed_delay', 0), ('fixed_delay', 8), ('none', 0)]
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(policies, str):
        policies = parse_policies(policies)
    else:
        policies = [p if isinstance(p, PolicySpec) else parse_policies(p)[0] for p in policies]
    if isinstance(delays, str):
        delays = parse_delays(delays)
    if all(spec.name == BASELINE for spec in policies):
        raise WomSimError(f"--policies {','.join(p.label for p in policies) or 'none'}: '{BASELINE}' is the baseline "
                          "and always runs; name at least one policy to measure against it, e.g. "
                          "--policies fixed_delay,capacity:C=5")
    combos: list[dict[str, Any]] = [{"response.policy": BASELINE, "response.delay": 0}]
    labels: list[tuple[str, int]] = [(BASELINE, 0)]
    team_delays: dict[str, int] = {}
    if teams is not None:
        for name in parse_teams(teams, sc):
            over = sc.response.teams[name].overrides()
            team_delays[name] = int(over.get("response.delay", sc.response.delay))
            combos.append(over)
            labels.append((name, team_delays[name]))
        policies = []
    for spec in policies:
        if spec.name == BASELINE:
            continue
        for d in delays:
            combos.append({**spec.overrides(), "response.delay": d})
            labels.append((spec.label, d))
    points = expand(sc, combos)  # validates every point (e.g. capacity:C=0) before running
    run_sweep(sc, out, workers=workers, scheduler=scheduler, resume=resume, force=force, plots=False,
              progress=progress, points=points)
    out = Path(out)
    bench = Bench(out, [p for p in policies if p.name != BASELINE], delays if not team_delays else [],
                  teams=team_delays, unit=sc.scenario.unit)
    for p, key in zip(points, labels):
        bench.metrics, bench.finals[key] = final_rows(out / "points" / p.folder)
        bench.folders[key] = out / "points" / p.folder
    if sc.wom.mode == "cascade" and not team_delays:
        bench.theory = delay_theory(sc, make_graph(points[0].scenario).out_degree(), delays,
                                    erdos_renyi=sc.graph.kind == "erdos_renyi")
    write_response_csv(bench)
    write_break_even_csv(bench)
    if plots:
        save_response_plots(bench)
    return bench


class Rise(NamedTuple):
    """The largest rise of a metric between consecutive delays: the delays, the mean
    rise, and its paired 95% interval (NaN with fewer than 3 replicates)."""
    before: int
    after: int
    rise: float
    lo: float
    hi: float

    @property
    def is_jump(self) -> bool:
        """A jump is a rise beyond the noise: its paired 95% interval lies above 0."""
        return bool(self.rise > 0 and np.isfinite(self.lo) and self.lo > 0)


def largest_rise(bench: Bench, label: str, metric: str = "negative_reach") -> Rise | None:
    """The consecutive delays between which `metric` rises most (in the mean), with the
    paired 95% interval of that rise: replicate r of every delay runs on the same
    random numbers (stream (seed, 2, r)), so the rise is measured replicate by
    replicate. None with fewer than two delays."""
    if len(bench.delays) < 2:
        return None
    i = bench.metrics.index(metric)
    finals = np.stack([bench.finals[(label, d)][:, i] for d in bench.delays])  # (delays, R)
    rises = np.diff(finals, axis=0)
    k = int(np.argmax(rises.mean(axis=1)))
    m, lo, hi = mean_ci(rises[k])
    return Rise(bench.delays[k], bench.delays[k + 1], float(m), float(lo), float(hi))


def jump(bench: Bench, label: str, metric: str = "negative_reach") -> Rise | None:
    """The consecutive delays between which `metric` rises most, if that rise is a jump:
    its paired 95% interval excludes 0 (Rise.is_jump); else None."""
    r = largest_rise(bench, label, metric)
    return r if r is not None and r.is_jump else None


def parse_teams(text: str | list[str], sc: Scenario) -> list[str]:
    """'in_house,agency' -> team names, each a [response.teams.NAME] of the scenario."""
    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    have = list(sc.response.teams)
    if not names:
        raise WomSimError(f"--teams: name at least one team of [response.teams] ({', '.join(have) or 'none defined'})")
    for t in names:
        if t not in have:
            raise WomSimError(f"--teams: {sc.source} has no team {t!r}{nearest(t, have)}; its teams: "
                              f"{', '.join(have) or 'none (add [response.teams.NAME] tables)'}")
    if len(set(names)) != len(names):
        raise WomSimError("--teams names a team twice; list each once")
    return names


def points_of(bench: Bench) -> list[tuple[str, int]]:
    """Every (policy or team, delay) measured, the no-response baseline first."""
    if bench.teams:
        return [(BASELINE, 0)] + list(bench.teams.items())
    return [(BASELINE, 0)] + [(p.label, d) for p in bench.policies for d in bench.delays]


class BreakEven(NamedTuple):
    """The slowest answer that still pays: `best` is the delay with the highest mean net
    NPV; `slowest` the largest delay whose net NPV is within its paired 95% interval of
    the best's (gap = best - slowest, mean and interval)."""
    label: str
    best: int
    slowest: int
    gap: float
    lo: float
    hi: float


def break_even(bench: Bench, label: str, metric: str = "net_npv") -> BreakEven | None:
    """The break-even delay of one policy (None with fewer than two delays)."""
    if len(bench.delays) < 2:
        return None
    i = bench.metrics.index(metric)
    vals = {d: bench.finals[(label, d)][:, i] for d in bench.delays}
    best = max(bench.delays, key=lambda d: (float(vals[d].mean()), -d))
    slowest, gap = best, (0.0, 0.0, 0.0)
    for d in bench.delays:
        if d <= best:
            continue
        m, lo, hi = mean_ci(vals[best] - vals[d])  # paired: replicate r of every delay shares its stream
        if not np.isfinite(lo) or lo <= 0:
            slowest, gap = d, (float(m), float(lo), float(hi))
    return BreakEven(label, best, slowest, *gap)


def write_break_even_csv(bench: Bench) -> Path | None:
    """break_even.csv: per policy, the best delay by net NPV and the slowest within its interval."""
    rows = []
    for p in bench.policies:
        b = break_even(bench, p.label)
        if b is not None:
            rows.append([b.label, b.best, b.slowest, b.gap, b.lo, b.hi])
    if not rows:
        return None
    return write_csv(bench.out / "break_even.csv",
                     ["policy", "best_delay", "break_even_delay", "net_npv_gap", "ci_low", "ci_high"], rows)


def write_response_csv(bench: Bench) -> Path:
    """response.csv: policy, delay, metric, mean, ci_low, ci_high (the baseline first;
    with --teams, the team's name and its delay)."""
    rows = []
    for label, d in points_of(bench):
        m, lo, hi = metric_ci(bench.finals[(label, d)], bench.metrics)
        for i, metric in enumerate(bench.metrics):
            rows.append([label, d, metric, m[i], lo[i], hi[i]])
    return write_csv(bench.out / RESPONSE_CSV, ["policy", "delay", "metric", "mean", "ci_low", "ci_high"], rows)


__all__ = ["bench_response", "parse_policies", "parse_delays", "parse_teams", "jump", "largest_rise", "Rise", "Bench",
           "PolicySpec", "BreakEven", "break_even", "points_of"]
