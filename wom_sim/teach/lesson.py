"""A whole lesson: load the classroom scenario(s), build the graph and KOLs once, record
every funnel on them, then write figures, tables and the handout into one folder
atomically (staged beside it, moved in when complete, as RunResult.save does)."""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import WomSimError
from ..execution import check_runnable, make_graph
from ..files import claim_folder, csv_text, staged_folder
from ..graphs.csr import CSRGraph
from ..meta import versions
from ..seeding import plan_seeds
from . import figures, handout, tables
from .bundled import Lesson, lesson
from .recorder import FunnelRecord, record

#: graphs up to this size are drawn whole; larger ones around the KOLs
DRAW_ALL = 2000
DRAW_AROUND_KOLS = 500
LAYOUT_SEED = 7


@dataclass
class LessonResult:
    """What `run_lesson` produced; the numbers are the rows written to the CSV tables."""
    out: Path
    lesson: Lesson
    records: list[FunnelRecord]
    stages: list[list[tables.Row]]
    conversions: list[list[tables.Row]]
    differences: list[list[tables.Row]]
    paired: tables.Row | None
    snapshot_step: int
    n_agents: int
    files: list[str] = field(default_factory=list)


def drawn_nodes(graph: CSRGraph, kols: np.ndarray) -> tuple[np.ndarray, str]:
    """The agents the network snapshot draws: all of a classroom-sized graph, else the
    KOLs and the agents nearest them (breadth-first), so the picture stays readable."""
    if graph.n <= DRAW_ALL:
        return np.arange(graph.n, dtype=np.int64), ""
    start = [int(k) for k in kols] or [int(np.argmax(graph.out_degree()))]
    seen = dict.fromkeys(start)
    queue = deque(start)
    while queue and len(seen) < DRAW_AROUND_KOLS:
        u = queue.popleft()
        for v in graph.neighbours(u).tolist():
            if v not in seen:
                seen[v] = None
                queue.append(v)
                if len(seen) >= DRAW_AROUND_KOLS:
                    break
    nodes = np.array(sorted(seen), dtype=np.int64)
    return nodes, (f"The network has {graph.n:,} agents, too many to draw: the picture shows the {nodes.size} agents "
                   "nearest the KOLs (the KOLs, their friends, their friends' friends, ...) and the friendships among "
                   "them.")


def mid_step(recs: list[FunnelRecord]) -> int:
    """Mid-diffusion: the first step at which the purchases after step 0 reach half of
    their final number (mean over replicates, averaged over the funnels)."""
    curves = [r.metric("adopters").mean(axis=0) for r in recs]
    gain = np.mean([c - c[0] for c in curves], axis=0)
    if gain[-1] <= 0:
        return len(gain) // 2
    return int(np.argmax(gain >= gain[-1] / 2))


_csv = csv_text


def _stages_csv(recs: list[FunnelRecord]) -> str:
    rows = []
    for rec in recs:
        series = tables.stage_series(rec)
        for t in range(rec.series.shape[1]):
            for s, (m, lo, hi) in series.items():
                rows.append([rec.kind, t, s, m[t], lo[t], hi[t]])
    return _csv(["funnel", "step", "stage", "mean", "ci_low", "ci_high"], rows)


def _conversion_csv(convs: list[list[tables.Row]]) -> str:
    rows = [[r.funnel, *r.key.split("->"), r.mean, r.lo, r.hi, r.num, r.den] for c in convs for r in c]
    return _csv(["funnel", "from", "to", "rate", "ci_low", "ci_high", "reached_next", "reached"], rows)


def _differences_csv(diffs: list[list[tables.Row]], paired: tables.Row | None) -> str:
    unit = {"%": "fraction", "pp": "fraction_difference"}
    rows = [[r.funnel, r.key, r.label, r.mean, r.lo, r.hi, unit.get(r.unit, r.unit), r.rule] for d in diffs for r in d]
    if paired is not None:
        rows.append([paired.funnel, paired.key, paired.label, paired.mean, paired.lo, paired.hi, paired.unit,
                     float("nan")])
    return _csv(["funnel", "key", "label", "value", "ci_low", "ci_high", "unit", "rule"], rows)


def run_lesson(mode: str, scenario: str | None = None, out: str | Path | None = None, *,
               sets: tuple[str, ...] | list[str] = (), replicates: int | None = None, seed: int | None = None,
               snapshot_step: int | None = None, formats: tuple[str, ...] = figures.FORMATS,
               command: str = "wom-sim teach", progress: Callable[[int, int], None] | None = None,
               force: bool = False, default_folder: bool = False, animate: bool = False) -> LessonResult:
    """Run a lesson (mode aisas | sicas | compare) and write DIR/handout.md, the figures
    (funnel, differences, network; each in every format), stages.csv, conversion.csv,
    differences.csv and lesson.json; with `animate`, spread.gif (teach/animate.py).
    `progress(done, total)` counts steps. The folder follows files.claim_folder
    (`force`; `default_folder` steps aside if taken)."""
    les = lesson(mode, scenario, sets, replicates, seed)
    named = out is not None and not default_folder
    out = claim_folder(Path(out) if out is not None else Path("results") / f"teach-{les.mode}", force=force,
                       default=not named, what="a lesson")
    base = les.scenarios[0]
    T = base.scenario.steps
    if snapshot_step is not None and not 0 <= snapshot_step <= T:
        raise WomSimError(f"--snapshot-step {snapshot_step}: the run has steps 0 to {T}; choose one of them")
    bad = [f for f in formats if f not in figures.FORMATS]
    if bad or not formats:
        raise WomSimError(f"--format {','.join(formats)}: choose png, svg or png,svg")
    notes = list(les.notes)
    if any(sc.scenario.engine == "mesa" for sc in les.scenarios):
        notes.append("scenario.engine = 'mesa' is set; the lesson runs the NumPy engine, which implements the same "
                     "rules (`wom-sim run` with the Mesa engine agrees statistically, not number for number).")
    check_runnable(base)
    graph = make_graph(base)
    plan = plan_seeds(graph, base)
    kols0 = np.asarray(plan.for_replicate(0), dtype=np.int64)
    if graph.complete:
        nodes, snap_note = np.zeros(0, dtype=np.int64), ("No network picture: graph.kind = 'complete' is mean-field "
                                                         "mixing, where everyone meets everyone.")
    else:
        nodes, snap_note = drawn_nodes(graph, kols0)
    total = T * sum(sc.scenario.replicates for sc in les.scenarios)
    recs: list[FunnelRecord] = []
    for sc in les.scenarios:
        offset = sum(r.scenario.scenario.replicates * T for r in recs)
        on_step: Callable[[int], None] | None = None
        if progress:  # (mypy cannot infer this lambda, with its default, inside a conditional expression)
            on_step = lambda d, o=offset: progress(o + d, total)
        recs.append(record(sc, graph, plan, nodes, on_step))
    stages = [tables.final_stages(r) for r in recs]
    convs = [tables.conversions(r) for r in recs]
    diffs = [tables.differences(r) for r in recs]
    paired = tables.paired_adopters(*recs) if len(recs) == 2 else None
    snap = mid_step(recs) if snapshot_step is None else snapshot_step
    snap_why = ("mid-diffusion: half of the purchases had happened" if snapshot_step is None
                else "chosen with --snapshot-step")
    if snap_note and nodes.size:
        notes.append(snap_note)

    files: list[Path] = []
    with staged_folder(out) as stage:
        files += figures.save(figures.funnel_figure(recs, convs), stage, "funnel", formats)
        fig_links = {"funnel": f"funnel.{formats[0]}"}
        if any(r.kind == "sicas" for r in recs):  # an AISAS lesson has no SICAS difference to measure
            files += figures.save(figures.differences_figure(recs, diffs), stage, "differences", formats)
            fig_links["differences"] = f"differences.{formats[0]}"
        if nodes.size:
            xy, edges = figures.layout(graph, nodes, LAYOUT_SEED)
            steps = [snap] if snap == T else [snap, T]
            kinds = " and ".join(r.kind.upper() for r in recs)
            cap = (f"The network coloured by stage ({kinds}, replicate 0; {nodes.size} agents drawn"
                   f"{' of ' + format(graph.n, ',') if nodes.size < graph.n else ''})")
            files += figures.save(figures.network_figure(recs, xy, edges, nodes, steps, cap), stage, "network", formats)
            fig_links["network"] = f"network.{formats[0]}"
            if animate:
                from .animate import animate as write_animation
                files += write_animation(recs, xy, edges, nodes, stage, cap.replace("The network coloured by stage",
                                                                                   "The spread"))
        elif animate:
            raise WomSimError("--animate: a complete (mean-field) graph has no network to animate")
        deg = graph.out_degree()
        text = handout.render(
            recs, stages, convs, diffs, paired, command=command, notes=notes, n_agents=graph.n,
            n_arcs=graph.n_arcs, directed=graph.directed, kols=kols0.tolist(), kol_degrees=deg[kols0].tolist(),
            snapshot_step=snap, snapshot_note=snap_why if nodes.size else snap_note, figures=fig_links,
            formats=formats, kols_per_replicate=plan.per_replicate)
        texts = {
            "handout.md": text,
            "stages.csv": _stages_csv(recs),
            "conversion.csv": _conversion_csv(convs),
            "differences.csv": _differences_csv(diffs, paired),
        }
        meta = {
            "mode": les.mode, "sources": les.sources, "notes": notes, "seed": base.scenario.seed,
            **base.scenario.unit.to_json(),
            "steps": T, "replicates": base.scenario.replicates, "n_agents": graph.n, "n_arcs": graph.n_arcs,
            "kols": plan.describe(), "snapshot_step": snap, "drawn_agents": int(nodes.size),
            "versions": versions(), "scenarios": {r.kind: r.scenario.to_dict() for r in recs},
        }
        texts["lesson.json"] = json.dumps(meta, indent=2) + "\n"
        for fname, body in texts.items():
            (stage / fname).write_text(body, encoding="utf-8")
            files.append(stage / fname)
    return LessonResult(out, les, recs, stages, convs, diffs, paired, snap, graph.n, sorted(p.name for p in files))


def animate_run(run_dir: str | Path, progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """spread.gif (and .mp4) of a `wom-sim run` folder's replicate 0: the scenario in its
    summary.json is run again for that replicate (the same stream and KOLs, so the same
    spread) with the teaching recorder, and the animation is written into the folder."""
    import os
    import tempfile

    from ..files import written_by_wom_sim
    from ..scenario import validate_dict
    from .animate import animate
    folder = Path(run_dir)
    try:
        summary = json.loads((folder / "summary.json").read_text())
        raw = summary["scenario"]
    except (OSError, ValueError, KeyError, TypeError):
        raise WomSimError(f"{folder}: not a `wom-sim run` folder (no readable summary.json); run a scenario first, "
                          f"e.g. wom-sim run quickstart, then wom-sim animate results/quickstart") from None
    if not written_by_wom_sim(folder):
        raise WomSimError(f"{folder}: was not written by wom-sim; animate writes only into wom-sim's run folders")
    sc = validate_dict({**raw, "scenario": {**raw["scenario"], "replicates": 1}}, f"{folder}/summary.json")
    if sc.wom.mode == "bass":
        raise WomSimError(f"{folder}: a Bass-mode run has no funnel stages or messages to animate")
    check_runnable(sc)
    graph = make_graph(sc)
    if graph.complete:
        raise WomSimError(f"{folder}: a complete (mean-field) graph has no network to animate")
    plan = plan_seeds(graph, sc)
    kols0 = np.asarray(plan.for_replicate(0), dtype=np.int64)
    nodes, note = drawn_nodes(graph, kols0)
    T = sc.scenario.steps
    rec = record(sc, graph, plan, nodes, (lambda d: progress(d, T)) if progress else None)
    xy, edges = figures.layout(graph, nodes, LAYOUT_SEED)
    cap = (f"{sc.scenario.name}: the spread (replicate 0; {nodes.size} agents drawn"
           f"{' of ' + format(graph.n, ',') + ', those nearest the KOLs' if note else ''})")
    paths: list[Path] = []
    # written beside, then moved in whole (os.replace is atomic on one file system)
    with tempfile.TemporaryDirectory(prefix=".animate.", dir=folder) as tmp:
        for p in animate([rec], xy, edges, nodes, Path(tmp), cap):
            os.replace(p, folder / p.name)
            paths.append(folder / p.name)
    return paths
