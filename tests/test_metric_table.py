"""The metric table of a run that stopped early (nothing could change any more): derived
up to the step where it stopped and then held (metrics.table's shortcut), it equals the
table derived step by step, with the firm's monitoring still paid every held step."""
from __future__ import annotations

import numpy as np
import pytest

import wom_sim
from wom_sim.execution import make_graph, prepare
from wom_sim.model import metrics
from wom_sim.streams import stream

REPS = 4


def cascade(monitoring: float):
    return wom_sim.load_scenario({
        "scenario": {"steps": 120, "replicates": REPS, "seed": 3},
        "graph": {"kind": "barabasi_albert", "n": 2000, "m": 3},
        "funnel": {"kind": "none"},
        "wom": {"mode": "cascade", "transmissibility": 0.1, "active_steps": 1, "p_external": 0.0},
        "economics": {"discount_rate": 0.01},
        "seeding": {"budget": 5},
        "response": {"policy": "fixed_delay", "monitoring_cost_per_step": monitoring},
    })


@pytest.mark.parametrize("monitoring", [0.0, 20.0])
def test_held_steps_give_the_table_of_every_step(monitoring, monkeypatch):
    sc = cascade(monitoring)
    eng, plan = prepare(sc, make_graph(sc))
    kols = [plan.for_replicate(r) for r in range(REPS)]
    counters = eng.batch_counters([stream(3, 2, r) for r in range(REPS)], kols)
    held = metrics._held_from(counters)
    assert 0 < held < 100, "the cascades ended well before step 120"
    spend = eng.spend(kols)
    fast = metrics.table(counters, eng.funnel, sc.economics, spend, sc.response)
    monkeypatch.setattr(metrics, "_held_from", lambda c: c.shape[-2] - 1)  # derive every step
    slow = metrics.table(counters, eng.funnel, sc.economics, spend, sc.response)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)
    cost = fast[:, :, eng.metrics.index("response_cost")]
    assert (np.diff(cost[:, held:], axis=1) > 0).all() == (monitoring > 0)


def test_hold_repeats_the_last_state_without_flows():
    c = np.arange(2 * 3 * len(metrics.COUNTERS), dtype=np.float64).reshape(2, 3, -1)
    out = metrics.hold(c, 6)
    assert out.shape == (2, 7, c.shape[-1])
    np.testing.assert_array_equal(out[:, :3], c)
    flows = [metrics.COUNTERS.index(f) for f in metrics.FLOWS]
    states = [i for i in range(c.shape[-1]) if i not in flows]
    assert (out[:, 3:, flows] == 0).all()
    np.testing.assert_array_equal(out[:, 3:, states], np.repeat(c[:, 2:, states], 4, axis=1))
    assert metrics._held_from(out) == 3
    assert metrics.hold(c, 2) is c


def test_a_run_still_moving_is_not_held():
    c = np.ones((3, 5, len(metrics.COUNTERS)))
    assert metrics._held_from(c) == 4  # flows in the last step: nothing is held
