"""The sample uses in wom-sim's docstrings run, so they stay true (every module's
doctests; the interactive page's server module is skipped: it starts a page on import)."""
from __future__ import annotations

import doctest
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"wom_sim.ui.page", "wom_sim.cli.__main__", "wom_sim.__main__"}
MODULES = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                 for p in (ROOT / "wom_sim").rglob("*.py"))


@pytest.mark.parametrize("name", [m for m in MODULES if m not in SKIP])
def test_docstring_examples(name, monkeypatch):
    monkeypatch.setenv("SOLARA_CHECK_HOOKS", "off")  # as `wom-sim ui` runs the page: Mesa's own hooks trip it
    module = importlib.import_module(name)
    cwd = os.getcwd()
    os.chdir(ROOT)  # examples name the bundled scenarios as scenarios/...
    try:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        os.chdir(cwd)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_public_api_has_sample_uses():
    """Every name wom_sim exports documents itself with an example."""
    import wom_sim
    for name in ["load_scenario", "run", "RunResult", "CSRGraph", "run_sweep", "compare_seeding", "bench_response"]:
        obj = getattr(wom_sim, name)
        assert obj.__doc__ and ">>>" in obj.__doc__, f"wom_sim.{name} has no sample use"
