"""Two checkouts of wom-sim side by side on the IC kernel, interleaved, in one window of time.

    git worktree add /tmp/old <commit>
    python benchmarks/ab_ic.py --before /tmp/old --n 100000 --batch 61 --replicates 244 --rounds 3

Each round runs the same batched IC (BA m = 5, p = 0.05, 50 random seeds, 200 steps) with
each checkout (a fresh process each, the checkout first on sys.path), one after the other,
so both see the same machine load. Each process builds the graph, warms up with one batch,
then times `simulate` of the replicates three times (best) and prints the time per cascade
and the mean final size. Used for notes/batch.md: on this shared VM suite runs minutes
apart differ by 10-30%, interleaved runs much less.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleaved  # noqa: E402

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import wom_sim
from wom_sim.catalogs import register_strategy
from wom_sim.execution import make_graph, prepare, simulate
from wom_sim.streams import stream
n, B, R = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
SEEDS = [None]
register_strategy("ab_fixed", lambda graph, budget, rng, scenario=None: SEEDS[0], "the A/B's seeds")
sc = wom_sim.load_scenario({
    "scenario": {"name": "ab IC", "seed": 2024, "steps": 200, "replicates": R},
    "graph": {"kind": "barabasi_albert", "n": n, "m": 5},
    "funnel": {"kind": "none"},
    "wom": {"mode": "cascade", "transmissibility": 0.05, "active_steps": 1, "p_external": 0.0,
            "p_negative_experience": 0.0},
    "seeding": {"strategy": "ab_fixed", "budget": 50, "kol_reach": 0.05},
    "response": {"policy": "none"}})
g = make_graph(sc)
SEEDS[0] = np.sort(stream(2024, 1).choice(g.n, size=50, replace=False)).astype(np.int64)
eng, plan = prepare(sc, g)
simulate(eng, 2024, list(range(B)), plan.for_replicate, B)
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    out = simulate(eng, 2024, list(range(R)), plan.for_replicate, B)
    best = min(best, time.perf_counter() - t)
print(best / R, out[:, -1, eng.metrics.index("adopters")].mean())
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="the old checkout (a folder holding wom_sim/)")
    ap.add_argument("--after", default=str(Path(__file__).resolve().parents[1]), help="the new checkout")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--replicates", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    words = interleaved({name: [sys.executable, "-c", CHILD, getattr(args, name), str(args.n), str(args.batch),
                                str(args.replicates)] for name in ("before", "after")}, args.rounds)
    res = {k: [float(w[0]) for w in v] for k, v in words.items()}
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"n = {args.n:,}, batches of {args.batch}: before {med['before'] * 1e6:.0f} us, after "
          f"{med['after'] * 1e6:.0f} us a cascade: x{med['before'] / med['after']:.2f} "
          f"(before {[round(x * 1e6) for x in res['before']]}, after {[round(x * 1e6) for x in res['after']]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
