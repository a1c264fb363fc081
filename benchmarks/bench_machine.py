"""This machine's limits, measured with NumPy on one core: what bounds a cascade.

- streaming read bandwidth: `a.sum()` over a 1 GiB float64 array (a read-only pass; the
  summation itself is far faster than memory), GB/s = bytes / time;
- streaming copy: `np.copyto(b, a)` over 1 GiB (read + write counted), GB/s;
- random gather into a 1M-entry bool array (fits in cache, like the `active` flags of a
  1M cascade): `flags[idx]` with 20M random int64 indices, elements/s;
- random gather into a 100M-entry int32 array (400 MB, like a CSR index array of 100M
  arcs: every access misses the caches and the TLB): `big[idx]` with 20M random
  indices, elements/s;
- RNG: `rng.random(n, dtype=float32)` and `rng.standard_exponential(n, dtype=float32)`
  with numpy's default PCG64 generator, 20M at a time, numbers/s.

Every figure is the best of --repeat timings (the machine's capability, not its
average under load). The report puts wom-sim's IC edges examined per second (arcs per
cascade / time) and messages per second beside these: an IC that draws one random
number per arc examined cannot beat the RNG rate, and one that draws only the
successes (geometric gaps) is bounded by the gathers of the messages instead.

    python benchmarks/bench_machine.py            # ~30 s, ~2.5 GB
    python benchmarks/bench_machine.py --quick    # smaller arrays
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_rate, machine_info, print_header, save_json, table  # noqa: E402


def best(fn, repeat: int) -> float:
    fn()  # warm-up: page in, caches
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="256 MiB streams, 10M-entry big array, 5M draws")
    ap.add_argument("--json", default="bench_machine.json")
    args = ap.parse_args(argv)
    stream_bytes = (256 if args.quick else 1024) * 2 ** 20
    big_n = 10_000_000 if args.quick else 100_000_000
    draws = 5_000_000 if args.quick else 20_000_000
    print_header("bench_machine: this machine's limits (NumPy, one core)")
    rng = np.random.default_rng(1)
    rows, out = [], {"load_before": os.getloadavg()}
    print(f"load average: {' '.join(f'{x:.2f}' for x in out['load_before'])}", flush=True)

    a = np.ones(stream_bytes // 8)
    # the arrays are bound as lambda default arguments: they are deleted below, once measured
    t = best(lambda a=a: a.sum(), args.repeat)
    out["stream_read_GBps"] = a.nbytes / t / 1e9
    rows.append(["streaming read (`a.sum()`, float64)", f"{a.nbytes / 2**30:.2f} GiB",
                 f"{out['stream_read_GBps']:.1f} GB/s"])
    b = np.empty_like(a)
    t = best(lambda a=a, b=b: np.copyto(b, a), args.repeat)
    out["stream_copy_GBps"] = 2 * a.nbytes / t / 1e9
    rows.append(["streaming copy (`np.copyto`, read + write)", f"{a.nbytes / 2**30:.2f} GiB",
                 f"{out['stream_copy_GBps']:.1f} GB/s"])
    del a, b

    idx_small = rng.integers(0, 1_000_000, size=draws)
    flags = rng.random(1_000_000) < 0.05
    t = best(lambda flags=flags, idx_small=idx_small: flags[idx_small], args.repeat)
    out["gather_1M_bool_per_s"] = draws / t
    rows.append(["random gather into a 1M bool array", f"{draws / 1e6:.0f}M indices",
                 f"{fmt_rate(out['gather_1M_bool_per_s'])} elements/s"])
    del idx_small, flags

    big = np.arange(big_n, dtype=np.int32)
    idx_big = rng.integers(0, big_n, size=draws)
    t = best(lambda big=big, idx_big=idx_big: big[idx_big], args.repeat)
    out["gather_big_int32_per_s"] = draws / t
    out["gather_big_n"] = big_n
    rows.append([f"random gather into a {big_n / 1e6:.0f}M int32 array ({big.nbytes / 1e6:.0f} MB)",
                 f"{draws / 1e6:.0f}M indices", f"{fmt_rate(out['gather_big_int32_per_s'])} elements/s"])
    del big, idx_big

    t = best(lambda: rng.random(draws, dtype=np.float32), args.repeat)
    out["rng_uniform_f32_per_s"] = draws / t
    rows.append(["RNG: uniform float32 (PCG64)", f"{draws / 1e6:.0f}M", f"{fmt_rate(out['rng_uniform_f32_per_s'])}/s"])
    t = best(lambda: rng.standard_exponential(draws, dtype=np.float32), args.repeat)
    out["rng_exponential_f32_per_s"] = draws / t
    rows.append(["RNG: exponential float32 (PCG64)", f"{draws / 1e6:.0f}M",
                 f"{fmt_rate(out['rng_exponential_f32_per_s'])}/s"])
    t = best(lambda: rng.geometric(0.05, size=draws // 4), args.repeat)
    out["rng_geometric_per_s"] = draws // 4 / t
    rows.append(["RNG: geometric p = 0.05 (int64)", f"{draws / 4e6:.0f}M", f"{fmt_rate(out['rng_geometric_per_s'])}/s"])

    print()
    print(table(["what", "size", f"best of {args.repeat}"], rows))
    out["load_after"] = os.getloadavg()
    p = save_json(args.json, {"machine": machine_info(), "args": vars(args), "limits": out, "rows": rows})
    print(f"\nwrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
