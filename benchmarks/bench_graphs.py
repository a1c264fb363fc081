"""Barabási–Albert generation: wom_sim's vectorized CSR generator vs networkx.

wom_sim.graphs.generators.barabasi_albert(n, 5, rng) builds the CSR graph directly
(warm-up, then the median of --runs builds); networkx.barabasi_albert_graph(n, 5,
seed) builds a networkx Graph (one build per size, two at 100k). networkx runs at 1M
only when its 100k time, extrapolated linearly, says it will finish within --nx-cap
seconds (default 60). For a sanity check both graphs' edge count, mean and max degree
are printed (BA m = 5: mean degree ~10, max degree ~ m sqrt(n)).

    python benchmarks/bench_graphs.py
    python benchmarks/bench_graphs.py --quick     # 100k only
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_time, machine_info, measure_memory, median, print_header, save_json, table  # noqa: E402

from wom_sim.graphs.generators import barabasi_albert  # noqa: E402

M = 5


def bench_wom(n: int, runs: int) -> dict:
    barabasi_albert(n, M, np.random.default_rng(0))  # warm-up
    times = []
    with measure_memory() as mem:
        for r in range(runs):
            t0 = time.perf_counter()
            g = barabasi_albert(n, M, np.random.default_rng(r + 1))
            times.append(time.perf_counter() - t0)
    deg = g.out_degree()
    return {"median_s": median(times), "times_s": times, "edges": g.n_arcs // 2,
            "mean_degree": float(deg.mean()), "max_degree": int(deg.max()), "memory": mem.as_dict()}


def bench_nx(n: int, runs: int) -> dict:
    import networkx as nx
    times = []
    with measure_memory() as mem:
        for r in range(runs):
            t0 = time.perf_counter()
            G = nx.barabasi_albert_graph(n, M, seed=r + 1)
            times.append(time.perf_counter() - t0)
            if r + 1 < runs:
                del G
    degs = np.fromiter((d for _, d in G.degree()), dtype=np.int64, count=n)
    return {"median_s": median(times), "times_s": times, "edges": G.number_of_edges(),
            "mean_degree": float(degs.mean()), "max_degree": int(degs.max()), "memory": mem.as_dict()}


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
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=5, help="timed wom-sim builds per size")
    ap.add_argument("--nx-cap", type=float, default=60.0, help="skip networkx at a size it would take longer")
    ap.add_argument("--skip-nx", action="store_true")
    ap.add_argument("--hub-seeds", type=int, default=8,
                    help="graphs per generator for the check of the oldest nodes' degrees at 100k (0: skip)")
    ap.add_argument("--quick", action="store_true", help="100k only")
    ap.add_argument("--json", default="bench_graphs.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.hub_seeds = "100000", 3, 4
    sizes = sorted(int(float(s)) for s in args.sizes.split(","))
    print_header("bench_graphs: Barabási–Albert generation, m = 5")
    results, prev = [], None
    for n in sizes:
        w = bench_wom(n, args.runs)
        row = {"n": n, "wom_sim": w, "networkx": None, "note": ""}
        print(f"  n = {n:,}: wom-sim {fmt_time(w['median_s'])} (median of {args.runs}), "
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
        rows.append([f"{r['n']:,}", fmt_time(w["median_s"]), f"{w['memory']['peak_mb']:,.0f} MB",
                     fmt_time(x["median_s"]) if x else "skipped",
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
        print(table(["generator", "node 0", f"nodes 1..{M}"],
                    [["wom-sim", "%.0f ± %.0f" % hub["wom_node0"], "%.0f ± %.0f" % hub["wom_leaves"]],
                     ["networkx", "%.0f ± %.0f" % hub["nx_node0"], "%.0f ± %.0f" % hub["nx_leaves"]]]))
        flag = abs(hub["z_node0"]) > 3 or abs(hub["z_leaves"]) > 3
        print(f"z (wom-sim - networkx): node 0 {hub['z_node0']:+.1f}, leaves {hub['z_leaves']:+.1f}"
              + ("  !! the oldest nodes' degrees disagree (see README)" if flag else "  (agree)"))
    p = save_json(args.json, {"machine": machine_info(), "args": vars(args), "m": M, "results": results,
                              "hub_check": hub})
    print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
