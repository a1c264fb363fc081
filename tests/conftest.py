"""Shared helpers for the tests: small scenarios and direct engine access."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from wom_sim.cli import main
from wom_sim.engines.numpy import NumpyEngine, Replicate
from wom_sim.graphs.csr import CSRGraph, from_arcs
from wom_sim.scenario import load_scenario
from wom_sim.streams import stream

#: a small scenario file for command-line tests (300 agents, 6 steps, 3 replicates)
SMALL = """
[scenario]
name = "small"
seed = 1
steps = 6
replicates = 3
[graph]
kind = "erdos_renyi"
n = 300
mean_degree = 5
[seeding]
budget = 3
[output]
plots = false
"""


def cli(*args: object, cwd: Path | None = None):
    """`wom-sim ARGS` through click's runner (from `cwd`), 160 columns wide."""
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "160"})
    finally:
        os.chdir(old)


def scenario_file(tmp_path: Path, text: str = SMALL, name: str = "small.toml") -> Path:
    """Write a scenario file for a test and return its path."""
    p = tmp_path / name
    p.write_text(text)
    return p


def scenario(**sections) -> object:
    """A validated scenario from keyword sections: scenario(wom={"mode": "cascade"})."""
    return load_scenario({k: v for k, v in sections.items()})


def engine(graph: CSRGraph, sc, kols=(), fast_ic: bool = True) -> NumpyEngine:
    """The NumPy engine; fast_ic=False keeps the general rules for a pure IC scenario."""
    return NumpyEngine(graph, sc, np.asarray(kols, dtype=np.int64), fast_ic=fast_ic)


def replicates(eng: NumpyEngine, n: int, seed: int = 0) -> np.ndarray:
    """(n, steps+1, metrics) from replicate streams of `seed`."""
    return np.stack([eng.run_replicate(stream(seed, 2, r)) for r in range(n)])


def col(eng: NumpyEngine, name: str) -> int:
    return eng.metrics.index(name)


def no_arcs(n: int) -> CSRGraph:
    return from_arcs(n, np.zeros(0, np.int64), np.zeros(0, np.int64), directed=False)


@pytest.fixture
def fresh_replicate():
    def make(graph, sc, kols=(), seed=0):
        return Replicate(engine(graph, sc, kols), np.random.default_rng(seed))
    return make


@pytest.fixture
def parameter_batches(monkeypatch):
    """The sizes of the batches of parameter points run while a test runs (every
    NumpyEngine.run_batch given `params`), in order."""
    sizes: list[int] = []
    plain = NumpyEngine.run_batch

    def spy(self, rngs, *a, params=None, **k):
        if params:
            sizes.append(len(rngs))
        return plain(self, rngs, *a, params=params, **k)
    monkeypatch.setattr(NumpyEngine, "run_batch", spy)
    return sizes
