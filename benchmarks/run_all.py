"""Run the whole benchmark suite, each script in its own process, then write the report.

    python benchmarks/run_all.py            # everything: ~11-14 minutes on this 2-core machine
    python benchmarks/run_all.py --quick    # small sizes: a smoke test of every script
    python benchmarks/run_all.py --only bench_ic --only bench_scaling
    python benchmarks/run_all.py --skip-ndlib --skip-dask --no-report

Every script runs in a fresh process with a time limit (--timeout; a script past it is
killed and marked so), its output goes to the terminal and to
benchmarks/results/run_all.log, and its numbers to its JSON file in benchmarks/results/.
run_all itself writes benchmarks/results/run_all.json: the command, the machine, the
git revision, the load average (`uptime`) at the start and the end and around each
script, each script's exit status, duration and CPU time, and how many CPUs other
processes kept busy meanwhile (/proc/stat's busy time minus the script's own). Then it runs report.py, which
writes benchmarks/README.md from those JSON files and benchmarks/notes/*.md.

The suite profiles first (bench_profile.py), then measures the machine's limits, then
the benchmarks. bench_full.py runs with --no-profile (bench_profile.py has profiled the
same replicate). bench_sweep.py, which waits for an idle machine before each
configuration, gets `--wait-idle 60 --retries 1` unless --sweep-args says otherwise,
and --skip-dask when dask is not installed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import CpuWatch, git_rev, machine_info, save_json  # noqa: E402

SCRIPTS = ["bench_profile.py", "bench_machine.py", "bench_ic.py", "bench_ic_random", "bench_full.py", "bench_batch.py",
           "bench_scaling.py", "bench_graphs.py", "bench_sweep.py", "bench_commands.py", "bench_ris.py",
           "bench_seeding.py", "bench_mesa.py"]
NO_QUICK = {"bench_ris.py"}  # one size only (BA 1M, the case)
#: runs that are a script with arguments: issue 13 measures IC against cynetdiff with random
#: seeds (bench_ic.py's main run uses the top-degree seeds of the earlier issues)
VARIANTS = {"bench_ic_random": ["bench_ic.py", "--seeds", "random", "--skip-ndlib", "--skip-eon", "--skip-mesa",
                                "--no-probe-memory", "--json", "bench_ic_random.json"]}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def git_dirty() -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain"], capture_output=True,
                             text=True, timeout=10).stdout
        return [ln for ln in out.splitlines() if ln.strip()]
    except Exception:
        return []


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to every script (and to report.py)")
    ap.add_argument("--skip-ndlib", action="store_true", help="pass --skip-ndlib to bench_ic.py")
    ap.add_argument("--skip-dask", action="store_true", help="pass --skip-dask to bench_sweep.py")
    ap.add_argument("--sweep-args", default="--wait-idle 60 --retries 1",
                    help="extra arguments for bench_sweep.py (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=2400, help="seconds per script before it is killed")
    ap.add_argument("--only", choices=[s.removesuffix(".py") for s in SCRIPTS], action="append",
                    help="run only this script (repeatable)")
    ap.add_argument("--no-report", action="store_true", help="do not run report.py at the end")
    args = ap.parse_args(argv)
    (HERE / "results").mkdir(exist_ok=True)
    argv_used = sys.argv[1:] if argv is None else list(argv)
    record = {"command": "python benchmarks/run_all.py" + ("".join(" " + shlex.quote(a) for a in argv_used)),
              "python": sys.executable, "quick": args.quick, "started": now(), "uptime_start": uptime(),
              "load_start": os.getloadavg(), "machine": machine_info(), "git_rev": git_rev(),
              "git_dirty": git_dirty(), "scripts": []}
    skip_dask = args.skip_dask or importlib.util.find_spec("dask") is None
    log = (HERE / "results" / "run_all.log").open("w")

    def say(msg: str) -> None:
        print(msg, end="", flush=True)
        log.write(msg)
        log.flush()

    say(f"run_all: {record['command']}\nstart {record['started']}; {record['uptime_start']}\n"
        f"git {record['git_rev']}" + (f" with {len(record['git_dirty'])} changed files in the work tree"
                                      if record["git_dirty"] else "") + "\n")
    if skip_dask and not args.skip_dask:
        say("dask is not installed: bench_sweep.py runs with --skip-dask\n")
    t_all = time.perf_counter()
    failed = []
    for script in SCRIPTS:
        if args.only and script.removesuffix(".py") not in args.only:
            continue
        file, *extra = VARIANTS.get(script, [script])
        cmd = [sys.executable, str(HERE / file), *extra]
        if args.quick and script not in NO_QUICK:
            cmd.append("--quick")
        if args.skip_ndlib and script == "bench_ic.py":
            cmd.append("--skip-ndlib")
        if script == "bench_full.py":
            cmd.append("--no-profile")
        if script == "bench_sweep.py":
            if skip_dask:
                cmd.append("--skip-dask")
            cmd += shlex.split(args.sweep_args)
        shown = " ".join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))
        entry = {"script": script, "cmd": shown, "started": now(), "load_before": os.getloadavg()}
        say(f"\n===== {shown}   ({entry['started']}, load {' '.join(f'{x:.2f}' for x in entry['load_before'])})\n")
        t0 = time.perf_counter()
        cw = CpuWatch().__enter__()  # the script's CPU and everyone else's while it runs
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                start_new_session=True)
        timed_out = False
        deadline = t0 + args.timeout

        def on_alarm(signum, frame):
            raise TimeoutError
        old = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.alarm(max(1, int(args.timeout)))
            for line in proc.stdout:
                say(line)
            rc = proc.wait(timeout=max(1.0, deadline - time.perf_counter()))
        except (TimeoutError, subprocess.TimeoutExpired):
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # the script and its children (own session)
            rc = proc.wait()
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        cw.__exit__(None, None, None)
        entry.update(exit=rc, seconds=time.perf_counter() - t0, timed_out=timed_out,
                     load_after=os.getloadavg(), cpu_s=cw.own_cpu_s, others_cpus=cw.others_cpus)
        record["scripts"].append(entry)
        say(f"----- {script}: " + (f"KILLED after the {args.timeout:.0f} s limit" if timed_out else f"exit {rc}")
            + f", {entry['seconds']:.0f} s; its CPU {cw.own_cpu_s:.0f} s; other processes kept "
            + (f"{cw.others_cpus:.2f}" if cw.others_cpus is not None else "?") + " CPUs busy meanwhile\n")
        if rc:
            failed.append(script)
        save_json("run_all.json", record)  # after every script, so a killed run still leaves its record
    record.update(finished=now(), seconds=time.perf_counter() - t_all, uptime_end=uptime(),
                  load_end=os.getloadavg(), failed=failed)
    save_json("run_all.json", record)
    say(f"\nrun_all: {record['seconds']:.0f} s in all" + (f"; FAILED: {', '.join(failed)}" if failed else "")
        + f"\nend {record['finished']}; {record['uptime_end']}\n")
    if not args.no_report:
        cmd = [sys.executable, str(HERE / "report.py")] + (["--quick"] if args.quick else [])
        rc = subprocess.run(cmd).returncode
        say(f"report.py: exit {rc}\n")
        if rc:
            failed.append("report.py")
    log.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
