"""A compiled IC loop (numba), measured beside wom-sim's vectorized IC kernel and cynetdiff.

    pip install numba cynetdiff
    python benchmarks/proto_compiled_ic.py --sizes 10000,100000 --rounds 3

Evidence for a decision the project has not taken (benchmarks/notes/ic.md, "A compiled
IC loop, measured again"): wom-sim does not depend on numba, and this script is not part
of the suite (run_all.py) nor of the package. It answers one question: with the fixed
costs of a replicate outside the kernel cut (streams 7.7 -> ~2 µs, the metric table
20-30 -> ~4 µs a cascade), how far would a compiled kernel carry the three IC targets of
issue 13 (>= 2x / 3x / 5x faster than cynetdiff at 10k / 100k / 1M, random seeds)?

The prototype runs a whole batch in ONE compiled call: each replicate's uniforms are
drawn ahead from its own stream (`streams.streams`, a row per replicate), and a
replicate whose row runs short is run again from the start of its stream with a row
twice as long, so its numbers never depend on the batch or on the row length. Per step:
last step's new hearers adopt, the tellers' arcs are walked by geometric gaps over
their concatenation (one uniform per message, plus one a step), and each hit is tested
against a per-agent byte (cleared after the replicate from the list of who heard). Its
counters go through the kernel's own `_counters` and `metrics.table`, like the
vectorized path, so both timings include the metric table. It covers the benchmark's
case (share_prob 1, real-time sharing); the kernel's other rules (share coins, sharing
in the next step, per-replicate parameters) are written but untested here.

Each round times, in one process and one after the other: wom-sim's vectorized batches
(`execution.simulate`, the runner's batch size), the compiled batches, and cynetdiff
(median of --cyn-runs cascades), on the same graph and the same 50 random seeds.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, machine_info  # noqa: E402

SEED, P, K, M, STEPS = 2024, 0.05, 50, 5, 200

try:
    from numba import njit
except ImportError:  # the module still imports (ruff, the docs); main() says what to install
    njit = None


def _ic_batch(indptr, indices, seeds, p_kol, p, share, realtime, T, U, new_adopt, new_share,  # pragma: no cover
              new_msgs, ends, used, stamp, heard, hits, queued, tellers):
    """Replicate b of the batch on uniforms U[b]: its per-step counts; used[b] = -1 when
    its row ran short (run it again with a longer row)."""
    B, width = U.shape
    for b in range(B):
        u = U[b]
        k = 0
        nheard = 0
        for s in seeds:
            stamp[s] = 1
            heard[nheard] = s
            nheard += 1
        pend_lo = nheard
        pend_hi = nheard
        nq = 0
        nt = 0
        end = T
        short = False
        for t in range(1, T + 1):
            nt2 = 0
            if pend_hi > pend_lo:  # last step's new hearers adopt; some share
                new_adopt[b, t] = pend_hi - pend_lo
                for i in range(pend_lo, pend_hi):
                    if share[b] < 1.0:
                        if k >= width:
                            short = True
                            break
                        k += 1
                        if u[k - 1] >= share[b]:
                            continue
                    tellers[nt2] = heard[i]
                    nt2 += 1
                new_share[b, t] = nt2
            if realtime:
                nt = nt2
            else:  # this step's sharers tell in the next
                queued, tellers = tellers, queued
                nt, nq = nq, nt2
            src, ns, prob = (seeds, seeds.size, p_kol[b]) if t == 1 else (tellers, nt, p[b])
            nh = 0
            if ns and prob > 0.0 and not short:
                if prob >= 1.0:
                    for j in range(ns):
                        for a in range(indptr[src[j]], indptr[src[j] + 1]):
                            hits[nh] = indices[a]
                            nh += 1
                elif k >= width:
                    short = True
                else:
                    inv = -1.0 / math.log1p(-prob)
                    pos = int(-math.log1p(-u[k]) * inv)
                    k += 1
                    for j in range(ns):
                        a0 = indptr[src[j]]
                        d = indptr[src[j] + 1] - a0
                        while pos < d:
                            hits[nh] = indices[a0 + pos]
                            nh += 1
                            if k >= width:
                                short = True
                                break
                            pos += 1 + int(-math.log1p(-u[k]) * inv)
                            k += 1
                        if short:
                            break
                        pos -= d
            if short:
                break
            new_msgs[b, t] = nh
            pend_lo = nheard
            for i in range(nh):
                if stamp[hits[i]] == 0:
                    stamp[hits[i]] = 1
                    heard[nheard] = hits[i]
                    nheard += 1
            pend_hi = nheard
            if pend_hi == pend_lo and nq == 0:
                end = t
                break
        for i in range(nheard):
            stamp[heard[i]] = 0
        ends[b] = end
        used[b] = -1 if short else k


class Compiled:
    """The prototype's batches on one graph (buffers kept across batches)."""

    def __init__(self, eng, seeds: np.ndarray) -> None:
        from wom_sim.engines.numpy.ic import ICKernel
        self.kernel = njit(cache=True, boundscheck=False)(_ic_batch)
        self.eng, self.g = eng, eng.g
        self.ic = ICKernel(eng)
        self.indptr = self.g.indptr.astype(np.int64)
        n = self.g.n
        self.bufs = (np.zeros(n, np.int8), np.empty(n, np.int32), np.empty(self.g.indices.size, np.int32),
                     np.empty(n, np.int32), np.empty(n, np.int32))
        self.seeds = seeds.astype(np.int32)
        self.width = 64  # uniforms a row; doubled when a replicate runs short

    def _counts(self, reps: list[int]) -> tuple[np.ndarray, ...]:
        from wom_sim.streams import streams
        B = len(reps)
        U = np.empty((B, self.width))
        for i, gen in enumerate(streams(SEED, (2,), reps)):
            gen.random(out=U[i])
        cnt = [np.zeros((B, STEPS + 1), np.int64) for _ in range(3)]
        ends, used = np.empty(B, np.int64), np.empty(B, np.int64)
        self.kernel(self.indptr, self.g.indices, self.seeds, np.full(B, P), np.full(B, P), np.ones(B), True, STEPS,
                    U, *cnt, ends, used, *self.bufs)
        return (*cnt, ends, used)

    def run(self, reps: list[int], out: np.ndarray) -> None:
        from wom_sim.model import metrics
        na, ns, nm, ends, used = self._counts(reps)
        redo = np.flatnonzero(used < 0)
        while redo.size:  # from the start of their streams, with longer rows: the same numbers
            self.width *= 2
            part = self._counts([reps[i] for i in redo])
            for whole, sub in zip((na, ns, nm, ends, used), part):
                whole[redo] = sub
            redo = redo[part[4] < 0]
        end = int(ends.max())
        k = np.full(len(reps), self.seeds.size, dtype=np.int64)
        counters = self.ic._counters(k, na[:, :end + 1], ns[:, :end + 1], nm[:, :end + 1])
        metrics.table(counters, self.eng.funnel, self.eng.sc.economics, self.eng.spend([self.seeds] * len(reps)),
                      self.eng.sc.response, steps=STEPS, out=out)


def bench(n: int, args: argparse.Namespace) -> dict:
    import wom_sim
    from wom_sim.catalogs import register_strategy
    from wom_sim.execution import make_graph, prepare, simulate
    from wom_sim.execution.memory import numpy_batch
    from wom_sim.streams import stream
    seeds_box: list[np.ndarray] = []
    register_strategy("proto_fixed", lambda graph, budget, rng, scenario=None: seeds_box[0], "the prototype's seeds")
    sc = wom_sim.load_scenario({
        "scenario": {"name": "proto IC", "seed": SEED, "steps": STEPS, "replicates": args.replicates},
        "graph": {"kind": "barabasi_albert", "n": n, "m": M}, "funnel": {"kind": "none"},
        "wom": {"mode": "cascade", "transmissibility": P, "active_steps": 1, "p_external": 0.0,
                "p_negative_experience": 0.0},
        "seeding": {"strategy": "proto_fixed", "budget": K, "kol_reach": P}, "response": {"policy": "none"}})
    g = make_graph(sc)
    seeds_box.append(np.sort(stream(SEED, 1).choice(g.n, size=K, replace=False)).astype(np.int64))
    eng, plan = prepare(sc, g)
    B = numpy_batch(sc, g.n, g.n_arcs, args.replicates)
    R = args.replicates
    reps = list(range(R))
    col = eng.metrics.index("adopters")
    out_v = np.empty((R, STEPS + 1, len(eng.metrics)))
    out_c = np.empty_like(out_v)
    comp = Compiled(eng, seeds_box[0])
    t0 = time.perf_counter()
    comp.run(reps[:2], out_c[:2])
    first_call = time.perf_counter() - t0

    def vectorized() -> float:
        t = time.perf_counter()
        out_v[:] = simulate(eng, SEED, reps, plan.for_replicate, B)
        return (time.perf_counter() - t) / R

    def compiled() -> float:
        t = time.perf_counter()
        for a in range(0, R, B):
            comp.run(reps[a:a + B], out_c[a:a + B])
        return (time.perf_counter() - t) / R

    cyn = None
    try:
        from cynetdiff.models import IndependentCascadeModel
        model = IndependentCascadeModel(g.indptr[:-1].astype(np.uint32), g.indices.astype(np.uint32),
                                        activation_prob=P)
        model.set_seeds(seeds_box[0].tolist())

        def cyn() -> float:
            times = []
            for r in range(args.cyn_runs):
                model.set_rng(stream(SEED, 4, r + 1))
                t = time.perf_counter()
                model.reset_model()
                model.advance_until_completion()
                times.append(time.perf_counter() - t)
            return statistics.median(times)
    except ImportError:
        print("  (cynetdiff is not installed: pip install cynetdiff)")
    vectorized()
    compiled()  # warm-ups
    rounds: dict[str, list[float]] = {"vectorized": [], "compiled": [], "cynetdiff": []}
    for _ in range(args.rounds):
        rounds["vectorized"].append(vectorized())
        rounds["compiled"].append(compiled())
        if cyn is not None:
            rounds["cynetdiff"].append(cyn())
    med = {k: statistics.median(v) for k, v in rounds.items() if v}
    fin_v, fin_c = out_v[:, -1, col], out_c[:, -1, col]
    se = math.sqrt(fin_v.var(ddof=1) / R + fin_c.var(ddof=1) / R)
    res = {"n": n, "batch": B, "replicates": R, "rounds_us": {k: [x * 1e6 for x in v] for k, v in rounds.items()},
           "median_us": {k: v * 1e6 for k, v in med.items()}, "first_call_s": first_call,
           "mean_final": {"vectorized": float(fin_v.mean()), "compiled": float(fin_c.mean())},
           "z": float((fin_c.mean() - fin_v.mean()) / se) if se > 0 else 0.0}
    if "cynetdiff" in med:
        res["cynetdiff_over"] = {k: med["cynetdiff"] / med[k] for k in ("vectorized", "compiled")}
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated agent counts")
    ap.add_argument("--replicates", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cyn-runs", type=int, default=30, help="cynetdiff cascades a round (their median)")
    args = ap.parse_args(argv)
    if njit is None:
        print("this prototype needs numba: pip install numba", file=sys.stderr)
        return 2
    results = []
    print("| agents | batch | vectorized kernel | compiled loop | cynetdiff | cynetdiff ÷ vectorized | "
          "cynetdiff ÷ compiled | mean final size (vectorized / compiled, z) |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        r = bench(n, args)
        results.append(r)
        m, ratio = r["median_us"], r.get("cynetdiff_over", {})
        print(f"| {n:,} | {r['batch']} | {m['vectorized']:.0f} µs | {m['compiled']:.0f} µs | "
              f"{m.get('cynetdiff', float('nan')):.0f} µs | {ratio.get('vectorized', float('nan')):.2f}x | "
              f"{ratio.get('compiled', float('nan')):.2f}x | {r['mean_final']['vectorized']:,.1f} / "
              f"{r['mean_final']['compiled']:,.1f} (z = {r['z']:+.2f}) |", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "proto_compiled_ic.json").write_text(json.dumps(
        {"machine": machine_info(), "written": time.strftime("%Y-%m-%d %H:%M"), "sizes": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
