"""Batched replicates (issue 13): many replicates of a SMALL graph run as one vectorized
problem. What it costs per replicate, against one replicate at a time, in one process.

1. The full WOM model on BA n = 10,000 (m = 5; AISAS, retell 5 / 11 Poisson, 20 KOLs
   by degree with kol_reach 0.3, fixed-delay response, p_external 0.0005), 60 steps,
   --replicates (1,000) replicates through `wom_sim.run(sc, workers=1)`: simulate time
   (RunResult.timing) and the batch size the runner chose from memory. The same run
   with batches forced to 1 on --solo replicates (100) gives the speed-up; the numbers
   of the replicates both ran are checked identical (batch independence).
2. The batch-size curve: time per replicate against the batch size B (1 .. 256) for
   the full model and for the IC kernel (p = 0.05, 50 random seeds) at 10k.
3. The profile of the batched path: one batch of 64 full-model replicates under
   cProfile, time per engine phase (Batch._tell, _progress, ...) and the top functions.
4. greedy (CELF on 200 live-edge worlds) picking 50 KOLs on BA 20k, IC p = 0.05.
5. Calibration (`wom-sim fit`, one replicate per proposed parameter point): the proposals
   of the bundled fit_launch example (3,000 agents, 40 steps; p_external and
   positive_boost from their priors) run as batches of parameter points
   (execution.run.run_points) against one at a time (the path before), per simulation,
   in one process, and checked identical; then the README's whole fit command, wall time.
6. `wom-sim teach`: the recorder of the bundled classroom scenarios (300 agents, 40 steps)
   on --teach-replicates (500) replicates in the runner's batches against one at a time
   (on the first 50), every recorded array checked identical; then `wom-sim teach compare
   --replicates 500`, wall time.
7. The files of a small run: RunResult.save of 500 IC replicates x 201 steps (2,000
   agents; replicates.csv and timeseries.csv, no plots), the CSV formatted by columns
   (files.csv_columns) against row by row (files.csv_text), the bytes checked identical.

    python benchmarks/bench_batch.py            # ~2.5 minutes
    python benchmarks/bench_batch.py --quick    # 200 replicates, fewer batch sizes
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CpuWatch, machine_info, print_header, save_json, table  # noqa: E402

import wom_sim  # noqa: E402
from wom_sim.execution import make_graph, prepare, simulate  # noqa: E402
from wom_sim.execution.memory import batch_size  # noqa: E402
from wom_sim.streams import stream  # noqa: E402

SEED = 7
TARGET_FULL_S = 3.0      # issue 13: 1,000 replicates of the full model at 10k, 60 steps
TARGET_GREEDY_S = 20.0   # issue 13: greedy, 50 KOLs on 20k


def full_scenario(n: int, replicates: int):
    return wom_sim.load_scenario({
        "scenario": {"name": "bench batch full", "seed": SEED, "steps": 60, "replicates": replicates},
        "graph": {"kind": "barabasi_albert", "n": n, "m": 5},
        "funnel": {"kind": "aisas"},
        "wom": {"mode": "retell", "p_external": 0.0005},
        "seeding": {"strategy": "degree", "budget": 20},
        "response": {"policy": "fixed_delay", "delay": 2},
    })


def ic_scenario(n: int, replicates: int):
    return wom_sim.load_scenario({
        "scenario": {"name": "bench batch IC", "seed": SEED, "steps": 200, "replicates": replicates},
        "graph": {"kind": "barabasi_albert", "n": n, "m": 5},
        "funnel": {"kind": "none"},
        "wom": {"mode": "cascade", "transmissibility": 0.05, "active_steps": 1, "p_external": 0.0},
        "seeding": {"strategy": "random", "budget": 50, "kol_reach": 0.05},
        "response": {"policy": "none"},
    })


def full_run(args) -> dict:
    sc = full_scenario(10_000, args.replicates)
    graph = make_graph(sc)
    wom_sim.run(full_scenario(10_000, 8), graph=graph)  # warm-up
    with CpuWatch() as cw:
        res = wom_sim.run(sc, graph=graph)
    sim = res.timing["simulate_s"]
    B = batch_size(sc, graph.n, graph.n_arcs)
    eng, plan = prepare(sc, graph)
    reps = list(range(args.solo))
    t0 = time.perf_counter()
    solo = simulate(eng, SEED, reps, plan.for_replicate, batch=1)
    solo_s = time.perf_counter() - t0
    same = bool(np.array_equal(solo, res.series[:args.solo]))
    out = {"replicates": args.replicates, "batch": B, "simulate_s": sim,
           "per_replicate_ms": sim / args.replicates * 1e3,
           "solo_replicates": args.solo, "solo_per_replicate_ms": solo_s / args.solo * 1e3,
           "speedup": (solo_s / args.solo) / (sim / args.replicates), "identical": same,
           "target_s": TARGET_FULL_S, "cpu": cw.as_dict(),
           "mean_adopters": float(res.series[:, -1, res.metrics.index("adopters")].mean())}
    out["per_1000_s"] = sim / args.replicates * 1000
    print(f"full model, 10k agents, 60 steps: {args.replicates} replicates in {sim:.2f} s (batches of {B}; "
          f"{out['per_replicate_ms']:.2f} ms each); one at a time {out['solo_per_replicate_ms']:.2f} ms each: "
          f"x{out['speedup']:.2f}; identical tables: {same}; 1,000 replicates: {out['per_1000_s']:.1f} s, target "
          f"{TARGET_FULL_S} s ({'met' if out['per_1000_s'] <= TARGET_FULL_S else 'missed'})", flush=True)
    return out


def curve(kind: str, sizes: list[int], reps: int) -> list[dict]:
    sc = (full_scenario if kind == "full" else ic_scenario)(10_000, reps)
    graph = make_graph(sc)
    eng, plan = prepare(sc, graph)
    simulate(eng, SEED, list(range(min(reps, 16))), plan.for_replicate, 16)  # warm-up
    rows = []
    for B in sizes:
        r = list(range(reps))
        t0 = time.perf_counter()
        simulate(eng, SEED, r, plan.for_replicate, B)
        dt = time.perf_counter() - t0
        rows.append({"batch": B, "per_replicate_ms": dt / reps * 1e3})
        print(f"  {kind}: batch {B:>4}: {dt / reps * 1e3:.3f} ms per replicate", flush=True)
    return rows


def profile_batch(B: int) -> dict:
    sc = full_scenario(10_000, B)
    graph = make_graph(sc)
    eng, plan = prepare(sc, graph)
    rngs = [stream(SEED, 2, r) for r in range(B)]
    kols = [plan.for_replicate(r) for r in range(B)]
    eng.run_batch([stream(SEED, 2, r) for r in range(B)], kols)  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    eng.run_batch(rngs, kols)
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    phases = {}
    top = []
    for (file, _line, fn), (_cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        if file.endswith("engines/numpy/replicate.py") and fn.startswith("_") and fn in (
                "_receive", "_advertise", "_progress", "_adopt", "_sense", "_tell", "_respond", "_draw_plans"):
            phases[fn] = ct
        top.append((tt, f"{Path(file).name}:{fn}", nc))
    top.sort(reverse=True)
    out = {"batch": B, "total_s": total, "per_replicate_ms": total / B * 1e3,
           "phases_s": dict(sorted(phases.items(), key=lambda kv: -kv[1])),
           "top": [{"function": f, "self_s": t, "calls": c} for t, f, c in top[:12]]}
    print(f"profile, one batch of {B} (full model, 10k, 60 steps; cProfile): {total:.2f} s, "
          + ", ".join(f"{k} {v:.2f} s" for k, v in out["phases_s"].items()), flush=True)
    return out


def greedy_run() -> dict:
    import wom_sim.seeding.influence as inf
    from wom_sim.graphs.generators import barabasi_albert
    from wom_sim.model import theory
    g = barabasi_albert(20_000, 5, stream(SEED, 0))
    t0 = time.perf_counter()
    obj = inf.LiveEdgeSpread(g, theory.ICModel(first=0.05, p=0.05), 200, stream(SEED, 1))
    t1 = time.perf_counter()
    res = inf.celf(obj, 50)
    t2 = time.perf_counter()
    out = {"n": 20_000, "k": 50, "samples": 200, "worlds_s": t1 - t0, "select_s": t2 - t1, "total_s": t2 - t0,
           "evaluations": res.evaluations, "spread": res.spread, "target_s": TARGET_GREEDY_S}
    print(f"greedy (CELF, 200 worlds), 50 KOLs on BA 20k, IC p = 0.05: {t2 - t0:.1f} s ({res.evaluations:,} "
          f"evaluations; spread {res.spread:,.1f}); target {TARGET_GREEDY_S:.0f} s "
          f"({'met' if t2 - t0 <= TARGET_GREEDY_S else 'missed'})", flush=True)
    return out


def fit_run(points: int, solo: int) -> dict:
    """Per simulation of a fit: `points` proposals as batches of parameter points, the
    first `solo` of them one at a time (run_points with batching off), the same numbers;
    then the whole bundled fit through the CLI (2 workers, as the README runs it)."""
    import importlib
    import subprocess
    import tempfile

    from wom_sim.fit.run import simulate_unit
    run_mod = importlib.import_module("wom_sim.execution.run")  # (the package's `run` is the function)
    sc = wom_sim.load_scenario("fit_launch")
    base = sc.to_dict()
    rng = stream(SEED, 9)
    vals = [[float(10 ** rng.uniform(np.log10(0.0005), np.log10(0.05))), float(rng.uniform(0.0, 0.6))]
            for _ in range(points)]
    keys, metrics = ["wom.p_external", "funnel.positive_boost"], ["new_adopters"]
    simulate_unit(base, keys, vals[:16], list(range(16)), metrics, None)  # warm-up (graph, plan)
    t0 = time.perf_counter()
    batched = simulate_unit(base, keys, vals, list(range(points)), metrics, None)
    t_batched = (time.perf_counter() - t0) / points
    keep = run_mod._batch_keys
    run_mod._batch_keys = lambda sc: ()  # type: ignore[assignment]  # one point at a time
    try:
        t0 = time.perf_counter()
        alone = simulate_unit(base, keys, vals[:solo], list(range(solo)), metrics, None)
        t_alone = (time.perf_counter() - t0) / solo
    finally:
        run_mod._batch_keys = keep  # type: ignore[assignment]
    same = bool(np.array_equal(alone, batched[:solo]))
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from wom_sim.cli import main; main()", "fit",
                        str(root / "scenarios" / "fit_launch.toml"),
                        "--data", str(root / "scenarios" / "data" / "launch_weekly.csv"),
                        "--fit", "wom.p_external=0.0005:0.05", "--fit", "funnel.positive_boost=0:0.6",
                        "--train-steps", "13", "--out", str(Path(tmp) / "fit"), "--quiet", "--workers", "2"],
                       check=True, capture_output=True)
        wall = time.perf_counter() - t0
        sims = json.loads((Path(tmp) / "fit" / "fit.json").read_text())["simulations"]
    out = {"points": points, "per_simulation_batched_ms": t_batched * 1e3, "solo": solo,
           "per_simulation_alone_ms": t_alone * 1e3, "speedup": t_alone / t_batched, "identical": same,
           "cli_wall_s": wall, "cli_simulations": sims}
    print(f"fit (fit_launch: 3,000 agents, 40 steps), per simulation: {t_batched * 1e3:.2f} ms in batches of "
          f"parameter points, {t_alone * 1e3:.2f} ms one at a time: x{out['speedup']:.1f}; identical: {same}; "
          f"the README's fit command (2 workers): {wall:.1f} s for {sims:,} simulations", flush=True)
    return out


def teach_run(replicates: int, solo: int) -> dict:
    """The teach recorder on the classroom scenarios: batched (the runner's batch sizes)
    against one replicate at a time, the same record; then the CLI's compare lesson."""
    import subprocess
    import tempfile

    from wom_sim.seeding import plan_seeds
    from wom_sim.teach import recorder
    from wom_sim.teach.lesson import drawn_nodes
    fields = ["series", "sensed", "skips", "at_risk", "advanced", "expected", "boosted_advances", "lags", "reached",
              "bought", "n_seeds", "snapshot"]
    out: dict = {"replicates": replicates, "solo": solo, "funnels": {}}
    for funnel in ("aisas", "sicas"):
        sc = wom_sim.load_scenario(f"{funnel}_classroom", [f"scenario.replicates={replicates}"])
        graph = make_graph(sc)
        plan = plan_seeds(graph, sc)
        nodes, _ = drawn_nodes(graph, np.asarray(plan.for_replicate(0)))
        t0 = time.perf_counter()
        rec = recorder.record(sc, graph, plan, nodes)
        t_batched = (time.perf_counter() - t0) / replicates
        small = sc.model_copy(update={"scenario": sc.scenario.model_copy(update={"replicates": solo})})
        keep = recorder.numpy_batch
        recorder.numpy_batch = lambda *a: 1  # type: ignore[assignment]  # one replicate at a time
        try:
            t0 = time.perf_counter()
            alone = recorder.record(small, graph, plan, nodes)
            t_alone = (time.perf_counter() - t0) / solo
        finally:
            recorder.numpy_batch = keep  # type: ignore[assignment]
        same = all(np.array_equal(getattr(alone, f), getattr(rec, f)[:solo] if f != "snapshot" else rec.snapshot)
                   for f in fields)
        B = recorder.numpy_batch(sc, graph.n, graph.n_arcs, replicates)
        out["funnels"][funnel] = {"batch": B, "per_replicate_batched_ms": t_batched * 1e3,
                                  "per_replicate_alone_ms": t_alone * 1e3, "speedup": t_alone / t_batched,
                                  "identical": same}
        print(f"teach recorder ({funnel}_classroom, 300 agents, 40 steps): {t_batched * 1e3:.2f} ms a replicate in "
              f"batches of {B}, {t_alone * 1e3:.2f} ms one at a time (x{t_alone / t_batched:.1f}); identical: {same}",
              flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from wom_sim.cli import main; main()", "teach", "compare",
                        "-o", str(Path(tmp) / "lesson"), "--replicates", str(replicates), "--quiet"],
                       check=True, capture_output=True)
        out["cli_wall_s"] = time.perf_counter() - t0
    print(f"`wom-sim teach compare --replicates {replicates}`: {out['cli_wall_s']:.1f} s", flush=True)
    return out


def write_run() -> dict:
    """RunResult.save of a small IC run (500 x 201 rows): CSV by columns against by rows."""
    import tempfile

    from wom_sim.files import csv_text
    from wom_sim.results.run_result import TIMESERIES_COLUMNS
    sc = wom_sim.load_scenario({
        "scenario": {"name": "bench write", "seed": SEED, "steps": 200, "replicates": 500},
        "graph": {"kind": "barabasi_albert", "n": 2000, "m": 5},
        "funnel": {"kind": "none"},
        "wom": {"mode": "cascade", "transmissibility": 0.05, "active_steps": 1, "p_external": 0.0},
        "seeding": {"strategy": "random", "budget": 20, "kol_reach": 0.05},
        "response": {"policy": "none"}})
    res = wom_sim.run(sc)
    R, T1, _ = res.series.shape
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = res.save(Path(tmp) / "run", plots=False)
        t_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = ([r, t, *res.series[r, t]] for r in range(R) for t in range(T1))
        old = csv_text(["replicate", "step", *res.metrics], rows)
        old_ts = csv_text(TIMESERIES_COLUMNS, zip(*res._timeseries_columns()))
        t_rows = time.perf_counter() - t0
        same = (folder / "replicates.csv").read_text() == old and (folder / "timeseries.csv").read_text() == old_ts
    out = {"rows": R * T1, "metrics": len(res.metrics), "simulate_s": res.timing["simulate_s"], "save_s": t_save,
           "csv_by_rows_s": t_rows, "identical": same}
    print(f"files of a small run ({R * T1:,} rows x {len(res.metrics)} metrics; simulate "
          f"{res.timing['simulate_s']:.2f} s): save {t_save:.2f} s, the two CSVs row by row alone {t_rows:.2f} s; "
          f"identical bytes: {same}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--solo", type=int, default=100, help="replicates run one at a time for the speed-up")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-greedy", action="store_true")
    ap.add_argument("--skip-fit", action="store_true")
    ap.add_argument("--skip-teach", action="store_true")
    ap.add_argument("--teach-replicates", type=int, default=500)
    ap.add_argument("--json", default="bench_batch.json")
    args = ap.parse_args()
    if args.quick:
        args.replicates, args.solo = 200, 30
    print_header("batched replicates (bench_batch.py)")
    sizes = [1, 8, 32, 64, 128, 256] if not args.quick else [1, 16, 64]
    res = {"machine": machine_info(), "args": vars(args)}
    res["full"] = full_run(args)
    print("batch-size curve (10k agents):", flush=True)
    res["curve_full"] = curve("full", sizes, 128 if not args.quick else 64)
    res["curve_ic"] = curve("ic", sizes + ([512] if not args.quick else []), 512 if not args.quick else 128)
    res["profile"] = profile_batch(64)
    if not args.skip_greedy:
        res["greedy"] = greedy_run()
    if not args.skip_fit:
        res["fit"] = fit_run(512 if not args.quick else 128, 64 if not args.quick else 16)
    if not args.skip_teach:
        res["teach"] = teach_run(args.teach_replicates if not args.quick else 100, 50 if not args.quick else 10)
    res["write"] = write_run()
    rows = [[r["batch"], f"{r['per_replicate_ms']:.2f} ms",
             next((f"{x['per_replicate_ms']:.3f} ms" for x in res["curve_ic"] if x["batch"] == r["batch"]), "")]
            for r in res["curve_full"]]
    print(table(["batch", "full model / replicate", "IC kernel / replicate"], rows))
    save_json(args.json, res)


if __name__ == "__main__":
    main()
