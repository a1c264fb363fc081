"""The numbers of a lesson, computed once from the recorded runs: the figures, the
handout and the CSV tables all read these rows, so they cannot disagree.

Counts are means over replicates with a Student-t 95% interval (stats.mean_ci), which
stops at 0; with fewer than 3 replicates there is no interval (NaN), and the handout
shows the mean alone.
Rates pool every replicate (sum of successes / sum of trials); their 95% interval
treats each replicate as one independent draw (the linearised ratio estimator), so a
replicate with few trials weighs little instead of adding a noisy rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.metrics import metric_ci
from ..stats import mean_ci
from ..viz.style import stage_label
from .recorder import MAX_LAG, FunnelRecord


@dataclass(frozen=True)
class Row:
    """One number of the lesson. `unit`: agents | % | pp (percentage points) | steps.
    Rates are stored as fractions (unit %), differences of rates too (unit pp)."""
    funnel: str
    key: str
    label: str
    mean: float
    lo: float
    hi: float
    unit: str
    rule: float = math.nan     # what the model's rule gives, where it gives one number
    num: float = math.nan      # pooled successes (rates only)
    den: float = math.nan      # pooled trials (rates only)

    def text(self) -> str:
        """'43.2% [40.1%, 46.3%]', '12.4 [10.2, 14.6]' or 'n/a' (the handout's format)."""
        return fmt(self.mean, self.lo, self.hi, self.unit)


def fmt_value(x: float, unit: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    if unit == "%":
        return f"{100 * x:.1f}%"
    if unit == "pp":
        v = 100 * x
        return f"{0.0 if abs(v) < 0.05 else v:+.1f} pp"  # no "-0.0"
    if unit == "steps":
        return f"{x:.2f}"
    return f"{x:,.1f}"


def fmt(mean: float, lo: float, hi: float, unit: str) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)) or (lo == mean == hi):
        return fmt_value(mean, unit)
    return f"{fmt_value(mean, unit)} [{fmt_value(lo, unit)}, {fmt_value(hi, unit)}]"


# ------------------------------------------------------------------ rates

def _ratio_z(num: np.ndarray, den: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Pooled rate and each replicate's linearised contribution (whose mean is the rate)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if den.sum() <= 0:
        return math.nan, None
    rate = num.sum() / den.sum()
    return rate, rate + (num - rate * den) / den.mean()


def ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float, float]:
    """Pooled rate over replicates with its 95% interval (clipped to [0, 1])."""
    rate, z = _ratio_z(num, den)
    if z is None:
        return math.nan, math.nan, math.nan
    _, lo, hi = mean_ci(z, lower=0.0, upper=1.0)
    return rate, float(lo), float(hi)


def ratio_diff(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[float, float, float]:
    """Rate a minus rate b, measured on the same replicates, with a paired 95% interval."""
    ra, za = _ratio_z(*a)
    rb, zb = _ratio_z(*b)
    if za is None or zb is None:
        return math.nan, math.nan, math.nan
    m, lo, hi = mean_ci(za - zb)
    return ra - rb, float(lo), float(hi)


def _rate_row(rec: FunnelRecord, key: str, label: str, num, den, rule: float = math.nan) -> Row:
    m, lo, hi = ratio(num, den)
    return Row(rec.kind, key, label, m, lo, hi, "%", rule, float(np.sum(num)), float(np.sum(den)))


def _count_row(rec: FunnelRecord, key: str, label: str, values: np.ndarray, unit: str = "agents") -> Row:
    m, lo, hi = metric_ci(np.asarray(values, float), key)  # a count: its interval stops at 0
    return Row(rec.kind, key, label, float(m), float(lo), float(hi), unit)


# ------------------------------------------------------------------ tables

def final_stages(rec: FunnelRecord) -> list[Row]:
    """Agents in each stage after the last step (plus adopters and aware)."""
    rows = [_count_row(rec, f"stage_{s}", stage_label(s), rec.metric(f"stage_{s}")[:, -1])
            for s in rec.funnel.code_names()]
    rows.append(_count_row(rec, "adopters", "Adopters (ever bought, KOLs included)", rec.metric("adopters")[:, -1]))
    rows.append(_count_row(rec, "aware", "Aware (ever heard, KOLs included)", rec.metric("aware")[:, -1]))
    return rows


def stage_series(rec: FunnelRecord) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Mean and 95% band of the agents in each stage at every step."""
    return {s: metric_ci(rec.metric(f"stage_{s}"), f"stage_{s}") for s in rec.funnel.code_names()}


def conversions(rec: FunnelRecord) -> list[Row]:
    """Stage-to-stage conversion: of the agents (seeds excluded) who reached a stage,
    the share who reached the next one by the end of the run. SICAS skips are not a
    conversion out of Connect & Communicate; they are counted apart (differences)."""
    f, reach = rec.funnel, rec.reached
    P = f.n_pre
    st = f.stages
    walkers = population(rec) - rec.n_seeds
    rows = [_rate_row(rec, f"unaware->{st[0]}", f"Unaware → {stage_label(st[0])}", reach[:, 0], walkers)]
    for k in range(1, P):
        rows.append(_rate_row(rec, f"{st[k - 1]}->{st[k]}", f"{stage_label(st[k - 1])} → {stage_label(st[k])}",
                              reach[:, k], reach[:, k - 1]))
    rows.append(_rate_row(rec, f"{st[P - 1]}->{st[P]}", f"{stage_label(st[P - 1])} → {stage_label(st[P])}",
                          reach[:, P], reach[:, P - 1]))
    rows.append(_rate_row(rec, f"{st[P]}->{st[P + 1]}", f"{stage_label(st[P])} → {stage_label(st[P + 1])}",
                          reach[:, P + 1], rec.bought))
    return rows


def population(rec: FunnelRecord) -> np.ndarray:
    """Agents per replicate (every stage count at step 0 adds up to N)."""
    names = [f"stage_{s}" for s in rec.funnel.code_names()]
    total = sum(rec.metric(m)[:, 0] for m in names)
    assert isinstance(total, np.ndarray)  # a funnel has stages: never the empty sum 0
    return total


def _adv(rec: FunnelRecord, stage: int, sensed: int | None, msg: int | None):
    """(advanced, at risk, rule sum) per replicate at pre-purchase stage `stage` (1-based),
    restricted to a sensed status and/or a message status (None = both)."""
    s = slice(None) if sensed is None else slice(sensed, sensed + 1)
    m = slice(None) if msg is None else slice(msg, msg + 1)
    a = rec.advanced[:, stage - 1, s, m].sum(axis=(1, 2))
    n = rec.at_risk[:, stage - 1, s, m].sum(axis=(1, 2))
    e = rec.expected[:, stage - 1, s, m].sum(axis=(1, 2))
    return a, n, e


def _rule(e: np.ndarray, n: np.ndarray) -> float:
    return float(e.sum() / n.sum()) if n.sum() > 0 else math.nan


def differences(rec: FunnelRecord) -> list[Row]:
    """The four SICAS differences (docs/model.md section 3), measured in this run.

    (a) brand sensing: agents sensed, and the advance probability per step at stages 2
        and 3 for sensed and not-sensed agents (agent-steps without a peer message, so
        that only the brand differs), with the lift in percentage points;
    (b) peers' messages at stage 3 (Search under AISAS, Connect & Communicate under
        SICAS): advance with and without a positive message, among agents the brand had
        not sensed; and the share of stage-3 advances the messages boosted;
    (c) lag from purchase to first telling, over buyers who shared;
    (d) jumps from the first stage straight to Action.
    """
    f = rec.funnel
    st = f.stages
    per = rec.scenario.scenario.unit.per
    rows: list[Row] = []
    aware = rec.reached[:, 0]
    rows.append(_count_row(rec, "sensed", "(a) agents sensed by the brand (by the end)", rec.sensed[:, -1]))
    rows.append(_rate_row(rec, "sensed_share", "(a) share of aware agents the brand sensed", rec.sensed[:, -1], aware))
    for k in (2, 3):
        if k > f.n_pre:
            continue
        a1, n1, e1 = _adv(rec, k, 1, 0)
        a0, n0, e0 = _adv(rec, k, 0, 0)
        rows.append(_rate_row(rec, f"adv{k}_sensed", f"(a) {stage_label(st[k - 1])}: advance {per}, sensed",
                              a1, n1, _rule(e1, n1)))
        rows.append(_rate_row(rec, f"adv{k}_not_sensed", f"(a) {stage_label(st[k - 1])}: advance {per}, not sensed",
                              a0, n0, _rule(e0, n0)))
        m, lo, hi = ratio_diff((a1, n1), (a0, n0))
        rows.append(Row(rec.kind, f"lift{k}", f"(a) {stage_label(st[k - 1])}: lift from the brand's engagement",
                        m, lo, hi, "pp", _rule(e1, n1) - _rule(e0, n0)))
    P = f.n_pre
    a1, n1, e1 = _adv(rec, P, 0, 1)
    a0, n0, e0 = _adv(rec, P, 0, 0)
    rows.append(_rate_row(rec, "adv3_message",
                          f"(b) {stage_label(st[P - 1])}, not sensed: advance {per} with a peer message",
                          a1, n1, _rule(e1, n1)))
    rows.append(_rate_row(rec, "adv3_no_message",
                          f"(b) {stage_label(st[P - 1])}, not sensed: advance {per} without one",
                          a0, n0, _rule(e0, n0)))
    m, lo, hi = ratio_diff((a1, n1), (a0, n0))
    rows.append(Row(rec.kind, "message_effect3", f"(b) {stage_label(st[P - 1])}, not sensed: effect of a peer message",
                    m, lo, hi, "pp", _rule(e1, n1) - _rule(e0, n0)))
    adv_all, _, _ = _adv(rec, P, None, None)
    rows.append(_rate_row(rec, "boosted_share3",
                          f"(b) advances out of {stage_label(st[P - 1])} that peers' messages boosted",
                          rec.boosted_advances, adv_all))
    sharers = rec.lags.sum(axis=1)
    rows.append(_lag_row(rec, sharers, 0.0 if f.realtime_share else 1.0))
    rows.append(_rate_row(rec, "lag0_share", f"(c) sharing buyers who told in the {rec.scenario.scenario.unit.one} "
                                             "they bought",
                          rec.lags[:, 0], sharers, 1.0 if f.realtime_share else 0.0))
    rows.append(_count_row(rec, "skips", f"(d) jumps {stage_label(st[0])} → {stage_label(st[P])} (agents, by the end)",
                           rec.skips[:, -1]))
    rows.append(_rate_row(rec, "skip_share", "(d) share of buyers who skipped", rec.skips[:, -1], rec.bought))
    return rows


def _lag_row(rec: FunnelRecord, sharers: np.ndarray, rule: float) -> Row:
    """Mean purchase -> first-telling lag, pooled over replicates (a mean, not a rate:
    no clipping to [0, 1])."""
    key = "lag_mean"
    label = f"(c) {rec.scenario.scenario.unit.many} from purchase to first telling (mean over sharing buyers)"
    total = (rec.lags * np.arange(MAX_LAG + 1)).sum(axis=1)
    rate, z = _ratio_z(total, sharers)
    if z is None:
        return Row(rec.kind, key, label, math.nan, math.nan, math.nan, "steps", rule)
    _, lo, hi = mean_ci(z, lower=0.0)
    return Row(rec.kind, key, label, rate, float(lo), float(hi), "steps", rule,
               float(total.sum()), float(sharers.sum()))


def paired_adopters(a: FunnelRecord, s: FunnelRecord) -> Row:
    """Final adopters SICAS minus AISAS, paired by replicate (same streams, graph, KOLs)."""
    d = s.metric("adopters")[:, -1] - a.metric("adopters")[:, -1]
    m, lo, hi = mean_ci(d)
    return Row("sicas-aisas", "adopters_difference", "Final adopters, SICAS minus AISAS (paired by replicate)",
               float(m), float(lo), float(hi), "agents")


def get(rows: list[Row], key: str) -> Row:
    for r in rows:
        if r.key == key:
            return r
    raise KeyError(key)
