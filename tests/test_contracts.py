"""Contract tests over the catalogs (wom_sim.catalogs): every graph kind, seeding strategy
and response policy is held to the same battery, so a new one is tested by being
registered. Runtime registration (register_strategy, register_policy) is tested too."""
from __future__ import annotations

import numpy as np
import pytest

import wom_sim
from wom_sim import catalogs
from wom_sim.execution import make_graph
from wom_sim.graphs.build import expected_arcs
from wom_sim.policies import ResponsePolicy
from wom_sim.scenario import SECTIONS, load_scenario
from wom_sim.seeding import strategy

GRAPH_FIELDS = set(SECTIONS["graph"].model_fields)
RESPONSE_FIELDS = set(SECTIONS["response"].model_fields)


def graph_section(kind: str, tmp_path) -> dict:
    entry = catalogs.GRAPH_KINDS[kind]
    if kind == "edgelist":  # a file of its own: a ring of 60 agents with chords
        path = tmp_path / "edges.txt"
        path.write_text("".join(f"{i} {(i + 1) % 60}\n{i} {(i + 7) % 60}\n" for i in range(60)))
        return {"kind": kind, "path": str(path)}
    return {"kind": kind, **entry.example}


# ----------------------------------------------------------------------------- graph kinds

@pytest.mark.parametrize("kind", list(catalogs.GRAPH_KINDS))
def test_graph_kind_contract(kind, tmp_path):
    entry = catalogs.GRAPH_KINDS[kind]
    assert entry.doc and set(entry.params) <= GRAPH_FIELDS, "params must be [graph] keys of the schema"
    sc = load_scenario({"scenario": {"steps": 3, "replicates": 2, "seed": 5}, "graph": graph_section(kind, tmp_path),
                        "seeding": {"budget": 2}})
    g = make_graph(sc)
    assert g.n >= 2 and g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
    if not g.complete:
        assert g.indptr[0] == 0 and (np.diff(g.indptr) >= 0).all() and g.indptr[-1] == g.indices.size
        assert g.indices.size == 0 or (0 <= g.indices.min() and g.indices.max() < g.n)
        src = g.arc_sources()
        assert not (src == g.indices).any(), "no self-loops"
        pairs = src.astype(np.int64) * g.n + g.indices
        assert np.unique(pairs).size == pairs.size, "no repeated arcs"
        if not g.directed:  # both arcs of every edge
            assert np.array_equal(np.sort(pairs), np.sort(g.indices.astype(np.int64) * g.n + src))
    # the memory guard's estimate of the arcs is in the right range
    est = expected_arcs(sc.graph)
    assert (est == 0) if g.complete else (0.5 * g.n_arcs <= est <= 2.0 * g.n_arcs + 20), (est, g.n_arcs)
    # the same seed gives the same graph
    again = make_graph(sc)
    assert np.array_equal(again.indptr, g.indptr) and np.array_equal(again.indices, g.indices)
    # and a scenario runs on it
    res = wom_sim.run(sc)
    assert res.n_agents == g.n and np.isfinite(res.series).all()


# ----------------------------------------------------------------------------- strategies

@pytest.fixture(scope="module")
def small_world():
    sc = load_scenario({"scenario": {"steps": 20, "replicates": 2, "seed": 2},
                        "graph": {"kind": "barabasi_albert", "n": 600, "m": 3}})
    return sc, make_graph(sc)


@pytest.mark.parametrize("name", list(catalogs.STRATEGIES))
def test_strategy_contract(name, small_world):
    sc, g = small_world
    entry = catalogs.STRATEGIES[name]
    assert entry.doc
    pick = strategy(name)
    seeds = np.asarray(pick(g, 12, np.random.default_rng(3), sc))
    assert seeds.size == 12 and np.unique(seeds).size == 12, "budget distinct agents"
    assert seeds.min() >= 0 and seeds.max() < g.n
    again = np.asarray(pick(g, 12, np.random.default_rng(3), sc))
    assert np.array_equal(seeds, again), "the same rng gives the same pick"
    # a fixed pick is a ranking: smaller budgets are prefixes (compare-seeding picks once
    # at the largest budget). ris draws a sample sized by the budget, so its picks at two
    # budgets differ; the largest budget's order is still IMM's greedy order.
    if not entry.per_replicate and name != "ris":
        assert np.array_equal(np.asarray(pick(g, 5, np.random.default_rng(3), sc)), seeds[:5])
    # it runs as a scenario's seeding, and the KOLs count as adopters
    res = wom_sim.run(load_scenario(sc, [f"seeding.strategy={name}", "seeding.budget=12"]), graph=g)
    assert (res.metric("adopters")[:, 0] >= 12).all()


def test_a_registered_strategy_is_accepted_and_run(small_world):
    sc, g = small_world

    def lowest_ids(graph, budget, rng, scenario=None):
        """The lowest agent ids (a test strategy)."""
        return np.arange(budget, dtype=np.int32)

    catalogs.register_strategy("lowest_ids_test", lowest_ids)
    try:
        run_sc = load_scenario(sc, ["seeding.strategy=lowest_ids_test", "seeding.budget=4"])
        res = wom_sim.run(run_sc, graph=g)
        assert res.kols == [0, 1, 2, 3]
    finally:
        del catalogs.STRATEGIES["lowest_ids_test"]
    with pytest.raises(wom_sim.ScenarioError, match="unknown strategy"):
        load_scenario(sc, ["seeding.strategy=lowest_ids_test"])


# ----------------------------------------------------------------------------- policies

CRISIS = {"scenario": {"steps": 25, "replicates": 3, "seed": 4},
          "graph": {"kind": "erdos_renyi", "n": 800, "mean_degree": 6},
          "wom": {"mode": "cascade", "transmissibility": 0.15, "active_steps": 4},
          "seeding": {"budget": 0, "initial_complainers": 10},
          "response": {"detect_prob": 1.0, "delay": 1, "capacity": 3, "threshold": 2}}


@pytest.mark.parametrize("name", list(catalogs.POLICIES))
def test_policy_contract(name):
    entry = catalogs.POLICIES[name]
    assert entry.doc and set(entry.params) <= RESPONSE_FIELDS, "params must be [response] keys of the schema"
    cls = entry.load()
    assert isinstance(cls, type) and issubclass(cls, ResponsePolicy)
    sc = load_scenario({**CRISIS, "response": {**CRISIS["response"], "policy": name}})
    res = wom_sim.run(sc)
    responses = res.metric("responses")
    assert (np.diff(responses, axis=1) >= 0).all() and (responses[:, -1] <= 10 * 25).all()
    if cls.monitors:
        assert responses[:, -1].sum() > 0, "a listening policy answers someone in a crisis"
    else:
        assert (responses == 0).all()
    # nobody is ever detected: nobody is answered
    quiet = load_scenario(sc, ["response.detect_prob=0"])
    assert (wom_sim.run(quiet).metric("responses") == 0).all()
    # the CRN contract: a policy changes nothing before its first answer
    base = wom_sim.run(load_scenario(sc, ["response.policy=none"]))
    first = int(np.argmax(np.diff(responses[0]) > 0)) if responses[0, -1] else 25
    np.testing.assert_array_equal(res.series[0, :first + 1, res.metrics.index("neg_messages")],
                                  base.series[0, :first + 1, base.metrics.index("neg_messages")])


def test_a_registered_policy_is_accepted_and_run():
    class AnswerAtOnce(ResponsePolicy):
        """Answers every complainer found, in the step it is found (a test policy)."""

        def __init__(self, spec):
            super().__init__(spec)
            self.found: list[np.ndarray] = []

        def on_detected(self, step, agents, view):
            self.found.append(agents)

        def due(self, step, view):
            out = np.concatenate(self.found) if self.found else np.zeros(0, np.int64)
            self.found = []
            return out

    catalogs.register_policy("at_once_test", AnswerAtOnce)
    try:
        sc = load_scenario({**CRISIS, "response": {**CRISIS["response"], "policy": "at_once_test"}})
        assert wom_sim.run(sc).metric("responses")[:, -1].sum() > 0
    finally:
        del catalogs.POLICIES["at_once_test"]
