"""The planners' and PR teams' commands at the sizes the issues name, timed end to end.

    python benchmarks/bench_commands.py            # both, full size
    python benchmarks/bench_commands.py --quick    # 20k agents, fewer replicates

- compare-seeding: 6 strategies (random, degree, pagerank, kcore, degree_discount,
  community) x 3 budgets x 20 replicates on a 100k-agent scenario (target: <= 2
  minutes on 2 cores);
- bench-response: 6 delays x 3 policies x 30 replicates on a 100k-agent crisis
  (target: <= 60 s on 2 cores).
Each is run through the library exactly as the CLI runs it (plots included) with
workers = 2, in a fresh temporary folder. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import wom_sim  # noqa: E402
from wom_sim.compare import compare_seeding  # noqa: E402
from wom_sim.response import bench_response, parse_policies  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    n = 20_000 if args.quick else 100_000
    rows = []

    sc = wom_sim.load_scenario(ROOT / "scenarios" / "kol_launch.toml",
                               [f"graph.n={n}", f"scenario.replicates={5 if args.quick else 20}"])
    # random (the baseline, added by compare-seeding) + 5 = 6 strategies; ris is timed on
    # its own in bench_ris.py (its cost grows with how supercritical the cascade is)
    strategies = ["degree", "pagerank", "kcore", "degree_discount", "community"]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cmp = compare_seeding(sc, Path(tmp) / "cmp", strategies, [10, 20, 50], workers=args.workers)
        wall = time.perf_counter() - t0
    picks = sum({c.strategy: c.seconds for c in cmp.choices.values()}.values())  # one pick per strategy
    rows.append(("compare-seeding", f"{len(cmp.strategies)} strategies (random added) x 3 budgets x "
                 f"{sc.scenario.replicates} reps, N = {n:,}", wall, 120.0, f"seed selection {picks:.1f} s"))

    sc = wom_sim.load_scenario(ROOT / "scenarios" / "crisis_response.toml",
                               [f"graph.n={n}", f"scenario.replicates={8 if args.quick else 30}"])
    specs = parse_policies("fixed_delay,capacity:C=5:queue=by_reach,threshold:X=20")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        bench_response(sc, Path(tmp) / "resp", specs, [0, 1, 2, 4, 8, 16], workers=args.workers)
        wall = time.perf_counter() - t0
    rows.append(("bench-response", f"6 delays x 3 policies (+ none) x {sc.scenario.replicates} reps, N = {n:,}",
                 wall, 60.0, ""))

    print(f"machine: {os.cpu_count()} cores; workers = {args.workers}; {'quick' if args.quick else 'full size'}\n")
    print("| command | grid | wall | target | met | notes |\n|---|---|---|---|---|---|")
    for name, grid, wall, target, note in rows:
        met = "yes" if wall <= target else "no"
        print(f"| {name} | {grid} | {wall:.1f} s | <= {target:.0f} s | {met} | {note} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_commands{'_quick' if args.quick else ''}.json").write_text(json.dumps(
        [dict(command=r[0], grid=r[1], wall_s=r[2], target_s=r[3], notes=r[4]) for r in rows], indent=2))


if __name__ == "__main__":
    main()
