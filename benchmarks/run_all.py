"""Run the four benchmarks in sequence, each in its own process, and keep a log.

    python benchmarks/run_all.py            # full: ~6-7 minutes on a 2-core machine
    python benchmarks/run_all.py --quick    # small sizes: ~1 minute
    python benchmarks/run_all.py --skip-ndlib
    python benchmarks/run_all.py --skip-dask    # bench_sweep.py without the Dask cluster

Output goes to the terminal and to benchmarks/results/run_all.log; each script also
writes its numbers as JSON into benchmarks/results/.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_ic.py", "bench_full.py", "bench_graphs.py", "bench_sweep.py", "bench_commands.py", "bench_ris.py",
           "bench_mesa.py"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to every script")
    ap.add_argument("--skip-ndlib", action="store_true", help="pass --skip-ndlib to bench_ic.py")
    ap.add_argument("--skip-dask", action="store_true", help="pass --skip-dask to bench_sweep.py")
    ap.add_argument("--only", choices=[s[:-3] for s in SCRIPTS], action="append",
                    help="run only this script (repeatable)")
    args = ap.parse_args(argv)
    (HERE / "results").mkdir(exist_ok=True)
    log = (HERE / "results" / "run_all.log").open("w")
    t_all = time.perf_counter()
    failed = []
    for script in SCRIPTS:
        if args.only and script[:-3] not in args.only:
            continue
        cmd = [sys.executable, str(HERE / script)]
        if args.quick and script != "bench_ris.py":  # bench_ris has one size (BA 1M, the case)
            cmd.append("--quick")
        if args.skip_ndlib and script == "bench_ic.py":
            cmd.append("--skip-ndlib")
        if args.skip_dask and script == "bench_sweep.py":
            cmd.append("--skip-dask")
        banner = f"\n===== {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}\n"
        print(banner, end="", flush=True)
        log.write(banner)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in proc.stdout:
            print(line, end="", flush=True)
            log.write(line)
        rc = proc.wait()
        msg = f"----- {script}: exit {rc}, {time.perf_counter() - t0:.0f} s\n"
        print(msg, end="", flush=True)
        log.write(msg)
        if rc:
            failed.append(script)
    msg = f"\nrun_all: {time.perf_counter() - t_all:.0f} s in all" + (f"; FAILED: {', '.join(failed)}" if failed else "") + "\n"
    print(msg, end="")
    log.write(msg)
    log.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
