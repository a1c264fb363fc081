"""The typed schema of a scenario file: defaults, ranges, one line of meaning per key.

Why pydantic v2: one declaration per key gives the type check, the range check, the
default, and the documentation that `wom-sim defaults` prints, so the three can never
drift apart; its error locations give us the key path for our own messages.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..catalogs import GRAPH_KINDS, POLICIES, STRATEGIES
from ..funnels import BUILTIN

# ----------------------------------------------------------------------------- sections


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)


def _no_nul(v: str) -> str:
    """A path with a NUL character cannot be opened; say so before anything runs."""
    if "\x00" in v:
        raise ValueError("contains a NUL character; give a plain file path")
    return v


#: a unit of time as tables and axes print it: a word or two of letters, hyphens inside
#: words, one space between them; so it can carry no escape sequence and no markup
_UNIT = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*(?: [^\W\d_]+(?:-[^\W\d_]+)*)?")
UNIT_MAX = 20


def _unit_word(v: str | None) -> str | None:
    if v is None:
        return v
    if len(v) > UNIT_MAX or not _UNIT.fullmatch(v):
        raise ValueError(f"{v!r} is not a unit of time: give a word or two of letters (hyphens inside a word), at "
                         f"most {UNIT_MAX} characters, e.g. 'hour', 'day', 'half-day' or 'business day'")
    return v


def plural(word: str) -> str:
    """The English plural of a unit: hour -> hours, inch -> inches, story -> stories,
    business day -> business days (-es after s, x, z, ch, sh; -ies after a consonant
    and y; else -s). An irregular one is given as scenario.step_label_plural.

    >>> [plural(w) for w in ("day", "week", "inch", "story", "business day")]
    ['days', 'weeks', 'inches', 'stories', 'business days']
    """
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2].lower() not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


#: scenario keys measured in steps (their columns and axes carry the step unit)
IN_STEPS = frozenset({"scenario.steps", "response.delay", "wom.active_steps"})


@dataclass(frozen=True)
class StepUnit:
    """What one step is called, singular and plural ("hour", "hours"): every table,
    axis and handout that shows a number of steps, or a time in steps, says it with
    this (scenario.step_label).

    >>> u = StepUnit("hour", "hours")
    >>> u.count(1), u.count(4), u.per, u.key("response.delay"), u.key("seeding.budget")
    ('1 hour', '4 hours', 'per hour', 'response.delay (hours)', 'seeding.budget')
    """
    one: str = "step"
    many: str = "steps"

    def of(self, n: float) -> str:
        """The word for n steps: "hour" for 1, "hours" otherwise."""
        return self.one if n == 1 else self.many

    def count(self, n: float) -> str:
        """n steps in words: "1 hour", "4 hours"."""
        return f"{n:g} {self.of(n)}"

    @property
    def per(self) -> str:
        """A rate's unit: "per hour"."""
        return f"per {self.one}"

    def key(self, key: str, short: bool = False) -> str:
        """A scenario key as a column or axis name, with the unit of keys measured in
        steps: "response.delay (hours)" (short: "delay (hours)")."""
        name = key.rsplit(".", 1)[-1] if short else key
        return f"{name} ({self.many})" if key in IN_STEPS else name

    def to_json(self) -> dict[str, str]:
        """What summary.json, manifest.json and lesson.json record of the unit."""
        return {"step_label": self.one, "step_label_plural": self.many}

    @classmethod
    def from_json(cls, d: dict) -> StepUnit:
        """The unit recorded in a summary or manifest (files without one: "step")."""
        one = d.get("step_label") or "step"
        return cls(one, d.get("step_label_plural") or plural(one))


class ScenarioMeta(_Section):
    name: str = Field("unnamed scenario", description="Title shown in reports and plots.")
    seed: int = Field(0, ge=0, le=2**63 - 1,
                      description="Master seed; replicate streams are spawned from it (numpy SeedSequence).")
    steps: int = Field(60, ge=1, le=100_000,
                       description="Number of time steps simulated (step 0 is the initial state).")
    replicates: int = Field(30, ge=1, le=100_000,
                            description="Independent replicates; results report the mean and a 95% interval.")
    engine: Literal["numpy", "mesa"] = Field("numpy",
                                             description="numpy: vectorized core for any size; mesa: agent engine for "
                                                         "teaching (small graphs).")
    step_label: str = Field("step",
                            description="What one step stands for (hour, day, week), used in every table, axis and "
                                        "handout: 'after 4 hours'. A word or two of letters, at most 20 characters; "
                                        "the plural adds -s (-es after s, x, z, ch, sh; -ies after a consonant + y).")
    step_label_plural: str | None = Field(None,
                                          description="The plural of step_label where that rule gets it wrong "
                                                      "(default: the rule).")

    _unit_ok = field_validator("step_label", "step_label_plural")(_unit_word)

    @property
    def unit(self) -> StepUnit:
        """The step's unit, singular and plural."""
        return StepUnit(self.step_label, self.step_label_plural or plural(self.step_label))


def nearest(word: object, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest of `choices`, or ''."""
    m = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {m[0]!r}?)" if m else ""


def _registered(name: str, registry: Iterable[str], what: str) -> str:
    """Names of pluggable pieces are checked against their catalog (wom_sim.catalogs)."""
    names = list(registry)
    if name not in names:
        raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(names)}{nearest(name, names)}")
    return name


#: the parameters each graph kind takes (besides `kind`); anything else is an error
GRAPH_PARAMS: dict[str, tuple[str, ...]] = {k: g.params for k, g in GRAPH_KINDS.items()}


class GraphSpec(_Section):
    kind: str = Field("barabasi_albert", description="Graph family: " + " | ".join(GRAPH_KINDS))
    n: int = Field(10_000, ge=2, le=2_000_000_000, description="Number of agents (all kinds but sbm and edgelist).")
    mean_degree: float = Field(10.0, gt=0, description="Mean degree (erdos_renyi, chung_lu); must be below n - 1.")
    m: int = Field(5, ge=1, description="Edges each new node attaches (barabasi_albert, powerlaw_cluster); below n.")
    k: int = Field(10, ge=2, description="Ring-lattice neighbours, even (watts_strogatz); below n.")
    p: float = Field(0.1, ge=0, le=1,
                     description="Rewiring (watts_strogatz) or triad-formation (powerlaw_cluster) probability.")
    sizes: list[int] = Field(default_factory=lambda: [2500, 2500, 2500, 2500],
                             description="Block sizes (sbm); n is their sum.")
    p_in: float = Field(0.004, ge=0, le=1, description="Edge probability inside a block (sbm).")
    p_out: float = Field(0.0002, ge=0, le=1, description="Edge probability between blocks (sbm).")
    exponent: float = Field(2.5, gt=2, le=10, description="Power-law exponent of expected degrees (chung_lu).")
    path: str = Field("", description="Edge-list file (edgelist); relative paths are read from the scenario's folder.")
    delimiter: Literal["whitespace", ","] = Field("whitespace", description="Column separator of the edge list.")
    weighted: bool = Field(False, description="Edge list has a third column: per-arc transmissibility in [0, 1].")
    directed: bool = Field(False, description="Arcs u -> v mean v follows u (erdos_renyi, sbm, chung_lu, edgelist).")
    header: bool | Literal["auto"] = Field("auto", description="Edge list: skip a first line naming the columns "
                                           "(auto: detected, e.g. source,target); true always, false never.")
    labels: bool | Literal["auto"] = Field("auto", description="Edge list: node names are labels (true), integer "
                                           "ids (false) or either, never mixed (auto).")
    arc: Literal["speaker_listener", "follower_followee"] = Field(
        "speaker_listener", description="Edge list, directed: a line 'u v' means v hears u (speaker_listener) or u "
                                        "follows v (follower_followee: a follower export).")

    _path_ok = field_validator("path")(_no_nul)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        return _registered(v, GRAPH_KINDS, "graph kind")

    @field_validator("sizes")
    @classmethod
    def _sizes_positive(cls, v: list[int]) -> list[int]:
        if not v or any(s < 1 for s in v):
            raise ValueError("sizes must be a non-empty list of positive block sizes, e.g. [500, 500]")
        return v

    @model_validator(mode="after")
    def _feasible(self) -> GraphSpec:
        k = self.kind
        if k in ("barabasi_albert", "powerlaw_cluster") and self.m >= self.n:
            raise ValueError(f"m = {self.m} must be below n = {self.n} "
                             "(each new node attaches m edges to earlier nodes)")
        if k in ("erdos_renyi", "chung_lu") and self.mean_degree >= self.n - 1:
            raise ValueError(f"mean_degree = {self.mean_degree} must be below n - 1 = {self.n - 1}")
        if k == "watts_strogatz":
            if self.k % 2:
                raise ValueError(f"k = {self.k} must be even (k/2 neighbours on each side of the ring)")
            if self.k >= self.n:
                raise ValueError(f"k = {self.k} must be below n = {self.n}")
        if k == "edgelist" and self.arc == "follower_followee" and not self.directed:
            raise ValueError("arc = 'follower_followee' reads directed arcs; set directed = true "
                             "(an undirected graph has no direction to reverse)")
        if k == "edgelist" and not self.path:
            raise ValueError("kind = 'edgelist' needs path = 'file.txt' "
                             "(whitespace or comma separated 'u v [w]' lines)")
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
    positive_boost: float = Field(0.15, ge=0, le=1,
                                  description="Each positive message raises the advance probability: p = 1 - "
                                              "(1-base)(1-boost)^k.")
    advance: list[float] | None = Field(None,
                                        description="Base advance probability per step out of each pre-purchase stage;"
                                                    " default per funnel (custom: required).")
    stages: list[str] | None = Field(None,
                                     description="custom: stage names in order; the last two are the purchase and the "
                                                 "sharing stage.")
    message_stages: list[str] | None = Field(None,
                                             description="custom: pre-purchase stages whose advance positive messages "
                                                         "boost (default: all).")
    brand_engagement: float = Field(0.3, ge=0, le=1,
                                    description="SICAS: advance lift at Interest & Interactive and Connect & "
                                                "Communicate for agents the brand has sensed.")
    skip: float = Field(0.02, ge=0, le=1,
                        description="SICAS: probability per step of jumping from Sense straight to Action.")
    realtime_share: bool | None = Field(None,
                                        description="Sharers tell in the step they are made (default: true for sicas "
                                                    "and none, false otherwise).")

    @model_validator(mode="after")
    def _custom_complete(self) -> FunnelSpec:
        if self.kind == "custom":
            if not self.stages or len(self.stages) < 3:
                raise ValueError("a custom funnel needs stages = [...] with at least 3 names; "
                                 "the last two are the purchase and the sharing stage")
            if len(set(self.stages)) != len(self.stages):
                raise ValueError(f"stage names must be distinct, got {self.stages}")
            if self.advance is None or len(self.advance) != len(self.stages) - 2:
                raise ValueError(f"a custom funnel with {len(self.stages)} stages needs advance = [...] with "
                                 f"{len(self.stages) - 2} probabilities (one per pre-purchase stage)")
            bad = set(self.message_stages or []) - set(self.stages[:-2])
            if bad:
                raise ValueError(f"message_stages {sorted(bad)} are not pre-purchase stages of {self.stages[:-2]}")
        if self.advance is not None and any(not (0 <= a <= 1) or math.isnan(a) for a in self.advance):
            raise ValueError(f"advance = {self.advance}: probabilities must lie in [0, 1]")
        builtin = BUILTIN.get(self.kind)
        if builtin is not None and self.advance is not None and len(self.advance) != len(builtin["advance"]):
            need = len(builtin["advance"])
            stages = ", ".join(builtin["stages"][:-2]) or "(none: hearing is deciding)"
            raise ValueError(f"advance = {self.advance}: the {self.kind} funnel has {need} pre-purchase "
                             f"stages ({stages}), so give {need} probabilities")
        return self


class WomSpec(_Section):
    mode: Literal["retell", "cascade", "bass"] = Field("retell",
                                                       description="retell: sharers tell k distinct neighbours per "
                                                                   "step; cascade: independent cascade; bass: Bass "
                                                                   "adoption.")
    positive_tells: float = Field(5.0, ge=0, le=10_000,
                                  description="retell: mean retellings after a positive experience.")
    negative_tells: float = Field(11.0, ge=0, le=10_000,
                                  description="retell: mean retellings after a negative experience.")
    tells_distribution: Literal["fixed", "poisson", "geometric"] = Field("poisson",
                                                                         description="Distribution of retellings "
                                                                                     "around their mean (fixed rounds "
                                                                                     "the mean; geometric has support "
                                                                                     "1, 2, ...).")
    tells_per_step: int = Field(2, ge=1, le=10_000, description="retell: distinct neighbours a sharer tells per step.")
    share_prob: float = Field(1.0, ge=0, le=1,
                              description="Probability that a buyer (or contagion hearer) becomes a sharer.")
    share_prob_negative: float | None = Field(None, ge=0, le=1,
                                              description="Share probability after a negative experience (default: "
                                                          "share_prob).")
    p_negative_experience: float = Field(0.1, ge=0, le=1, description="Probability that a purchase turns out badly.")
    reject_per_negative: float = Field(0.3, ge=0, le=1,
                                       description="Each negative message makes a not-yet-buying agent REJECTED with "
                                                   "this probability.")
    rejecter_shares: float = Field(0.2, ge=0, le=1,
                                   description="Probability that a rejecter tells its own negative story.")
    p_external: float = Field(0.0, ge=0, le=1,
                              description="Advertising: per-step probability that an unaware agent becomes aware (the "
                                          "Bass p).")
    q_imitation: float = Field(0.38, ge=0, le=1,
                               description="bass: imitation coefficient q (adopt with min(1, p + q f)).")
    transmissibility: float = Field(0.05, ge=0, le=1,
                                    description="cascade: per-neighbour, per-step telling probability (edge weights "
                                                "override).")
    active_steps: int = Field(1, ge=1, le=10_000_000,
                              description="cascade: steps a sharer stays active (1 = classic independent cascade).")
    weak_ties_per_step: int = Field(0, ge=0, le=1_000,
                                    description="cascade: strangers each teller also meets per step, drawn anew every "
                                                "step (weak ties, Goldenberg et al. 2001); each hears with "
                                                "transmissibility.")


class SeedingSpec(_Section):
    strategy: str = Field("degree", description="KOL seeding strategy: " + " | ".join(STRATEGIES) + ".")
    budget: int = Field(20, ge=0, description="Number of KOLs seeded at step 0 (at most the population).")
    kol_reach: float = Field(0.3, ge=0, le=1,
                             description="Probability that a follower hears a KOL's one broadcast post.")
    initial_complainers: int = Field(0, ge=0, description="Agents who start at step 0 as negative sharers (a crisis).")
    complainers: Literal["random", "top_followers", "labels"] = Field(
        "random", description="Who the initial complainers are: random agents (drawn per replicate), the accounts with "
                              "most followers, or the agents named in complainer_labels (KOLs are never complainers).")
    complainer_labels: list[str | int] = Field(default_factory=list,
                                               description="complainers = labels: the complaining agents, as the edge "
                                                           "list names them (or agent ids).")
    budget_money: float = Field(0.0, ge=0,
                                description="Budget in money instead of a count (0 = use budget): KOLs are bought in "
                                            "rank order while they fit.")
    kol_cost_base: float = Field(100.0, ge=0,
                                 description="KOL price model: cost = base + rate x followers^alpha. The fixed fee per"
                                             " KOL.")
    kol_cost_rate: float = Field(1.0, ge=0, description="KOL price model: price per follower^alpha.")
    kol_cost_alpha: float = Field(1.0, ge=0, le=3,
                                  description="KOL price model: exponent on followers (below 1: big accounts are "
                                              "cheaper per follower).")
    objective: Literal["adopters", "npv", "aware", "net_npv"] = Field(
        "adopters", description="What seeding is judged on, at the scenario's horizon (its last step): adopters, "
                                "npv, aware, or net_npv (NPV minus what the KOLs cost). compare-seeding ranks the "
                                "strategies by it.")

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, v: str) -> str:
        return _registered(v, STRATEGIES, "strategy")

    @property
    def complainer_count(self) -> int:
        """How many initial complainers there are: the labels named, or initial_complainers."""
        return len(self.complainer_labels) if self.complainers == "labels" else self.initial_complainers


class TeamSpec(_Section):
    """A named response team: the [response] keys it sets (the rest come from [response])."""
    policy: str | None = None
    delay: int | None = Field(None, ge=0, le=1_000_000)
    detect_prob: float | None = Field(None, ge=0, le=1)
    resolve_prob: float | None = Field(None, ge=0, le=1)
    recovery_prob: float | None = Field(None, ge=0, le=1)
    repair_prob: float | None = Field(None, ge=0, le=1)
    capacity: int | None = Field(None, ge=1)
    queue: Literal["fifo", "by_reach"] | None = None
    threshold: float | None = Field(None, ge=0)
    backfire_prob: float | None = Field(None, ge=0, le=1)
    cost_per_response: float | None = Field(None, ge=0)
    monitoring_cost_per_step: float | None = Field(None, ge=0)
    monitoring_cost_exponent: float | None = Field(None, ge=0, le=5)

    def overrides(self) -> dict[str, Any]:
        """The response keys this team sets, as dotted scenario keys."""
        return {f"response.{k}": v for k, v in self.model_dump().items() if v is not None}


class ResponseSpec(_Section):
    policy: str = Field("fixed_delay",
                        description="Firm response policy: " + " | ".join(POLICIES) + " | module:Class (your own).")
    delay: int = Field(2, ge=0, le=1_000_000, description="Steps between detecting a complainer and answering it.")
    detect_prob: float = Field(0.5, ge=0, le=1,
                               description="Per-step probability that monitoring finds an active negative sharer "
                                           "(SICAS: also senses aware agents).")
    resolve_prob: float = Field(0.8, ge=0, le=1,
                                description="A response stops the complainer's telling with this probability.")
    recovery_prob: float = Field(0.1, ge=0, le=1,
                                 description="A response turns a complaining buyer into a positive sharer (service "
                                             "recovery).")
    repair_prob: float = Field(0.2, ge=0, le=1,
                               description="The public reply makes each REJECTED neighbour reconsider (back to the "
                                           "funnel).")

    capacity: int = Field(5, ge=1, description="capacity: responses the firm can make per step.")
    queue: Literal["fifo", "by_reach"] = Field("fifo",
                                               description="capacity: who is answered first (by_reach: most followers "
                                                           "first).")
    threshold: float = Field(20.0, ge=0,
                             description="threshold: negative messages in one step above which the firm starts "
                                         "answering.")
    backfire_prob: float = Field(0.0, ge=0, le=1,
                                 description="A reply backfires with this probability: the complainer is neither "
                                             "resolved nor recovered, and starts a fresh negative telling life.")
    cost_per_response: float = Field(0.0, ge=0, description="Cost of one response (currency units), in net_npv.")
    monitoring_cost_per_step: float = Field(0.0, ge=0,
                                            description="Cost of monitoring per step at detect_prob = 1, in net_npv "
                                                        "(scaled by detect_prob ^ monitoring_cost_exponent).")
    monitoring_cost_exponent: float = Field(0.0, ge=0, le=5,
                                            description="How monitoring cost grows with detect_prob: 0 a flat fee, 1 "
                                                        "in proportion, 2 ever dearer near round-the-clock watch.")
    teams: dict[str, TeamSpec] = Field(default_factory=dict,
                                       description="Named response teams ([response.teams.NAME]): each sets some "
                                                   "response keys; bench-response --teams compares them.")

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, v: str) -> str:
        if ":" in v:  # a policy class in the user's own module, loaded when the run starts
            module, _, attr = v.partition(":")
            if not (re.fullmatch(r"[A-Za-z_][\w.]*", module) and attr.isidentifier()):
                raise ValueError(f"{v!r} is not of the form 'package.module:ClassName'")
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
    sweep: dict[str, list[Any]] = Field(default_factory=dict,
                                        description="Grid of dotted keys -> lists of values (used by `wom-sim sweep`).")

    # where it was read from (not part of the schema; used for messages and relative paths)
    _source: str = "<dict>"

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        s = self.seeding
        if s.complainers == "labels":
            if not s.complainer_labels:
                raise ValueError("seeding.complainers = \"labels\" needs seeding.complainer_labels = [...], the "
                                 "complaining agents as your edge list names them")
            if s.initial_complainers not in (0, len(s.complainer_labels)):
                raise ValueError(f"seeding.initial_complainers = {s.initial_complainers} but complainer_labels names "
                                 f"{len(s.complainer_labels)}; leave initial_complainers at 0 (the labels count) or "
                                 f"make them agree")
            if len(set(map(str, s.complainer_labels))) != len(s.complainer_labels):
                raise ValueError("seeding.complainer_labels names an agent twice; list each complainer once")
        elif s.complainer_labels:
            raise ValueError(f"seeding.complainer_labels is set but seeding.complainers = {s.complainers!r}; set "
                             f"complainers = \"labels\" to use them, or remove the list")
        for name in self.response.teams:
            if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
                raise ValueError(f"response.teams.{name}: a team name is letters, digits, _, . or - (it names folders "
                                 f"and table rows)")
        if self.wom.weak_ties_per_step and self.wom.mode != "cascade":
            raise ValueError(f"wom.weak_ties_per_step = {self.wom.weak_ties_per_step} needs wom.mode = \"cascade\" "
                             f"(weak ties are contacts a teller meets each step; retell plans and Bass adoption "
                             f"do not meet strangers); set it to 0 or use cascade mode")
        n = self.graph.n_nodes()
        if n is not None:
            if self.seeding.budget > n:
                raise ValueError(f"seeding.budget = {self.seeding.budget} exceeds the population of {n} agents")
            if self.seeding.budget + self.seeding.complainer_count > n:
                raise ValueError("seeding.budget + seeding.initial_complainers = "
                                 f"{self.seeding.budget + self.seeding.complainer_count} "
                                 f"exceeds the population of {n} agents")
        return self

    @property
    def source(self) -> str:
        """Where the scenario was read from: a file path, or "<dict>"."""
        return self._source

    def to_dict(self) -> dict:
        """The resolved scenario, every default included (what summary.json records)."""
        d = self.model_dump(mode="json")
        takes = GRAPH_PARAMS[self.graph.kind]
        d["graph"] = {k: v for k, v in d["graph"].items() if k == "kind" or k in takes}
        d["response"]["teams"] = {name: {k: v for k, v in t.items() if v is not None}
                                  for name, t in d["response"]["teams"].items()}
        # drop keys whose value is None (TOML has no null); they mean "use the default rule"
        return {sec: ({k: v for k, v in body.items() if v is not None} if isinstance(body, dict) else body)
                for sec, body in d.items()}


#: the sections of a scenario file, in file order
SECTIONS: dict[str, type[BaseModel]] = {
    "scenario": ScenarioMeta, "graph": GraphSpec, "funnel": FunnelSpec, "wom": WomSpec,
    "seeding": SeedingSpec, "response": ResponseSpec, "economics": EconomicsSpec,
    "output": OutputSpec,
}
