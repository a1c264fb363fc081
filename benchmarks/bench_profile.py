"""Where the time goes: pyinstrument (and cProfile) of the two hot paths at 1M agents.

1. The default full WOM model on BA n = 1M (the scenario of bench_full.py /
   scenarios/large_1m.toml), one replicate of 60 steps, after a warm-up replicate.
2. The pure IC cascade of bench_ic.py on BA n = 1M (p = 0.05, 50 top-degree seeds,
   NumpyEngine.run_replicate, which runs the dedicated IC kernel), --ic-cascades
   cascades in one profiled span (one cascade is only ~10 ms).

pyinstrument samples the Python stack every 0.2 ms; a NumPy call's time is charged to
the Python function that made it ("self" time). cProfile (deterministic, with its own
overhead) names NumPy's C functions too. Both top lists and each profile's inclusive
time per engine phase go to results/bench_profile.json; the full pyinstrument text
trees go to results/profile_full.txt and results/profile_ic.txt.

    python benchmarks/bench_profile.py            # ~30 s
    python benchmarks/bench_profile.py --quick    # n = 200k
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, machine_info, print_header, save_json, table  # noqa: E402

INTERVAL = 0.0002
PHASES = ("_receive", "_advertise", "_progress", "_purchase", "_adopt", "_sense", "_tell", "_respond",
          "_repair", "step", "__init__", "_seed", "quiescent", "move", "make_sharers",
          "mark_aware", "mark_heard_neg", "finish_telling", "run", "_hits", "_counters", "counters", "take",
          "add", "compact")


def pyinstrument_profile(fn, out_txt: Path) -> dict:
    """Profile fn() with pyinstrument: self time per function and inclusive time of the
    engine's functions, as % of the profiled span; the text tree goes to out_txt."""
    from pyinstrument import Profiler
    prof = Profiler(interval=INTERVAL)
    prof.start()
    fn()
    prof.stop()
    root = prof.last_session.root_frame()
    out_txt.write_text(prof.output_text(unicode=True, color=False, show_all=False))
    total = root.time
    self_t: dict[tuple, float] = defaultdict(float)
    incl: dict[tuple, float] = defaultdict(float)

    def walk(fr, stack):
        key = (fr.function, fr.file_path_short or "", fr.line_no or 0)
        if not fr.is_synthetic:
            self_t[key] += fr.total_self_time
            if key not in stack:  # inclusive time, not double-counted under recursion
                incl[key] += fr.time
        for c in fr.children:
            if not c.is_synthetic:
                walk(c, stack | {key})
    walk(root, frozenset())

    def rows(d, limit=None):
        items = sorted(d.items(), key=lambda kv: -kv[1])[:limit]
        return [{"function": k[0], "where": f"{Path(k[1]).name}:{k[2]}", "s": v, "pct": 100 * v / total}
                for k, v in items]
    engine = {k: v for k, v in incl.items()
              if (k[1].endswith("replicate.py") or k[1].endswith("ic.py")) and k[0] in PHASES}
    kernels = {k: v for k, v in incl.items() if k[1].endswith("kernels.py")}
    return {"total_s": total, "interval_s": INTERVAL, "self_top": rows(self_t, 15),
            "engine_inclusive": rows(engine), "kernels_inclusive": rows(kernels), "text": out_txt.name}


def cprofile_profile(fn) -> dict:
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    fn()
    pr.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(pr, stream=io.StringIO())
    total = st.total_tt
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():
        where = "~" if file == "~" else f"{Path(file).name}:{line}"
        rows.append({"function": func, "where": where, "calls": nc, "tottime_s": tt, "cumtime_s": ct,
                     "pct": 100 * tt / total})
    rows.sort(key=lambda r: -r["tottime_s"])
    return {"total_s": total, "wall_s": wall, "top": rows[:15]}


def show(title: str, p: dict, c: dict) -> None:
    print(f"\n## {title}: pyinstrument, {p['total_s']:.3f} s profiled; top self time "
          "(numpy C calls charged to their Python caller)")
    print(table(["function", "where", "self", "%"],
                [[r["function"], r["where"], f"{r['s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"] for r in p["self_top"][:10]]))
    print("\ninclusive, engine phases and sampling kernels:")
    print(table(["function", "where", "incl.", "%"],
                [[r["function"], r["where"], f"{r['s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"]
                 for r in p["engine_inclusive"] + p["kernels_inclusive"]]))
    print(f"\ncProfile ({c['wall_s']:.3f} s with the profiler on): top tottime")
    print(table(["function", "where", "calls", "tottime", "%"],
                [[r["function"], r["where"], r["calls"], f"{r['tottime_s'] * 1e3:.1f} ms", f"{r['pct']:.1f}"]
                 for r in c["top"][:10]]))
    sys.stdout.flush()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--ic-cascades", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="n = 200k")
    ap.add_argument("--json", default="bench_profile.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.n = 200_000
    print_header("bench_profile: pyinstrument and cProfile of the full model and of the IC cascade")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out: dict = {"machine": machine_info(), "args": vars(args)}

    # 1. the full model, one replicate
    from bench_full import full_scenario

    from wom_sim.execution import make_graph
    from wom_sim.execution import prepare as make_engine
    from wom_sim.streams import stream
    sc = full_scenario(args.n, 60, 1, seed=1)
    graph = make_graph(sc)
    eng, _ = make_engine(sc, graph)
    t0 = time.perf_counter()
    eng.run_replicate(stream(1, 2, 1))  # warm-up (lazy out-degree, imports)
    warm = time.perf_counter() - t0
    # the engine bound as a default argument: the lambdas keep no cell on `eng`, deleted below
    p = pyinstrument_profile(lambda eng=eng: eng.run_replicate(stream(1, 2, 0)), RESULTS / "profile_full.txt")
    c = cprofile_profile(lambda eng=eng: eng.run_replicate(stream(1, 2, 0)))
    out["full"] = {"what": f"full WOM model, BA n = {args.n:,} m = 5, one replicate of 60 steps",
                   "unprofiled_s": warm, "pyinstrument": p, "cprofile": c}
    show(out["full"]["what"] + f" (unprofiled warm-up replicate {warm:.3f} s)", p, c)
    del eng, graph

    # 2. the IC cascade
    from bench_ic import SEED, ic_scenario, make_seeds

    from wom_sim.engines.numpy import NumpyEngine
    from wom_sim.graphs.generators import barabasi_albert
    g = barabasi_albert(args.n, 5, stream(SEED, 0))
    seeds = make_seeds(g, "degree")
    ic = NumpyEngine(g, ic_scenario(args.n, 200), seeds)
    ic.run_replicate(stream(SEED, 50, 0))  # warm-up
    k = args.ic_cascades

    def cascades():
        for r in range(k):
            ic.run_replicate(stream(SEED, 51, r))
    t0 = time.perf_counter()
    cascades()
    plain = time.perf_counter() - t0
    p = pyinstrument_profile(cascades, RESULTS / "profile_ic.txt")
    c = cprofile_profile(cascades)
    out["ic"] = {"what": f"IC cascade, BA n = {args.n:,} m = 5, p = 0.05, 50 top-degree seeds, {k} cascades "
                         f"(kernel: {'ic_kernel' if getattr(ic, 'fast_ic', False) else 'general engine'})",
                 "unprofiled_s": plain, "cascades": k, "pyinstrument": p, "cprofile": c}
    show(out["ic"]["what"] + f" (unprofiled: {plain:.3f} s, {plain / k * 1e3:.1f} ms per cascade)", p, c)
    path = save_json(args.json, out)
    print(f"\nwrote {path}, {RESULTS / 'profile_full.txt'} and {RESULTS / 'profile_ic.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
