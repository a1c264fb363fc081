"""The default full WOM model at scale: wom_sim.run with 1 and 2 worker processes,
then a profile of one replicate.

Scenario (the same as scenarios/large_1m.toml, written out here so that an edit of
that file does not silently change the benchmark): every default (AISAS funnel,
retell 5 / 11 Poisson, 2 tells per step, 20 KOLs by degree with kol_reach 0.3,
fixed_delay response with delay 2), graph BA n = 1,000,000 m = 5, p_external 0.0005,
60 steps x 30 replicates, seed 1.

Reported per worker count: graph build time, simulate time (RunResult.timing), wall
time of the whole run, time per replicate, agent-steps per second (n x steps x
replicates / simulate time), peak memory (ru_maxrss of this process and of the worker
processes), and whether both runs gave identical numbers (they must: replicate r
always draws from stream(seed, 2, r)). The target from the issue: the whole run in
at most 20 s on 2 cores.

Then one replicate is profiled with pyinstrument (sampling; self time aggregated per
function, numpy's C calls are charged to the Python line that made them) and with
cProfile (deterministic; sees numpy's C functions by name). Both top-10 lists and the
time per engine phase (_receive, _tell, ...) are printed; the full pyinstrument text
tree goes to benchmarks/results/profile_full.txt.

    python benchmarks/bench_full.py             # ~1 minute
    python benchmarks/bench_full.py --quick     # n = 200k, 10 replicates
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, CpuWatch, fmt_rate, machine_info, print_header, save_json, table  # noqa: E402

import wom_sim  # noqa: E402
from wom_sim.execution import make_graph
from wom_sim.execution import prepare as make_engine
from wom_sim.streams import stream  # noqa: E402


def full_scenario(n: int, steps: int, replicates: int, seed: int = 1):
    return wom_sim.load_scenario({
        "scenario": {"name": "bench full WOM model", "seed": seed, "steps": steps, "replicates": replicates},
        "graph": {"kind": "barabasi_albert", "n": n, "m": 5},
        "funnel": {"kind": "aisas"},
        "wom": {"mode": "retell", "p_external": 0.0005},
        "seeding": {"strategy": "degree", "budget": 20},
        "response": {"policy": "fixed_delay", "delay": 2},
    })


def timed_run(sc, workers: int) -> dict:
    with CpuWatch() as cw:
        t0 = time.perf_counter()
        res = wom_sim.run(sc, workers=workers)
        wall = time.perf_counter() - t0
    R, T, n = sc.scenario.replicates, sc.scenario.steps, res.n_agents
    sim = res.timing["simulate_s"]
    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    m = res.metrics
    last = res.series[:, -1, :]
    return {"workers": workers, "wall_s": wall, "graph_s": res.timing["graph_s"], "simulate_s": sim,
            "other_s": wall - sim - res.timing["graph_s"],
            "per_replicate_s": sim / R, "agent_steps_per_s": n * T * R / sim,
            "peak_rss_self_mb": round(ru_self, 1), "peak_rss_children_mb": round(ru_child, 1),
            "n_agents": n, "n_arcs": res.n_arcs, "cpu": cw.as_dict(),
            "final_mean": {k: float(last[:, m.index(k)].mean()) for k in
                           ("aware", "adopters", "rejected", "negative_reach", "responses",
                            "pos_messages", "neg_messages")},
            "_series": res.series}


def pyinstrument_profile(eng, seed: int, out_txt: Path) -> dict:
    """One replicate under pyinstrument (bench_profile.py does the walking and the tables)."""
    from bench_profile import pyinstrument_profile as profile
    return profile(lambda: eng.run_replicate(stream(seed, 2, 0)), out_txt)


def cprofile_profile(eng, seed: int) -> dict:
    from bench_profile import cprofile_profile as profile
    return profile(lambda: eng.run_replicate(stream(seed, 2, 0)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--replicates", type=int, default=30)
    ap.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--quick", action="store_true", help="n = 200k, 10 replicates")
    ap.add_argument("--json", default="bench_full.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.replicates = 200_000, 10
    seed = 1
    sc = full_scenario(args.n, args.steps, args.replicates, seed)
    print_header("bench_full: the default full WOM model")
    print(f"scenario: BA n = {args.n:,} m = 5, AISAS, retell {sc.wom.positive_tells:g}/{sc.wom.negative_tells:g} "
          f"({sc.wom.tells_distribution}), {sc.seeding.budget} KOLs by {sc.seeding.strategy}, kol_reach "
          f"{sc.seeding.kol_reach}, p_external {sc.wom.p_external}, response {sc.response.policy} delay "
          f"{sc.response.delay}; {args.steps} steps x {args.replicates} replicates", flush=True)
    runs = []
    for w in (int(x) for x in args.workers.split(",")):
        r = timed_run(sc, w)
        runs.append(r)
        c = r["cpu"]
        print(f"  workers={w}: wall {r['wall_s']:.2f} s (graph {r['graph_s']:.2f} s, simulate "
              f"{r['simulate_s']:.2f} s), {r['per_replicate_s']:.3f} s per replicate, "
              f"{fmt_rate(r['agent_steps_per_s'])} agent-steps/s; CPU of this run's processes {c['own_cpu_s']:.1f} s, "
              f"other processes kept {c['others_cpus'] if c['others_cpus'] is not None else float('nan'):.2f} "
              "CPUs busy meanwhile", flush=True)
    same = None
    if len(runs) > 1:
        same = all(np.array_equal(runs[0]["_series"], r["_series"]) for r in runs[1:])
    fm = runs[0]["final_mean"]
    rows = [[r["workers"], f"{r['graph_s']:.2f} s", f"{r['simulate_s']:.2f} s", f"{r['wall_s']:.2f} s",
             f"{r['per_replicate_s'] * 1e3:.0f} ms", fmt_rate(r["agent_steps_per_s"]),
             f"{r['peak_rss_self_mb']:,.0f} MB" + (f" (workers {r['peak_rss_children_mb']:,.0f} MB)"
                                                   if r["workers"] > 1 else "")] for r in runs]
    print()
    print(table(["workers", "graph build", "simulate", "wall (whole run)", "per replicate",
                 "agent-steps/s", "peak RSS"], rows))
    print(f"identical results for every worker count: {same}")
    print("final means: " + ", ".join(f"{k} {v:,.0f}" for k, v in fm.items()))
    two = next((r for r in runs if r["workers"] == 2), None)
    target = None
    if two and args.n >= 1_000_000 and args.replicates >= 30:
        target = {"goal_s": 20.0, "wall_s": two["wall_s"], "met": two["wall_s"] <= 20.0,
                  "others_cpus": two["cpu"]["others_cpus"]}
        print(f"target (issue): <= 20 s on 2 cores -> {two['wall_s']:.1f} s: {'MET' if target['met'] else 'MISSED'}")
    prof = {}
    if not args.no_profile:
        graph = make_graph(sc)
        eng, _ = make_engine(sc, graph)  # (engine, seed plan); degree KOLs are fixed
        eng.run_replicate(stream(seed, 2, 1))  # warm-up (lazy out-degree, imports)
        RESULTS.mkdir(parents=True, exist_ok=True)
        try:
            prof["pyinstrument"] = pyinstrument_profile(eng, seed, RESULTS / "profile_full.txt")
            p = prof["pyinstrument"]
            print(f"\n## pyinstrument, one replicate ({p['total_s']:.3f} s): top self time "
                  f"(numpy C calls charged to their Python caller)")
            print(table(["function", "where", "self", "%"],
                        [[r["function"], r["where"], f"{r['s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"]
                         for r in p["self_top"][:10]]))
            print("\nengine phases and helpers, inclusive:")
            print(table(["function", "where", "incl.", "%"],
                        [[r["function"], r["where"], f"{r['s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"]
                         for r in p["engine_inclusive"] + p["kernels_inclusive"]]))
        except ImportError:
            print("pyinstrument not installed: cProfile only")
        c = prof["cprofile"] = cprofile_profile(eng, seed)
        print(f"\n## cProfile, one replicate ({c['wall_s']:.3f} s with the profiler on): top tottime")
        print(table(["function", "where", "calls", "tottime", "%"],
                    [[r["function"], r["where"], r["calls"], f"{r['tottime_s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"]
                     for r in c["top"][:10]]))
    for r in runs:
        r.pop("_series")
    p = save_json(args.json, {"machine": machine_info(), "args": vars(args), "runs": runs,
                              "identical_across_workers": same, "target": target, "profile": prof})
    print(f"\nwrote {p}" + ("" if args.no_profile else f" and {RESULTS / 'profile_full.txt'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
