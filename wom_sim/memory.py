"""The memory guard: estimate a scenario's peak bytes before allocating anything,
and refuse, with the estimate in GB, what would not fit."""
from __future__ import annotations

import os

from .errors import MemoryBudgetError
from .graphs.build import expected_arcs
from .scenario import Scenario

#: bytes per arc while a generator builds (int64 endpoint pairs, sort keys, order)
BUILD_BYTES_PER_ARC = 40
#: bytes per stored arc (int32 index) and per weighted arc (float32)
ARC_BYTES = 4
#: replicate state per agent: stage, experience, valence, flags (int8/bool) and
#: tells_left, scratch (int32), out-degree (int64), active-set headroom
AGENT_BYTES = 48
#: message buffers of one step, per arc of the graph in the worst case
STEP_BYTES_PER_ARC = 12


def n_agents_hint(sc: Scenario) -> int:
    n = sc.graph.n_nodes()
    if n is None:  # edge list: about one node per two lines is a safe upper guess
        arcs = expected_arcs(sc.graph)
        n = max(arcs // 2, 1)
    return n


def estimate_bytes(sc: Scenario, workers: int = 1) -> int:
    """Peak resident bytes of `wom-sim run` for this scenario (an upper estimate)."""
    n = n_agents_hint(sc)
    arcs = expected_arcs(sc.graph)
    graph = 8 * (n + 1) + ARC_BYTES * arcs * (2 if sc.graph.weighted else 1)
    build = BUILD_BYTES_PER_ARC * arcs + graph
    run = graph + workers * (AGENT_BYTES * n + STEP_BYTES_PER_ARC * arcs)
    return int(max(build, run) + 150e6)  # + interpreter and libraries


def available_bytes() -> int:
    """Memory we may use: WOM_SIM_MAX_MEMORY_GB if set, else MemAvailable."""
    env = os.environ.get("WOM_SIM_MAX_MEMORY_GB")
    if env:
        try:
            return int(float(env) * 1e9)
        except ValueError:
            raise MemoryBudgetError(f"WOM_SIM_MAX_MEMORY_GB={env!r} is not a number of GB") from None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def check_fits(sc: Scenario, workers: int = 1) -> int:
    need = estimate_bytes(sc, workers)
    have = available_bytes()
    if need > have:
        raise MemoryBudgetError(
            f"{sc.source}: this scenario needs about {need / 1e9:.1f} GB of memory "
            f"({n_agents_hint(sc):,} agents, ~{expected_arcs(sc.graph):,} arcs, {workers} worker(s)) "
            f"but only {have / 1e9:.1f} GB is available. Lower graph.n or the mean degree, "
            f"use fewer workers, or set WOM_SIM_MAX_MEMORY_GB if you know better.")
    return need
