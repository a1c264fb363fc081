"""Two versions of wom-sim side by side on the full model, interleaved, in one window of time.

    python benchmarks/ab_full.py --before /path/to/old-venv/bin/python --after python \\
        --set graph.n=100000 --rounds 3

Each round runs the scenario once with each interpreter (a fresh process each), one
after the other, so both see the same machine load. Each process builds the graph, warms
up, then times 5 replicates and prints the median and the mean final adopters. Used for
notes/redesign.md: suite runs minutes apart on a shared VM differ by 10-30%, interleaved
runs much less. The child code works with the layout before and after issue 11.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleaved  # noqa: E402

CHILD = r"""
import sys, time, numpy as np, wom_sim
try:
    from wom_sim.execution import make_graph, prepare as make
    from wom_sim.streams import stream
except ImportError:  # the layout before issue 11
    from wom_sim.runner import make_graph, make_engine as make, stream
sc = wom_sim.load_scenario(sys.argv[1], ["scenario.replicates=1"] + sys.argv[2:])
g = make_graph(sc)
eng, plan = make(sc, g)
eng.run_replicate(stream(1, 2, 99), kols=plan.for_replicate(99))
times, adopters = [], []
for r in range(5):
    t0 = time.perf_counter()
    out = eng.run_replicate(stream(1, 2, r), kols=plan.for_replicate(r))
    times.append(time.perf_counter() - t0)
    adopters.append(out[-1][eng.metrics.index("adopters")])
print(f"{sorted(times)[2]:.4f} {np.mean(adopters):.1f}")
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="python of the old version")
    ap.add_argument("--after", default=sys.executable, help="python of the new version")
    ap.add_argument("--scenario", default=str(Path(__file__).resolve().parents[1] / "scenarios" / "large_1m.toml"))
    ap.add_argument("--set", dest="sets", action="append", default=[], help="section.key=value (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    words = interleaved({name: [getattr(args, name), "-c", CHILD, args.scenario, *args.sets]
                         for name in ("before", "after")}, args.rounds)
    results = {k: [(float(w[0]), float(w[1])) for w in v] for k, v in words.items()}
    med = {k: sorted(t for t, _ in v)[len(v) // 2] for k, v in results.items()}
    ad = {k: v[0][1] for k, v in results.items()}
    print(f"{' '.join(args.sets) or 'defaults'}: before {med['before']:.3f} s ({ad['before']:,.0f} adopters), "
          f"after {med['after']:.3f} s ({ad['after']:,.0f} adopters): x{med['after'] / med['before']:.2f}, "
          f"per adopter x{(med['after'] / ad['after']) / (med['before'] / ad['before']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
