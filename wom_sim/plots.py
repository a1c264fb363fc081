"""Figures of a run (matplotlib, Agg): every one with labelled axes, units, and the
95% band over replicates."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .results import mean_ci  # noqa: E402

STAGE_COLOURS = {"unaware": "#d9d9d9", "rejected": "#d62728", "done": "#2ca02c"}


def _band(ax, res, name: str, label: str, colour: str | None = None) -> None:
    mean, lo, hi = mean_ci(res.metric(name))
    steps = np.arange(mean.size)
    line, = ax.plot(steps, mean, label=label, color=colour)
    ax.fill_between(steps, lo, hi, alpha=0.25, color=line.get_color(), linewidth=0)


def _title(ax, res, what: str) -> None:
    sc = res.scenario
    ax.set_title(f"{what}\n{sc.scenario.name} · N = {res.n_agents:,} · {res.series.shape[0]} replicates",
                 fontsize=10)


def adoption(res, ax=None):
    """Adopters and aware agents over time, mean with a 95% band."""
    fig, ax = _axes(ax)
    _band(ax, res, "aware", "aware (ever heard)", "#1f77b4")
    _band(ax, res, "adopters", "adopters (ever bought)", "#2ca02c")
    if res.metric("negative_reach").any():
        _band(ax, res, "negative_reach", "negative reach", "#d62728")
    ax.set_xlabel("step")
    ax.set_ylabel("agents (count)")
    ax.legend(loc="upper left", fontsize=8)
    _title(ax, res, "Adoption and awareness (mean, 95% band)")
    return fig


def funnel(res, ax=None):
    """Mean agents per stage over time, stacked."""
    fig, ax = _axes(ax)
    order = ["unaware", *res.funnel.stages, "done", "rejected"]
    series = [res.metric(f"stage_{s}").mean(axis=0) for s in order]
    steps = np.arange(series[0].size)
    cmap = plt.get_cmap("viridis", max(len(res.funnel.stages), 2))
    colours = [STAGE_COLOURS.get(s) or cmap(res.funnel.stages.index(s)) for s in order]
    ax.stackplot(steps, series, labels=[_label(s) for s in order], colors=colours, alpha=0.9)
    ax.set_xlabel("step")
    ax.set_ylabel("agents (count, mean over replicates)")
    ax.set_xlim(0, steps[-1] if steps.size > 1 else 1)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    _title(ax, res, f"Funnel stages ({res.funnel.kind})")
    return fig


def messages(res, ax=None):
    """Positive and negative messages sent per step, mean with a 95% band."""
    fig, ax = _axes(ax)
    _band(ax, res, "new_pos_messages", "positive messages", "#2ca02c")
    _band(ax, res, "new_neg_messages", "negative messages", "#d62728")
    ax.set_xlabel("step")
    ax.set_ylabel("messages sent per step (count)")
    ax.legend(loc="upper right", fontsize=8)
    _title(ax, res, "Word of mouth: positive vs negative (mean, 95% band)")
    return fig


def _label(stage: str) -> str:
    """interest_interactive -> 'interest & interactive'."""
    return stage.replace("_", " & ") if stage in ("interest_interactive", "connect_communicate") else stage.replace("_", " ")


FIGURES = {"adoption": adoption, "funnel": funnel, "messages": messages}


def _axes(ax):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    return fig, ax


def save_run_plots(res, folder: Path) -> list[Path]:
    paths = []
    for name, draw in FIGURES.items():
        fig = draw(res)
        fig.tight_layout()
        paths.append(_save(fig, Path(folder) / f"{name}.png"))
    return paths


# ----------------------------------------------------------------------------- sweeps

SWEEP_METRICS = ["adopters", "aware", "negative_reach", "rejected", "npv", "responses"]
UNITS = {"npv": "currency units", "responses": "responses"}


def _numeric(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def save_sweep_plots(out, keys: list[str]) -> list[Path]:
    """Each headline metric against each swept key (95% bands; one line per value of
    the other keys), and a heatmap of each metric for a two-key grid."""
    from .sweep import read_table
    header, rows = read_table(out)
    paths = []
    for key in keys:
        others = [k for k in keys if k != key]
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(row[k] for k in others), []).append(row)
        fig, axes = plt.subplots(2, 3, figsize=(13, 7), dpi=100)
        for ax, metric in zip(axes.flat, SWEEP_METRICS):
            for gi, (gval, grows) in enumerate(list(groups.items())[:8]):
                xs_raw = [r[key] for r in grows]
                xs = _numeric(xs_raw)
                pos = xs if xs is not None else np.arange(len(xs_raw))
                mean = np.array([float(r[f"{metric}_mean"]) for r in grows])
                lo = np.array([float(r[f"{metric}_ci_low"]) for r in grows])
                hi = np.array([float(r[f"{metric}_ci_high"]) for r in grows])
                order = np.argsort(pos, kind="stable")
                label = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in zip(others, gval)) or None
                line, = ax.plot(pos[order], mean[order], marker="o", ms=3, label=label)
                ax.fill_between(pos[order], lo[order], hi[order], alpha=0.2, color=line.get_color(), linewidth=0)
                if xs is None:
                    ax.set_xticks(np.arange(len(xs_raw)), xs_raw, rotation=30)
            ax.set_xlabel(key)
            ax.set_ylabel(f"{metric.replace('_', ' ')} ({UNITS.get(metric, 'agents')})")
            ax.set_title(metric.replace("_", " "), fontsize=10)
        if others and len(groups) > 1:
            axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Final metrics against {key} (mean over replicates, 95% band)")
        fig.tight_layout()
        paths.append(_save(fig, Path(out) / f"sweep_{key.replace('.', '_')}.png"))
    if len(keys) == 2:
        a, b = keys
        av = list(dict.fromkeys(r[a] for r in rows))
        bv = list(dict.fromkeys(r[b] for r in rows))
        for metric in SWEEP_METRICS:
            grid = np.full((len(av), len(bv)), np.nan)
            for r in rows:
                grid[av.index(r[a]), bv.index(r[b])] = float(r[f"{metric}_mean"])
            fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(np.arange(len(bv)), bv)
            ax.set_yticks(np.arange(len(av)), av)
            ax.set_xlabel(b)
            ax.set_ylabel(a)
            fig.colorbar(im, ax=ax, label=f"{metric.replace('_', ' ')} ({UNITS.get(metric, 'agents')}, mean)")
            ax.set_title(f"{metric.replace('_', ' ')} over the {a} x {b} grid")
            fig.tight_layout()
            paths.append(_save(fig, Path(out) / f"heatmap_{metric}.png"))
    return paths


# ----------------------------------------------------------------------------- seeding comparison


def save_comparison_plots(cmp, points, budget_key: str) -> list[Path]:
    """compare-seeding figures: final adopters and NPV per strategy (per budget, 95%
    intervals); adoption curves per strategy; spread against budget; the chosen KOLs'
    degree distribution against the population's."""
    from .results import mean_ci
    out = Path(cmp.out)
    paths = []
    unit = "currency" if cmp.money else "KOLs"
    colours = {s: plt.get_cmap("tab10")(i % 10) for i, s in enumerate(cmp.strategies)}

    # 1. final adopters and NPV per strategy, grouped by budget
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), dpi=100)
    width = 0.8 / len(cmp.strategies)
    for ax, metric, ylabel in ((axes[0], "adopters", "final adopters (agents)"),
                               (axes[1], "npv", "NPV (currency units)")):
        i = cmp.metrics.index(metric)
        for j, s in enumerate(cmp.strategies):
            stats = [mean_ci(cmp.finals[(s, b)][:, i]) for b in cmp.budgets]
            m = np.array([float(x[0]) for x in stats])
            err = np.array([[m_ - float(x[1]) for m_, x in zip(m, stats)], [float(x[2]) - m_ for m_, x in zip(m, stats)]])
            ax.bar(np.arange(len(cmp.budgets)) + (j - (len(cmp.strategies) - 1) / 2) * width, m, width,
                   yerr=err, capsize=2, label=s, color=colours[s])
        ax.set_xticks(np.arange(len(cmp.budgets)), [fmt_budget(b) for b in cmp.budgets])
        ax.set_xlabel(f"budget ({unit})")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{metric} by strategy (mean, 95% interval)", fontsize=10)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out / "strategies_final.png"))

    # 2. adoption curves per strategy, one panel per budget
    fig, axes = plt.subplots(1, len(cmp.budgets), figsize=(5 * len(cmp.budgets), 4.2), dpi=100, squeeze=False)
    by_key = {(p.scenario.seeding.strategy, p.values[budget_key]): p for p in points}
    for ax, b in zip(axes[0], cmp.budgets):
        for s in cmp.strategies:
            rows = _timeseries(out / "points" / by_key[(s, b)].folder, "adopters")
            steps, mean, lo, hi = rows
            ax.plot(steps, mean, label=s, color=colours[s])
            ax.fill_between(steps, lo, hi, alpha=0.2, color=colours[s], linewidth=0)
        ax.set_xlabel("step")
        ax.set_ylabel("adopters (agents)")
        ax.set_title(f"budget {fmt_budget(b)} {unit}", fontsize=10)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Adoption over time per strategy (mean, 95% band)")
    fig.tight_layout()
    paths.append(_save(fig, out / "strategies_adoption.png"))

    # 3. spread against budget
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    i = cmp.metrics.index("adopters")
    for s in cmp.strategies:
        stats = [mean_ci(cmp.finals[(s, b)][:, i]) for b in cmp.budgets]
        ax.plot(cmp.budgets, [float(x[0]) for x in stats], marker="o", label=s, color=colours[s])
        ax.fill_between(cmp.budgets, [float(x[1]) for x in stats], [float(x[2]) for x in stats],
                        alpha=0.2, color=colours[s], linewidth=0)
    ax.set_xlabel(f"budget ({unit})")
    ax.set_ylabel("final adopters (agents)")
    ax.set_title("Spread against budget (mean, 95% band)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out / "spread_vs_budget.png"))

    # 4. chosen KOLs' degree distribution against the population's (largest budget)
    from .runner import make_graph
    p0 = points[0]
    graph = make_graph(p0.scenario)
    deg = graph.out_degree()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    _ccdf(ax, deg, "population", "#777777", lw=2)
    b = cmp.budgets[-1]
    for s in cmp.strategies:
        ch = cmp.choices[(s, b)]
        if ch.kols is not None and ch.kols.size:
            _ccdf(ax, deg[ch.kols], s, colours[s])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers (out-degree)")
    ax.set_ylabel("fraction with at least this many (CCDF)")
    ax.set_title(f"Chosen KOLs' followers vs the population (budget {fmt_budget(b)} {unit})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out / "kol_degrees.png"))
    return paths


def fmt_budget(b) -> str:
    return f"{b:g}" if isinstance(b, float) else str(b)


def _ccdf(ax, values: np.ndarray, label: str, colour, lw: float = 1.2) -> None:
    v = np.sort(values[values > 0])
    if v.size == 0:
        return
    frac = 1.0 - np.arange(v.size) / v.size
    ax.step(v, frac, where="post", label=label, color=colour, lw=lw)


def _timeseries(folder: Path, metric: str):
    import csv
    steps, mean, lo, hi = [], [], [], []
    with open(folder / "timeseries.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["metric"] == metric:
                steps.append(int(row["step"]))
                mean.append(float(row["mean"]))
                lo.append(float(row["ci_low"]))
                hi.append(float(row["ci_high"]))
    return np.array(steps), np.array(mean), np.array(lo), np.array(hi)


def _save(fig, path: Path) -> Path:
    fig.savefig(path)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- response benchmark


def save_response_plots(bench) -> list[Path]:
    """bench-response figures: the phase-transition figure (negative reach, rejected,
    adopters, NPV against delay per policy, 95% bands, the no-response level dashed,
    the percolation critical delay marked); negative messages over time per delay;
    responses made against negative reach avoided (cost against benefit)."""
    from .response_bench import BASELINE
    from .results import mean_ci
    out = Path(bench.out)
    paths = []
    colours = {p.label: plt.get_cmap("tab10")(i % 10) for i, p in enumerate(bench.policies)}
    delays = np.array(bench.delays)

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), dpi=100)
    for ax, metric, unit in zip(axes.flat, ("negative_reach", "rejected", "adopters", "npv"),
                                ("agents", "agents", "agents", "currency units")):
        i = bench.metrics.index(metric)
        for p in bench.policies:
            stats = [mean_ci(bench.finals[(p.label, d)][:, i]) for d in bench.delays]
            m = np.array([float(x[0]) for x in stats])
            ax.plot(delays, m, marker="o", ms=3, label=p.label, color=colours[p.label])
            ax.fill_between(delays, [float(x[1]) for x in stats], [float(x[2]) for x in stats],
                            alpha=0.2, color=colours[p.label], linewidth=0)
        base = bench.finals[(BASELINE, 0)][:, i].mean()
        ax.axhline(base, ls="--", color="#555555", lw=1, label="no response")
        crit = bench.theory.get("critical_delay_generating_function")
        if crit is not None:
            ax.axvline(crit, ls=":", color="#d62728", lw=1, label=f"percolation: T(d) > T_c from d = {crit}")
        if delays.max() > 8 * max(delays[delays > 0].min(initial=1), 1):
            ax.set_xscale("symlog", linthresh=1)
            ax.set_xticks(delays, [str(d) for d in bench.delays])
            ax.minorticks_off()
        ax.set_xlabel("response delay (steps)")
        ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit})")
        ax.set_title(metric.replace("_", " "), fontsize=10)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Response delay: final metrics per policy (mean, 95% band)")
    fig.tight_layout()
    paths.append(_save(fig, out / "response_delay.png"))

    # negative messages over time, one line per delay (first policy)
    p0 = bench.policies[0]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    cmap = plt.get_cmap("viridis", len(bench.delays))
    for j, d in enumerate(bench.delays):
        steps, mean, lo, hi = _timeseries(bench.folders[(p0.label, d)], "new_neg_messages")
        ax.plot(steps, mean, color=cmap(j), label=f"delay {d}")
        ax.fill_between(steps, lo, hi, color=cmap(j), alpha=0.15, linewidth=0)
    ax.set_xlabel("step")
    ax.set_ylabel("negative messages per step (count)")
    ax.set_title(f"Negative word of mouth over time ({p0.label}; mean, 95% band)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    paths.append(_save(fig, out / "negative_messages.png"))

    # cost against benefit
    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=100)
    ir = bench.metrics.index("responses")
    for p in bench.policies:
        xs, ys, lo, hi = [], [], [], []
        for d in bench.delays:
            xs.append(bench.finals[(p.label, d)][:, ir].mean())
            m, l_, h_ = bench.avoided(p.label, d)
            ys.append(m)
            lo.append(m - l_)
            hi.append(h_ - m)
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=4, capsize=2, label=p.label, color=colours[p.label])
        for x, y, d in zip(xs, ys, bench.delays):
            ax.annotate(f"d={d}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0, color="#999999", lw=0.8)
    ax.set_xlabel("responses made (count, mean per replicate)")
    ax.set_ylabel("negative reach avoided vs no response (agents)")
    ax.set_title("Cost against benefit (paired 95% intervals)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out / "cost_benefit.png"))
    return paths
