"""RIS seeding (OPIM-C and IMM) on a large Barabási–Albert graph: time, RR sets, seed quality.

Task (the brief's target): pick 50 KOLs on BA(n = 1M, m = 5) for IC p = 0.05 (first
hop = p), eps = 0.1, ell = 1, in <= 30 s on a 2-core machine; issue 13: >= 3x faster
than its 18.1 s (IMM, 2.07M RR sets).

Three runs: ris's default (OPIM-C, eps 0.02, delta 1/n), OPIM-C at eps 0.1, and IMM at
eps 0.1 (the sampler's speed on IMM's 2M sets). Reported per run: wall and CPU time by
phase, RR sets drawn, (set, agent) visits, sampling cost per RR set and per visit, the
hit-and-stop sentinels, OPIM-C's certified ratio (>= 1 - 1/e - eps), the lower bound
and the spread estimate. Every seed set (plus top-degree) is then evaluated by an
independent forward Monte Carlo IC (--mc runs, the same random streams for every seed
set). With --compare b1,b2,..., IMM is rerun with the top-b pilot agents forced as
sentinels, to show what the sentinels cost in spread.

    python benchmarks/bench_ris.py                       # 1M, one run
    python benchmarks/bench_ris.py --n 100000 --compare 1,4,12,25 --mc 100
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, save_json  # noqa: E402

import wom_sim.seeding.influence as inf
from wom_sim.graphs.generators import barabasi_albert
from wom_sim.graphs.kernels import bernoulli_arcs
from wom_sim.seeding import strategy


def mc_spread(g, seeds, p: float, runs: int, seed: int) -> tuple[float, float]:
    """Mean and SE of the final IC size (seeds included), forward cascades."""
    sizes = np.empty(runs)
    visited = np.zeros(g.n, dtype=bool)
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        visited[:] = False
        front = np.unique(np.asarray(seeds, dtype=np.int64))
        visited[front] = True
        total = front.size
        while front.size:
            _, tg = bernoulli_arcs(g, front, p, rng)
            tg = tg[~visited[tg]]
            visited[tg] = True
            front = np.flatnonzero(np.bincount(tg)) if tg.size else np.zeros(0, dtype=np.int64)
            total += front.size
        sizes[r] = total
    return float(sizes.mean()), float(sizes.std(ddof=1) / np.sqrt(runs))


def timed(fn, g, model, k, seed, **kw):
    w0, c0 = time.perf_counter(), time.process_time()
    res = fn(g, model, k, np.random.default_rng(seed), **kw)
    return res, time.perf_counter() - w0, time.process_time() - c0


#: issue 13's baseline: IMM, 50 KOLs on BA 1M, eps 0.1, before the issue (2.07M RR sets)
BASELINE_S = 18.1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--p", type=float, default=0.05)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--compare", default="", help="sentinel sizes to force, e.g. 1,4,12,25")
    ap.add_argument("--mc", type=int, default=200, help="forward MC runs per seed set (0: skip)")
    ap.add_argument("--json", default="bench_ris.json", help="file name in benchmarks/results/")
    a = ap.parse_args()
    record = {"machine": machine_info(), "args": vars(a), "target_s": 30.0, "runs": []}

    t = time.perf_counter()
    g = barabasi_albert(a.n, a.m, np.random.default_rng(a.seed))
    record["graph_s"] = time.perf_counter() - t
    print(f"BA n={a.n:,} m={a.m}: {g.n_arcs:,} arcs, built in {time.perf_counter() - t:.1f} s")
    model = inf.ICModel(first=a.p, p=a.p)
    # (name, function, keyword arguments): ris's default (OPIM-C, eps 0.02), OPIM-C at
    # the baseline's eps, and IMM at the baseline's eps (the RR-set sampler's own speed)
    runs = [("opim", inf.opim, {"eps": 0.02, "min_rr_sets": inf.RIS_MIN_RR_SETS_PER_KOL * a.k}),
            ("opim e=.1", inf.opim, {"eps": a.eps}), ("imm", inf.imm, {"eps": a.eps})]
    if a.compare:
        pilot_rng = np.random.default_rng(a.seed + 1)
        pilot = inf.RRSampler(g, model, pilot_rng).sample(2000, batch=250)
        ranked = inf._top_by_count(pilot, g.n, max(int(b) for b in a.compare.split(",")))
        runs += [(f"imm b={b}", inf.imm, {"eps": a.eps, "sentinel": [int(u) for u in ranked[:int(b)]]})
                 for b in a.compare.split(",")]
    seed_sets = {"degree": strategy("degree")(g, a.k, None)}
    print(f"{'run':>10} {'wall s':>7} {'cpu s':>6} {'RR sets':>10} {'visits':>12} {'µs/set':>7} {'ns/visit':>8} "
          f"{'b':>3} {'ratio':>6} {'LB':>9} {'estimate':>9}  phases (wall s)")
    for name, fn, kw in runs:
        res, wall, cpu = timed(fn, g, model, a.k, a.seed + 7, **kw)
        ph = " ".join(f"{k}={v:.1f}" for k, v in res.times.items())
        sampling = sum(v for k, v in res.times.items() if k not in ("selection", "total"))
        per_set, per_visit = sampling / res.rr_sets * 1e6, sampling / max(res.visits, 1) * 1e9
        print(f"{name:>10} {wall:7.1f} {cpu:6.1f} {res.rr_sets:10,} {res.visits:12,} {per_set:7.2f} {per_visit:8.1f} "
              f"{len(res.sentinel):3d} {res.ratio:6.3f} {res.lower_bound:9.0f} {res.spread_estimate:9.0f}  {ph}")
        seed_sets[f"ris {name}"] = res.seeds
        record["runs"].append({"run": name, "method": res.method, "eps": kw["eps"], "wall_s": wall, "cpu_s": cpu,
                               "rr_sets": res.rr_sets, "visits": res.visits, "phases_s": dict(res.times),
                               "sampling_s": sampling, "us_per_set": per_set, "ns_per_visit": per_visit,
                               "ratio": None if math.isnan(res.ratio) else res.ratio,
                               "sentinel_certified": res.sentinel_certified,
                               "lower_bound": res.lower_bound, "spread_estimate": res.spread_estimate})
    if a.n == 1_000_000 and a.m == 5 and a.k == 50 and a.p == 0.05:
        r0 = record["runs"][0]
        record["issue13"] = {"baseline_s": BASELINE_S, "wall_s": r0["wall_s"],
                             "speedup": BASELINE_S / r0["wall_s"], "goal": 3.0,
                             "met": BASELINE_S / r0["wall_s"] >= 3.0}
        print(f"ris (OPIM-C, eps 0.02) against issue 13's baseline {BASELINE_S} s: "
              f"x{BASELINE_S / r0['wall_s']:.1f} (goal x3)")
    if a.mc:
        print(f"forward Monte Carlo IC, {a.mc} runs per seed set (same streams):")
        for name, s in seed_sets.items():
            mean, se = mc_spread(g, s, a.p, a.mc, a.seed + 99)
            print(f"  {name:>10}: {mean:10.1f} +- {se:.1f}")
            record.setdefault("mc", {})[name] = (mean, se)
    print(f"wrote {save_json(a.json, record)}")


if __name__ == "__main__":
    main()
