"""The memory guard: estimate a scenario's peak bytes before allocating anything,
and refuse, with the estimate in GB, what would not fit. Per-kind build costs come
from the graph-kind catalog (measured, benchmarks/)."""
from __future__ import annotations

import os

from ..catalogs import GRAPH_KINDS
from ..engines.numpy.ic import IC_AGENT_BYTES, IC_ROW_BYTES, ic_ineligible
from ..engines.numpy.replicate import row_shift
from ..errors import MemoryBudgetError
from ..graphs.build import expected_arcs
from ..scenario import Scenario

#: bytes per stored arc (int32 index) and per weighted arc (float32)
ARC_BYTES = 4
#: replicate state per agent: stage, experience, valence, flags (int8/bool),
#: tells_left and scratch (int32), out-degree (int64), active-set headroom
AGENT_BYTES = 40
#: retell mode adds each agent's place in the telling plans (int64) and the plans
PLAN_BYTES = 16
#: per message of one step: receiver (int32), owner and sort keys (int64), inbox counts
MESSAGE_BYTES = 24
#: the state of one batch of replicates (the NumPy core runs many replicates of a small
#: graph as one problem) stays within this; bigger batches gain little (benchmarks/)
BATCH_BYTES = 64_000_000
#: and a batch holds at most this many replicates (the general engine's curve is flat from
#: 32 to 64 on 10k agents and rises above; bench_batch.py; the IC kernel: IC_MAX_BATCH),
#: or as many as make MAX_BATCH_ROWS agent rows on a tiny graph, where a step's fixed cost
#: still dominates at 128 (full model, 60 steps, per replicate, 2026-12-03: 300 agents 0.68
#: ms in batches of 128, 0.40 in 512, 0.47 in 2,048; 1,000 agents 1.17, 1.09, 1.14 in 1,024)
MAX_BATCH = 128
MAX_BATCH_ROWS = 1 << 18
#: the IC kernel's batches hold stamps (one int32 per agent row) of at most this many
#: bytes, and a batch of fewer than IC_MIN_BATCH replicates runs one at a time instead
#: (the one-replicate path has no per-replicate bookkeeping). Measured per cascade, BA
#: m = 5, IC p = 0.05 (2026-12-03, notes/batch.md): 1M agents 3.4-3.6 ms alone, 4.35 in
#: threes, 3.8 in eights and sixteens; 500k 1.9-2.1 alone, 2.3 in fours, 1.8-2.2 in
#: sixteens; 300k 1.5 alone, 1.35 in eights, 1.2 in sixteens; 100k 410-450 us in 37s,
#: 387-397 in 64s and 128s; 10k 75-77 us in 128s, 65-66 in 250s, 75-101 in one of 500
IC_BATCH_BYTES = 32_000_000
IC_MIN_BATCH = 12
IC_MAX_BATCH = 256
#: a bare `wom-sim run` process: the interpreter with numpy, scipy, pandas, matplotlib (measured 119 MB)
BASE_BYTES = 120_000_000


def n_agents_hint(sc: Scenario) -> int:
    n = sc.graph.n_nodes()
    if n is None:  # edge list: about one node per two lines is a safe upper guess
        arcs = expected_arcs(sc.graph)
        n = max(arcs // 2, 1)
    return n


def messages_per_step(sc: Scenario, n: int, arcs: int) -> int:
    """The messages of one step to budget for: what sizes the step's buffers.

    retell: a quarter of every agent telling `tells_per_step`; cascade: every arc of the
    graph trying at the larger of T and kol_reach; bass sends none but builds a
    neighbour sum per arc."""
    w = sc.wom
    links = arcs if arcs else n * max(w.tells_per_step, 1)  # complete mixing has no arcs
    if w.mode == "bass":
        return arcs // 2
    if w.mode == "cascade":
        return int(links * min(1.0, max(w.transmissibility, sc.seeding.kol_reach)))
    # retell: at most every agent telling tells_per_step at once; the default model's
    # busiest step sends 4.8% of that (1M agents, measured), so a quarter keeps 5x room
    return min(links, n * w.tells_per_step) // 4


def replicate_bytes(sc: Scenario, n: int, arcs: int, batched: bool = True) -> int:
    """The state of one replicate: per agent (rows padded to a power of two in a batch
    of the general engine) and per message of a step."""
    if ic_ineligible(sc) is None:  # the IC kernel keeps one int32 per agent row, n rows a replicate
        agent, rows = IC_ROW_BYTES, n
    else:
        agent = AGENT_BYTES + (PLAN_BYTES if sc.wom.mode == "retell" else 0)
        rows = 1 << row_shift(n) if batched else n
    return agent * rows + MESSAGE_BYTES * messages_per_step(sc, n, arcs)


def batch_size(sc: Scenario, n: int | None = None, arcs: int | None = None) -> int:
    """How many replicates the NumPy core runs at once: as many as fit in BATCH_BYTES
    (at most MAX_BATCH and the scenario's replicates); 1 for the Mesa engine. The
    numbers do not depend on it (streams.Draws)."""
    if sc.scenario.engine == "mesa":
        return 1
    return numpy_batch(sc, n, arcs, sc.scenario.replicates)


def even_batch(count: int, batch: int) -> int:
    """The batch size that splits `count` replicates into as few batches as `batch`
    allows, all of (nearly) equal size: 200 at 61 a batch is 4 of 50, not a last one of
    17 that pays a step's fixed cost for few replicates."""
    if count <= 0:
        return 1
    return -(-count // -(-count // max(batch, 1)))


def numpy_batch(sc: Scenario, n: int | None = None, arcs: int | None = None, runs: int = MAX_BATCH) -> int:
    """The NumPy core's batch for `runs` runs of this scenario: as many as fit in
    BATCH_BYTES, at most MAX_BATCH (whatever scenario.engine says: simulated seeding
    runs the NumPy core for any scenario)."""
    n = n_agents_hint(sc) if n is None else n
    arcs = expected_arcs(sc.graph) if arcs is None else arcs
    if ic_ineligible(sc) is None:  # the IC kernel: what its steps touch at random is the stamp
        b = IC_BATCH_BYTES // (IC_ROW_BYTES * n)
        if b < IC_MIN_BATCH:
            b = 1  # graphs this big run the kernel's one-replicate path, faster than small batches
        return int(max(1, min(IC_MAX_BATCH, runs, b)))
    b = BATCH_BYTES // max(replicate_bytes(sc, n, arcs), 1)
    return int(max(1, min(max(MAX_BATCH, MAX_BATCH_ROWS >> row_shift(n)), runs, b)))


def estimate_bytes(sc: Scenario, workers: int = 1, n: int | None = None, arcs: int | None = None) -> int:
    """Peak resident bytes of `wom-sim run` for this scenario: the larger of the graph
    build and the simulation (measured within 20% for the generators; benchmarks/).
    `n` and `arcs`: the true size, once an edge list has been read."""
    n = n_agents_hint(sc) if n is None else n
    arcs = expected_arcs(sc.graph) if arcs is None else arcs
    graph = 8 * (n + 1) + ARC_BYTES * arcs * (2 if sc.graph.weighted else 1)
    build = GRAPH_KINDS[sc.graph.kind].build_bytes_per_arc * arcs + 8 * n
    b = batch_size(sc, n, arcs)
    state = replicate_bytes(sc, n, arcs, batched=False) if b == 1 else b * replicate_bytes(sc, n, arcs)
    results = 8 * sc.scenario.replicates * (sc.scenario.steps + 1) * 64
    shared = IC_AGENT_BYTES * n if ic_ineligible(sc) is None else 0  # the IC kernel's per-agent arrays
    run = graph + shared + workers * state + results
    return int(max(build, run) + BASE_BYTES)


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


def check_fits(sc: Scenario, workers: int = 1, n: int | None = None, arcs: int | None = None) -> int:
    """Refuse, with the estimate, a scenario that would not fit; return the estimate.
    Called before anything is built, and again with the true `n` and `arcs` once an
    edge list has been read (before its graph is allocated)."""
    need = estimate_bytes(sc, workers, n, arcs)
    have = available_bytes()
    if need > have:
        known = n is not None
        n = n_agents_hint(sc) if n is None else n
        arcs = expected_arcs(sc.graph) if arcs is None else arcs
        fix = ("Use a smaller edge list" if sc.graph.kind == "edgelist" else "Lower graph.n or the mean degree")
        raise MemoryBudgetError(
            f"{sc.source}: this scenario needs about {need / 1e9:.1f} GB of memory "
            f"({n:,} agents, {'' if known else '~'}{arcs:,} arcs, {workers} worker(s)) "
            f"but only {have / 1e9:.1f} GB is available. {fix}, "
            f"use fewer workers, or set WOM_SIM_MAX_MEMORY_GB if you know better.")
    return need


def check_grid_fits(points: list[tuple[str, Scenario]], workers: int) -> None:
    """Refuse a grid (named scenarios, run `workers` at a time) whose largest point
    would not fit, before any point runs."""
    label, worst = max(points, key=lambda p: estimate_bytes(p[1]))
    need = workers * estimate_bytes(worst)
    have = available_bytes()
    if need > have:
        raise MemoryBudgetError(
            f"{worst.source}: the largest sweep point ({label}: {n_agents_hint(worst):,} agents) needs about "
            f"{need / 1e9:.1f} GB with {workers} worker(s), but only {have / 1e9:.1f} GB is available. Use fewer "
            f"--workers or smaller graphs (set WOM_SIM_MAX_MEMORY_GB if you know better).")
