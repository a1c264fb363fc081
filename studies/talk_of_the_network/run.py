"""Study: strong ties, weak ties and advertising (Goldenberg, Libai & Muller 2001).

    python studies/talk_of_the_network/run.py [-o DIR] [--replicates R]

Runs studies/talk_of_the_network/scenario.toml and three variants, each adding one thing:
3 strong ties per consumer (p_in 0.25 -> 0.375), 3 weak ties per period (1 -> 4), or three
times the advertising (p_external 0.005 -> 0.015). Replicate r of every arm draws from
the same stream (seed, 2, r), so the arms are compared replicate by replicate. For each
replicate: the periods until 16% and until 95% of consumers are informed. Writes
DIR/talk_of_the_network.png (informed share over time per arm, 95% bands; the times
with 95% intervals) and findings.json (mean times, and each change's effect against the
base with a paired 95% interval).

The findings checked (tests/test_studies.py): adding weak ties speeds both milestones at
least as much as adding the same number of strong ties; advertising shortens the time to
16% proportionally more than the time from 16% to 95% (it matters early).
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
from wom_sim.viz.style import series_styles

HERE = Path(__file__).resolve().parent
ARMS = {"base": [], "+3 strong ties": ["graph.p_in=0.375"], "+3 weak ties / period": ["wom.weak_ties_per_step=4"],
        "3x advertising": ["wom.p_external=0.015"]}
MILESTONES = (0.16, 0.95)


def first_reach(share: np.ndarray, level: float) -> np.ndarray:
    """Per replicate, the first step at which `share` (R, steps + 1) reaches `level`
    (NaN if never)."""
    hit = share >= level
    return np.where(hit.any(axis=1), hit.argmax(axis=1), np.nan).astype(float)


def run(out: Path, replicates: int | None = None, workers: int = 1) -> dict:
    extra = [f"scenario.replicates={replicates}"] if replicates else []
    shares, times = {}, {}
    for arm, sets in ARMS.items():
        res = wom_sim.run(wom_sim.load_scenario(HERE / "scenario.toml", sets + extra), workers=workers)
        share = res.series[:, :, res.metrics.index("aware")] / res.n_agents
        shares[arm] = share
        times[arm] = {lv: first_reach(share, lv) for lv in MILESTONES}
    base = times["base"]
    findings: dict = {"replicates": int(shares["base"].shape[0]), "arms": {}}
    for arm, t in times.items():
        row: dict = {}
        for lv in MILESTONES:
            m, lo, hi = mean_ci(t[lv])
            row[f"t{int(lv * 100)}"] = [float(m), float(lo), float(hi)]
        late = t[0.95] - t[0.16]
        m, lo, hi = mean_ci(late)
        row["t16_to_t95"] = [float(m), float(lo), float(hi)]
        if arm != "base":
            for lv in MILESTONES:  # periods saved against the base, replicate by replicate
                m, lo, hi = mean_ci(base[lv] - t[lv])
                row[f"saved_t{int(lv * 100)}"] = [float(m), float(lo), float(hi)]
            m, lo, hi = mean_ci(1 - t[0.16] / base[0.16])
            row["relative_saving_t16"] = [float(m), float(lo), float(hi)]
            m, lo, hi = mean_ci(1 - late / (base[0.95] - base[0.16]))
            row["relative_saving_t16_to_t95"] = [float(m), float(lo), float(hi)]
        findings["arms"][arm] = row
    w, s = times["+3 weak ties / period"], times["+3 strong ties"]
    for lv in MILESTONES:  # weak minus strong: positive = weak ties save more periods
        m, lo, hi = mean_ci(s[lv] - w[lv])
        findings[f"weak_minus_strong_saving_t{int(lv * 100)}"] = [float(m), float(lo), float(hi)]
    _figure(out, shares, findings)
    atomic_write_text(out / "findings.json", json.dumps(findings, indent=2) + "\n")
    return findings


def _figure(out: Path, shares: dict, findings: dict) -> None:
    fig, (ax, bx) = new_figure(12, 4.5, ncols=2)
    styles = series_styles(list(shares))
    for arm, share in shares.items():
        m, lo, hi = mean_ci(share)
        x = np.arange(share.shape[1])
        st = styles[arm]
        ax.plot(x, m, label=arm, color=st.get("color"), linestyle=st.get("linestyle", "-"))
        ax.fill_between(x, lo, hi, color=st.get("color"), alpha=0.2, linewidth=0)
    for lv in MILESTONES:
        ax.axhline(lv, color="0.5", linewidth=0.8, linestyle=":")
    ax.set_xlabel("period")
    ax.set_ylabel("informed (share of consumers)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Informed over time (mean, 95% band)", fontsize=10)
    ax.legend(fontsize=8)
    arms = list(findings["arms"])
    xs = np.arange(len(arms))
    for j, key in enumerate(("t16", "t95")):
        vals = np.array([findings["arms"][a][key] for a in arms])
        bx.bar(xs + (j - 0.5) * 0.38, vals[:, 0], 0.38, yerr=[vals[:, 0] - vals[:, 1], vals[:, 2] - vals[:, 0]],
               capsize=3, label=f"periods to {key[1:]}% informed", color=["#9ecae1", "#3182bd"][j])
    bx.set_xticks(xs, arms, fontsize=8)
    bx.set_ylabel("periods (mean, 95% interval)")
    bx.set_title("Time to 16% and 95% informed", fontsize=10)
    bx.legend(fontsize=8)
    fig.suptitle(f"Talk of the network: strong ties, weak ties, advertising ({findings['replicates']} replicates)",
                 fontsize=10)
    save_figure(fig, out / "talk_of_the_network.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out", default="results/study-talk-of-the-network")
    ap.add_argument("--replicates", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    f = run(out, a.replicates, a.workers)
    for arm, row in f["arms"].items():
        s16, s95 = row.get("saved_t16"), row.get("saved_t95")
        extra = "" if arm == "base" else (f"; saves {s16[0]:.1f} and {s95[0]:.1f} periods (paired 95% intervals "
                                          f"[{s16[1]:.1f}, {s16[2]:.1f}] and [{s95[1]:.1f}, {s95[2]:.1f}])")
        print(f"{arm:>22}: 16% informed after {row['t16'][0]:.1f} periods, 95% after {row['t95'][0]:.1f}{extra}")
    print(f"wrote {out}/talk_of_the_network.png and findings.json")


if __name__ == "__main__":
    main()
