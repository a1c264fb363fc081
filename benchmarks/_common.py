"""Helpers shared by the benchmark scripts: machine facts, timing, peak memory, tables.

Peak memory is measured per *phase* of one process: before a phase the kernel's
high-water mark of resident memory (VmHWM) is reset by writing "5" to
/proc/self/clear_refs (Linux >= 4.0); after it VmHWM is read. A phase's peak is then
the process's peak resident set during that phase (everything alive counts, e.g. the
shared CSR graph), and "delta" is that peak minus the resident set at the phase's
start (what the phase itself added). Freed heap is handed back to the OS first
(malloc_trim), so memory freed by earlier phases does not hide a phase's own use.
Where clear_refs is not writable, ru_maxrss (peak of the whole process so far) is
reported instead and the table says so.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


# ----------------------------------------------------------------------------- machine

def machine_info() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    info = {"nproc": nproc, "cpu": cpu, "ram_gb": mem_gb, "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform()}
    for mod in ("scipy", "networkx", "cynetdiff", "ndlib", "EoN", "pyinstrument", "wom_sim"):
        info[mod] = package_version(mod)
    return info


def package_version(mod: str) -> str | None:
    try:
        from importlib.metadata import version
        name = {"wom_sim": "wom-sim"}.get(mod, mod)
        return version(name)
    except Exception:
        return None


# ----------------------------------------------------------------------------- memory

def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Phase:
    """Result of `measure_memory`: peak and delta in MB, and how it was measured."""

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self.delta_mb: float | None = None
        self.method = ""

    def as_dict(self) -> dict:
        return {"peak_mb": self.peak_mb, "delta_mb": self.delta_mb, "method": self.method}


def trim_heap() -> None:
    """Give freed heap pages back to the OS (glibc keeps ~100 MB after a 1M graph build)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except Exception:
        pass


@contextmanager
def measure_memory():
    """Peak resident memory of this process during the `with` block (see module doc)."""
    ph = Phase()
    gc.collect()
    trim_heap()
    ok = _reset_hwm()
    start = _status_kb("VmRSS")
    try:
        yield ph
    finally:
        if ok and start is not None:
            hwm = _status_kb("VmHWM")
            ph.peak_mb = round(hwm / 1024, 1)
            ph.delta_mb = round((hwm - start) / 1024, 1)
            ph.method = "VmHWM reset per phase"
        else:
            ph.peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            ph.method = "ru_maxrss (process lifetime)"


# ----------------------------------------------------------------------------- CPU share

def machine_busy_s() -> float | None:
    """CPU seconds the whole machine has been busy since boot (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            vals = [int(x) for x in fh.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    return (sum(vals) - vals[3] - vals[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process plus its children that have been waited for."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


class CpuWatch:
    """Who used the CPUs during a `with` block: `own_cpu_s` (this process and the children it
    reaped meanwhile), `others_cpus` (the average number of CPUs other processes kept busy:
    the machine's busy time from /proc/stat minus ours, over the wall time) and `wall_s`.
    On a shared machine this says how far a wall-clock figure was inflated by others."""

    def __enter__(self):
        self.b0, self.c0, self.t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall_s = time.perf_counter() - self.t0
        self.own_cpu_s = own_cpu_s() - self.c0
        b1 = machine_busy_s()
        self.others_cpus = (max(0.0, (b1 - self.b0) - self.own_cpu_s) / self.wall_s
                            if b1 is not None and self.b0 is not None and self.wall_s > 0 else None)

    def as_dict(self) -> dict:
        return {"wall_s": self.wall_s, "own_cpu_s": self.own_cpu_s, "others_cpus": self.others_cpus}


# ----------------------------------------------------------------------------- timing

class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0


def median(xs) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def mean_se(xs) -> tuple[float, float]:
    a = np.asarray(xs, dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    if a.size == 1:
        return float(a[0]), float("nan")
    return float(a.mean()), float(a.std(ddof=1) / np.sqrt(a.size))


# ----------------------------------------------------------------------------- output

def fmt_time(s: float | None) -> str:
    if s is None or s != s:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_rate(x: float | None) -> str:
    if x is None or x != x:
        return "n/a"
    if x >= 1e9:
        return f"{x / 1e9:.2f}G"
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub markdown table."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def save_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    p = RESULTS / name
    p.write_text(json.dumps(data, indent=2, default=_json_default))
    return p


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def print_header(title: str) -> None:
    info = machine_info()
    print(f"# {title}")
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['ram_gb']} GB RAM; "
          f"Python {info['python']}, numpy {info['numpy']}")
    sys.stdout.flush()


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, list[list[str]]]:
    """Run each command once a round, one after the other, for `rounds` rounds (the A/B
    scripts: two versions see the same machine load), each in a fresh process from a
    neutral folder (`python -c` puts the working folder first on sys.path); the words
    each printed, by name and round."""
    import tempfile
    out: dict[str, list[list[str]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            out[name].append(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                            cwd=tempfile.gettempdir()).stdout.split())
    return out


def git_rev(path: Path = HERE.parent) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except Exception:
        return None
