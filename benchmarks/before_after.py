"""Compare two runs of the benchmark suite (two results/ folders written by run_all.py):
the headline timings side by side, with the ratio after / before.

    python benchmarks/before_after.py OLD_RESULTS NEW_RESULTS --title "..." -o benchmarks/notes/x.md

Both runs should come from the same machine on the same day (the note says which
commits): a wall time on a shared 2-core machine can move 10-20% with the load, so a
ratio inside that band is noise, not a change.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _load(folder: Path, name: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((folder / name).read_text())
        return data
    except (OSError, ValueError):
        return None


def _tool(entry: dict[str, Any], tool: str) -> float | None:
    for t in entry.get("tools", []):
        if t.get("tool") == tool and t.get("median_s") is not None:
            return float(t["median_s"])
    return None


def rows(folder: Path) -> dict[str, float]:
    """The headline numbers of one results folder, by label (seconds unless noted)."""
    out: dict[str, float] = {}
    ic = _load(folder, "bench_ic.json")
    for r in (ic or {}).get("results", []):
        n = r["n"]
        wom, cyn = _tool(r, "wom-sim"), _tool(r, "cynetdiff")
        if wom is not None:
            out[f"IC cascade, BA {n:,}: wom-sim median (ms)"] = 1e3 * wom
        if wom and cyn:
            out[f"IC cascade, BA {n:,}: cynetdiff / wom-sim (x)"] = cyn / wom
        rep = r.get("replicates_100")
        if rep:
            out[f"IC, 100 replicates in one process, BA {n:,} (s)"] = float(rep["median_s"])
    full = _load(folder, "bench_full.json")
    for run in (full or {}).get("runs", []):
        out[f"full model, BA 1M, 30 replicates, {run['workers']} worker(s) (s)"] = float(run["wall_s"])
    scaling = _load(folder, "bench_scaling.json")
    for run in (scaling or {}).get("runs", []):
        if run.get("exit") == 0:
            out[f"wom-sim run, {run['n']:,} agents: simulate (s)"] = float(run["timing"]["simulate_s"])
            out[f"wom-sim run, {run['n']:,} agents: peak RSS (MB)"] = run["peak_rss_bytes"] / 1e6
    sweep = _load(folder, "bench_sweep.json")
    for name, s in (sweep or {}).get("summary", {}).items():
        out[f"sweep, 40 points x 20 replicates, {name} (s)"] = float(s["wall_s_median"])
    for c in _load(folder, "bench_commands.json") or []:
        out[f"{c['command']} ({c['grid']}) (s)"] = float(c["wall_s"])
    ris = _load(folder, "bench_ris.json")
    for run in (ris or {}).get("runs", []):
        out["ris: 50 KOLs on BA 1M, IC p = 0.05, eps 0.1 (s)"] = float(run["wall_s"])
    mesa = _load(folder, "bench_mesa.json")
    for r in (mesa or {}).get("results", []):
        out[f"{r['scenario']}: NumPy engine (us per agent-step)"] = float(r["numpy_us_per_agent_step"])
        out[f"{r['scenario']}: Mesa engine (us per agent-step)"] = float(r["mesa_us_per_agent_step"])
    graphs = _load(folder, "bench_graphs.json")
    for r in (graphs or {}).get("results", []):
        out[f"BA generator, {r['n']:,} agents (s)"] = float(r["wom_sim"]["median_s"])
    return out


def table(before: dict[str, float], after: dict[str, float]) -> str:
    fmt: Callable[[float], str] = lambda x: f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    lines = ["| measurement | before | after | after / before |", "|---|---|---|---|"]
    for key in [k for k in before if k in after] + [k for k in after if k not in before]:
        b, a = before.get(key), after.get(key)
        ratio = f"{a / b:.2f}" if a is not None and b else ""
        lines.append(f"| {key} | {'' if b is None else fmt(b)} | {'' if a is None else fmt(a)} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--title", default="Before and after")
    ap.add_argument("--intro", default="")
    ap.add_argument("-o", "--out", type=Path)
    args = ap.parse_args(argv)
    text = f"### {args.title}\n\n" + (args.intro + "\n\n" if args.intro else "") + \
        table(rows(args.before), rows(args.after)) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
