"""Scaling of the default full WOM model with N: time and peak memory of `wom-sim run`.

For each N (default 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7) the script runs, in a fresh
process each,

    wom-sim run scenarios/large_1m.toml --set graph.n=N --set scenario.steps=60 \\
        --replicates 1 --quiet -o <temporary folder>

(the default full model: AISAS, retell 5 / 11 Poisson, 20 KOLs by degree, fixed-delay
response, p_external 0.0005, BA m = 5, so ~10 N arcs), and records

- graph_s and simulate_s from the run's summary.json "timing" (graph build, and the
  one replicate's 60 steps), and the process's wall time (imports, graph, seeding,
  simulation, writing the tables and plots);
- the peak resident memory of the whole process: ru_maxrss of that one child, from
  os.wait4 (the kernel's high-water mark of its resident set, imports included);
- the memory guard's estimate for that scenario: wom_sim.execution.memory.estimate_bytes(sc, 1),
  the figure `wom-sim run` checks (execution.run -> check_fits) before it allocates.

It then fits log10(y) = a + b log10(N) by least squares over the top two decades of N
(N >= N_max / 100; the smallest runs are dominated by fixed costs) and over all points,
and draws time and peak memory against N on log-log axes with the fitted lines:
results/scaling_time.png and results/scaling_memory.png.

Targets (issue), the 1e7 point (10M agents, ~100M arcs, 60 steps, one replicate):
simulation <= 15 s; peak memory of the whole process <= 3 GB (3e9 bytes); the guard's
estimate within 20% of the measured peak.

    python benchmarks/bench_scaling.py            # up to 1e7: ~2-3 minutes, ~3-5 GB at 1e7
    python benchmarks/bench_scaling.py --quick    # up to 1e6
    python benchmarks/bench_scaling.py --sizes 1e5,1e6
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, CpuWatch, machine_info, print_header, save_json, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "large_1m.toml"
STEPS = 60
SIZES = [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000]
TARGET_SIM_S = 15.0
TARGET_PEAK_BYTES = 3e9
TARGET_ESTIMATE_REL = 0.20


def overrides(n: int) -> list[str]:
    return [f"graph.n={n}", f"scenario.steps={STEPS}", "scenario.replicates=1"]


def wom_sim_command() -> list[str]:
    exe = Path(sys.executable).parent / "wom-sim"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from wom_sim.cli import main; sys.argv[0] = 'wom-sim'; main()"]


def guard_estimate(n: int) -> int:
    from wom_sim.execution.memory import estimate_bytes
    from wom_sim.scenario import load_scenario
    return estimate_bytes(load_scenario(SCENARIO, overrides(n)), 1)


def run_one(n: int, workdir: Path, timeout: float) -> dict:
    out = workdir / f"n{n}"
    cmd = wom_sim_command() + ["run", str(SCENARIO), "--quiet", "-o", str(out), "--replicates", "1"]
    for o in overrides(n):
        cmd += ["--set", o]
    load = os.getloadavg()
    with CpuWatch() as cw:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = t0 + timeout
        status, ru = None, None
        while True:  # wait4 gives this child's own rusage (ru_maxrss: its peak resident set, KiB)
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    rec = {"n": n, "cmd": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
           "exit": proc.returncode, "wall_s": wall, "peak_rss_bytes": ru.ru_maxrss * 1024,
           "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "load_before": load,
           "cpu_share": (ru.ru_utime + ru.ru_stime) / wall, "others_cpus": cw.others_cpus,
           "estimate_bytes": guard_estimate(n)}
    if proc.returncode != 0:
        rec["error"] = text[-2000:]
        return rec
    summ = json.loads((out / "summary.json").read_text())
    rec.update(n_agents=summ["n_agents"], n_arcs=summ["n_arcs"], timing=summ["timing"],
               graph_s=summ["timing"]["graph_s"], simulate_s=summ["timing"]["simulate_s"],
               seeding_s=summ["timing"].get("seeding_s"), write_s=summ["timing"].get("write_s"))
    rec["estimate_rel_error"] = rec["estimate_bytes"] / rec["peak_rss_bytes"] - 1
    shutil.rmtree(out, ignore_errors=True)
    return rec


def fit(ns, ys) -> dict | None:
    """Least-squares slope of log10(y) on log10(N)."""
    pts = [(math.log10(n), math.log10(y)) for n, y in zip(ns, ys) if y and y > 0]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    b, a = np.polyfit(x, y, 1)
    return {"slope": float(b), "intercept": float(a), "points": len(pts),
            "n_min": float(10 ** x.min()), "n_max": float(10 ** x.max())}


def fits(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("exit") == 0]
    if not ok:
        return {}
    nmax = max(r["n"] for r in ok)
    top = [r for r in ok if r["n"] >= nmax / 100]
    out = {}
    for key in ("simulate_s", "graph_s", "wall_s", "peak_rss_bytes", "estimate_bytes"):
        out[key] = {"top_decades": fit([r["n"] for r in top], [r.get(key) for r in top]),
                    "all": fit([r["n"] for r in ok], [r.get(key) for r in ok])}
    return out


def plots(runs: list[dict], fitted: dict) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plots")
        return []
    ok = [r for r in runs if r.get("exit") == 0]
    ns = np.array([r["n"] for r in ok], dtype=float)
    files = []

    def draw(ax, key, label, scale, marker):
        y = np.array([r[key] for r in ok], dtype=float) * scale
        f = fitted[key]["top_decades"]
        lab = label + (f" (slope {f['slope']:.2f})" if f else "")
        line, = ax.loglog(ns, y, marker, label=lab)
        if f:
            xs = np.array([f["n_min"], f["n_max"]])
            ax.loglog(xs, scale * 10 ** (f["intercept"] + f["slope"] * np.log10(xs)), "--",
                      color=line.get_color(), alpha=0.6, linewidth=1)

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    draw(ax, "simulate_s", "simulate (60 steps, 1 replicate)", 1.0, "o-")
    draw(ax, "graph_s", "graph build (BA m = 5)", 1.0, "s-")
    draw(ax, "wall_s", "wall, whole `wom-sim run`", 1.0, "^-")
    ax.axhline(TARGET_SIM_S, color="grey", linestyle=":", linewidth=1,
               label=f"target: simulate <= {TARGET_SIM_S:g} s at 1e7")
    ax.set_xlabel("agents N (BA m = 5, about 10 N arcs)")
    ax.set_ylabel("time (s)")
    ax.set_title("Full WOM model: time against N (dashed: least-squares fit, top 2 decades)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    p = RESULTS / "scaling_time.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    files.append(p.name)

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    draw(ax, "peak_rss_bytes", "measured peak RSS of `wom-sim run`", 1e-6, "o-")
    draw(ax, "estimate_bytes", "memory guard's estimate", 1e-6, "s--")
    ax.axhline(TARGET_PEAK_BYTES * 1e-6, color="grey", linestyle=":", linewidth=1, label="target: 3 GB at 1e7")
    ax.set_xlabel("agents N (BA m = 5, about 10 N arcs)")
    ax.set_ylabel("peak resident memory (MB)")
    ax.set_title("Full WOM model: peak memory against N", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    p = RESULTS / "scaling_memory.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    files.append(p.name)
    return files


def targets(runs: list[dict]) -> list[dict]:
    r = next((x for x in runs if x["n"] == 10_000_000), None)
    if r is None:
        return []
    if r.get("exit") != 0:
        return [{"target": "10M agents, 60 steps, 1 replicate", "measured": f"run failed (exit {r['exit']})",
                 "met": False}]
    rel = r["estimate_rel_error"]
    return [
        {"target": f"10M agents / {r['n_arcs'] / 1e6:.0f}M arcs, 60 steps, 1 replicate: "
                   f"simulation <= {TARGET_SIM_S:g} s",
         "value": r["simulate_s"], "measured": f"{r['simulate_s']:.2f} s", "met": r["simulate_s"] <= TARGET_SIM_S,
         "others_cpus": r.get("others_cpus"), "cpu_share": r.get("cpu_share")},
        {"target": "same run: peak memory of the whole `wom-sim run` process <= 3 GB",
         "value": r["peak_rss_bytes"], "measured": f"{r['peak_rss_bytes'] / 1e9:.2f} GB",
         "met": r["peak_rss_bytes"] <= TARGET_PEAK_BYTES},
        {"target": "memory guard's estimate within 20% of the measured peak",
         "value": rel, "measured": f"{r['estimate_bytes'] / 1e9:.2f} GB estimated, {rel:+.0%}",
         "met": abs(rel) <= TARGET_ESTIMATE_REL},
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=None, help="comma-separated N (default 1e4 .. 1e7 in half decades)")
    ap.add_argument("--quick", action="store_true", help="stop at 1e6")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    sizes = ([int(float(s)) for s in args.sizes.split(",")] if args.sizes
             else [n for n in SIZES if not args.quick or n <= 1_000_000])
    json_name = args.json or ("bench_scaling_quick.json" if args.quick else "bench_scaling.json")
    print_header("bench_scaling: `wom-sim run` of the default full model against N")
    print(f"scenario: {SCENARIO.relative_to(ROOT)} with graph.n = N, {STEPS} steps, 1 replicate; "
          f"each run in a fresh process", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench_scaling-"))
    runs = []
    try:
        for n in sizes:
            r = run_one(n, workdir, args.timeout)
            runs.append(r)
            if r["exit"]:
                print(f"  N = {n:>12,}: FAILED (exit {r['exit']}): {r.get('error', '')[-500:]}", flush=True)
                continue
            print(f"  N = {n:>12,}: graph {r['graph_s']:6.2f} s, simulate {r['simulate_s']:6.2f} s, wall "
                  f"{r['wall_s']:6.2f} s, peak RSS {r['peak_rss_bytes'] / 1e6:8,.0f} MB, guard estimate "
                  f"{r['estimate_bytes'] / 1e6:8,.0f} MB ({r['estimate_rel_error']:+.0%}); "
                  f"CPU {r['user_s'] + r['sys_s']:.1f} s "
                  f"= {r['cpu_share']:.0%} of the wall time; others kept {r['others_cpus'] or 0:.2f} CPUs busy",
                  flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    fitted = fits(runs)
    rows = [[f"{r['n']:,}", f"{r.get('n_arcs', 0):,}", f"{r['graph_s']:.2f} s", f"{r['simulate_s']:.2f} s",
             f"{r['wall_s']:.2f} s", f"{r['peak_rss_bytes'] / 1e6:,.0f} MB", f"{r['estimate_bytes'] / 1e6:,.0f} MB",
             f"{r['estimate_rel_error']:+.0%}", f"{r['n'] * STEPS / r['simulate_s'] / 1e6:.1f}M",
             f"{r['cpu_share']:.0%}", f"{r['others_cpus'] or 0:.2f}"]
            for r in runs if r["exit"] == 0]
    print()
    print(table(["N", "arcs", "graph build", "simulate", "wall", "peak RSS", "guard estimate",
                 "estimate vs peak", "agent-steps/s", "CPU / wall", "others' CPUs"], rows))
    print("\nfitted log-log slopes (top two decades of N; all points):")
    for k, v in fitted.items():
        t, a = v["top_decades"], v["all"]
        if t:
            print(f"  {k:15s} {t['slope']:.2f} (N = {t['n_min']:.0e} .. {t['n_max']:.0e}); "
                  f"{a['slope']:.2f} over all points")
    files = plots(runs, fitted) if len(rows) >= 2 else []
    tg = targets(runs)
    if tg:
        print("\ntargets (issue), N = 1e7:")
        for t in tg:
            print(f"  {t['target']}: {t['measured']} -> {'MET' if t['met'] else 'MISSED'}")
    p = save_json(json_name, {"machine": machine_info(), "args": vars(args),
                              "scenario": str(SCENARIO.relative_to(ROOT)),
                              "steps": STEPS, "runs": runs, "fits": fitted, "plots": files, "targets": tg})
    print(f"\nwrote {p}" + (f" and {', '.join(files)}" if files else ""))
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
