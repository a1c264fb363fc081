"""Seeding on the planner's objective (issue 14): does the optimiser win, and how fast?

    python benchmarks/bench_seeding.py            # 20k and 100k, ris at 1M (~4 minutes)
    python benchmarks/bench_seeding.py --quick    # 20k only, fewer replicates

1. kol_launch (AISAS, retell 5 / 11, 60 steps) at n = 20k and 100k, budgets 10, 20 and 50:
   compare-seeding of degree, pagerank, kcore, degree_discount and the optimisers (ris
   and simulated, CELF on the full model), the library call the CLI makes, and
   for each budget an optimiser's objective (adopters by the horizon) minus the best
   heuristic's, paired by replicate (common random numbers), with its 95% interval.
   Target: optimiser >= best - (its interval), i.e. the interval's top >= 0.
2. The "KOL club" trap (REFERENCE.md: BA 5,000 m = 3 whose 60 top hubs form a clique,
   IC p = 0.05, 50 KOLs): ris, greedy and simulated against top-degree in a forward
   Monte Carlo (the same streams). Target: strictly better.
3. ris's selection time on kol_launch-like retell scenarios at 100k (target <= 30 s)
   and 1M agents (<= 120 s), with its RR sets.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine_info, save_json  # noqa: E402

import wom_sim  # noqa: E402
import wom_sim.seeding.influence as inf  # noqa: E402
from wom_sim.compare import compare_seeding  # noqa: E402
from wom_sim.execution import make_graph  # noqa: E402
from wom_sim.seeding import strategy  # noqa: E402
from wom_sim.stats import mean_ci  # noqa: E402

ROOT = HERE.parent
HEURISTICS = ["degree", "pagerank", "kcore", "degree_discount"]
BUDGETS = [10, 20, 50]
TARGET_RIS_S = {100_000: 30.0, 1_000_000: 120.0}
TARGET_SIM_S = 60.0  # simulated (CELF on the full model), 50 KOLs at 20k


def launch(n: int, reps: int, workers: int, optimisers: list[str]) -> dict:
    sc = wom_sim.load_scenario(ROOT / "scenarios" / "kol_launch.toml",
                               [f"graph.n={n}", f"scenario.replicates={reps}"])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cmp = compare_seeding(sc, Path(tmp) / "cmp", [*HEURISTICS, *optimisers], BUDGETS, workers=workers,
                              plots=False)
        wall = time.perf_counter() - t0
    i = cmp.metrics.index(cmp.objective)
    rows = []
    for b in BUDGETS:
        means = {s: float(cmp.finals[(s, b)][:, i].mean()) for s in HEURISTICS}
        best = max(means, key=lambda s: means[s])
        for opt in optimisers:
            d = cmp.finals[(opt, b)][:, i] - cmp.finals[(best, b)][:, i]
            m, lo, hi = mean_ci(d)
            rows.append({"budget": b, "optimiser": opt, "best_heuristic": best, "best_mean": means[best],
                         "mean": float(cmp.finals[(opt, b)][:, i].mean()), "diff": float(m),
                         "diff_ci": [float(lo), float(hi)], "met": bool(hi >= 0)})
            print(f"  n = {n:,}, budget {b}: {opt} {rows[-1]['mean']:,.0f} vs {best} {means[best]:,.0f}: "
                  f"{m:+,.0f} [{lo:+,.0f}, {hi:+,.0f}] ({'met' if hi >= 0 else 'missed'})", flush=True)
    picks = {c.strategy: c.seconds for c in cmp.choices.values()}
    if "simulated" in optimisers:
        st = inf.LAST_STATS["simulated"]
        sim = {"n": n, "kols": st["kols"], "seconds": picks["simulated"], "runs": st["runs"],
               "replicates": st["replicates"], "target_s": TARGET_SIM_S, "met": picks["simulated"] <= TARGET_SIM_S}
        print(f"  simulated on kol_launch at n = {n:,}: {sim['seconds']:.1f} s, {sim['runs']:,} runs "
              f"(target {TARGET_SIM_S:.0f} s)", flush=True)
    else:
        sim = None
    return {"n": n, "replicates": reps, "objective": cmp.objective, "wall_s": wall, "rows": rows,
            "selection_s": picks, "simulated": sim}


def mc_spread(g, seeds, p: float, runs: int, seed: int) -> tuple[float, float]:
    from wom_sim.graphs.kernels import bernoulli_arcs
    sizes = np.empty(runs)
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        seen = np.zeros(g.n, dtype=bool)
        front = np.unique(np.asarray(seeds, dtype=np.int64))
        seen[front] = True
        while front.size:
            _, tg = bernoulli_arcs(g, front, p, rng)
            tg = np.unique(tg[~seen[tg]])
            seen[tg] = True
            front = tg
        sizes[r] = seen.sum()
    return float(sizes.mean()), float(sizes.std(ddof=1) / np.sqrt(runs))


def kol_club(runs: int) -> dict:
    from wom_sim.graphs.csr import from_arcs
    from wom_sim.graphs.generators import barabasi_albert
    g0 = barabasi_albert(5000, 3, np.random.default_rng(11))
    hubs = np.argsort(-g0.out_degree(), kind="stable")[:60]
    a, b = np.meshgrid(hubs, hubs)
    off = a != b
    src = np.concatenate([g0.arc_sources(np.int64), a[off]])
    dst = np.concatenate([g0.indices.astype(np.int64), b[off]])
    g = from_arcs(5000, src, dst, directed=True)
    p, k = 0.05, 50
    # the same cascade as a scenario, for the strategy that simulates it
    ic = wom_sim.load_scenario({"scenario": {"steps": 100, "seed": 3}, "graph": {"kind": "barabasi_albert", "n": 5000},
                                "funnel": {"kind": "none"}, "response": {"policy": "none"},
                                "wom": {"mode": "cascade", "transmissibility": p, "p_external": 0.0,
                                        "p_negative_experience": 0.0},
                                "seeding": {"kol_reach": p, "objective": "adopters"}})
    t0 = time.perf_counter()
    sim = strategy("simulated")(g, k, np.random.default_rng(6), ic)  # 64 runs a set at 5,000 agents
    sim_s = time.perf_counter() - t0
    seeds = {"degree": strategy("degree")(g, k, None),
             "ris": strategy("ris")(g, k, np.random.default_rng(5), None, p=p),
             "greedy": strategy("greedy")(g, k, np.random.default_rng(4), None, p=p, samples=100),
             "simulated": sim}
    out = {name: mc_spread(g, s, p, runs, 30) for name, s in seeds.items()}
    for name, (m, se) in out.items():
        print(f"  KOL club: {name:>6}: {m:7.1f} +- {se:.1f}", flush=True)
    top = out["degree"]
    print(f"  KOL club: simulated chose in {sim_s:.1f} s", flush=True)
    return {"spread": out, "simulated_s": sim_s,
            "met": {s: bool(out[s][0] > top[0] + 4 * np.hypot(out[s][1], top[1]))
                    for s in ("ris", "greedy", "simulated")}}


def ris_time(n: int) -> dict:
    sc = wom_sim.load_scenario(ROOT / "scenarios" / "kol_launch.toml", [f"graph.n={n}"])
    g = make_graph(sc)
    t0 = time.perf_counter()
    seeds = strategy("ris")(g, 50, np.random.default_rng(1), sc)
    dt = time.perf_counter() - t0
    st = inf.LAST_STATS["ris"]
    print(f"  ris on kol_launch at n = {n:,}: {dt:.1f} s, {st['rr_sets']:,} RR sets, {st['visits']:,} visits "
          f"(target {TARGET_RIS_S[n]:.0f} s)", flush=True)
    return {"n": n, "seconds": dt, "rr_sets": st["rr_sets"], "visits": st["visits"], "kols": int(seeds.size),
            "target_s": TARGET_RIS_S[n], "met": dt <= TARGET_RIS_S[n], "model": st["model"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    rec: dict = {"machine": machine_info(), "quick": a.quick}
    print("# seeding on the objective (bench_seeding.py)")
    rec["launch"] = [launch(n, 8 if a.quick else 30, a.workers, ["ris", "simulated"])
                     for n in ([20_000] if a.quick else [20_000, 100_000])]
    rec["simulated_time"] = next((L["simulated"] for L in rec["launch"] if L.get("simulated") and L["n"] == 20_000),
                                 None)
    rec["kol_club"] = kol_club(300 if a.quick else 2000)
    rec["ris_time"] = [ris_time(n) for n in ([100_000] if a.quick else [100_000, 1_000_000])]
    name = a.json or ("bench_seeding_quick.json" if a.quick else "bench_seeding.json")
    print(f"wrote {save_json(name, rec)}")


if __name__ == "__main__":
    main()
