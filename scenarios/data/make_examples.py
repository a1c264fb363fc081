"""Make the example data of `wom-sim fit` (run from the repository root):

    python scenarios/data/make_examples.py

Each series is ONE simulated replicate of a bundled fit scenario with known parameters
(the "truth" below), on the scenario's own graph, from a replicate stream the fit never
uses (TRUTH_REPLICATE); so the fit can be checked against the truth. Deterministic: the
same files every time.
"""
from __future__ import annotations

from pathlib import Path

import wom_sim
from wom_sim.execution.run import run_replicates
from wom_sim.files import write_csv

HERE = Path(__file__).resolve().parent
#: a replicate index no fit draws (fits use generation * 10^7 + proposal, below 10^10)
TRUTH_REPLICATE = 123_456_789_012

EXAMPLES = {
    "launch_weekly.csv": ("fit_launch.toml", {"wom.p_external": 0.004, "funnel.positive_boost": 0.3},
                          ["new_adopters"], None),
    "complaints_daily.csv": ("fit_complaints.toml", {"wom.p_negative_experience": 0.15,
                                                     "wom.reject_per_negative": 0.35},
                             ["new_pos_messages", "new_neg_messages"], 20),
}


def truth_series(scenario: str, truth: dict, metrics: list[str]) -> list[list[float]]:
    """One replicate of the scenario with the true parameters: a row per step."""
    sets = [f"{k}={v}" for k, v in truth.items()]
    sc = wom_sim.load_scenario(HERE.parent / scenario, sets)
    series, eng, _ = run_replicates(sc, [TRUTH_REPLICATE])
    cols = [eng.metrics.index(m) for m in metrics]
    return [[t, *series[0, t, cols].tolist()] for t in range(sc.scenario.steps + 1)]


def main() -> None:
    for name, (scenario, truth, metrics, last) in EXAMPLES.items():
        rows = truth_series(scenario, truth, metrics)
        if last is not None:
            rows = rows[:last + 1]
        write_csv(HERE / name, ["step", *metrics], rows)
        print(f"wrote {HERE / name} ({len(rows)} steps; truth {truth})")


if __name__ == "__main__":
    main()
