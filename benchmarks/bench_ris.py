"""RIS (IMM) seeding on a large Barabási–Albert graph: time, RR sets, and seed quality.

Task (the brief's target): pick 50 KOLs on BA(n = 1M, m = 5) for IC p = 0.05 (first
hop = p), eps = 0.1, ell = 1, in <= 30 s on a 2-core machine.

Reported per run: wall and CPU time by phase (pilot, phase 1, phase 2, selection),
RR sets drawn, (set, agent) visits, the sentinels of hit-and-stop and whether their
coverage condition held on the final sample, IMM's lower bound and its spread
estimate. With --compare b1,b2,..., IMM is rerun with the top-b pilot agents forced as
sentinels, and every seed set (plus top-degree) is evaluated by an independent forward
Monte Carlo IC (--mc runs, same random streams for every seed set), to show what the
sentinels cost in spread.

    python benchmarks/bench_ris.py                       # 1M, one run
    python benchmarks/bench_ris.py --n 100000 --compare 1,4,12,25 --mc 100
"""
from __future__ import annotations

import argparse
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


def timed_imm(g, model, k, seed, **kw):
    w0, c0 = time.perf_counter(), time.process_time()
    res = inf.imm(g, model, k, np.random.default_rng(seed), **kw)
    return res, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--p", type=float, default=0.05)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--compare", default="", help="sentinel sizes to force, e.g. 1,4,12,25")
    ap.add_argument("--mc", type=int, default=0, help="forward MC runs per seed set (0: skip)")
    ap.add_argument("--json", default="bench_ris.json", help="file name in benchmarks/results/")
    a = ap.parse_args()
    record = {"machine": machine_info(), "args": vars(a), "target_s": 30.0, "runs": []}

    t = time.perf_counter()
    g = barabasi_albert(a.n, a.m, np.random.default_rng(a.seed))
    record["graph_s"] = time.perf_counter() - t
    print(f"BA n={a.n:,} m={a.m}: {g.n_arcs:,} arcs, built in {time.perf_counter() - t:.1f} s")
    model = inf.ICModel(first=a.p, p=a.p)
    runs = [("auto", {})]
    if a.compare:
        pilot_rng = np.random.default_rng(a.seed + 1)
        pilot = inf.RRSampler(g, model, pilot_rng).sample(2000, batch=250)
        ranked = inf._top_by_count(pilot, g.n, max(int(b) for b in a.compare.split(",")))
        runs += [(f"b={b}", {"sentinel": [int(u) for u in ranked[:int(b)]]})
                 for b in a.compare.split(",")]
    seed_sets = {"degree": strategy("degree")(g, a.k, None)}
    print(f"{'run':>6} {'wall s':>7} {'cpu s':>6} {'RR sets':>10} {'visits':>12} {'b':>3} "
          f"{'cert':>5} {'LB':>9} {'estimate':>9}  phases (wall s)")
    for name, kw in runs:
        res, wall, cpu = timed_imm(g, model, a.k, a.seed + 7, eps=a.eps, **kw)
        ph = " ".join(f"{k}={v:.1f}" for k, v in res.times.items())
        print(f"{name:>6} {wall:7.1f} {cpu:6.1f} {res.rr_sets:10,} {res.visits:12,} "
              f"{len(res.sentinel):3d} {str(res.sentinel_certified):>5} {res.lower_bound:9.0f} "
              f"{res.spread_estimate:9.0f}  {ph}")
        seed_sets[f"ris {name}"] = res.seeds
        record["runs"].append({"run": name, "wall_s": wall, "cpu_s": cpu, "rr_sets": res.rr_sets,
                               "visits": res.visits, "phases_s": dict(res.times),
                               "lower_bound": res.lower_bound, "spread_estimate": res.spread_estimate})
    if a.mc:
        print(f"forward Monte Carlo IC, {a.mc} runs per seed set (same streams):")
        for name, s in seed_sets.items():
            mean, se = mc_spread(g, s, a.p, a.mc, a.seed + 99)
            print(f"  {name:>10}: {mean:10.1f} +- {se:.1f}")
            record.setdefault("mc", {})[name] = (mean, se)
    print(f"wrote {save_json(a.json, record)}")


if __name__ == "__main__":
    main()
