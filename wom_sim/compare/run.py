"""`compare-seeding`: every strategy x budget on one scenario, with common random numbers.

All points share the graph and the replicate streams (seed, 2, r), so replicate r of
strategy A and replicate r of random see the same dynamics randomness: the paired
difference per replicate removes most of the noise, and the lift over random gets a
paired 95% interval. Fixed picks (degree, greedy, ris, ...) are made once in this
process and timed, at the largest count budget, and smaller budgets take the first
picks of that ranking (every strategy here ranks best first, so answers are nested;
`selection_s` is the time of that one pick). Random draws a fresh pick per replicate
(stream (seed, 1, r)).

Runs on the sweep machinery (points, workers, Dask, --resume).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..catalogs import STRATEGIES
from ..errors import WomSimError
from ..execution.cache import GraphCache
from ..execution.memory import check_grid_fits
from ..execution.run import make_graph
from ..files import write_csv
from ..model.metrics import metric_ci, seeding_value
from ..results import RunResult
from ..scenario import Scenario, StepUnit, load_scenario, nearest, sweep_points
from ..seeding import KOL_COLUMNS, SeedPlan, kol_cost, kol_rows, plan_seeds
from ..stats import mean_ci
from ..sweep import Point, expand, run_sweep
from .figures import save_comparison_plots

BASELINE = "random"
COMPARISON_CSV = "comparison.csv"
KOLS_CSV = "kols.csv"
VALUE_CSV = "seeding_value.csv"
#: the point without KOLs (same streams): what seeding adds is measured against it
NO_KOLS = ("none", 0)


@dataclass
class Choice:
    """One strategy at one budget: its KOLs, their cost, and how long picking took."""
    strategy: str
    budget: float
    kols: np.ndarray | None  # None: drawn per replicate
    seconds: float
    cost: float
    n_kols: float
    table: list[list] = field(default_factory=list)  # kols.csv rows (seeding.KOL_COLUMNS)
    costs: list[float] = field(default_factory=list)  # each replicate's KOL cost (one for a fixed pick)


@dataclass
class Comparison:
    out: Path
    metrics: list[str]
    budgets: list[float]
    strategies: list[str]
    choices: dict[tuple[str, float], Choice] = field(default_factory=dict)
    finals: dict[tuple[str, float], np.ndarray] = field(default_factory=dict)  # (R, M) at the last step
    money: bool = False
    folders: dict[tuple[str, float], Path] = field(default_factory=dict)  # each point's run folder
    degrees: np.ndarray | None = None  # the graph's out-degrees (followers), for the KOLs' figure
    unit: StepUnit = field(default_factory=StepUnit)  # what a step is: "hour"
    steps: int = 0
    objective: str = "adopters"  # seeding.objective: what the strategies are ranked by, at the horizon
    new_adopters: dict[tuple[str, float], np.ndarray] = field(default_factory=dict)  # (R, steps + 1) sales per step
    economics: Any = None
    unseeded: np.ndarray | None = None  # (R, M) at the last step, without KOLs

    @property
    def replicates(self) -> int:
        return int(next(iter(self.finals.values())).shape[0])

    def lift(self, strategy: str, budget: float, metric: str) -> tuple[float, float, float]:
        """Paired difference strategy - random over replicates: mean and 95% interval."""
        i = self.metrics.index(metric)
        d = self.finals[(strategy, budget)][:, i] - self.finals[(BASELINE, budget)][:, i]
        m, lo, hi = mean_ci(d)
        return float(m), float(lo), float(hi)


    def ranking(self, budget: float, metric: str | None = None) -> list[str]:
        """Strategies, best first by the mean of `metric` (default: the scenario's
        seeding.objective) at the horizon, at `budget`."""
        i = self.metrics.index(metric or self.objective)
        return sorted(self.strategies, key=lambda s: -self.finals[(s, budget)][:, i].mean())

    def budget_curve(self, strategy: str, metric: str | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
        """(budgets, mean of `metric` (default the objective) at the horizon, the knee's
        index): the curve starts at budget 0, the run without KOLs."""
        i = self.metrics.index(metric or self.objective)
        assert self.unseeded is not None
        x = np.array([0.0, *self.budgets], dtype=np.float64)
        y = np.array([self.unseeded[:, i].mean(), *[self.finals[(strategy, b)][:, i].mean() for b in self.budgets]])
        return x, y, knee(x, y)

    def value(self, strategy: str, budget: float) -> dict[str, tuple[float, float, float]]:
        """What the strategy's KOLs added at `budget` against no KOLs, paired per
        replicate (metrics.seeding_value): mean and 95% interval of the extra adopters,
        the NPV gain, its expansion and acceleration parts, and the return on spend
        ((NPV gain - cost) / cost; nan without a cost)."""
        gain, expansion, acceleration, extra = seeding_value(
            self.new_adopters[(strategy, budget)], self.new_adopters[NO_KOLS], self.economics)
        cost = np.array(self.choices[(strategy, budget)].costs, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ros = np.where(cost > 0, (gain - cost) / np.where(cost > 0, cost, 1.0), np.nan)
        out = {}
        for name, v in (("extra_adopters", extra), ("npv_gain", gain), ("expansion", expansion),
                        ("acceleration", acceleration), ("return_on_spend", ros)):
            m, lo, hi = mean_ci(v)
            out[name] = (float(m), float(lo), float(hi))
        return out


def knee(x: np.ndarray, y: np.ndarray) -> int | None:
    """Index of the knee of a rising budget curve, where more budget starts to buy
    less: the point farthest above the straight line from the first point to the last,
    both axes scaled to [0, 1] (Kneedle, Satopaa et al. 2011). None with fewer than
    three points, or when no point lies above the line (no diminishing returns).

    >>> knee(np.array([0, 10, 20, 50.]), np.array([0, 70, 80, 100.]))  # scaled: 0.7 - 0.2 > 0.8 - 0.4
    1
    >>> knee(np.array([0, 10, 20.]), np.array([0, 10, 20.])) is None
    True
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 3 or x[-1] == x[0] or y[-1] == y[0]:
        return None
    above = (y - y[0]) / (y[-1] - y[0]) - (x - x[0]) / (x[-1] - x[0])
    j = int(np.argmax(above[1:-1])) + 1
    return j if above[j] > 1e-9 else None


def parse_list(text: str | None, kind: type, what: str) -> list:
    if not text:
        return []
    out = []
    for item in text.split(","):
        item = item.strip()
        try:
            out.append(kind(item))
        except ValueError:
            noun = {"int": "whole number", "float": "number"}.get(kind.__name__, kind.__name__)
            raise WomSimError(f"--{what} {text!r}: {item!r} is not a {noun}; give a comma list, "
                              f"e.g. --{what} 10,20,50") from None
    return out


def check_strategies(names: list[str]) -> list[str]:
    for s in names:
        if s not in STRATEGIES:
            raise WomSimError(f"--strategies: unknown strategy {s!r}{nearest(s, STRATEGIES)}; "
                              f"choose from {', '.join(STRATEGIES)}")
    names = list(dict.fromkeys(names))
    return names if BASELINE in names else [BASELINE, *names]


def compare_seeding(scenario: Scenario | dict | str | Path, out: str | Path,
                    strategies: str | list[str] = "degree", budgets: str | list[float] | None = None, *,
                    money: bool = False, workers: int = 1, scheduler: str | None = None,
                    resume: bool = False, force: bool = False, plots: bool = True,
                    progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run every strategy x budget with common random numbers (random is always added
    as the baseline) and write `out`/comparison.csv and figures.

    `strategies` and `budgets` as the command line takes them ("degree,pagerank",
    "10,20,50") or lists; budgets are KOL counts, or money with `money=True`.

    >>> import tempfile, wom_sim
    >>> sc = wom_sim.load_scenario({"scenario": {"steps": 8, "replicates": 4}, "graph": {"n": 500}})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     cmp = wom_sim.compare_seeding(sc, d + "/cmp", "degree,pagerank", "5", plots=False)
    >>> cmp.strategies, cmp.budgets
    (['random', 'degree', 'pagerank'], [5])
    >>> lift, low, high = cmp.lift("degree", 5, "adopters")   # paired with random, 95% interval
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(strategies, str):
        strategies = [s.strip() for s in strategies.split(",") if s.strip()]
    if isinstance(budgets, str):
        budgets = parse_list(budgets, float if money else int, "budget")
    strategies = check_strategies(strategies or [BASELINE, "degree"])
    budget_key = "seeding.budget_money" if money else "seeding.budget"
    if not budgets:
        budgets = [sc.seeding.budget_money if money else sc.seeding.budget]
    if any(b <= 0 for b in budgets):
        raise WomSimError(f"--budget {budgets}: budgets must be positive")
    if not money:
        budgets = [int(b) for b in budgets]
    raw = sc.to_dict()
    raw["sweep"] = {"seeding.strategy": strategies, budget_key: budgets}
    grid = load_scenario(raw)
    grid._source = sc.source

    # every strategy x budget, then the same scenario without KOLs (what seeding adds)
    no_kols = {"seeding.strategy": "degree", budget_key: 0}
    if money:
        no_kols["seeding.budget"] = 0  # budget_money = 0 falls back to the count
    points = expand(grid, [*sweep_points(grid), no_kols])
    check_grid_fits([(p.folder, p.scenario) for p in points], 1 if scheduler else workers)  # before any graph is built
    cache = GraphCache(lambda s: make_graph(s, workers), keep=1)
    choices: dict[tuple[str, float], Choice] = {}

    rankings: dict[str, tuple[np.ndarray, float]] = {}  # strategy -> (ranking at the largest budget, seconds)

    def pick(point: Point) -> np.ndarray | None:
        if point.values == no_kols:
            return np.zeros(0, dtype=np.int32)
        psc = point.scenario
        graph = cache.graph(psc)
        name = psc.seeding.strategy
        key = (name, point.values[budget_key])
        fixed_strategy = not STRATEGIES[name].per_replicate
        if fixed_strategy and not money:
            # rankings are nested (a smaller budget's picks are the first picks at the
            # largest): pick once at the largest budget, reuse its prefixes
            if name not in rankings:
                top = load_scenario(psc, [f"seeding.budget={max(budgets)}"])
                big = plan_seeds(graph, top)
                assert big.fixed is not None  # a strategy that is not per replicate: one fixed pick
                rankings[name] = (big.fixed, big.seconds)
            ranking, secs = rankings[name]
            plan = SeedPlan(graph, psc, ranking[: psc.seeding.budget], secs)
        else:
            plan = plan_seeds(graph, psc)
        R = psc.scenario.replicates
        if plan.fixed is not None:
            costs = [kol_cost(graph, psc, plan.fixed)]
            table = kol_rows(graph, psc, [(None, plan.fixed)])
            sizes = [plan.fixed.size]
            seconds = plan.seconds
        else:  # per-replicate picks: report their mean cost and the time of one pick
            t0 = time.perf_counter()
            picks = [plan.for_replicate(r) for r in range(R)]
            seconds = (time.perf_counter() - t0) / R
            costs = [kol_cost(graph, psc, k) for k in picks]
            table = kol_rows(graph, psc, list(enumerate(picks)))
            sizes = [k.size for k in picks]
        choices[key] = Choice(key[0], key[1], plan.fixed, seconds, float(np.mean(costs)), float(np.mean(sizes)),
                              table, costs * R if len(costs) == 1 else costs)
        return plan.fixed

    # pick every point's KOLs up front (also for points a resume skips: costs and
    # times belong in the table), then run the grid
    fixed = {p.index: pick(p) for p in points}
    run_sweep(grid, out, workers=workers, scheduler=scheduler, resume=resume, force=force,
              plots=False, progress=progress, kols=lambda p: fixed[p.index], points=points)

    out = Path(out)
    cmp = Comparison(out, [], budgets, strategies, choices, money=money, unit=sc.scenario.unit,
                     steps=sc.scenario.steps, degrees=cache.graph(points[0].scenario).out_degree(),
                     objective=sc.seeding.objective, economics=sc.economics)
    for p in points:
        res = RunResult.load(out / "points" / p.folder)
        key = NO_KOLS if p.values == no_kols else (p.scenario.seeding.strategy, p.values[budget_key])
        cmp.metrics = res.metrics
        cmp.new_adopters[key] = res.metric("new_adopters")
        if key == NO_KOLS:
            cmp.unseeded = res.series[:, -1, :]
        else:
            cmp.finals[key] = res.series[:, -1, :]
            cmp.folders[key] = out / "points" / p.folder
    write_comparison(cmp)
    write_value(cmp)
    write_csv(out / KOLS_CSV, KOL_COLUMNS, [row for ch in choices.values() for row in ch.table])
    if plots:
        save_comparison_plots(cmp)
    return cmp


def write_comparison(cmp: Comparison) -> Path:
    """comparison.csv: every strategy x budget x metric with the lift over random, and
    each strategy's rank at its budget by the objective (1 = best)."""
    rows = []
    for b in cmp.budgets:
        rank = {s: k for k, s in enumerate(ranked(cmp, b), 1)}
        for s in cmp.strategies:
            ch = cmp.choices[(s, b)]
            m, lo, hi = metric_ci(cmp.finals[(s, b)], cmp.metrics)
            for i, metric in enumerate(cmp.metrics):
                lift, llo, lhi = cmp.lift(s, b, metric)
                base = float(cmp.finals[(BASELINE, b)][:, i].mean())
                pct = lift / base * 100 if base else 0.0
                rows.append([s, b, metric, m[i], lo[i], hi[i], lift, llo, lhi, pct, ch.n_kols, ch.cost,
                             f"{ch.seconds:.4f}", cmp.objective, rank[s]])
    return write_csv(cmp.out / COMPARISON_CSV, ["strategy", "budget", "metric", "mean", "ci_low", "ci_high", "lift",
                                                "lift_ci_low", "lift_ci_high", "lift_pct", "n_kols", "cost",
                                                "selection_s", "objective", "rank"], rows)


#: the columns of seeding_value.csv: each measure's mean and 95% interval
VALUE_MEASURES = ["extra_adopters", "npv_gain", "expansion", "acceleration", "return_on_spend"]


def write_value(cmp: Comparison) -> Path:
    """seeding_value.csv: what each strategy's KOLs added at each budget against no KOLs
    (paired replicates): extra adopters, NPV gain = expansion + acceleration, return on
    spend, each with its 95% interval."""
    rows = []
    for b in cmp.budgets:
        for s in cmp.strategies:
            v = cmp.value(s, b)
            rows.append([s, b, cmp.choices[(s, b)].cost, *[x for m in VALUE_MEASURES for x in v[m]]])
    return write_csv(cmp.out / VALUE_CSV, ["strategy", "budget", "cost",
                                           *[f"{m}{x}" for m in VALUE_MEASURES for x in ("", "_ci_low", "_ci_high")]],
                     rows)


def ranked(cmp: Comparison, budget: float, metric: str | None = None) -> list[str]:
    """Strategies, best first by the mean of `metric` (default: the scenario's
    seeding.objective) at the horizon, at `budget` (Comparison.ranking)."""
    return cmp.ranking(budget, metric)
