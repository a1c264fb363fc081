"""The metrics of a run (docs/model.md, section 6), derived once from the engines' counters.

Every engine path (NumPy core, IC kernel, Bass, Mesa) reports the same named COUNTERS per
step: running totals (aware, adopters, negative_reach), per-step flows (new_adopters,
new_pos_messages, new_neg_messages, new_responses) and the agents in each stage code.
:func:`table` turns them into the metric table every output uses: cumulative messages
and responses, rejecters, net sentiment and NPV are computed here and nowhere else.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..funnels import Funnel
from ..stats import mean_ci

#: what an engine counts at every step, before the stage counts (one per stage code)
COUNTERS = ["aware", "adopters", "new_adopters", "negative_reach", "new_pos_messages", "new_neg_messages",
            "new_responses"]

#: the metrics of every run, before one `stage_<name>` per stage code (docs/model.md section 8)
BASE_METRICS = ["aware", "adopters", "new_adopters", "rejected", "negative_reach",
                "pos_messages", "neg_messages", "new_pos_messages", "new_neg_messages",
                "responses", "new_responses", "net_sentiment", "npv", "net_npv", "response_cost"]

#: metrics shown in the terminal table of `wom-sim run`
HEADLINE = ["adopters", "aware", "negative_reach", "rejected", "npv"]

def label(metric: str) -> str:
    """A metric's name for people: "net_npv" -> "net NPV", "negative_reach" -> "negative reach"."""
    return metric.replace("npv", "NPV").replace("_", " ")


def unit(metric: str) -> str:
    """The unit a metric is counted in, for axis labels and tables."""
    if metric in ("npv", "net_npv", "response_cost"):
        return "currency units"
    if metric.endswith("messages"):
        return "messages"
    if metric.endswith("responses"):
        return "responses"
    if metric == "net_sentiment":
        return "share of messages"
    return "agents"


#: metrics that can be negative: money and a balance of messages. Every other metric is a
#: count (agents, messages, responses), whose 95% interval stops at 0.
SIGNED = frozenset({"npv", "net_npv", "net_sentiment"})


def is_count(metric: str) -> bool:
    """Whether a metric counts something (so it cannot be negative, and its axis starts at 0)."""
    return metric not in SIGNED


def metric_ci(values: np.ndarray, metrics: str | list[str], axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """stats.mean_ci of metric values over replicates, every count's interval clipped
    at 0. `metrics` names the metric (one name), or the last axis's metrics (a list)."""
    if isinstance(metrics, str):
        lower: float | np.ndarray = 0.0 if is_count(metrics) else -np.inf
    else:
        lower = np.array([0.0 if is_count(m) else -np.inf for m in metrics])
    return mean_ci(values, axis=axis, lower=lower)


#: counters that are flows (reset every step); the others are states
FLOWS = ("new_adopters", "new_pos_messages", "new_neg_messages", "new_responses")


def stage_metric_names(funnel: Funnel) -> list[str]:
    """`stage_<name>` for every stage code: unaware, the funnel's stages, rejected, done."""
    return [f"stage_{s}" for s in funnel.code_names()]


def counter_names(funnel: Funnel) -> list[str]:
    """The columns of an engine's counter table."""
    return COUNTERS + stage_metric_names(funnel)


def metric_names(funnel: Funnel) -> list[str]:
    """The columns of a metric table (what timeseries.csv and replicates.csv hold)."""
    return BASE_METRICS + stage_metric_names(funnel)


def discount_factors(steps: int, economics: Any) -> np.ndarray:
    """(1 + r)^-t for t = 0..steps: the weight of a sale made in step t."""
    return (1.0 + economics.discount_rate) ** (-np.arange(steps + 1, dtype=np.float64))


def npv(new_adopters: np.ndarray, economics: Any) -> np.ndarray:
    """Cumulative NPV after each step: sum over t of new adopters x margin x (1 + r)^-t.
    Seeds (KOLs, initial complainers) are not sales: new_adopters[0] is 0."""
    new = np.asarray(new_adopters, dtype=np.float64)
    return np.cumsum(new * economics.margin * discount_factors(new.shape[-1] - 1, economics), axis=-1)


def monitoring_cost_per_step(response: Any) -> float:
    """What monitoring costs a step: monitoring_cost_per_step x detect_prob ^ exponent (a
    flat fee at exponent 0), nothing when the firm does not respond (policy "none")."""
    if response is None or response.policy == "none":
        return 0.0
    return float(response.monitoring_cost_per_step * response.detect_prob ** response.monitoring_cost_exponent)


def response_cost(new_responses: np.ndarray, economics: Any, response: Any) -> np.ndarray:
    """Cumulative discounted cost of answering after each step: sum over steps s >= 1 of
    (cost_per_response x responses made in s + monitoring cost of a step) x (1 + r)^-s."""
    new = np.asarray(new_responses, dtype=np.float64)
    if response is None:
        return np.zeros_like(new)
    per = response.cost_per_response * new + monitoring_cost_per_step(response)
    per[..., 0] = 0.0  # step 0 is the launch: nobody has been watched or answered yet
    return np.cumsum(per * discount_factors(new.shape[-1] - 1, economics), axis=-1)


def net_sentiment(pos: Any, neg: Any) -> Any:
    """(pos - neg) / (pos + neg) over the messages sent so far; 0 before any."""
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    tot = pos + neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (pos - neg) / np.where(tot > 0, tot, 1.0), 0.0)


def table(counters: np.ndarray, funnel: Funnel, economics: Any, spend: Any = 0.0, response: Any = None,
          steps: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """The metric table (steps + 1, metrics) from an engine's counters (steps + 1, counters);
    with leading axes (a batch: (B, steps + 1, counters)), one table per leading index.
    `spend`: what the replicate's KOLs cost (:func:`kol_cost`; one number per leading
    index, or one for all), paid at launch. `response`: the [response] section, whose
    costs make response_cost (:func:`response_cost`). net_npv = npv - spend -
    response_cost at every step.

    `steps`: the run's steps, when the counters stop early (a run in which nothing could
    change any more after its last row: that state is held, :func:`hold`). The metrics
    are derived only up to the first held step, in the counters given or after them;
    `out`: the array to write the table into (a slice of the run's results).

    >>> from wom_sim.funnels import no_funnel
    >>> from types import SimpleNamespace
    >>> f = no_funnel()
    >>> c = np.zeros((3, len(counter_names(f))))
    >>> c[:, 2] = [0, 2, 1]                      # new adopters per step
    >>> out = table(c, f, SimpleNamespace(margin=10.0, discount_rate=0.0))
    >>> out[:, metric_names(f).index("npv")].tolist()
    [0.0, 20.0, 30.0]
    >>> table(c, f, SimpleNamespace(margin=10.0, discount_rate=0.0), spend=25.0)[:, metric_names(f).index("net_npv")]
    array([-25.,  -5.,   5.])
    >>> table(c, f, SimpleNamespace(margin=10.0, discount_rate=0.0), steps=4)[:, metric_names(f).index("npv")].tolist()
    [0.0, 20.0, 30.0, 30.0, 30.0]
    """
    counters = np.asarray(counters, dtype=np.float64)
    steps = counters.shape[-2] - 1 if steps is None else steps
    if out is None:
        out = np.empty(counters.shape[:-2] + (steps + 1, len(BASE_METRICS) + counters.shape[-1] - len(COUNTERS)),
                       dtype=np.float64)
    held = _held_from(counters)  # the last row given when nothing in them is held
    head = counters[..., :held + 1, :]
    c = {name: head[..., i] for i, name in enumerate(COUNTERS)}
    stages = head[..., len(COUNTERS):]
    pos = np.cumsum(c["new_pos_messages"], axis=-1)
    neg = np.cumsum(c["new_neg_messages"], axis=-1)
    derived = {
        "aware": c["aware"], "adopters": c["adopters"], "new_adopters": c["new_adopters"],
        "rejected": stages[..., funnel.REJECTED], "negative_reach": c["negative_reach"],
        "pos_messages": pos, "neg_messages": neg,
        "new_pos_messages": c["new_pos_messages"], "new_neg_messages": c["new_neg_messages"],
        "responses": np.cumsum(c["new_responses"], axis=-1), "new_responses": c["new_responses"],
        "net_sentiment": net_sentiment(pos, neg), "npv": npv(c["new_adopters"], economics),
    }
    derived["response_cost"] = response_cost(c["new_responses"], economics, response)
    derived["net_npv"] = derived["npv"] - np.asarray(spend, dtype=np.float64)[..., None] - derived["response_cost"]
    rows = out[..., :held + 1, :]
    for j, m in enumerate(BASE_METRICS):
        rows[..., j] = derived[m]
    rows[..., len(BASE_METRICS):] = stages
    if held < steps:  # held steps repeat the state, with no flows; the firm still pays to watch
        tail = out[..., held + 1:, :]
        tail[...] = out[..., held:held + 1, :]
        tail[..., [BASE_METRICS.index(f) for f in FLOWS]] = 0.0
        monitor = monitoring_cost_per_step(response)
        if monitor:
            extra = monitor * np.cumsum(discount_factors(steps, economics)[held + 1:])
            tail[..., BASE_METRICS.index("response_cost")] += extra
            tail[..., BASE_METRICS.index("net_npv")] -= extra
    return out


def hold(counters: np.ndarray, steps: int) -> np.ndarray:
    """The counters (..., steps + 1, counters) of a run that stopped early after the
    last of the rows given (nothing could change any more): that row held, its flows 0."""
    done = counters.shape[-2]
    if done >= steps + 1:
        return counters
    out = np.empty(counters.shape[:-2] + (steps + 1, counters.shape[-1]), dtype=counters.dtype)
    out[..., :done, :] = counters
    out[..., done:, :] = counters[..., -1:, :]
    out[..., done:, [COUNTERS.index(f) for f in FLOWS]] = 0
    return out


def _held_from(counters: np.ndarray) -> int:
    """The first step from which every row repeats the last with no flows, in every
    replicate (engines stop once nothing can change and hold their counters): the
    metrics need deriving only up to it. The last row when nothing is held."""
    steps = counters.shape[-2] - 1
    last = counters[..., -1:, :]
    if steps < 2 or np.any(last[..., [COUNTERS.index(f) for f in FLOWS]]):
        return steps
    same = (counters == last).reshape(-1, steps + 1, counters.shape[-1]).all(axis=(0, 2))
    moved = np.flatnonzero(~same)
    return int(moved[-1]) + 1 if moved.size else 0


def kol_prices(followers: np.ndarray, seeding: Any) -> np.ndarray:
    """Price of each agent as a KOL: base + rate x followers^alpha (seeding.kol_cost_*)."""
    f = np.asarray(followers, dtype=np.float64)
    return seeding.kol_cost_base + seeding.kol_cost_rate * f ** seeding.kol_cost_alpha


def kol_cost(followers: np.ndarray, seeding: Any) -> float:
    """What KOLs with these follower counts cost together under the price model."""
    return float(kol_prices(followers, seeding).sum()) if np.size(followers) else 0.0


def kol_spend(followers: np.ndarray, kols: list[Any], seeding: Any) -> np.ndarray:
    """What each replicate's KOLs cost (kols[r]: replicate r's agent ids; `followers`
    every agent's), one number per replicate: the `spend` of :func:`table`."""
    cost: dict[int, float] = {}  # a fixed pick is one array shared by every replicate: price it once
    for k in kols:
        if id(k) not in cost:
            cost[id(k)] = kol_cost(followers[np.asarray(k, dtype=np.int64)], seeding)
    return np.array([cost[id(k)] for k in kols], dtype=np.float64)


def seeding_value(new_seeded: np.ndarray, new_unseeded: np.ndarray, economics: Any
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What seeding added, split into EXPANSION and ACCELERATION (Libai, Muller & Peres
    2013), from paired runs with and without the KOLs (new adopters per step, (..., steps
    + 1), common random numbers): (npv_gain, expansion, acceleration, extra_adopters).

    With S(t) the cumulative sales of a run and k = min(S_seeded(T), S_unseeded(T)) the
    customers both runs win by the horizon T: acceleration is the value of the first k
    customers of the seeded run minus that of the first k of the unseeded one (the same
    number of customers, earlier: 0 without discounting); expansion is the value of the
    seeded run's customers beyond k minus the unseeded run's beyond k (customers who
    would not have bought by T; negative when seeding lost some). The two add up to
    npv_gain = NPV_seeded - NPV_unseeded exactly. Values are in currency units, at the
    discount of the step each sale is made.

    >>> from types import SimpleNamespace
    >>> e = SimpleNamespace(margin=1.0, discount_rate=1.0)      # weights 1, 1/2, 1/4
    >>> # seeded: 2 sales in step 1, 2 in step 2; unseeded: 1 in step 1, 1 in step 2
    >>> gain, exp, acc, extra = seeding_value(np.array([0, 2, 2]), np.array([0, 1, 1]), e)
    >>> float(gain), float(exp), float(acc), float(extra)  # 2 more sales; the first 2 sooner
    (0.75, 0.5, 0.25, 2.0)
    """
    ns = np.asarray(new_seeded, dtype=np.float64)
    n0 = np.asarray(new_unseeded, dtype=np.float64)
    w = economics.margin * discount_factors(ns.shape[-1] - 1, economics)
    cs, c0 = np.cumsum(ns, axis=-1), np.cumsum(n0, axis=-1)
    k = np.minimum(cs[..., -1:], c0[..., -1:])

    def value(cum: np.ndarray) -> np.ndarray:  # NPV of a cumulative sales curve
        return (np.diff(cum, axis=-1, prepend=0.0) * w).sum(axis=-1)
    acceleration = value(np.minimum(cs, k)) - value(np.minimum(c0, k))
    expansion = value(np.maximum(cs - k, 0.0)) - value(np.maximum(c0 - k, 0.0))
    gain = value(cs) - value(c0)
    return gain, expansion, acceleration, cs[..., -1] - c0[..., -1]
