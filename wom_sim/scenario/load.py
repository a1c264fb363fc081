"""Reading a scenario: TOML files, dicts, `--set` overrides, the [sweep] grid, and
error messages that name the file, the key, the bad value and the fix.

Why pydantic v2 (schema.py): one declaration per key gives the type check, the range
check, the default, and the documentation that `wom-sim defaults` prints, so the three
can never drift apart; its error locations give us the key path for our own messages.
"""
from __future__ import annotations

import copy
import importlib.util
import itertools
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ScenarioError, WomSimError
from ..files import check_input_file
from .schema import GRAPH_PARAMS, SECTIONS, GraphSpec, Scenario
from .schema import nearest as _nearest

# ----------------------------------------------------------------------------- errors


def _valid_keys_at(loc: tuple) -> list[str]:
    if len(loc) <= 1:
        return [*SECTIONS, "sweep"]
    model = SECTIONS.get(str(loc[0]))
    return list(model.model_fields) if model else []


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc) if loc else "(top level)"
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            valid = _valid_keys_at(loc)
            where = f"section [{loc[0]}]" if len(loc) > 1 else "the top level"
            lines.append(f"unknown key '{key}' in {where}{_nearest(loc[-1], valid)}; valid keys: {', '.join(valid)}")
            continue
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "literal_error":
            allowed = err.get("ctx", {}).get("expected", "")
            options = [a.strip(" '") for a in str(allowed).replace(" or ", ",").split(",")]
            msg = f"must be one of {allowed}{_nearest(value, options)}"
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if not loc and err["type"] == "value_error":
            lines.append(msg)  # a check across sections: the message names its keys
        elif isinstance(value, dict) and err["type"] not in ("dict_type", "model_type"):
            # a check across keys of one section: name the key when the message starts with it
            lines.append(f"{key}.{msg}" if re.match(r"^\w+ = ", msg) else f"{key}: {msg}")
        else:
            lines.append(f"{key} = {shown}: {msg}")
    head = f"{source}: invalid scenario ({len(lines)} problem{'s' if len(lines) != 1 else ''})"
    return head + "\n" + "\n".join(f"  - {ln}" for ln in lines) + \
        "\n  Fix the key(s) above; `wom-sim defaults` lists every key with its range."


def _check_unused_graph_params(raw: dict, source: str) -> None:
    g = raw.get("graph")
    if not isinstance(g, dict):
        return
    kind = g.get("kind", GraphSpec.model_fields["kind"].default)
    if not isinstance(kind, str) or kind not in GRAPH_PARAMS:
        return  # the schema reports the bad kind
    takes = GRAPH_PARAMS[kind]
    stray = [k for k in g if k != "kind" and k in GraphSpec.model_fields and k not in takes]
    if stray:
        raise ScenarioError(
            f"{source}: invalid scenario (1 problem)\n  - graph.{stray[0]}: kind = '{kind}' does not take "
            f"'{stray[0]}'; it takes {', '.join(takes)}. Remove the key or change graph.kind.")


def _reject_nonfinite(obj: Any, path: str, source: str) -> None:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - {path} = {obj}: must be a finite number")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _reject_nonfinite(v, f"{path}.{k}" if path else str(k), source)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _reject_nonfinite(v, f"{path}[{i}]", source)


# ----------------------------------------------------------------------------- loading


def validate_dict(raw: dict, source: str = "<dict>", base_dir: Path | None = None) -> Scenario:
    """Validate a raw scenario mapping; raise ScenarioError with every problem listed."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario must be a table of sections, got {type(raw).__name__}")
    for sec, body in raw.items():
        if sec in SECTIONS and not isinstance(body, dict):
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - [{sec}] must be a table "
                                f"(write it as a [{sec}] section with key = value lines), got {body!r}")
    _reject_nonfinite(raw, "", source)
    _check_unused_graph_params(raw, source)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source)) from None
    sc._source = source
    if sc.graph.kind == "edgelist" and base_dir is not None and not Path(sc.graph.path).is_absolute():
        sc.graph.path = str((base_dir / sc.graph.path).resolve())
    _check_sweep(sc, source)
    return sc


#: a scenario is a few KB; anything far larger is the wrong file (and is not read into memory)
MAX_SCENARIO_BYTES = 10_000_000


def read_toml(path: str | Path) -> dict:
    p = Path(path)
    if not p.exists():
        names = bundled_names()
        raise ScenarioError(f"{p}: no such scenario file. Check the path, or name a bundled scenario: "
                            f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''} (`wom-sim scenarios` lists "
                            f"them).")
    if p.is_dir():
        raise ScenarioError(f"{p}: is a folder, not a scenario file; name a .toml file inside it.")
    try:
        check_input_file(p, "scenario file", MAX_SCENARIO_BYTES)
    except WomSimError as exc:
        raise ScenarioError(str(exc)) from None
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario file ({exc.strerror or exc}); "
                            "check its permissions.") from None
    if not data.strip():
        raise ScenarioError(f"{p}: the file is empty; a scenario needs at least one section, "
                            "e.g. [scenario] name = \"...\" (every key has a default).")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: not a UTF-8 text file (byte {exc.start} is 0x{data[exc.start]:02x}); "
                            "save the scenario as UTF-8 TOML.") from None
    if "\x00" in text:
        raise ScenarioError(f"{p}: looks like a binary file (it contains NUL bytes), not a TOML scenario.")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p}: not valid TOML: {exc}. Fix the line it names (strings need quotes, "
                            "sections are written [name], keys as key = value).") from None
    except RecursionError:
        raise ScenarioError(f"{p}: not valid TOML: arrays or tables are nested too deeply; "
                            "a scenario holds sections of key = value lines.") from None
    if not raw:
        raise ScenarioError(f"{p}: holds only comments and blank lines; a scenario needs at least one section, "
                            "e.g. [scenario] name = \"...\" (every key has a default).")
    return raw


#: no scenario value needs more brackets than this; deeper input would only exhaust the parser's stack
MAX_NESTING = 64


def parse_override(item: str) -> tuple[list[str], Any]:
    """`section.key=value` -> (["section", "key"], value parsed as TOML, else a string)."""
    if "=" not in item:
        raise ScenarioError(f"--set {item!r}: expected section.key=value, e.g. --set response.delay=4")
    key, _, text = item.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if len(parts) != 2 or not all(parts):
        raise ScenarioError(f"--set {item!r}: the key must be section.key, e.g. wom.negative_tells")
    text = text.strip()
    if text.count("[") + text.count("{") > MAX_NESTING:
        raise ScenarioError(f"--set {item[:60]!r}...: the value is nested too deeply; give a number, a word or "
                            f"a flat list, e.g. --set response.delay=4")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    except RecursionError:
        raise ScenarioError(f"--set {item!r}: the value is nested too deeply; give a number, a word or a "
                            f"flat list, e.g. --set response.delay=4") from None
    return parts, value


def apply_overrides(raw: dict, overrides: list[str] | tuple[str, ...], source: str) -> dict:
    raw = copy.deepcopy(raw)
    for item in overrides:
        (sec, key), value = parse_override(item)
        if sec not in SECTIONS:
            raise ScenarioError(f"--set {item!r}: unknown section '{sec}'{_nearest(sec, SECTIONS)}; "
                                f"sections: {', '.join(SECTIONS)}")
        body = raw.setdefault(sec, {})
        if not isinstance(body, dict):
            raise ScenarioError(f"{source}: [{sec}] is not a table; cannot apply --set {item!r}")
        body[key] = value
        if sec == "graph" and key == "kind" and isinstance(value, str) and value in GRAPH_PARAMS:
            # switching the kind from the command line: drop what the new kind does not take
            for k in [k for k in body if k not in ("kind", *GRAPH_PARAMS[value])]:
                del body[k]
    return raw


def _bundled_folder() -> Path | None:
    """Where the bundled scenarios are: the package wom_sim.bundled, else the source
    checkout's scenarios/ folder.

    wom_sim.bundled is a namespace package (scenarios/ has no __init__.py), for which
    importlib.resources returns a MultiplexedPath whose str() is not a path: its folder
    comes from the import spec's search locations instead."""
    try:
        spec = importlib.util.find_spec("wom_sim.bundled")
    except (ModuleNotFoundError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec is not None else []:
        folder = Path(loc)
        if folder.is_dir() and any(folder.glob("*.toml")):
            return folder
    local = Path(__file__).resolve().parents[2] / "scenarios"
    return local if local.is_dir() else None


def bundled_names() -> list[str]:
    """The bundled scenarios by name (file name without .toml), sorted."""
    folder = _bundled_folder()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder is not None else []


def resolve_source(source: str | Path) -> Path:
    """A scenario path as given, or, when no such file exists and it names a bundled
    scenario ("quickstart" or "quickstart.toml", from any folder), that scenario."""
    p = Path(source)
    if p.exists() or p.parent != Path("."):
        return p
    name = p.name if p.suffix == ".toml" else p.name + ".toml"
    if Path(name).stem in bundled_names():
        return bundled_path(name)
    return p


def bundled_path(name: str) -> Path:
    """A scenario file shipped with wom-sim (the classroom scenarios `teach` and `ui` use).

    The files live once, in the repository's scenarios/ folder; pyproject.toml maps it
    onto the package ``wom_sim.bundled`` so that a non-editable install ships them, and
    a source checkout (or an editable install made before that mapping) finds them
    beside the package."""
    folder = _bundled_folder()
    if folder is not None and (folder / name).is_file():
        return folder / name
    raise ScenarioError(f"the bundled scenario {name} is missing from this installation; "
                        f"name a scenario file instead (e.g. path/to/{name})")


def load_scenario(source: str | Path | dict | Scenario, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario from a TOML path, a dict, or a Scenario (copied),
    with `overrides` as `--set` takes them ("section.key=value"). Every key not given
    takes its default; a bad key or value raises ScenarioError naming it and the fix.

    >>> sc = load_scenario({"graph": {"kind": "erdos_renyi", "n": 500}}, ["response.delay=4"])
    >>> sc.graph.kind, sc.graph.mean_degree, sc.response.delay
    ('erdos_renyi', 10.0, 4)
    >>> load_scenario("scenarios/quickstart.toml").scenario.name
    'Quickstart: KOL launch, AISAS funnel'
    >>> load_scenario("quickstart").scenario.name        # a bundled scenario, from any folder
    'Quickstart: KOL launch, AISAS funnel'
    """
    if isinstance(source, Scenario):
        raw, name, base = source.to_dict(), source.source, None
    elif isinstance(source, dict):
        raw, name, base = source, "<dict>", None
    else:
        p = resolve_source(source)
        raw, name, base = read_toml(p), str(p), p.resolve().parent
    raw = apply_overrides(raw, overrides, name)
    return validate_dict(raw, name, base)


def _check_sweep(sc: Scenario, source: str) -> None:
    """Every [sweep] key must be a known section.key, and every value valid on its own in
    the base scenario (so `run` and `validate` refuse what `sweep` would; values that only
    clash in combination are reported by sweep.expand)."""
    base = None
    for key, values in sc.sweep.items():
        parts = key.split(".")
        if len(parts) == 2 and parts[0] not in SECTIONS:
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - sweep.\"{key}\": unknown section "
                                f"'{parts[0]}'{_nearest(parts[0], SECTIONS)}; sections: {', '.join(SECTIONS)}")
        if len(parts) != 2:
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - sweep.\"{key}\": sweep keys are "
                                f"dotted section.key names, e.g. \"response.delay\"")
        sec, k = parts
        if k not in SECTIONS[sec].model_fields:
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - sweep.\"{key}\": unknown key "
                                f"'{k}' in [{sec}]{_nearest(k, SECTIONS[sec].model_fields)}")
        if not values:
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n"
                                f"  - sweep.\"{key}\" = []: give at least one value")
        if base is None:  # the grid's points are built like this (sweep.expand)
            base = sc.to_dict()
            base.pop("sweep", None)
        for value in values:
            raw = apply_point(base, {key: value})
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            try:
                validate_dict(raw, f"{source} [sweep: \"{key}\" = {shown}]")
            except ScenarioError as exc:
                raise ScenarioError(f"{exc}\n"
                                    "  The value comes from the [sweep] table: fix or remove it there.") from None


def apply_point(base: dict, combo: dict[str, Any]) -> dict:
    """A sweep point: the resolved scenario `base` with dotted keys set from `combo`.
    A point of another graph kind keeps only the graph keys that kind takes. Each section
    is a new dict; values inside (lists) are shared with `base`, which validation only
    reads (a deep copy cost a fit a sixth of its time)."""
    raw = {sec: dict(body) if isinstance(body, dict) else body for sec, body in base.items()}
    for key, value in combo.items():
        sec, k = key.split(".")
        raw[sec][k] = value
    kind = combo.get("graph.kind")
    if isinstance(kind, str) and kind in GRAPH_PARAMS:
        raw["graph"] = {k: v for k, v in raw["graph"].items() if k == "kind" or k in GRAPH_PARAMS[kind]}
    return raw


def sweep_points(sc: Scenario) -> list[dict[str, Any]]:
    """Every combination of the [sweep] grid, in a deterministic order."""
    keys = list(sc.sweep)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(sc.sweep[k] for k in keys))]


