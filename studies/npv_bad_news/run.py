"""Study: the NPV lost to disappointed customers and their bad news (Goldenberg, Libai,
Moldovan & Muller 2007).

    python studies/npv_bad_news/run.py [-o DIR] [--replicates R]

Runs studies/npv_bad_news/scenario.toml with 0%, 5%, 10% and 20% of buyers disappointed
(wom.p_negative_experience), each without weak ties and with 3 weak ties a period. Replicate
r of every run draws from the same stream (seed, 2, r), so the NPV lost is measured
replicate by replicate against the run where nobody is disappointed: lost share =
1 - NPV(q) / NPV(0). The multiplier is the lost share over the disappointed share q: above
1, each point of disappointed customers costs the firm more than a point of NPV (their own
sales still count: the loss is the word of mouth they spoil). Writes DIR/npv_bad_news.png
and findings.json.

The finding checked (tests/test_studies.py): the NPV lost grows with the disappointed
share, faster than it with weak ties (multiplier above 1), and weak ties make every level
of disappointment cost more (paired intervals above 0).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import wom_sim
from wom_sim.files import atomic_write_text
from wom_sim.stats import mean_ci
from wom_sim.viz.figure import new_figure, save_figure
from wom_sim.viz.style import NEGATIVE, NEUTRAL, REJECTED

HERE = Path(__file__).resolve().parent
SHARES = (0.0, 0.05, 0.1, 0.2)
WEAK = (0, 3)


def run(out: Path, replicates: int | None = None, workers: int = 1) -> dict:
    extra = [f"scenario.replicates={replicates}"] if replicates else []
    npv: dict[tuple[int, float], np.ndarray] = {}
    for w in WEAK:
        for q in SHARES:
            sc = wom_sim.load_scenario(HERE / "scenario.toml",
                                       [f"wom.weak_ties_per_step={w}", f"wom.p_negative_experience={q}"] + extra)
            res = wom_sim.run(sc, workers=workers)
            npv[(w, q)] = res.series[:, -1, res.metrics.index("npv")]
    lost = {(w, q): 1 - npv[(w, q)] / npv[(w, 0.0)] for w in WEAK for q in SHARES if q > 0}
    findings: dict = {"replicates": int(npv[(WEAK[0], 0.0)].size), "shares": list(SHARES[1:]), "by_weak_ties": {}}
    for w in WEAK:
        row: dict = {"npv_all_satisfied": [float(x) for x in mean_ci(npv[(w, 0.0)])]}
        for q in SHARES[1:]:
            row[f"lost_share_q{q}"] = [float(x) for x in mean_ci(lost[(w, q)])]
            row[f"multiplier_q{q}"] = [float(x) for x in mean_ci(lost[(w, q)] / q)]
        findings["by_weak_ties"][str(w)] = row
    for q in SHARES[1:]:  # with minus without weak ties, replicate by replicate
        findings[f"weak_ties_add_q{q}"] = [float(x) for x in mean_ci(lost[(WEAK[1], q)] - lost[(WEAK[0], q)])]
    _figure(out, findings)
    atomic_write_text(out / "findings.json", json.dumps(findings, indent=2) + "\n")
    return findings


def _figure(out: Path, f: dict) -> None:
    fig, ax = new_figure(7.5, 4.5)
    qs = np.array([0.0, *f["shares"]])
    for w, c in zip(WEAK, (REJECTED, NEGATIVE)):
        row = f["by_weak_ties"][str(w)]
        v = np.array([[0.0, 0.0, 0.0]] + [row[f"lost_share_q{q}"] for q in f["shares"]])
        ax.plot(qs, v[:, 0], "o-", color=c, label=f"{w} weak ties a period (mean)")
        ax.fill_between(qs, v[:, 1], v[:, 2], color=c, alpha=0.25, linewidth=0)
    ax.plot(qs, qs, color=NEUTRAL, linestyle="--", linewidth=1, label="NPV lost = share disappointed")
    ax.set_xlabel("disappointed buyers (share, wom.p_negative_experience)")
    ax.set_ylabel("NPV lost (share of the all-satisfied NPV)")
    ax.set_xlim(0, qs.max() * 1.03)
    ax.set_ylim(bottom=0)
    ax.set_title(f"The NPV of bad news (95% bands, {f['replicates']} paired replicates)", fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, out / "npv_bad_news.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out", default="results/study-npv-bad-news")
    ap.add_argument("--replicates", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    f = run(out, a.replicates, a.workers)
    for w, row in f["by_weak_ties"].items():
        cells = ", ".join(f"{q:.0%} disappointed -> {row[f'lost_share_q{q}'][0]:.1%} of NPV lost "
                          f"(x{row[f'multiplier_q{q}'][0]:.2f})" for q in f["shares"])
        print(f"{w} weak ties a period: {cells}")
    print(f"wrote {out}/npv_bad_news.png and findings.json")


if __name__ == "__main__":
    main()
