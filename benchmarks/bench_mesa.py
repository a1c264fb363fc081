"""The Mesa agent engine beside the NumPy engine: time per agent-step.

Scenarios: scenarios/aisas_classroom.toml and scenarios/sicas_classroom.toml (300
agents, 40 steps) and scenarios/kol_launch.toml with graph.n = 20,000 (BA m = 5, 60
steps). Both engines run the same replicates (streams stream(seed, 2, r), KOLs of the
scenario's plan) one after the other in this process, after one untimed warm-up
replicate each.

Reported per scenario and engine: time per replicate, and microseconds per
agent-step = time / (replicates x agents x steps). For Mesa the time per replicate
includes building the model (agents, the mesa Network and its cells, the
DataCollector); that setup is also timed alone and the per-agent-step cost of the
steps without it is shown. The target from the issue: at most ~10 µs per agent-step
for Mesa on the classroom scenarios.

    python benchmarks/bench_mesa.py             # ~1 minute
    python benchmarks/bench_mesa.py --quick     # fewer replicates, BA n = 5,000
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, package_version, print_header, save_json, table  # noqa: E402

import wom_sim  # noqa: E402
from wom_sim.engines.mesa import BassModel, MesaEngine, WomModel  # noqa: E402
from wom_sim.engines.mesa import release as _release
from wom_sim.engines.numpy import NumpyEngine  # noqa: E402
from wom_sim.execution import make_graph
from wom_sim.seeding import plan_seeds  # noqa: E402
from wom_sim.streams import stream  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def scenarios(quick: bool) -> list[tuple[str, object, int]]:
    big = 5_000 if quick else 20_000
    return [
        ("aisas_classroom (WS 300)", wom_sim.load_scenario(ROOT / "scenarios/aisas_classroom.toml"),
         5 if quick else 20),
        ("sicas_classroom (WS 300)", wom_sim.load_scenario(ROOT / "scenarios/sicas_classroom.toml"),
         5 if quick else 20),
        (f"kol_launch (BA {big:,}, m=5)",
         wom_sim.load_scenario(ROOT / "scenarios/kol_launch.toml", [f"graph.n={big}"]), 2 if quick else 3),
    ]


def time_engine(eng, sc, plan, reps: int) -> tuple[float, np.ndarray]:
    seed = sc.scenario.seed
    eng.run_replicate(stream(seed, 2, 10_000), kols=plan.for_replicate(0))  # warm-up
    t0 = time.perf_counter()
    out = [eng.run_replicate(stream(seed, 2, r), kols=plan.for_replicate(r)) for r in range(reps)]
    return (time.perf_counter() - t0) / reps, np.stack(out)


def mesa_setup_seconds(eng: MesaEngine, sc, plan, reps: int) -> float:
    """Building one replicate's Mesa model alone (agents, Network, DataCollector)."""
    cls = BassModel if sc.wom.mode == "bass" else WomModel
    t0 = time.perf_counter()
    for r in range(reps):
        _release(cls(eng, stream(sc.scenario.seed, 2, r), plan.for_replicate(r)))
    return (time.perf_counter() - t0) / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print_header("Mesa agent engine vs NumPy engine: time per agent-step")
    print(f"mesa {package_version('mesa')}, networkx {package_version('networkx')}\n")
    rows, records = [], []
    for label, sc, reps in scenarios(args.quick):
        graph = make_graph(sc)
        plan = plan_seeds(graph, sc)
        n, steps = graph.n, sc.scenario.steps
        agent_steps = n * steps
        np_eng, mesa_eng = NumpyEngine(graph, sc), MesaEngine(graph, sc)
        t_np, out_np = time_engine(np_eng, sc, plan, reps)
        t_mesa, out_mesa = time_engine(mesa_eng, sc, plan, reps)
        setup = mesa_setup_seconds(mesa_eng, sc, plan, min(reps, 3))
        col = np_eng.metrics.index("adopters")
        rec = {
            "scenario": label, "agents": n, "steps": steps, "replicates": reps,
            "numpy_s_per_replicate": t_np, "mesa_s_per_replicate": t_mesa, "mesa_setup_s": setup,
            "numpy_us_per_agent_step": t_np / agent_steps * 1e6,
            "mesa_us_per_agent_step": t_mesa / agent_steps * 1e6,
            "mesa_steps_only_us_per_agent_step": max(t_mesa - setup, 0.0) / agent_steps * 1e6,
            "mean_final_adopters": {"numpy": float(out_np[:, -1, col].mean()),
                                    "mesa": float(out_mesa[:, -1, col].mean())},
        }
        records.append(rec)
        rows.append([label, f"{n:,}", steps, reps,
                     f"{t_np * 1e3:.1f} ms", f"{rec['numpy_us_per_agent_step']:.2f}",
                     f"{t_mesa:.2f} s", f"{setup:.2f} s", f"{rec['mesa_us_per_agent_step']:.2f}",
                     f"{rec['mesa_steps_only_us_per_agent_step']:.2f}",
                     f"{rec['mesa_us_per_agent_step'] / rec['numpy_us_per_agent_step']:.0f}x",
                     f"{rec['mean_final_adopters']['numpy']:.0f} / {rec['mean_final_adopters']['mesa']:.0f}"])
        print(f"done: {label}")
        sys.stdout.flush()
    print()
    print(table(["scenario", "agents", "steps", "reps", "numpy / rep", "numpy µs/agent-step",
                 "mesa / rep", "mesa setup / rep", "mesa µs/agent-step", "mesa steps only µs",
                 "mesa / numpy", "final adopters numpy / mesa"], rows))
    path = save_json("bench_mesa.json", {"machine": machine_info(), "mesa": package_version("mesa"),
                                         "results": records})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
