"""Hardened input: property-based tests (hypothesis) that feed the command line
malformed scenario files, edge lists and `--set` overrides.

Every bad input must exit with code 2 and one short message that names the file and
the key (or line) at fault, never a traceback, and nothing may be written. The
scenarios start from a small valid one (200 agents, 3 steps, 2 replicates) and apply
one corruption, so validation, not a simulation, decides the outcome.

All tests are derandomized (the same examples on every run) and take about 30 s;
WOM_SIM_FUZZ_SCALE=20 runs twenty times as many fresh random examples.
"""
from __future__ import annotations

import datetime
import math
import os
import re
import string
import tempfile
import traceback
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Union, get_args, get_origin

import pytest
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wom_sim.catalogs import GRAPH_KINDS
from wom_sim.cli import main
from wom_sim.graphs.io import read_edgelist
from wom_sim.policies import POLICIES
from wom_sim.scenario import GRAPH_PARAMS, SECTIONS
from wom_sim.seeding import STRATEGIES

#: WOM_SIM_FUZZ_SCALE=20 runs 20 times the examples, with fresh random ones (a deeper hunt)
SCALE = float(os.environ.get("WOM_SIM_FUZZ_SCALE", "1"))


def fuzz(n: int):
    """Deterministic hypothesis settings: the same n examples on every run (CI)."""
    return settings(max_examples=max(1, int(n * SCALE)), derandomize=SCALE == 1, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------- helpers

BASE = {
    "scenario": {"name": "fuzz", "seed": 1, "steps": 3, "replicates": 2},
    "graph": {"kind": "erdos_renyi", "n": 200, "mean_degree": 4.0},
    "seeding": {"budget": 5},
    "output": {"plots": False},
}

#: a small valid [graph] section of every kind
GRAPHS = {
    "erdos_renyi": {"n": 200, "mean_degree": 4.0, "directed": False},
    "barabasi_albert": {"n": 200, "m": 2},
    "watts_strogatz": {"n": 200, "k": 4, "p": 0.1},
    "powerlaw_cluster": {"n": 200, "m": 2, "p": 0.1},
    "sbm": {"sizes": [100, 100], "p_in": 0.05, "p_out": 0.01, "directed": False},
    "chung_lu": {"n": 200, "exponent": 2.5, "mean_degree": 4.0, "directed": False},
    "complete": {"n": 200},
    "edgelist": {"path": "edges.txt", "delimiter": "whitespace", "weighted": False, "directed": False},
}


def base(kind: str = "erdos_renyi") -> dict:
    raw = {sec: dict(body) for sec, body in BASE.items()}
    raw["graph"] = {"kind": kind, **{k: (list(v) if isinstance(v, list) else v) for k, v in GRAPHS[kind].items()}}
    return raw


def invoke(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


@contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="wom-fuzz-") as d:
        yield Path(d)


def write_scenario(folder: Path, raw: dict, name: str = "scenario.toml") -> Path:
    p = folder / name
    p.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return p


def assert_rejected(r, source, *needles: str, out: Path | None = None) -> None:
    """Exit code 2, one short message naming the source and the needles, no traceback,
    nothing written."""
    text = r.output
    if r.exit_code != 2:
        tb = "".join(traceback.format_exception(*r.exc_info)[-6:]) if r.exc_info else ""
        raise AssertionError(f"exit code {r.exit_code}, expected 2\n--- output:\n{text}\n{tb}")
    assert "Traceback" not in text, text
    assert text.startswith("error: ") and text.count("error: ") == 1, text
    assert len(text.strip().splitlines()) < 25, text
    assert str(source) in text, (str(source), text)
    for needle in needles:
        assert needle in text, (needle, text)
    if out is not None:
        assert not out.exists(), f"{out} was written for a bad input\n{text}"


def rejected_everywhere(folder: Path, raw: dict, *needles: str, sweep: bool = False) -> None:
    """`run` and `validate` (and `sweep`) all refuse the scenario."""
    p = write_scenario(folder, raw)
    out = folder / "out"
    assert_rejected(invoke("run", p, "-o", out), p, *needles, out=out)
    assert_rejected(invoke("validate", p), p, *needles)
    if sweep:
        assert_rejected(invoke("sweep", p, "-o", out, "--workers", 1), p, *needles, out=out)


# ------------------------------------------------------------ the schema, as data

def _shape(field):
    """('int' | 'float' | 'bool' | 'str' | 'enum' | 'list', detail) of a schema field."""
    ann = field.annotation
    if get_origin(ann) in (Union, types.UnionType):
        ann = next(a for a in get_args(ann) if a is not type(None))
    if get_origin(ann) is Literal:
        return "enum", get_args(ann)
    if get_origin(ann) is list:
        return "list", get_args(ann)[0]
    return {int: "int", float: "float", bool: "bool", str: "str"}.get(ann, "other"), None


def _bounds(field) -> dict:
    out = {}
    for m in field.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(m, attr, None) is not None:
                out[attr] = getattr(m, attr)
    return out


FIELDS = [(sec, key) for sec, model in SECTIONS.items() for key in model.model_fields]
#: the keys whose type this file knows how to break (all of them, today)
TYPED = [f for f in FIELDS if _shape(SECTIONS[f[0]].model_fields[f[1]])[0] != "other"]
REGISTRIES = {("seeding", "strategy"): STRATEGIES, ("response", "policy"): POLICIES, ("graph", "kind"): GRAPH_KINDS}
BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}

letters = st.text(string.ascii_letters + "_", min_size=1, max_size=12)
#: strings that are no number (pydantic reads "5", " 5 " and "1_000" as numbers; "inf"
#: and "nan" are numbers too, but never valid ones)
not_numbers = st.one_of(
    st.sampled_from(["", " ", "ten", "1,5", "0.5.1", "12abc", "inf", "-inf", "Infinity", "nan", "NaN", "--1"]),
    letters.filter(lambda s: s.lower().lstrip("+-") not in ("inf", "infinity", "nan")),
)
finite = st.floats(allow_nan=False, allow_infinity=False)
non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
containers = st.sampled_from([[], [1], [0.5, "x"], {"a": 1}, {}])
dates = st.sampled_from([datetime.date(2020, 1, 1), datetime.datetime(1979, 5, 27, 7, 32),
                         datetime.time(12, 30)])
numbers = st.one_of(st.integers(-2**63, 2**63 - 1), finite)


def _out_of_range(kind: str, b: dict):
    opts = []
    if kind == "int":
        if "ge" in b:
            opts.append(st.integers(-2**63, b["ge"] - 1) | st.just(b["ge"] - 1))
        if "le" in b:
            opts.append(st.integers(b["le"] + 1, max(b["le"] + 1, 2**63 - 1)) | st.just(b["le"] + 1))
        if "gt" in b:
            opts.append(st.integers(-2**63, b["gt"]))
        if "lt" in b:
            opts.append(st.integers(b["lt"], max(b["lt"], 2**63 - 1)))
    else:
        if "ge" in b:
            lo = b["ge"]
            opts.append(st.one_of(st.just(math.nextafter(lo, -math.inf)), finite.filter(lambda x: x < lo)))
        if "gt" in b:
            lo = b["gt"]
            opts.append(st.one_of(st.just(lo), finite.filter(lambda x: x <= lo)))
        if "le" in b:
            hi = b["le"]
            opts.append(st.one_of(st.just(math.nextafter(hi, math.inf)), finite.filter(lambda x: x > hi)))
        if "lt" in b:
            hi = b["lt"]
            opts.append(st.one_of(st.just(hi), finite.filter(lambda x: x >= hi)))
    return opts


def bad_values(sec: str, key: str):
    """Values of the wrong type or out of range for sec.key, each surely invalid."""
    field = SECTIONS[sec].model_fields[key]
    kind, detail = _shape(field)
    b = _bounds(field)
    if kind == "int":
        return st.one_of(*_out_of_range("int", b), non_finite, not_numbers, containers, dates,
                         finite.filter(lambda x: not x.is_integer()))
    if kind == "float":
        return st.one_of(*_out_of_range("float", b), non_finite, not_numbers, containers, dates)
    if kind == "bool":
        return st.one_of(st.integers().filter(lambda i: i not in (0, 1)),
                         finite.filter(lambda x: x not in (0.0, 1.0)), non_finite,
                         letters.filter(lambda s: s.lower() not in BOOL_WORDS), containers, dates)
    if kind == "str":
        wrong = st.one_of(numbers, st.booleans(), containers, dates, non_finite)
        if (sec, key) in REGISTRIES:
            return wrong | letters.filter(lambda s: s not in REGISTRIES[(sec, key)])
        return wrong
    if kind == "enum":
        return st.one_of(letters.filter(lambda s: s not in detail), numbers, st.booleans(),
                         containers, dates, st.sampled_from(detail).map(lambda v: [v]))
    # lists
    scalar = st.one_of(numbers, letters, st.booleans(), dates, st.just({"a": 1}))
    if detail is int:  # graph.sizes
        bad_item = st.one_of(st.integers(-2**63, 0), not_numbers, finite.filter(lambda x: not x.is_integer()),
                             st.just([1]))
        return scalar | st.just([]) | st.lists(st.integers(1, 100), max_size=3).flatmap(
            lambda good: bad_item.map(lambda x: good + [x]))
    if detail is float:  # funnel.advance (the base funnel is aisas: 3 probabilities)
        bad_item = st.one_of(finite.filter(lambda x: not 0 <= x <= 1), non_finite, letters, st.just([0.5]))
        probs = st.floats(0, 1)
        return st.one_of(scalar,
                         st.lists(probs, max_size=2).flatmap(lambda good: bad_item.map(lambda x: good + [x])),
                         st.lists(probs, max_size=6).filter(lambda a: len(a) != 3))
    # list[str]: funnel.stages, funnel.message_stages
    return scalar | st.lists(letters, max_size=3).flatmap(
        lambda good: st.one_of(numbers, st.booleans(), st.just(["x"])).map(lambda x: good + [x]))


@st.composite
def corrupted_key(draw):
    sec, key = draw(st.sampled_from(TYPED))
    kind = "erdos_renyi"
    if sec == "graph" and key != "kind":
        kind = draw(st.sampled_from([k for k, takes in GRAPH_PARAMS.items() if key in takes]))
    raw = base(kind)
    raw.setdefault(sec, {})[key] = draw(bad_values(sec, key))
    return sec, key, raw


# ------------------------------------------------------------- one bad key or value

@fuzz(400)
@given(corrupted_key())
@example(("graph", "kind", {**base(), "graph": {"kind": ["erdos_renyi"], "n": 200}}))
@example(("economics", "margin", {**base(), "economics": {"margin": "inf"}}))
@example(("funnel", "advance", {**base(), "funnel": {"advance": [0.5, 0.5, 1.5]}}))
@example(("graph", "path", {**base("edgelist"), "graph": {"kind": "edgelist", "path": 7}}))
def test_bad_value_of_a_known_key(case):
    sec, key, raw = case
    with workdir() as d:
        rejected_everywhere(d, raw, f"{sec}.{key}")


def near_misses(word: str) -> list[str]:
    """Every word one dropped, doubled or swapped letter away."""
    out = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1:])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    return sorted(w for w in out if w and w != word)


@fuzz(120)
@given(st.sampled_from(FIELDS).flatmap(
    lambda f: st.tuples(st.just(f), st.sampled_from(near_misses(f[1])), st.sampled_from([1, "x", 0.5, True]))))
def test_misspelt_key_gets_a_suggestion(case):
    (sec, key), typo, value = case
    if typo in SECTIONS[sec].model_fields:
        return  # the edit made another real key
    raw = base()
    raw.setdefault(sec, {})[typo] = value
    with workdir() as d:
        rejected_everywhere(d, raw, f"{sec}.{typo}", f"did you mean '{key}'")


@fuzz(60)
@given(st.sampled_from([*SECTIONS, "sweep"]).flatmap(lambda s: st.tuples(st.just(s), st.sampled_from(near_misses(s)))))
def test_misspelt_section_gets_a_suggestion(case):
    sec, typo = case
    if typo in SECTIONS or typo == "sweep":
        return
    raw = base()
    raw[typo] = {"x": 1}
    with workdir() as d:
        rejected_everywhere(d, raw, f"'{typo}'", f"did you mean '{sec}'")


section_names = st.text(st.characters(categories=["L", "N"], include_characters="_-. "), min_size=1, max_size=16)


@fuzz(60)
@given(section_names.filter(lambda s: s not in SECTIONS and s != "sweep"),
       st.one_of(st.dictionaries(letters, st.integers(), max_size=3), st.integers(), letters))
def test_unknown_section_is_named(name, body):
    raw = base()
    raw[name] = body
    with workdir() as d:
        rejected_everywhere(d, raw, f"unknown key '{name}'")


ENUMS = [f for f in FIELDS if _shape(SECTIONS[f[0]].model_fields[f[1]])[0] == "enum" or f in REGISTRIES]


@fuzz(80)
@given(st.sampled_from(ENUMS).flatmap(lambda f: st.tuples(
    st.just(f), st.one_of(letters, st.sampled_from(["", "Erdos_Renyi", "AISAS", "retell ", "fixed-delay"])))))
def test_unknown_enum_value_lists_the_choices(case):
    (sec, key), value = case
    field = SECTIONS[sec].model_fields[key]
    choices = list(REGISTRIES[(sec, key)]) if (sec, key) in REGISTRIES else list(_shape(field)[1])
    if value in choices:
        return
    kind = "erdos_renyi" if sec != "graph" or key == "kind" else next(k for k, t in GRAPH_PARAMS.items() if key in t)
    raw = base(kind)
    raw.setdefault(sec, {})[key] = value
    with workdir() as d:
        # the message names the key, the bad value and every allowed value
        rejected_everywhere(d, raw, f"{sec}.{key}", repr(value), *choices)


# ---------------------------------------------------------------- keys that interact

@st.composite
def cross_key_problems(draw):
    """Values that are fine alone but not together: (raw, keys the message must name)."""
    what = draw(st.sampled_from(["budget", "complainers", "sbm_budget", "m", "mean_degree", "ws_odd", "ws_big"]))
    if what == "budget":
        raw = base()
        n = draw(st.integers(2, 500))
        raw["graph"]["n"], raw["graph"]["mean_degree"] = n, 0.5
        raw["seeding"]["budget"] = draw(st.integers(n + 1, 2**62))
        return raw, ["seeding.budget", "exceeds the population"]
    if what == "complainers":
        raw = base()
        b = draw(st.integers(0, 200))
        raw["seeding"] = {"budget": b, "initial_complainers": draw(st.integers(201 - b, 2**62))}
        return raw, ["seeding.budget", "seeding.initial_complainers", "exceeds the population"]
    if what == "sbm_budget":
        raw = base("sbm")
        sizes = draw(st.lists(st.integers(1, 50), min_size=1, max_size=4))
        raw["graph"]["sizes"] = sizes
        raw["seeding"]["budget"] = draw(st.integers(sum(sizes) + 1, 10**6))
        return raw, ["seeding.budget", "exceeds the population"]
    if what == "m":
        raw = base(draw(st.sampled_from(["barabasi_albert", "powerlaw_cluster"])))
        n = draw(st.integers(2, 300))
        raw["graph"]["n"], raw["graph"]["m"] = n, draw(st.integers(n, 2**62))
        return raw, ["graph.m = ", f"n = {n}"]
    if what == "mean_degree":
        raw = base(draw(st.sampled_from(["erdos_renyi", "chung_lu"])))
        n = draw(st.integers(2, 300))
        raw["graph"]["n"] = n
        raw["graph"]["mean_degree"] = draw(st.one_of(st.just(float(n - 1)), st.floats(n - 1, 1e12))
                                           .filter(lambda x: x > 0))
        return raw, ["graph.mean_degree = ", f"n - 1 = {n - 1}"]
    raw = base("watts_strogatz")
    if what == "ws_odd":
        raw["graph"]["k"] = draw(st.integers(1, 99)) * 2 + 1
        return raw, ["graph.k = ", "even"]
    n = draw(st.integers(3, 300))
    raw["graph"]["n"], raw["graph"]["k"] = n, 2 * draw(st.integers((n + 1) // 2, 10**6))
    raw["seeding"]["budget"] = 1
    return raw, ["graph.k = ", f"below n = {n}"]


@fuzz(100)
@given(cross_key_problems())
def test_keys_that_do_not_fit_together(case):
    raw, needles = case
    with workdir() as d:
        rejected_everywhere(d, raw, *needles)


# ----------------------------------------------------------------------------- sweeps

SWEEPABLE = [f for f in TYPED if f[0] != "graph" or f[1] in ("n", "mean_degree")]


@st.composite
def bad_sweeps(draw):
    """(sweep table, text the message must hold)."""
    what = draw(st.sampled_from(["typo", "section", "undotted", "empty", "bad_value", "not_list", "not_table"]))
    if what == "typo":
        sec, key = draw(st.sampled_from(FIELDS))
        typo = draw(st.sampled_from(near_misses(key)).filter(lambda t: t not in SECTIONS[sec].model_fields))
        return {f"{sec}.{typo}": [1, 2]}, [f"{sec}.{typo}", f"did you mean '{key}'"]
    if what == "section":
        sec = draw(st.sampled_from(list(SECTIONS)))
        typo = draw(st.sampled_from(near_misses(sec)).filter(lambda t: t not in SECTIONS))
        return {f"{typo}.x": [1]}, [f"{typo}.x", f"did you mean '{sec}'"]
    if what == "undotted":
        key = draw(st.one_of(letters, st.builds("{}.{}.{}".format, letters, letters, letters)))
        return {key: [1, 2]}, [key, "section.key"]
    if what == "empty":
        sec, key = draw(st.sampled_from(SWEEPABLE))
        return {f"{sec}.{key}": []}, [f"{sec}.{key}", "at least one value"]
    if what == "not_list":
        sec, key = draw(st.sampled_from(SWEEPABLE))
        return {f"{sec}.{key}": draw(st.one_of(st.integers(), letters, st.just({"a": 1})))}, [f"sweep.{sec}.{key}"]
    if what == "not_table":
        return draw(st.one_of(st.integers(), letters, st.lists(st.integers(), max_size=2))), ["sweep"]
    sec, key = draw(st.sampled_from(SWEEPABLE))
    good = BASE.get(sec, {}).get(key, SECTIONS[sec].model_fields[key].default)
    values = [good] if good is not None else []
    values.insert(draw(st.integers(0, len(values))), draw(bad_values(sec, key)))
    return {f"{sec}.{key}": values}, [f"{sec}.{key}", "sweep"]


@fuzz(200)
@given(bad_sweeps())
@example(({"wom.share_prob": [0.5, 2.0]}, ["wom.share_prob", "[sweep]"]))
@example(({"wom.share_prob": [0.5, float("nan")]}, ["wom.share_prob", "sweep"]))
def test_bad_sweep_is_refused_by_every_command(case):
    table, needles = case
    raw = base()
    raw["sweep"] = table
    with workdir() as d:
        rejected_everywhere(d, raw, *needles, sweep=True)


@fuzz(30)
@given(st.integers(2, 150), st.data())
def test_sweep_values_that_clash_only_together(n, data):
    """Each value fits the base scenario alone, but one grid point puts more KOLs than
    agents: `sweep` refuses the grid before running or writing anything."""
    budget = data.draw(st.integers(n + 1, 200))
    raw = base()
    raw["graph"]["mean_degree"] = 0.5
    raw["seeding"]["budget"] = 1
    raw["sweep"] = {"graph.n": [200, n], "seeding.budget": [1, budget]}
    with workdir() as d:
        p = write_scenario(d, raw)
        out = d / "out"
        r = invoke("sweep", p, "-o", out, "--workers", 1)
        assert_rejected(r, p, f"graph.n = {n}", f"seeding.budget = {budget}", "exceeds the population", out=out)


# ----------------------------------------------------------------- files, byte by byte

VALID_TOML = tomli_w.dumps({**base(), "wom": {"mode": "cascade", "transmissibility": 0.1},
                            "response": {"policy": "fixed_delay", "delay": 2}})


def _truncations() -> list[str]:
    """Prefixes of VALID_TOML cut inside a line so that the rest no longer parses:
    inside a [header], a key, before a value, or inside a quoted string."""
    cuts = []
    pos = 0
    for line in VALID_TOML.splitlines(keepends=True):
        body = line.rstrip("\n")
        if body.startswith("["):
            cuts += [VALID_TOML[:pos + i] for i in range(1, len(body))]
        elif "=" in body:
            eq = body.index("=")
            cuts += [VALID_TOML[:pos + i] for i in range(1, eq + 2)]
            if '"' in body:
                q = body.index('"')
                cuts += [VALID_TOML[:pos + i] for i in range(q + 1, len(body))]
        pos += len(line)
    return cuts


def _insert(data: bytes, at: int, what: bytes) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + what + data[at:]


raw_files = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    st.sampled_from(_truncations()).map(lambda s: s.encode("utf-8")),
    st.tuples(st.integers(0, 10**6), st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xc3(", b"\xed\xa0\x80",
                                                      b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe9t\xe9"]))
    .map(lambda t: _insert(VALID_TOML.encode(), *t)),
    st.tuples(st.integers(0, 10**6), st.binary(min_size=0, max_size=3))
    .map(lambda t: _insert(VALID_TOML.encode(), t[0], b"\x00" + t[1])),
    st.text(" \t\r\n", max_size=20).map(str.encode),
    st.lists(st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs", "Cc"]), max_size=30),
             min_size=1, max_size=5).map(lambda xs: "".join(f"# {x}\n" for x in xs).encode()),
    st.integers(1, 4000).map(lambda depth: ("x = " + "[" * depth + "]" * depth + "\n").encode()),
    st.integers(1, 4000).map(lambda depth: ("x = " + "{a = " * depth + "1" + "}" * depth + "\n").encode()),
)


@fuzz(250)
@given(raw_files)
@example(b"")
@example(b"# only a comment\n")
@example(b"x = " + b"[" * 3000 + b"]" * 3000)
def test_garbage_files_are_refused(data):
    with workdir() as d:
        p = d / "garbage.toml"
        p.write_bytes(data)
        out = d / "out"
        assert_rejected(invoke("run", p, "-o", out), p, out=out)
        assert_rejected(invoke("validate", p), p)


@pytest.mark.parametrize("key", ["graph.path", "output.dir"])
def test_nul_character_in_a_path_key(tmp_path, key):
    sec, k = key.split(".")
    raw = base("edgelist" if sec == "graph" else "erdos_renyi")
    raw[sec][k] = "a\x00b"
    rejected_everywhere(tmp_path, raw, key)


@pytest.mark.parametrize("command", ["run", "validate", "sweep"])
def test_missing_file_and_folder(tmp_path, command):
    (tmp_path / "dir with space ü").mkdir()
    out = tmp_path / "out"
    extra = [] if command == "validate" else ["-o", out]
    for target in (tmp_path / "nope.toml", tmp_path / "dir with space ü", tmp_path):
        assert_rejected(invoke(command, target, *extra), target, out=out)


# ----------------------------------------------------------------------- edge lists

node_ids = st.integers(0, 60).map(str) | st.integers(0, 9).map(lambda i: f"0{i}")
node_labels = st.one_of(node_ids, st.from_regex(r"[a-z][a-z0-9_]{0,4}", fullmatch=True),
                        st.sampled_from(["café", "-1", "Ω", "1.5"]))
weights = st.one_of(st.floats(0, 1).map(repr), st.sampled_from(["0", "1", "0.5", ".5", "1e-3", "1.0", "0.0"]))


@st.composite
def edge_lists(draw):
    """A valid edge list as (lines, delimiter, weighted, directed, newline, bom, labels):
    integer ids, or names that may mix ids and labels (then labels = true says so)."""
    delimiter = draw(st.sampled_from([None, ","]))
    weighted, directed = draw(st.booleans()), draw(st.booleans())
    labels = draw(st.booleans())
    tokens = node_labels if labels else node_ids
    seps = [" ", "\t", "  ", " \t "] if delimiter is None else [",", ", ", " ,", " , "]
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        fields = [draw(tokens), draw(tokens)] + ([draw(weights)] if weighted else [])
        line = draw(st.sampled_from(seps)).join(fields)
        line = draw(st.sampled_from(["", " ", "\t"])) + line + draw(st.sampled_from(["", " ", "  # a note, 1 2 3"]))
        lines.append(line)
        extra = draw(st.sampled_from([None, None, None, "", "   ", "# comment", "#", "  # u v w"]))
        if extra is not None:
            lines.append(extra)
    return lines, delimiter, weighted, directed, draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans()), labels


def join(lines: list[str], newline: str, bom: bool) -> bytes:
    return ("\ufeff" if bom else "").encode() + newline.join(lines).encode("utf-8") + newline.encode()


def reference_counts(lines: list[str], delimiter, directed: bool, labels: bool) -> tuple[int, int]:
    """(nodes, stored arcs) by the format's rules, read the slow and obvious way."""
    pairs = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split() if delimiter is None else [f.strip() for f in line.split(delimiter)]
        pairs.append((fields[0], fields[1]))
    tokens = [t for pair in pairs for t in pair]
    if not labels:
        ids = {t: int(t) for t in tokens}
        n = max(ids.values()) + 1
    else:
        ids = {}
        for t in tokens:
            ids.setdefault(t, len(ids))
        n = len(ids)
    edges = {(ids[a], ids[b]) for a, b in pairs if ids[a] != ids[b]}
    if not directed:
        edges = {(min(e), max(e)) for e in edges}
        return n, 2 * len(edges)
    return n, len(edges)


@fuzz(150)
@given(edge_lists())
def test_valid_edge_lists_load(case):
    lines, delimiter, weighted, directed, newline, bom, labels = case
    with workdir() as d:
        p = d / "edges.txt"
        p.write_bytes(join(lines, newline, bom))
        # labels = true: every name is a label (random labels may spell column words: no header)
        g = read_edgelist(p, delimiter=delimiter, weighted=weighted, directed=directed,
                          labels=labels or "auto", header="auto" if not labels else False)
        assert (g.n, g.n_arcs) == reference_counts(lines, delimiter, directed, labels)
        assert (g.weights is not None) == weighted
        if weighted:
            assert ((g.weights >= 0) & (g.weights <= 1)).all()


def _bad_lines(delimiter, weighted):
    """Lines that break the format (as bytes): wrong field counts, bad weights, empty
    fields, NUL bytes and bytes that are not UTF-8."""
    sep = " " if delimiter is None else ","
    j = lambda *xs: sep.join(xs).encode()  # noqa: E731
    text = [j("7"), j("1", "2", "3", "4", "5")]
    if weighted:
        text += [j("1", "2"), j("1", "2", "abc"), j("1", "2", "0.5", "9"),
                 j("1", "2", "1,5" if delimiter is None else "1;5")]
        text += [j("1", "2", w) for w in ("1.5", "2", "1e10", "-0.1", "-1e-9", "nan", "NaN", "inf", "-inf", "1e400")]
    else:
        text += [j("1", "2", "3"), j("1", "2", "0.5")]
    if delimiter is None:
        text += [b"1,2"]
    else:
        text += [b",5", b"5,", b" , ", b"1 2"]
    binary = [b"1 2\x00", b"\x00", b"\x00\x00\x01", b"1 \xff 2", b"\xc3\x28", b"1 2 \xed\xa0\x80", b"\xe9t\xe9",
              b"\x89PNG\x1a\x00"]
    garbage = st.binary(min_size=1, max_size=20).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))
    garbage = garbage.map(lambda b: b if (b"\x00" in b or not _is_utf8(b)) else b + b"\xff")
    return st.one_of(st.sampled_from(text + binary), garbage)


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@st.composite
def corrupted_edge_lists(draw):
    lines, delimiter, weighted, directed, newline, bom, _ = draw(edge_lists())
    data = [ln.encode("utf-8") for ln in lines]
    at = draw(st.integers(0, len(data)))
    data.insert(at, draw(_bad_lines(delimiter, weighted)))
    blob = ("\ufeff" if bom else "").encode() + newline.encode().join(data) + newline.encode()
    return blob, at + 1, delimiter, weighted, directed


@fuzz(150)
@given(corrupted_edge_lists(), st.sampled_from(["edges.txt", "my edges.csv"]))
@example((b"0 1\n1 2\n\x00\x00\n", 3, None, False, False), "edges.txt")
@example((b"0 1\n1 2\n2 3 \xff\n", 3, None, False, False), "edges.txt")
def test_bad_edge_line_is_named_with_file_and_line(case, name):
    blob, lineno, delimiter, weighted, directed = case
    with workdir() as d:
        (d / name).write_bytes(blob)
        raw = base("edgelist")
        raw["graph"].update(path=name, delimiter="," if delimiter else "whitespace", weighted=weighted,
                            directed=directed, labels=True, header=False)
        raw["seeding"]["budget"] = 1
        p = write_scenario(d, raw)
        out = d / "out"
        r = invoke("run", p, "-o", out)
        assert_rejected(r, name, out=out)
        assert re.search(rf"\bline {lineno}\b", r.output), (lineno, r.output)


# ------------------------------------------------------------------------ --set fuzz

set_values = st.one_of(
    st.sampled_from(["1", "-1", "0", "0.5", "1.5", "1e400", "nan", "inf", "-inf", "true", "yes", "'x'", '"aisas"',
                     "erdos_renyi", "complete", "sbm", "edgelist", "[1, 2]", "[]", "[[", "{a = 1}", "{}", "1979-05-27",
                     "07:32:00", "\"unterminated", "", " ", "1_000", "0x10", "[0.1, 0.2, 0.3]", "['a', 'b', 'c']"]),
    st.integers(-10**20, 10**20).map(str), finite.map(repr),
    st.text(max_size=20),
)
set_items = st.one_of(
    st.builds("{}.{}={}".format, st.sampled_from([*SECTIONS, "sweep", "womm"]) | letters,
              st.sampled_from(sorted({k for _, k in FIELDS} | {"kind", "nope"})) | letters, set_values),
    st.text(max_size=40),
)


@fuzz(250)
@given(st.lists(set_items, min_size=1, max_size=3))
@example(["graph.kind=[1]"])
@example(["graph.kind={a = 1}"])
def test_set_overrides_never_crash(items):
    with workdir() as d:
        p = write_scenario(d, base())
        args = [a for item in items for a in ("--set", item)]
        r = invoke("validate", p, *args)
        assert r.exit_code in (0, 2), (r.exit_code, r.output,
                                       r.exc_info and "".join(traceback.format_exception(*r.exc_info)[-6:]))
        assert "Traceback" not in r.output
        if r.exit_code == 2:
            # the same overrides make `run` refuse too, before writing anything
            out = d / "out"
            r2 = invoke("run", p, "-o", out, *args)
            assert_rejected(r2, "", out=out)
            assert str(p) in r2.output or "--set" in r2.output, r2.output
