"""The classroom scenarios `wom-sim teach` uses by default, and the pair of scenarios a
lesson runs.

The scenario files live once, in the repository's top-level ``scenarios/`` folder
(found by `wom_sim.scenario.bundled_path`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ScenarioError
from ..scenario import Scenario, bundled_path, load_scenario, validate_dict

#: the built-in scenario of each funnel
CLASSROOM = {"aisas": "aisas_classroom.toml", "sicas": "sicas_classroom.toml"}
MODES = ("aisas", "sicas", "compare")
#: keys that may differ between the two files of a comparison without changing the run
_COSMETIC = {"scenario.name", "output.dir", "output.plots"}


@dataclass
class Lesson:
    """What a lesson runs: one scenario per funnel (AISAS first), and notes for the
    handout about how they were put together."""
    mode: str
    scenarios: list[Scenario]
    sources: list[str]
    notes: list[str] = field(default_factory=list)


def _flat(sc: Scenario) -> dict[str, object]:
    return {f"{sec}.{k}": v for sec, body in sc.to_dict().items() if isinstance(body, dict)
            for k, v in body.items()}


def _with_funnel(base: Scenario, funnel: dict, name: str, source: str) -> Scenario:
    """`base` with its [funnel] section replaced: same graph, seed, KOLs, everything else."""
    raw = base.to_dict()
    raw["funnel"] = funnel
    raw["scenario"]["name"] = name
    raw.pop("sweep", None)
    return validate_dict(raw, source)


def _check(sc: Scenario, source: str, kind: str | None = None) -> None:
    """Teaching runs the AISAS and SICAS funnels with retelling or cascades."""
    if sc.wom.mode == "bass":
        raise ScenarioError(f"{source}: wom.mode = 'bass' has no funnel to teach; "
                            "use wom.mode = 'retell' or 'cascade'")
    if kind is not None and sc.funnel.kind != kind:
        raise ScenarioError(f"{source}: funnel.kind = {sc.funnel.kind!r}, but `wom-sim teach {kind}` teaches the "
                            f"{kind} funnel; add --set funnel.kind={kind}, or use `wom-sim teach compare`")
    if sc.funnel.kind not in ("aisas", "sicas"):
        raise ScenarioError(f"{source}: funnel.kind = {sc.funnel.kind!r}: `wom-sim teach` explains the aisas and "
                            "sicas funnels; add --set funnel.kind=aisas (or sicas)")


def lesson(mode: str, scenario: str | None, sets: tuple[str, ...] | list[str] = (),
           replicates: int | None = None, seed: int | None = None) -> Lesson:
    """Load the scenarios of a lesson.

    aisas/sicas: the given file (default: the bundled classroom file of that funnel).
    compare: AISAS and SICAS on one graph, seed and KOLs. With no file, the bundled
    AISAS file is the base and the SICAS file gives the [funnel] section; any other key
    where the two files differ is taken from the AISAS file, and the handout says so.
    With a file, it runs once as AISAS and once as SICAS (only funnel.kind changes).
    """
    mode = mode.lower()
    if mode not in MODES:
        raise ScenarioError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    overrides = list(sets)
    if replicates is not None:
        overrides.append(f"scenario.replicates={replicates}")
    if seed is not None:
        overrides.append(f"scenario.seed={seed}")
    if mode != "compare":
        path = scenario or str(bundled_path(CLASSROOM[mode]))
        sc = load_scenario(path, overrides)
        _check(sc, path, mode)
        return Lesson(mode, [sc], [path])
    if scenario is not None:
        base = load_scenario(scenario, overrides)
        _check(base, scenario)
        other = "sicas" if base.funnel.kind == "aisas" else "aisas"
        swapped = {**base.to_dict()["funnel"], "kind": other}
        twin = _with_funnel(base, swapped, f"{base.scenario.name} ({other.upper()})",
                            f"{scenario} [funnel.kind = {other}]")
        pair = [base, twin] if base.funnel.kind == "aisas" else [twin, base]
        note = (f"Both runs use {Path(scenario).name}; only funnel.kind differs "
                f"(the {other.upper()} run sets funnel.kind = {other!r} and keeps every other key).")
        return Lesson(mode, pair, [scenario, scenario], [note])
    pa, ps = str(bundled_path(CLASSROOM["aisas"])), str(bundled_path(CLASSROOM["sicas"]))
    a = load_scenario(pa, overrides)
    s_file = load_scenario(ps, overrides)
    _check(a, pa, "aisas")
    _check(s_file, ps, "sicas")
    fa, fs = _flat(a), _flat(s_file)
    differ = sorted(k for k in fa if not k.startswith("funnel.") and k not in _COSMETIC and fa[k] != fs.get(k))
    s = _with_funnel(a, s_file.to_dict()["funnel"], s_file.scenario.name, f"{ps} [other sections from {Path(pa).name}]")
    notes = [f"AISAS uses {Path(pa).name}; SICAS uses the [funnel] section of {Path(ps).name} on the same graph, "
             "seed, KOLs and every other setting."]
    if differ:
        shown = ", ".join(f"`{k}` ({fs.get(k)!r} in {Path(ps).name})" for k in differ)
        notes.append(f"The two files differ outside [funnel] in {shown}; the AISAS file's values are used for both "
                     "runs, so that only the funnel differs.")
    return Lesson(mode, [a, s], [pa, ps], notes)
