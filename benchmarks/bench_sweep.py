"""Sweeps: `wom_sim.sweep.run_sweep` on 1 local process, 2 local processes, and a
Dask LocalCluster with 2 worker processes: wall time, speedup, and identical output.

Scenario: every default of the full WOM model (AISAS funnel, retell 5 / 11 Poisson,
2 tells per step, 20 KOLs by degree with kol_reach 0.3, fixed_delay response),
graph BA n = 100,000 m = 5, p_external 0.0005, 40 steps, seed 7, and the grid

    "response.delay" = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24]    (10 values)
    "seeding.budget" = [5, 10, 20, 40]                      (4 values)

= 40 points x 20 replicates = 800 replicates. All points share one graph (same
[graph] and seed), so each process builds it once (wom_sim.execution.cache.GraphCache).

Each configuration runs in a fresh Python process, so that no configuration inherits
a graph cached by an earlier one (forked pool workers would inherit the parent's
cache). The timed span is the whole `run_sweep(...)` call with plots off: folder
checks, the worker pool (local) or the Client connection (Dask), every unit, every
point's files, and sweep.csv. For Dask the LocalCluster (127.0.0.1, 2 worker
processes, 1 thread each, no nanny restarts) is started *before* the timed span; its
start-up time is reported separately. The cost of the plots is measured afterwards
by calling `save_sweep_plots` on the finished folder (it runs once in the client
after all points, whatever the workers).

A fourth, diagnostic configuration runs the Dask cluster again without slowing the
workers' housekeeping during the sweep (wom_sim.sweep.QUIET_WORKER_MS emptied: profiler,
tick and monitors at Dask's rates, as before that change); --no-diagnostic skips it.

Reported per configuration: wall time, speedup against 1 worker, points/s,
replicate-steps/s (points x replicates x steps / wall), the sum of the units' own
compute seconds (what the points' summary.json files record as compute_s), the
parallel efficiency (that sum / (workers x wall)), the units' CPU seconds (compute_cpu_s:
the CPU of the thread that ran each unit; less sensitive to a busy machine than wall
time) in all and per unit, the CPU that all our processes spent outside the units
during run_sweep (client, pool or Dask workers' other threads, scheduler, nannies), the
system part and minor page faults, and how busy the machine was: load average and CPUs
in use by other processes before the run, and CPUs used by other processes during it
(from /proc/stat minus our own CPU time). A configuration waits for an idle machine
(--wait-idle) and is run again when others used more than --max-others CPUs during
it. The sweep.csv files (and every point's replicates.csv) of all runs must be
byte-identical.

Targets (issue): 2 workers >= 1.8x faster than 1 worker; Dask within 15% of local
processes with 2 workers.

    python benchmarks/bench_sweep.py                  # full size: ~2.5 minutes on an idle machine
    python benchmarks/bench_sweep.py --quick          # n = 20k, 8 points x 8 replicates
    python benchmarks/bench_sweep.py --points 40 --replicates 20 --n 100000 [--skip-dask]
    python benchmarks/bench_sweep.py --repeat 2       # every configuration twice; medians
    python benchmarks/bench_sweep.py --plots          # also time the sweep plots
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import fmt_rate, machine_info, print_header, save_json, table  # noqa: E402

CONFIGS = ["local-1", "local-2", "dask-2", "dask-2-noquiet"]
LABELS = {"local-1": "local, 1 worker", "local-2": "local, 2 workers",
          "dask-2": "Dask LocalCluster, 2 workers (Dask defaults)",
          "dask-2-noquiet": "Dask, 2 workers, housekeeping not slowed (diagnostic)",
          "dask-2-notrim": "Dask, 2 workers, MALLOC_TRIM_THRESHOLD_ unset (diagnostic)"}
BUDGETS = [5, 10, 20, 40]


def delay_values(k: int) -> list[int]:
    """0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, ... (the first k)."""
    out, a = [0, 1, 2, 3], 4
    while len(out) < k:
        out += [a, a * 3 // 2]
        a *= 2
    return out[:k]


def grid(points: int) -> dict[str, list]:
    """`points` grid points: delays x the 4 budgets when points is a multiple of 4,
    else delays only (budget stays 20)."""
    if points % len(BUDGETS) == 0:
        return {"response.delay": delay_values(points // len(BUDGETS)), "seeding.budget": BUDGETS}
    return {"response.delay": delay_values(points)}


def scenario_dict(n: int, steps: int, replicates: int, points: int, seed: int = 7) -> dict:
    return {
        "scenario": {"name": "bench sweep", "seed": seed, "steps": steps, "replicates": replicates},
        "graph": {"kind": "barabasi_albert", "n": n, "m": 5},
        "funnel": {"kind": "aisas"},
        "wom": {"mode": "retell", "p_external": 0.0005},
        "seeding": {"strategy": "degree", "budget": 20},
        "response": {"policy": "fixed_delay", "delay": 2},
        "output": {"plots": False},
        "sweep": grid(points),
    }


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def stat_snap() -> tuple[int, int]:
    """(all jiffies, idle + iowait jiffies) of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    return sum(f), f[3] + f[4]


def busy_cpu_s(a: tuple[int, int], b: tuple[int, int]) -> float:
    """CPU-seconds used by anything on the machine between two snapshots."""
    hz = os.sysconf("SC_CLK_TCK")
    return ((b[0] - a[0]) - (b[1] - a[1])) / hz


def cpu_busy(seconds: float = 1.0) -> float:
    """CPUs' worth of work done by *anything* on the machine over `seconds`: about 0
    when the machine is idle, 1.0 when one core is taken."""
    try:
        a = stat_snap()
        time.sleep(seconds)
        return busy_cpu_s(a, stat_snap()) / seconds
    except OSError:
        return float("nan")


def wait_idle(limit_s: float, threshold: float = 0.25) -> float:
    """Wait (up to limit_s) until the machine is idle; return the last busy figure."""
    t0 = time.perf_counter()
    busy = cpu_busy()
    while busy > threshold and time.perf_counter() - t0 < limit_s:
        print(f"    machine busy ({busy:.2f} CPUs in use by other processes); waiting", flush=True)
        time.sleep(10)
        busy = cpu_busy()
    return busy


def tree_fingerprint() -> str:
    """Hash of wom_sim's source files: which state of a changing work tree was measured."""
    h = hashlib.sha256()
    root = HERE.parent / "wom_sim"
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def children_cpu() -> dict[int, float]:
    """CPU seconds of each living descendant process, from /proc."""
    out = {}
    hz = os.sysconf("SC_CLK_TCK")
    me = str(os.getpid())
    procs = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = (d / "stat").read_text().rsplit(")", 1)[1].split()
                procs[d.name] = (f[1], (int(f[11]) + int(f[12])) / hz)
            except (OSError, IndexError, ValueError):
                pass
    for pid, (ppid, cpu) in procs.items():
        p = ppid
        while p in procs and p != me:
            p = procs[p][0]
        if p == me:
            out[int(pid)] = cpu
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- one configuration (child)

def child(cfg: str, args, out: Path, result: Path) -> None:
    import wom_sim
    import wom_sim.sweep
    from wom_sim.sweep import expand, plan_units, run_sweep

    sc = wom_sim.load_scenario(scenario_dict(args.n, args.steps, args.replicates, args.points))
    points = expand(sc)
    kind, workers, *variant = cfg.split("-")
    workers = int(workers)
    info: dict = {"config": cfg, "workers": workers, "load_before": loadavg()}
    cluster = None
    scheduler = None
    if kind == "dask":
        import logging

        import dask
        from distributed import LocalCluster
        if "notrim" in variant:
            # Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536
            # (distributed.nanny.pre-spawn-environ): glibc then gives freed heap back at
            # once and NumPy's large temporaries page-fault on every step. None removes
            # the variable, so workers get glibc's default (see the README, "Sweeps").
            # The "dask-2" configuration keeps Dask's defaults: what a user gets.
            dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        if "noprof" in variant:
            # the worker's statistical profiler (an event-loop callback every 10 ms)
            dask.config.set({"distributed.worker.profile.enabled": False})
        if "noquiet" in variant:
            # run_sweep's worker plugin then leaves the workers' housekeeping at Dask's rates
            wom_sim.sweep.QUIET_WORKER_MS = {}
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
        info["cluster_start_s"] = time.perf_counter() - t0
        scheduler = cluster.scheduler_address
    kids0 = children_cpu()
    cpu0 = os.times()
    ru0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    st0 = stat_snap()
    t0 = time.perf_counter()
    manifest = run_sweep(sc, out, workers=workers, scheduler=scheduler, force=True, plots=False)
    wall = time.perf_counter() - t0
    kids1 = children_cpu()
    if cluster is not None:
        t1 = time.perf_counter()
        cluster.close()
        info["cluster_close_s"] = time.perf_counter() - t1
    cpu1 = os.times()
    ru1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    st1 = stat_snap()
    window = time.perf_counter() - t0
    info["wall_s"] = wall
    info["manifest_elapsed_s"] = manifest.get("elapsed_s")
    # CPU of this process, and of its children once they have exited (pool workers;
    # Dask workers are counted through their nannies after cluster.close())
    info["cpu_self_s"] = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    info["cpu_children_s"] = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    # CPU of all our processes during run_sweep alone: pool workers are born and reaped
    # inside it; Dask workers live on, so theirs is read from /proc before the close
    during = sum(kids1[p] - kids0.get(p, 0.0) for p in kids1) if cluster is not None else info["cpu_children_s"]
    info["cpu_run_sweep_s"] = info["cpu_self_s"] + during
    info["sys_s"] = sum(b.ru_stime - a.ru_stime for a, b in zip(ru0, ru1))
    info["minor_faults"] = sum(b.ru_minflt - a.ru_minflt for a, b in zip(ru0, ru1))
    # what other processes on the machine used meanwhile (machine busy time minus ours)
    ours = info["cpu_self_s"] + info["cpu_children_s"]
    info["others_cpus_during"] = max(0.0, busy_cpu_s(st0, st1) - ours) / window
    compute, cpu = [], []
    h = hashlib.sha256()
    for p in points:
        folder = out / "points" / p.folder
        timing = json.loads((folder / "summary.json").read_text())["timing"]
        compute.append(timing["compute_s"])
        cpu.append(timing.get("compute_cpu_s", float("nan")))
        h.update((folder / "replicates.csv").read_bytes())
    info["compute_sum_s"] = sum(compute)
    info["units"] = len(plan_units(points, range(len(points)), workers))
    info["units_cpu_s"] = sum(cpu)
    info["cpu_outside_units_s"] = info["cpu_run_sweep_s"] - sum(cpu)
    info["compute_per_point_s"] = {"min": min(compute), "median": statistics.median(compute), "max": max(compute)}
    info["sweep_csv_sha256"] = sha256(out / "sweep.csv")
    info["replicates_csv_sha256"] = h.hexdigest()
    info["peak_rss_self_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    info["peak_rss_children_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    if args.plots:
        from wom_sim.sweep.figures import save_sweep_plots
        t1 = time.perf_counter()
        save_sweep_plots(out, list(sc.sweep))
        info["plots_s"] = time.perf_counter() - t1
    result.write_text(json.dumps(info))


def run_child(cfg: str, args, workdir: Path, rep: int) -> dict:
    out = workdir / f"{cfg}-{rep}"
    result = workdir / f"{cfg}-{rep}.json"
    cmd = [sys.executable, __file__, "--_child", cfg, "--_out", str(out), "--_result", str(result),
           "--n", str(args.n), "--points", str(args.points), "--replicates", str(args.replicates),
           "--steps", str(args.steps)] + (["--plots"] if args.plots else [])
    busy = wait_idle(args.wait_idle)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{cfg}: the child process failed (exit {proc.returncode})")
    info = json.loads(result.read_text())
    info["process_s"] = time.perf_counter() - t0
    info["busy_before"] = busy
    info["out"] = str(out)
    return info


# ----------------------------------------------------------------------------- driver

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 20k, 8 points x 8 replicates, 40 steps")
    ap.add_argument("--points", type=int, default=None, help="grid points (default 40; a multiple of 4 "
                    "gives delays x 4 budgets)")
    ap.add_argument("--replicates", type=int, default=None, help="replicates per point (default 20)")
    ap.add_argument("--n", type=int, default=None, help="agents (default 100,000)")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--skip-dask", action="store_true", help="only the local-process configurations")
    ap.add_argument("--no-diagnostic", action="store_true",
                    help="skip the diagnostic Dask run without slowed worker housekeeping")
    ap.add_argument("--configs", help="comma-separated configurations instead of the default four "
                    "(local-1 is always run); Dask variants: dask-2-noquiet, dask-2-notrim, dask-2-noprof, "
                    "and combinations such as dask-2-noquiet-noprof")
    ap.add_argument("--plots", action="store_true", help="also time save_sweep_plots on the finished folder")
    ap.add_argument("--repeat", type=int, default=1, help="run every configuration this many times "
                    "(interleaved: 1, 2, dask, 1, 2, dask, ...); the table shows medians")
    ap.add_argument("--wait-idle", type=float, default=600, metavar="S",
                    help="before each configuration, wait up to S seconds until no other process uses "
                         "more than 0.25 CPU (measured from /proc/stat over 1 s)")
    ap.add_argument("--max-others", type=float, default=0.15, metavar="CPUS",
                    help="a run during which other processes used more than this many CPUs on average "
                         "is run again (up to --retries times)")
    ap.add_argument("--retries", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the sweep folders (printed at the end)")
    ap.add_argument("--json", default=None, help="file name in benchmarks/results/")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    ap.add_argument("--_result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    quick = args.quick
    args.n = args.n or (20_000 if quick else 100_000)
    args.points = args.points or (8 if quick else 40)
    args.replicates = args.replicates or (8 if quick else 20)
    if args._child:
        child(args._child, args, Path(args._out), Path(args._result))
        return 0
    json_name = args.json or ("bench_sweep_quick.json" if quick else "bench_sweep.json")

    configs = [c for c in CONFIGS if not (args.skip_dask and c.startswith("dask"))
               and not (args.no_diagnostic and c == "dask-2-noquiet")]
    if args.configs:
        configs = args.configs.split(",")
        if "local-1" not in configs:
            configs.insert(0, "local-1")
    g = grid(args.points)
    print_header("Sweeps: run_sweep on 1 and 2 local processes and on a Dask LocalCluster")
    print(f"scenario: BA n = {args.n:,} m = 5, AISAS retell defaults, p_external 0.0005, {args.steps} steps; "
          f"grid {' x '.join(f'{k} = {v}' for k, v in g.items())} = {args.points} points x "
          f"{args.replicates} replicates; plots off")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in loadavg())}\n", flush=True)

    tree = tree_fingerprint()
    workdir = Path(tempfile.mkdtemp(prefix="bench_sweep-"))
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    t_all = time.perf_counter()
    try:
        for rep in range(args.repeat):
            for cfg in configs:
                for attempt in range(args.retries + 1):
                    info = run_child(cfg, args, workdir, rep)
                    info["attempt"] = attempt + 1
                    if info["others_cpus_during"] <= args.max_others:
                        break
                    print(f"  {cfg} (run {rep + 1}): {info['wall_s']:.2f} s, but other processes used "
                          f"{info['others_cpus_during']:.2f} CPUs meanwhile; "
                          + ("running it again" if attempt < args.retries else "kept (no retries left)"),
                          flush=True)
                runs[cfg].append(info)
                save_json(json_name.replace(".json", ".partial.json"), {"runs": runs})
                print(f"  {cfg} (run {rep + 1}): {info['wall_s']:.2f} s  (before: load {info['load_before'][0]:.2f}, "
                      f"other CPU use {info['busy_before']:.2f}"
                      + (f"; cluster start {info['cluster_start_s']:.2f} s" if "cluster_start_s" in info else "")
                      + ")", flush=True)

        # identical output across every run
        csv_hashes = {r["sweep_csv_sha256"] for rs in runs.values() for r in rs}
        rep_hashes = {r["replicates_csv_sha256"] for rs in runs.values() for r in rs}
        identical = len(csv_hashes) == 1 and len(rep_hashes) == 1
        if identical:
            first = Path(runs[configs[0]][0]["out"]) / "sweep.csv"
            for rs in runs.values():
                for r in rs:
                    identical &= (Path(r["out"]) / "sweep.csv").read_bytes() == first.read_bytes()

        reps_total = args.points * args.replicates
        med = {c: statistics.median(r["wall_s"] for r in runs[c]) for c in configs}
        base = med["local-1"]
        rows, summary = [], {}
        for c in configs:
            rs = runs[c]
            w = rs[0]["workers"]
            wall = med[c]
            comp = statistics.median(r["compute_sum_s"] for r in rs)
            summary[c] = {
                "wall_s_median": wall, "wall_s_all": [r["wall_s"] for r in rs],
                "speedup_vs_1": base / wall, "points_per_s": args.points / wall,
                "replicates_per_s": reps_total / wall, "replicate_steps_per_s": reps_total * args.steps / wall,
                "agent_steps_per_s": reps_total * args.steps * args.n / wall,
                "compute_sum_s": comp, "efficiency": comp / (w * wall),
                "units_cpu_s": statistics.median(r["units_cpu_s"] for r in rs),
                "cpu_per_unit_s": statistics.median(r["units_cpu_s"] / r["units"] for r in rs),
                "cpu_outside_units_s": statistics.median(r["cpu_outside_units_s"] for r in rs),
            }
            extra = ""
            if "cluster_start_s" in rs[0]:
                cs = statistics.median(r["cluster_start_s"] for r in rs)
                summary[c]["cluster_start_s"] = cs
                extra = f" (+{cs:.2f} s cluster start)"
            rows.append([LABELS.get(c, c),
                         " / ".join(f"{r['wall_s']:.2f}" for r in rs) + " s" + extra,
                         f"{base / wall:.2f}x", f"{args.points / wall:.2f}", f"{reps_total / wall:.1f}",
                         fmt_rate(reps_total * args.steps / wall),
                         fmt_rate(reps_total * args.steps * args.n / wall),
                         f"{comp:.1f} s", f"{comp / (w * wall):.0%}",
                         f"{summary[c]['units_cpu_s']:.1f} s / {summary[c]['cpu_per_unit_s']:.3f} s",
                         f"{summary[c]['cpu_outside_units_s']:.1f} s",
                         f"{statistics.median(r['sys_s'] for r in rs):.1f} s / "
                         f"{fmt_rate(statistics.median(r['minor_faults'] for r in rs))}",
                         " / ".join(f"{r['load_before'][0]:.2f}, {r['busy_before']:.2f}, {r['others_cpus_during']:.2f}"
                                    for r in rs)])
        print()
        print(table(["configuration", "wall (run_sweep)", "speedup vs 1", "points/s", "replicates/s",
                     "replicate-steps/s", "agent-steps/s", "units' compute (sum)", "efficiency",
                     "units' CPU (sum / per unit)", "CPU outside units", "system CPU / minor page faults",
                     "load before, CPUs busy before, others' CPUs during"], rows))
        print(f"\nsweep.csv (and every point's replicates.csv) byte-identical across all "
              f"{sum(len(r) for r in runs.values())} runs: {'yes' if identical else 'NO'}")
        if args.plots:
            ps = [r["plots_s"] for rs in runs.values() for r in rs if "plots_s" in r]
            print(f"plots (save_sweep_plots, once per sweep in the client): median {statistics.median(ps):.2f} s; "
                  f"with plots on, add that to every wall time above")

        targets = []
        if "local-2" in summary:
            sp = summary["local-2"]["speedup_vs_1"]
            targets.append(["2 workers >= 1.8x faster than 1", f"{sp:.3f}x", "met" if sp >= 1.8 else "missed"])
            paired = [a["wall_s"] / b["wall_s"] for a, b in zip(runs["local-1"], runs["local-2"])]
            targets.append(["  the same, round by round (1 worker / 2 workers in each round)",
                            " / ".join(f"{x:.2f}x" for x in paired) + f"; median {statistics.median(paired):.2f}x",
                            "met" if statistics.median(paired) >= 1.8 else "missed"])
            cpu = summary["local-2"]["cpu_per_unit_s"] / summary["local-1"]["cpu_per_unit_s"]
            targets.append(["  CPU per unit, 2 workers against 1", f"{(cpu - 1) * 100:+.1f}%", ""])
        if "dask-2" in summary and "local-2" in summary:
            ratio = summary["dask-2"]["wall_s_median"] / summary["local-2"]["wall_s_median"]
            targets.append(["Dask (2 workers) within 15% of local (2 workers)",
                            f"{(ratio - 1) * 100:+.1f}% (Dask / local = {ratio:.3f})",
                            "met" if ratio <= 1.15 else "missed"])
            # the machine drifts between rounds: also the ratio within each round
            paired = [d["wall_s"] / loc["wall_s"] for d, loc in zip(runs["dask-2"], runs["local-2"])]
            cpu = summary["dask-2"]["cpu_per_unit_s"] / summary["local-2"]["cpu_per_unit_s"]
            targets.append(["  the same, round by round (median of Dask / local in each round)",
                            " / ".join(f"{(x - 1) * 100:+.1f}%" for x in paired)
                            + f"; median {(statistics.median(paired) - 1) * 100:+.1f}%",
                            "met" if statistics.median(paired) <= 1.15 else "missed"])
            targets.append(["  CPU per unit, Dask against local (2 workers)", f"{(cpu - 1) * 100:+.1f}%", ""])
        for diag, what in (("dask-2-noquiet", "without slowing the workers' housekeeping"),
                           ("dask-2-notrim", "with MALLOC_TRIM_THRESHOLD_ unset in the workers")):
            if diag in summary and "local-2" in summary:
                ratio = summary[diag]["wall_s_median"] / summary["local-2"]["wall_s_median"]
                targets.append([f"(diagnostic) the same {what}",
                                f"{(ratio - 1) * 100:+.1f}% (Dask / local = {ratio:.3f})",
                                "within 15%" if ratio <= 1.15 else "over 15%"])
        print()
        print(table(["target", "measured", "result"], targets))
        if tree_fingerprint() != tree:
            print("\nWARNING: wom_sim's source changed while the benchmark ran; rerun for clean numbers")
        print(f"\n{time.perf_counter() - t_all:.0f} s in all (wom_sim source {tree})")
        p = save_json(json_name, {"machine": machine_info(), "args": {k: v for k, v in vars(args).items()
                                                                     if not k.startswith("_")},
                                  "grid": g, "wom_sim_source": tree,
                                  "source_changed_during_run": tree_fingerprint() != tree, "identical": identical,
                                  "summary": summary, "runs": runs,
                                  "targets": targets})
        (p.parent / json_name.replace(".json", ".partial.json")).unlink(missing_ok=True)
        print(f"wrote {p}")
    finally:
        if args.keep:
            print(f"sweep folders kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
