"""Scenario files: the typed schema (defaults, ranges, one line of meaning per key),
TOML loading, `--set` overrides, and errors a user can act on.

Why pydantic v2: one declaration per key gives the type check, the range check, the
default, and the documentation that `wom-sim defaults` prints, so the three can never
drift apart; its error locations give us the key path for our own messages.
"""
from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ScenarioError

# ----------------------------------------------------------------------------- sections


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)


def _no_nul(v: str) -> str:
    """A path with a NUL character cannot be opened; say so before anything runs."""
    if "\x00" in v:
        raise ValueError("contains a NUL character; give a plain file path")
    return v


class ScenarioMeta(_Section):
    name: str = Field("unnamed scenario", description="Title shown in reports and plots.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Master seed; replicate streams are spawned from it (numpy SeedSequence).")
    steps: int = Field(60, ge=1, le=100_000, description="Number of time steps simulated (step 0 is the initial state).")
    replicates: int = Field(30, ge=1, le=100_000, description="Independent replicates; results report the mean and a 95% interval.")
    engine: Literal["numpy", "mesa"] = Field("numpy", description="numpy: vectorized core for any size; mesa: agent engine for teaching (small graphs).")


GraphKind = Literal["erdos_renyi", "barabasi_albert", "watts_strogatz", "powerlaw_cluster",
                    "sbm", "chung_lu", "complete", "edgelist"]

#: the parameters each graph kind takes (besides `kind`); anything else is an error
GRAPH_PARAMS: dict[str, tuple[str, ...]] = {
    "erdos_renyi": ("n", "mean_degree", "directed"),
    "barabasi_albert": ("n", "m"),
    "watts_strogatz": ("n", "k", "p"),
    "powerlaw_cluster": ("n", "m", "p"),
    "sbm": ("sizes", "p_in", "p_out", "directed"),
    "chung_lu": ("n", "exponent", "mean_degree", "directed"),
    "complete": ("n",),
    "edgelist": ("path", "delimiter", "weighted", "directed"),
}


class GraphSpec(_Section):
    kind: GraphKind = Field("barabasi_albert", description="Graph family: " + " | ".join(GRAPH_PARAMS))
    n: int = Field(10_000, ge=2, le=2_000_000_000, description="Number of agents (all kinds but sbm and edgelist).")
    mean_degree: float = Field(10.0, gt=0, description="Mean degree (erdos_renyi, chung_lu); must be below n - 1.")
    m: int = Field(5, ge=1, description="Edges each new node attaches (barabasi_albert, powerlaw_cluster); below n.")
    k: int = Field(10, ge=2, description="Ring-lattice neighbours, even (watts_strogatz); below n.")
    p: float = Field(0.1, ge=0, le=1, description="Rewiring (watts_strogatz) or triad-formation (powerlaw_cluster) probability.")
    sizes: list[int] = Field(default_factory=lambda: [2500, 2500, 2500, 2500], description="Block sizes (sbm); n is their sum.")
    p_in: float = Field(0.004, ge=0, le=1, description="Edge probability inside a block (sbm).")
    p_out: float = Field(0.0002, ge=0, le=1, description="Edge probability between blocks (sbm).")
    exponent: float = Field(2.5, gt=2, le=10, description="Power-law exponent of expected degrees (chung_lu).")
    path: str = Field("", description="Edge-list file (edgelist); relative paths are read from the scenario's folder.")
    delimiter: Literal["whitespace", ","] = Field("whitespace", description="Column separator of the edge list.")
    weighted: bool = Field(False, description="Edge list has a third column: per-arc transmissibility in [0, 1].")
    directed: bool = Field(False, description="Arcs u -> v mean v follows u (erdos_renyi, sbm, chung_lu, edgelist).")

    _path_ok = field_validator("path")(_no_nul)

    @field_validator("sizes")
    @classmethod
    def _sizes_positive(cls, v: list[int]) -> list[int]:
        if not v or any(s < 1 for s in v):
            raise ValueError("sizes must be a non-empty list of positive block sizes, e.g. [500, 500]")
        return v

    @model_validator(mode="after")
    def _feasible(self) -> "GraphSpec":
        k = self.kind
        if k in ("barabasi_albert", "powerlaw_cluster") and self.m >= self.n:
            raise ValueError(f"m = {self.m} must be below n = {self.n} (each new node attaches m edges to earlier nodes)")
        if k in ("erdos_renyi", "chung_lu") and self.mean_degree >= self.n - 1:
            raise ValueError(f"mean_degree = {self.mean_degree} must be below n - 1 = {self.n - 1}")
        if k == "watts_strogatz":
            if self.k % 2:
                raise ValueError(f"k = {self.k} must be even (k/2 neighbours on each side of the ring)")
            if self.k >= self.n:
                raise ValueError(f"k = {self.k} must be below n = {self.n}")
        if k == "edgelist" and not self.path:
            raise ValueError("kind = 'edgelist' needs path = 'file.txt' (whitespace or comma separated 'u v [w]' lines)")
        return self

    def n_nodes(self) -> int | None:
        """Agents this spec makes, where known before reading any file."""
        if self.kind == "sbm":
            return sum(self.sizes)
        if self.kind == "edgelist":
            return None
        return self.n


FunnelKind = Literal["aisas", "sicas", "none", "custom"]


class FunnelSpec(_Section):
    kind: FunnelKind = Field("aisas", description="Consumer funnel: aisas | sicas | none (pure contagion) | custom.")
    positive_boost: float = Field(0.15, ge=0, le=1, description="Each positive message raises the advance probability: p = 1 - (1-base)(1-boost)^k.")
    advance: list[float] | None = Field(None, description="Base advance probability per step out of each pre-purchase stage; default per funnel (custom: required).")
    stages: list[str] | None = Field(None, description="custom: stage names in order; the last two are the purchase and the sharing stage.")
    message_stages: list[str] | None = Field(None, description="custom: pre-purchase stages whose advance positive messages boost (default: all).")
    brand_engagement: float = Field(0.3, ge=0, le=1, description="SICAS: advance lift at Interest & Interactive and Connect & Communicate for agents the brand has sensed.")
    skip: float = Field(0.02, ge=0, le=1, description="SICAS: probability per step of jumping from Sense straight to Action.")
    realtime_share: bool | None = Field(None, description="Sharers tell in the step they are made (default: true for sicas and none, false otherwise).")

    @model_validator(mode="after")
    def _custom_complete(self) -> "FunnelSpec":
        if self.kind == "custom":
            if not self.stages or len(self.stages) < 3:
                raise ValueError("a custom funnel needs stages = [...] with at least 3 names; the last two are the purchase and the sharing stage")
            if len(set(self.stages)) != len(self.stages):
                raise ValueError(f"stage names must be distinct, got {self.stages}")
            if self.advance is None or len(self.advance) != len(self.stages) - 2:
                raise ValueError(f"a custom funnel with {len(self.stages)} stages needs advance = [...] with {len(self.stages) - 2} probabilities (one per pre-purchase stage)")
            bad = set(self.message_stages or []) - set(self.stages[:-2])
            if bad:
                raise ValueError(f"message_stages {sorted(bad)} are not pre-purchase stages of {self.stages[:-2]}")
        if self.advance is not None and any(not (0 <= a <= 1) or math.isnan(a) for a in self.advance):
            raise ValueError(f"advance = {self.advance}: probabilities must lie in [0, 1]")
        need = {"aisas": 3, "sicas": 3, "none": 0}.get(self.kind)
        if need is not None and self.advance is not None and len(self.advance) != need:
            stages = {"aisas": "attention, interest, search", "sicas": "sense, interest_interactive, "
                      "connect_communicate", "none": "(none: hearing is deciding)"}[self.kind]
            raise ValueError(f"advance = {self.advance}: the {self.kind} funnel has {need} pre-purchase "
                             f"stages ({stages}), so give {need} probabilities")
        return self


class WomSpec(_Section):
    mode: Literal["retell", "cascade", "bass"] = Field("retell", description="retell: sharers tell k distinct neighbours per step; cascade: independent cascade; bass: Bass adoption.")
    positive_tells: float = Field(5.0, ge=0, le=10_000, description="retell: mean retellings after a positive experience.")
    negative_tells: float = Field(11.0, ge=0, le=10_000, description="retell: mean retellings after a negative experience.")
    tells_distribution: Literal["fixed", "poisson", "geometric"] = Field("poisson", description="Distribution of retellings around their mean (fixed rounds the mean; geometric has support 1, 2, ...).")
    tells_per_step: int = Field(2, ge=1, le=10_000, description="retell: distinct neighbours a sharer tells per step.")
    share_prob: float = Field(1.0, ge=0, le=1, description="Probability that a buyer (or contagion hearer) becomes a sharer.")
    share_prob_negative: float | None = Field(None, ge=0, le=1, description="Share probability after a negative experience (default: share_prob).")
    p_negative_experience: float = Field(0.1, ge=0, le=1, description="Probability that a purchase turns out badly.")
    reject_per_negative: float = Field(0.3, ge=0, le=1, description="Each negative message makes a not-yet-buying agent REJECTED with this probability.")
    rejecter_shares: float = Field(0.2, ge=0, le=1, description="Probability that a rejecter tells its own negative story.")
    p_external: float = Field(0.0, ge=0, le=1, description="Advertising: per-step probability that an unaware agent becomes aware (the Bass p).")
    q_imitation: float = Field(0.38, ge=0, le=1, description="bass: imitation coefficient q (adopt with min(1, p + q f)).")
    transmissibility: float = Field(0.05, ge=0, le=1, description="cascade: per-neighbour, per-step telling probability (edge weights override).")
    active_steps: int = Field(1, ge=1, le=10_000_000, description="cascade: steps a sharer stays active (1 = classic independent cascade).")


def _registered(name: str, registry, what: str) -> str:
    """Names of pluggable pieces (strategies, policies) are checked against their registry."""
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(sorted(registry))}{_nearest(name, registry)}")
    return name


class SeedingSpec(_Section):
    strategy: str = Field("degree", description="KOL seeding strategy: random | degree | pagerank | kcore | degree_discount | community | greedy | ris.")
    budget: int = Field(20, ge=0, description="Number of KOLs seeded at step 0 (at most the population).")
    kol_reach: float = Field(0.3, ge=0, le=1, description="Probability that a follower hears a KOL's one broadcast post.")
    initial_complainers: int = Field(0, ge=0, description="Agents who start at step 0 as negative sharers (a crisis).")
    budget_money: float = Field(0.0, ge=0, description="Budget in money instead of a count (0 = use budget): KOLs are bought in rank order while they fit.")
    kol_cost_base: float = Field(100.0, ge=0, description="KOL price model: cost = base + rate x followers^alpha. The fixed fee per KOL.")
    kol_cost_rate: float = Field(1.0, ge=0, description="KOL price model: price per follower^alpha.")
    kol_cost_alpha: float = Field(1.0, ge=0, le=3, description="KOL price model: exponent on followers (below 1: big accounts are cheaper per follower).")

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, v: str) -> str:
        from .seeding import STRATEGIES
        return _registered(v, STRATEGIES, "strategy")


class ResponseSpec(_Section):
    policy: str = Field("fixed_delay", description="Firm response policy: none | fixed_delay | capacity | threshold | module:Class (your own).")
    delay: int = Field(2, ge=0, le=1_000_000, description="Steps between detecting a complainer and answering it.")
    detect_prob: float = Field(0.5, ge=0, le=1, description="Per-step probability that monitoring finds an active negative sharer (SICAS: also senses aware agents).")
    resolve_prob: float = Field(0.8, ge=0, le=1, description="A response stops the complainer's telling with this probability.")
    recovery_prob: float = Field(0.1, ge=0, le=1, description="A response turns a complaining buyer into a positive sharer (service recovery).")
    repair_prob: float = Field(0.2, ge=0, le=1, description="The public reply makes each REJECTED neighbour reconsider (back to the funnel).")

    capacity: int = Field(5, ge=1, description="capacity: responses the firm can make per step.")
    queue: Literal["fifo", "by_reach"] = Field("fifo", description="capacity: who is answered first (by_reach: most followers first).")
    threshold: float = Field(20.0, ge=0, description="threshold: negative messages in one step above which the firm starts answering.")

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, v: str) -> str:
        from .policies import POLICIES, resolve
        if ":" in v:
            resolve(v)  # a policy class in the user's own module: it must load
            return v
        return _registered(v, POLICIES, "policy")


class EconomicsSpec(_Section):
    margin: float = Field(100.0, ge=0, description="Profit per adopter (currency units) for NPV.")
    discount_rate: float = Field(0.001, ge=0, le=10, description="Per-step discount rate for NPV: weight (1 + r)^-t.")


class OutputSpec(_Section):
    dir: str = Field("", description="Output folder (default: results/<scenario file name>); -o overrides.")
    plots: bool = Field(True, description="Write PNG plots beside the tables.")

    _dir_ok = field_validator("dir")(_no_nul)


class Scenario(_Section):
    """A whole scenario: every section with every default filled in."""

    scenario: ScenarioMeta = Field(default_factory=ScenarioMeta)
    graph: GraphSpec = Field(default_factory=GraphSpec)
    funnel: FunnelSpec = Field(default_factory=FunnelSpec)
    wom: WomSpec = Field(default_factory=WomSpec)
    seeding: SeedingSpec = Field(default_factory=SeedingSpec)
    response: ResponseSpec = Field(default_factory=ResponseSpec)
    economics: EconomicsSpec = Field(default_factory=EconomicsSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)
    sweep: dict[str, list[Any]] = Field(default_factory=dict, description="Grid of dotted keys -> lists of values (used by `wom-sim sweep`).")

    # where it was read from (not part of the schema; used for messages and relative paths)
    _source: str = "<dict>"

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        n = self.graph.n_nodes()
        if n is not None:
            if self.seeding.budget > n:
                raise ValueError(f"seeding.budget = {self.seeding.budget} exceeds the population of {n} agents")
            if self.seeding.budget + self.seeding.initial_complainers > n:
                raise ValueError(f"seeding.budget + seeding.initial_complainers = {self.seeding.budget + self.seeding.initial_complainers} exceeds the population of {n} agents")
        return self

    @property
    def source(self) -> str:
        return self._source

    def to_dict(self) -> dict:
        """The resolved scenario, every default included (what summary.json records)."""
        d = self.model_dump(mode="json")
        takes = GRAPH_PARAMS[self.graph.kind]
        d["graph"] = {k: v for k, v in d["graph"].items() if k == "kind" or k in takes}
        # drop keys whose value is None (TOML has no null); they mean "use the default rule"
        return {sec: ({k: v for k, v in body.items() if v is not None} if isinstance(body, dict) else body)
                for sec, body in d.items()}


# ----------------------------------------------------------------------------- errors


def _nearest(word: str, choices) -> str:
    m = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {m[0]!r}?)" if m else ""


SECTIONS: dict[str, type[BaseModel]] = {
    "scenario": ScenarioMeta, "graph": GraphSpec, "funnel": FunnelSpec, "wom": WomSpec,
    "seeding": SeedingSpec, "response": ResponseSpec, "economics": EconomicsSpec,
    "output": OutputSpec,
}


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


def read_toml(path: str | Path) -> dict:
    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"{p}: no such scenario file. Check the path (bundled scenarios are in scenarios/).")
    if p.is_dir():
        raise ScenarioError(f"{p}: is a folder, not a scenario file; name a .toml file inside it.")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario file ({exc.strerror or exc}); check its permissions.") from None
    if not data.strip():
        raise ScenarioError(f"{p}: the file is empty; a scenario needs at least one section, e.g. [scenario] name = \"...\" (every key has a default).")
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


def parse_override(item: str) -> tuple[list[str], Any]:
    """`section.key=value` -> (["section", "key"], value parsed as TOML, else a string)."""
    if "=" not in item:
        raise ScenarioError(f"--set {item!r}: expected section.key=value, e.g. --set response.delay=4")
    key, _, text = item.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if len(parts) != 2 or not all(parts):
        raise ScenarioError(f"--set {item!r}: the key must be section.key, e.g. wom.negative_tells")
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    return parts, value


def apply_overrides(raw: dict, overrides: list[str] | tuple[str, ...], source: str) -> dict:
    raw = copy.deepcopy(raw)
    for item in overrides:
        (sec, key), value = parse_override(item)
        if sec not in SECTIONS:
            raise ScenarioError(f"--set {item!r}: unknown section '{sec}'{_nearest(sec, SECTIONS)}; sections: {', '.join(SECTIONS)}")
        body = raw.setdefault(sec, {})
        if not isinstance(body, dict):
            raise ScenarioError(f"{source}: [{sec}] is not a table; cannot apply --set {item!r}")
        body[key] = value
        if sec == "graph" and key == "kind" and isinstance(value, str) and value in GRAPH_PARAMS:
            # switching the kind from the command line: drop what the new kind does not take
            for k in [k for k in body if k not in ("kind", *GRAPH_PARAMS[value])]:
                del body[k]
    return raw


def bundled_path(name: str) -> Path:
    """A scenario file shipped with wom-sim (the classroom scenarios `teach` and `ui` use).

    The files live once, in the repository's scenarios/ folder; pyproject.toml maps it
    onto the package ``wom_sim.bundled`` so that a non-editable install ships them, and
    a source checkout (or an editable install made before that mapping) finds them
    beside the package."""
    import importlib.resources
    try:
        res = importlib.resources.files("wom_sim.bundled") / name
        if res.is_file():
            return Path(str(res))
    except (ModuleNotFoundError, TypeError):
        pass
    local = Path(__file__).resolve().parents[1] / "scenarios" / name
    if local.is_file():
        return local
    raise ScenarioError(f"the bundled scenario {name} is missing from this installation; "
                        f"name a scenario file instead (e.g. path/to/{name})")


def load_scenario(source: str | Path | dict | Scenario, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario from a TOML path, a dict, or a Scenario (copied)."""
    if isinstance(source, Scenario):
        raw, name, base = source.to_dict(), source.source, None
    elif isinstance(source, dict):
        raw, name, base = source, "<dict>", None
    else:
        p = Path(source)
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
            raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  - sweep.\"{key}\" = []: give at least one value")
        if base is None:  # the grid's points are built like this (sweep.expand)
            base = sc.to_dict()
            base.pop("sweep", None)
        for value in values:
            raw = apply_point(base, {key: value})
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            try:
                validate_dict(raw, f"{source} [sweep: \"{key}\" = {shown}]")
            except ScenarioError as exc:
                raise ScenarioError(f"{exc}\n  The value comes from the [sweep] table: fix or remove it there.") from None


def apply_point(base: dict, combo: dict[str, Any]) -> dict:
    """A sweep point: the resolved scenario `base` with dotted keys set from `combo`.
    A point of another graph kind keeps only the graph keys that kind takes."""
    raw = copy.deepcopy(base)
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


# ----------------------------------------------------------------------------- docs


def _range_text(field) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    ann = field.annotation
    args = getattr(ann, "__args__", None)
    if getattr(ann, "__origin__", None) is Literal or (args and all(isinstance(a, str) for a in args)):
        return " | ".join(args)
    if lo is None and hi is None:
        return ""
    return f"{'(' if lo_open else '['}{'' if lo is None else lo}, {'' if hi is None else hi}{')' if hi_open else ']'}"


def defaults_table() -> list[tuple[str, str, str, str]]:
    """(dotted key, default, range, meaning) for every key, generated from the schema."""
    rows = []
    for sec, model in SECTIONS.items():
        inst = model()
        for name, field in model.model_fields.items():
            default = getattr(inst, name)
            rng = _range_text(field)
            if sec == "seeding" and name == "strategy":
                from .seeding import STRATEGIES
                rng = " | ".join(STRATEGIES)
            if sec == "response" and name == "policy":
                from .policies import POLICIES
                rng = " | ".join(POLICIES)
            rows.append((f"{sec}.{name}", "(rule)" if default is None else repr(default), rng, field.description or ""))
    rows.append(("sweep.\"section.key\"", "{}", "list of values", "A grid of dotted keys; `wom-sim sweep` runs every combination."))
    return rows
