"""The house rules of wom_sim's layout (README "Layout"): modules import only downward.

Every import counts, including imports inside functions and under TYPE_CHECKING, and
``from . import x`` counts as importing the package's __init__ too. There must be no
import cycle anywhere, and no import from a lower layer to a higher one (siblings in one
layer are independent of each other). A new top-level module or package must be given
a layer here, on purpose.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "wom_sim"

#: the layers, bottom first: a unit imports only units of lower layers
LAYERS: list[tuple[str, ...]] = [
    ("errors",),                                        # no wom_sim imports at all
    ("streams", "files", "stats", "meta"),              # plain helpers; may raise WomSimError
    ("funnels", "catalogs"),                            # funnels as data; names -> implementation paths
    ("scenario",),                                      # schema, loading, --set, the defaults table
    ("graphs",),                                        # CSR, kernels, generators, I/O
    ("model",),                                         # rules, metrics, theory
    ("seeding", "policies"),                            # strategies; response policies
    ("engines",),                                       # numpy/, mesa/
    ("viz",),                                           # one style; figures built directly
    ("results",),                                       # RunResult (save, load)
    ("execution",),                                     # memory guard, cache, executors, run
    ("sweep",),                                         # grids (the machinery the features share)
    ("compare", "response", "fit", "teach", "ui"),      # features: own run, table and figures
    ("cli",),                                           # click commands: parse, call, print
    ("__init__", "__main__"),                           # the public API
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        rel = p.relative_to(ROOT.parent).with_suffix("")
        out[".".join(rel.parts)] = p
    return out


MODS = modules()


def _resolve(current: str, node: ast.AST) -> set[str]:
    """The wom_sim modules an import statement loads (package imports count as __init__)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # the module's own name (or package/__init__) minus `level` parts
            parts = current.split(".")
            base = ".".join(parts[: len(parts) - node.level] + ([base] if base else []))
        names = [base] + [f"{base}.{a.name}" for a in node.names]
    found = set()
    for t in names:
        while t and t not in MODS and f"{t}.__init__" not in MODS:
            t = t.rpartition(".")[0]
        if not t or not t.startswith("wom_sim"):
            continue
        found.add(t if t in MODS else f"{t}.__init__")
    return found


def edges() -> dict[str, set[str]]:
    out = {m: set() for m in MODS}
    for m, p in MODS.items():
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out[m] |= {t for t in _resolve(m, node) if t != m}
    return out


def unit(module: str) -> str:
    """The top-level module or package a module belongs to: wom_sim.engines.numpy.ic -> engines."""
    return module.split(".")[1]


def test_every_unit_has_a_layer():
    missing = sorted({unit(m) for m in MODS} - set(RANK))
    assert not missing, f"give these a layer in tests/test_layers.py: {missing}"


def test_no_import_cycle_anywhere():
    graph = edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    assert not cycles, f"import cycles: {cycles}"


def test_imports_only_go_down():
    bad = []
    for m, targets in edges().items():
        for t in targets:
            a, b = unit(m), unit(t)
            if a != b and RANK[b] >= RANK[a]:
                bad.append(f"{m} -> {t} ({a}: layer {RANK[a]}, {b}: layer {RANK[b]})")
    assert not bad, "imports that do not go down:\n" + "\n".join(sorted(bad))


def test_the_checker_sees_imports_inside_functions():
    """The resolver counts function-level and relative imports (the rule's teeth)."""
    tree = ast.parse("def f():\n    from ..engines import make_engine\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _resolve("wom_sim.scenario.load", node) == {"wom_sim.engines.__init__"}
    node = next(n for n in ast.walk(ast.parse("from . import tables\n")) if isinstance(n, ast.ImportFrom))
    assert _resolve("wom_sim.teach.figures", node) == {"wom_sim.teach.__init__", "wom_sim.teach.tables"}


def test_no_backend_switching_or_pyplot():
    """Figures are built as matplotlib Figures: importing wom-sim never changes a
    notebook's backend, and no figure sits in pyplot's registry."""
    offenders = []
    for m, p in MODS.items():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import) and any(a.name == "matplotlib.pyplot" for a in node.names):
                offenders.append(m)
            if isinstance(node, ast.ImportFrom) and node.module == "matplotlib.pyplot":
                offenders.append(m)
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "matplotlib"):
                offenders.append(m)
    assert not offenders, offenders


@pytest.mark.parametrize("code, forbidden", [
    # checking a scenario reads the catalogs, never the implementations
    ("import wom_sim; wom_sim.load_scenario('scenarios/kol_launch.toml')", ("scipy", "matplotlib", "pandas", "mesa")),
    # the command line starts without the simulation stack
    ("import wom_sim.cli", ("scipy", "matplotlib", "pandas", "mesa", "solara")),
])
def test_light_imports(code, forbidden):
    out = subprocess.run([sys.executable, "-c", code + "; import sys; print(sorted(m for m in sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=ROOT.parent).stdout
    loaded = set(out.strip().strip("[]").replace("'", "").split(", "))
    assert not [f for f in forbidden if f in loaded], [f for f in forbidden if f in loaded]
