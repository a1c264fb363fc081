"""Barabási–Albert generation: wom_sim's vectorized CSR generator vs networkx.

wom_sim.graphs.generators.barabasi_albert(n, 5, rng) builds the CSR graph directly
(warm-up, then the median of --runs builds; at n >= 5M the warm-up is a 100k build and
at most 3 builds are timed); networkx.barabasi_albert_graph(n, 5, seed) builds a
networkx Graph (one build per size, two at 100k). networkx runs at a size only when
its time at the size before, extrapolated linearly, says it will finish within
--nx-cap seconds (default 150): at 10M it is skipped, and the output says so. For a
sanity check both graphs' edge count, mean and max degree are printed (BA m = 5: mean
degree ~10, max degree ~ m sqrt(n)).

Targets (issue): BA 1M m = 5 at least 40x faster than networkx; BA 10M m = 5 in at
most 15 s.

    python benchmarks/bench_graphs.py             # 100k, 1M, 10M: ~2 minutes
    python benchmarks/bench_graphs.py --quick     # 100k only
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CpuWatch, fmt_time, machine_info, measure_memory, median, print_header, save_json, table  # noqa: E402

from wom_sim.graphs.generators import barabasi_albert  # noqa: E402

M = 5
TARGET_RATIO_1M = 40.0
TARGET_10M_S = 15.0


def bench_wom(n: int, runs: int) -> dict:
    big = n >= 5_000_000
    barabasi_albert(100_000 if big else n, M, np.random.default_rng(0))  # warm-up
    if big:
        runs = min(runs, 3)
    times = []
    with measure_memory() as mem, CpuWatch() as cw:
        for r in range(runs):
            t0 = time.perf_counter()
            g = barabasi_albert(n, M, np.random.default_rng(r + 1))
            times.append(time.perf_counter() - t0)
    deg = g.out_degree()
    return {"median_s": median(times), "times_s": times, "edges": g.n_arcs // 2,
            "mean_degree": float(deg.mean()), "max_degree": int(deg.max()), "memory": mem.as_dict(),
            "cpu": cw.as_dict()}


def bench_nx(n: int, runs: int) -> dict:
    import networkx as nx
    times = []
    with measure_memory() as mem, CpuWatch() as cw:
        for r in range(runs):
            t0 = time.perf_counter()
            G = nx.barabasi_albert_graph(n, M, seed=r + 1)
            times.append(time.perf_counter() - t0)
            if r + 1 < runs:
                del G
    degs = np.fromiter((d for _, d in G.degree()), dtype=np.int64, count=n)
    return {"median_s": median(times), "times_s": times, "edges": G.number_of_edges(),
            "mean_degree": float(degs.mean()), "max_degree": int(degs.max()), "memory": mem.as_dict(),
            "cpu": cw.as_dict()}


def other_generators(n: int) -> list[dict]:
    """The other generators against their networkx counterparts at one size (SBM at n / 10:
    networkx's takes minutes at 100k): wom-sim the median of 3 builds (after a
    warm-up), networkx one build (same parameters)."""
    import networkx as nx

    from wom_sim.graphs import generators as gen
    n_sbm = n // 10
    blocks = [n_sbm // 10] * 10
    p_in, p_out = 8.0 / (n_sbm // 10), 2.0 / (n_sbm - n_sbm // 10)
    w_cl = gen._chung_lu_weights(n, 2.5, 10.0)[0]
    cases = [
        ("Erdős–Rényi, mean degree 10", n, lambda r: gen.erdos_renyi(n, 10.0, r),
         lambda s: nx.fast_gnp_random_graph(n, 10.0 / (n - 1), seed=s)),
        ("Watts–Strogatz, k = 10, p = 0.1", n, lambda r: gen.watts_strogatz(n, 10, 0.1, r),
         lambda s: nx.watts_strogatz_graph(n, 10, 0.1, seed=s)),
        ("Holme–Kim powerlaw_cluster, m = 5, p = 0.1", n, lambda r: gen.powerlaw_cluster(n, 5, 0.1, r),
         lambda s: nx.powerlaw_cluster_graph(n, 5, 0.1, seed=s)),
        ("SBM, 10 blocks, mean degree ~10 (8 in, 2 out)", n_sbm, lambda r: gen.sbm(blocks, p_in, p_out, r),
         lambda s: nx.stochastic_block_model(blocks, [[p_in if i == j else p_out for j in range(10)]
                                                      for i in range(10)], seed=s, sparse=True)),
        ("Chung–Lu, exponent 2.5, mean degree 10", n, lambda r: gen.chung_lu(n, 2.5, 10.0, r),
         lambda s: nx.expected_degree_graph(w_cl, seed=s, selfloops=False)),
    ]
    out = []
    for label, size, wom, nxf in cases:
        wom(np.random.default_rng(0))
        ts = []
        for r in range(3):
            t0 = time.perf_counter()
            g = wom(np.random.default_rng(r + 1))
            ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        G = nxf(1)
        t_nx = time.perf_counter() - t0
        row = {"generator": label, "n": size, "wom_s": median(ts), "nx_s": t_nx, "ratio": t_nx / median(ts),
               "wom_mean_degree": g.n_arcs / g.n, "nx_mean_degree": 2 * G.number_of_edges() / size}
        out.append(row)
        print(f"  {label}, n = {size:,}: wom-sim {fmt_time(row['wom_s'])}, networkx {fmt_time(t_nx)} "
              f"({row['ratio']:.0f}x); mean degree {row['wom_mean_degree']:.2f} / {row['nx_mean_degree']:.2f}",
              flush=True)
        del G
    return out


def hub_check(n: int, seeds: int) -> dict:
    """Degrees of the oldest nodes 0..m (the initial star), averaged over `seeds` graphs of
    each generator. Both start from the same star (0 joined to 1..m) and attach each new
    node to m distinct targets with probability proportional to degree, so these means
    must agree within a few standard errors."""
    import networkx as nx
    w, x = [], []
    for r in range(seeds):
        w.append(barabasi_albert(n, M, np.random.default_rng(1000 + r)).out_degree()[: M + 1].copy())
        G = nx.barabasi_albert_graph(n, M, seed=1000 + r)
        x.append(np.array([G.degree(i) for i in range(M + 1)]))
    w, x = np.array(w, dtype=float), np.array(x, dtype=float)
    se = lambda a: a.std(ddof=1) / np.sqrt(a.size)  # noqa: E731
    out = {"n": n, "seeds": seeds,
           "wom_node0": (w[:, 0].mean(), se(w[:, 0])), "nx_node0": (x[:, 0].mean(), se(x[:, 0])),
           "wom_leaves": (w[:, 1:].mean(), se(w[:, 1:].mean(1))), "nx_leaves": (x[:, 1:].mean(), se(x[:, 1:].mean(1)))}
    out["z_node0"] = (out["wom_node0"][0] - out["nx_node0"][0]) / np.hypot(out["wom_node0"][1], out["nx_node0"][1])
    out["z_leaves"] = (out["wom_leaves"][0] - out["nx_leaves"][0]) / np.hypot(out["wom_leaves"][1], out["nx_leaves"][1])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,10000000")
    ap.add_argument("--runs", type=int, default=5, help="timed wom-sim builds per size")
    ap.add_argument("--nx-cap", type=float, default=150.0, help="skip networkx at a size it would take longer")
    ap.add_argument("--skip-nx", action="store_true")
    ap.add_argument("--hub-seeds", type=int, default=8,
                    help="graphs per generator for the check of the oldest nodes' degrees at 100k (0: skip)")
    ap.add_argument("--others-n", type=int, default=100_000,
                    help="size for the other generators against networkx (0: skip)")
    ap.add_argument("--quick", action="store_true", help="100k only")
    ap.add_argument("--json", default="bench_graphs.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.hub_seeds, args.others_n = "100000", 3, 4, 20_000
    sizes = sorted(int(float(s)) for s in args.sizes.split(","))
    print_header("bench_graphs: Barabási–Albert generation, m = 5")
    results, prev = [], None
    for n in sizes:
        w = bench_wom(n, args.runs)
        row = {"n": n, "wom_sim": w, "networkx": None, "note": ""}
        print(f"  n = {n:,}: wom-sim {fmt_time(w['median_s'])} (median of {len(w['times_s'])}; others kept "
              f"{w['cpu']['others_cpus'] or 0:.2f} CPUs busy), "
              f"{w['edges']:,} edges, mean degree {w['mean_degree']:.2f}, max {w['max_degree']}", flush=True)
        if not args.skip_nx:
            est = prev[1] * n / prev[0] if prev else None
            if est is not None and est > args.nx_cap:
                row["note"] = f"networkx skipped: extrapolated {est:.0f} s > cap {args.nx_cap:.0f} s"
            else:
                x = bench_nx(n, 2 if n <= 200_000 else 1)
                row["networkx"] = x
                prev = (n, x["median_s"])
                row["ratio"] = x["median_s"] / w["median_s"]
                print(f"             networkx {fmt_time(x['median_s'])} ({len(x['times_s'])} build(s)), "
                      f"{x['edges']:,} edges, mean degree {x['mean_degree']:.2f}, max {x['max_degree']}; "
                      f"ratio {row['ratio']:.0f}x", flush=True)
            if row["note"]:
                print("             " + row["note"], flush=True)
        results.append(row)
    rows = []
    for r in results:
        w, x = r["wom_sim"], r["networkx"]
        rows.append([f"{r['n']:,}", fmt_time(w["median_s"]) + f" ({len(w['times_s'])} builds)",
                     f"{w['memory']['peak_mb']:,.0f} MB",
                     fmt_time(x["median_s"]) if x else (r["note"] or "skipped"),
                     f"{x['memory']['peak_mb']:,.0f} MB" if x else "",
                     f"{r['ratio']:.0f}x" if x else "",
                     f"{w['mean_degree']:.2f} / {w['max_degree']}",
                     f"{x['mean_degree']:.2f} / {x['max_degree']}" if x else ""])
    print()
    print(table(["n", "wom-sim", "peak RSS", "networkx", "peak RSS", "networkx ÷ wom-sim",
                 "wom mean/max degree", "nx mean/max degree"], rows))
    hub = None
    if args.hub_seeds > 1 and not args.skip_nx:
        hub = hub_check(100_000, args.hub_seeds)
        print(f"\nsanity check, n = 100,000, {args.hub_seeds} graphs each: mean degree of the star's centre "
              f"(node 0) and of its {M} leaves (nodes 1..{M})")
        pm = lambda mean_se: f"{mean_se[0]:.0f} ± {mean_se[1]:.0f}"
        print(table(["generator", "node 0", f"nodes 1..{M}"],
                    [["wom-sim", pm(hub["wom_node0"]), pm(hub["wom_leaves"])],
                     ["networkx", pm(hub["nx_node0"]), pm(hub["nx_leaves"])]]))
        flag = abs(hub["z_node0"]) > 3 or abs(hub["z_leaves"]) > 3
        print(f"z (wom-sim - networkx): node 0 {hub['z_node0']:+.1f}, leaves {hub['z_leaves']:+.1f}"
              + ("  !! the oldest nodes' degrees disagree (see README)" if flag else "  (agree)"))
    others = None
    if args.others_n and not args.skip_nx:
        print(f"\nother generators at n = {args.others_n:,}:", flush=True)
        others = other_generators(args.others_n)
        print(table(["generator", "n", "wom-sim (median of 3)", "networkx (1 build)", "networkx ÷ wom-sim",
                     "mean degree wom / nx"],
                    [[o["generator"], f"{o['n']:,}", fmt_time(o["wom_s"]), fmt_time(o["nx_s"]), f"{o['ratio']:.0f}x",
                      f"{o['wom_mean_degree']:.2f} / {o['nx_mean_degree']:.2f}"] for o in others]))
    targets = []
    for r in results:
        if r["n"] == 1_000_000:
            ratio = r.get("ratio")
            targets.append({"target": f"BA 1M m = {M}: >= {TARGET_RATIO_1M:.0f}x faster than networkx",
                            "measured": ratio, "unit": "x", "met": None if ratio is None else ratio >= TARGET_RATIO_1M})
        if r["n"] == 10_000_000:
            s_ = r["wom_sim"]["median_s"]
            targets.append({"target": f"BA 10M m = {M} in <= {TARGET_10M_S:.0f} s", "measured": s_, "unit": "s",
                            "met": s_ <= TARGET_10M_S, "others_cpus": r["wom_sim"]["cpu"]["others_cpus"]})
    if targets:
        print("\ntargets (issue):")
        for t in targets:
            v = "not measured" if t["measured"] is None else (f"{t['measured']:.1f}x" if t["unit"] == "x"
                                                            else f"{t['measured']:.2f} s")
            print(f"  {t['target']}: {v} -> " + {True: "MET", False: "MISSED", None: "n/a"}[t["met"]])
    p = save_json(args.json, {"machine": machine_info(), "args": vars(args), "m": M, "results": results,
                              "hub_check": hub, "others": others, "targets": targets})
    print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
