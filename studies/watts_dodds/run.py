"""Study: how much more often does an influential start a global cascade? (Watts & Dodds 2007)

    python studies/watts_dodds/run.py [-o DIR] [--replicates R]

Runs studies/watts_dodds/scenario.toml with one seed: the best-connected agent
(seeding.strategy = "degree"), then a random agent each replicate ("random"), at three
transmissibilities from just above the threshold to a susceptible network. A cascade is
global when it reaches at least 5% of the agents. Percolation theory predicts both
frequencies: a seed of degree k starts a global cascade with probability
1 - (1 - T + T u)^k (model.theory.large_outbreak_probability), a random seed with the
large-outbreak share S. Writes DIR/watts_dodds.png (the final-size distributions and the
frequencies with 95% intervals beside theory) and findings.json.

The finding checked (tests/test_studies.py): the influential starts global cascades more
often than a random agent, but by a factor below its degree advantage, and the factor
shrinks as the network grows more susceptible (Watts & Dodds' "modest" multiplier): what
decides a global cascade is the network's susceptibility more than the seed.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

import wom_sim
from wom_sim.execution.run import make_graph
from wom_sim.files import atomic_write_text
from wom_sim.model.theory import large_outbreak_probability, outbreak_size
from wom_sim.viz.figure import new_figure, save_figure
from wom_sim.viz.style import AWARE, NEGATIVE, NEUTRAL

HERE = Path(__file__).resolve().parent
GLOBAL = 0.05  # a cascade reaching this share of the agents is global


def _rate(hits: np.ndarray) -> list[float]:
    """A frequency with its 95% Wilson interval."""
    n, k, z = hits.size, float(hits.sum()), 1.959964
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [p, mid - half, mid + half]


#: transmissibilities from just above the threshold 1/10 to a susceptible network
TS = (0.11, 0.13, 0.16)


def run(out: Path, replicates: int | None = None, workers: int = 1) -> dict:
    extra = [f"scenario.replicates={replicates}"] if replicates else []
    sc = wom_sim.load_scenario(HERE / "scenario.toml", extra)
    degrees = make_graph(sc).out_degree()
    k_top, mean_k = int(degrees.max()), float(degrees.mean())
    findings: dict = {"global_share": GLOBAL, "top_degree": k_top, "mean_degree": mean_k,
                      "degree_advantage": k_top / mean_k, "by_T": {}}
    sizes: dict = {}
    for T in TS:
        row: dict = {}
        for arm, name in (("degree", "top-degree seed"), ("random", "random seed")):
            res = wom_sim.run(wom_sim.load_scenario(sc, [f"seeding.strategy=\"{arm}\"", f"wom.transmissibility={T}",
                                                         f"seeding.kol_reach={T}"]), workers=workers)
            share = res.series[:, -1, res.metrics.index("aware")] / res.n_agents
            sizes[(T, name)] = share
            row[name] = _rate(share >= GLOBAL)
        p1, p2, n = row["top-degree seed"][0], row["random seed"][0], sizes[(T, "random seed")].size
        # the multiplier's 95% interval by the delta method on log(p1 / p2)
        se = math.sqrt((1 - p1) / max(p1 * n, 1e-12) + (1 - p2) / max(p2 * n, 1e-12))
        ratio = p1 / p2 if p2 > 0 else math.inf
        row["multiplier"] = [ratio, ratio * math.exp(-1.96 * se), ratio * math.exp(1.96 * se)]
        row["theory"] = {"top-degree seed": float(large_outbreak_probability(degrees, T, k_top)),
                         "random seed": float(outbreak_size(degrees, T))}
        findings["by_T"][str(T)] = row
    findings["replicates"] = int(next(iter(sizes.values())).size)
    _figure(out, sizes, findings)
    atomic_write_text(out / "findings.json", json.dumps(findings, indent=2) + "\n")
    return findings


def _figure(out: Path, sizes: dict, f: dict) -> None:
    fig, (ax, bx) = new_figure(11, 4.2, ncols=2)
    bins = np.linspace(0, 1, 41)
    T0 = TS[1]
    for name, c in (("top-degree seed", NEGATIVE), ("random seed", AWARE)):
        ax.hist(sizes[(T0, name)], bins=bins, histtype="step", linewidth=1.6, color=c, label=name)
    ax.axvline(f["global_share"], color=NEUTRAL, linestyle=":", label=f"global: >= {f['global_share']:.0%}")
    ax.set_yscale("log")
    ax.set_xlabel("final cascade size (share of agents)")
    ax.set_ylabel("replicates")
    ax.set_title(f"Cascades are small or global (T = {T0})", fontsize=10)
    ax.legend(fontsize=8)
    x = np.array(TS)
    for name, c in (("top-degree seed", NEGATIVE), ("random seed", AWARE)):
        v = np.array([f["by_T"][str(T)][name] for T in TS])
        bx.errorbar(x, v[:, 0], yerr=[v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]], color=c, marker="o", capsize=3,
                    label=f"{name} (wom-sim, 95% interval)")
        bx.plot(x, [f["by_T"][str(T)]["theory"][name] for T in TS], color=c, linestyle="--", linewidth=1,
                label=f"{name} (percolation theory)")
    for T in TS:
        m = f["by_T"][str(T)]["multiplier"]
        bx.annotate(f"{m[0]:.2f}x", (T, f["by_T"][str(T)]["top-degree seed"][0]), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8)
    bx.set_xlabel("transmissibility T (threshold 1/10)")
    bx.set_ylabel("share of cascades that go global")
    bx.set_ylim(0, 1.05)
    bx.set_title(f"The influential (degree {f['top_degree']}, {f['degree_advantage']:.1f}x the mean): "
                 f"its multiplier shrinks", fontsize=10)
    bx.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Influentials and global cascades (IC on ER, mean degree 10, {f['replicates']} replicates per "
                 f"point)", fontsize=10)
    save_figure(fig, out / "watts_dodds.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out", default="results/study-watts-dodds")
    ap.add_argument("--replicates", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    f = run(out, a.replicates, a.workers)
    for T, row in f["by_T"].items():
        m = row["multiplier"]
        print(f"T = {T}: global cascades from the top-degree seed {row['top-degree seed'][0]:.1%} (theory "
              f"{row['theory']['top-degree seed']:.1%}), from a random seed {row['random seed'][0]:.1%} (theory "
              f"{row['theory']['random seed']:.1%}): multiplier {m[0]:.2f}x [{m[1]:.2f}, {m[2]:.2f}]")
    print(f"the top-degree seed has {f['degree_advantage']:.1f}x the mean degree")
    print(f"wrote {out}/watts_dodds.png and findings.json")


if __name__ == "__main__":
    main()
