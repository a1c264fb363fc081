"""Response policies (MODEL.md section 5): capacity queues, the threshold start, and a
policy written in Python outside wom-sim."""
from __future__ import annotations

import textwrap

import numpy as np
from click.testing import CliRunner

import wom_sim
from wom_sim.cli import main
from wom_sim.policies import EngineView
from wom_sim.policies.queued import Capacity, Threshold
from wom_sim.stats import mean_ci


class _Spec:
    def __init__(self, **kw):
        self.delay, self.capacity, self.queue, self.threshold = 0, 2, "fifo", 10.0
        self.__dict__.update(kw)


def test_capacity_queue_orders():
    deg = np.array([1, 50, 3, 40, 2, 60])
    view = EngineView(deg, 0, np.random.default_rng(0))
    fifo = Capacity(_Spec(capacity=2, queue="fifo", delay=1))
    fifo.on_detected(1, np.array([0, 1, 2]), view)
    fifo.on_detected(2, np.array([3, 4, 5]), view)
    assert fifo.due(1, view).tolist() == []          # delay 1: not yet answerable
    assert fifo.due(2, view).tolist() == [0, 1]      # first found, first answered
    assert fifo.due(3, view).tolist() == [2, 3]
    assert fifo.due(4, view).tolist() == [4, 5] and fifo.idle()
    reach = Capacity(_Spec(capacity=2, queue="by_reach", delay=0))
    reach.on_detected(1, np.array([0, 1, 2, 3, 4, 5]), view)
    assert reach.due(1, view).tolist() == [5, 1]     # most followers first
    assert reach.due(2, view).tolist() == [3, 2]


def test_threshold_waits_then_answers_backlog():
    view = EngineView(np.ones(10, int), 5, np.random.default_rng(0))
    pol = Threshold(_Spec(threshold=10, delay=2))
    pol.on_detected(1, np.array([1, 2]), view)           # 5 messages: below, backlog
    assert all(pol.due(t, view).size == 0 for t in range(1, 6))
    view.neg_messages_step = 11
    pol.on_detected(6, np.array([3]), view)              # above: start at step 6
    assert sorted(pol.due(8, view).tolist()) == [1, 2, 3]


def _crisis(policy: str, **response):
    return wom_sim.load_scenario({
        "scenario": {"seed": 3, "steps": 40, "replicates": 24},
        "graph": {"kind": "barabasi_albert", "n": 5000, "m": 3},
        "funnel": {"kind": "aisas"},
        "wom": {"negative_tells": 11, "tells_per_step": 3, "p_negative_experience": 0.0, "reject_per_negative": 0.4,
                "rejecter_shares": 0.0},
        "seeding": {"budget": 0, "initial_complainers": 60},
        "response": {"policy": policy, "delay": 0, "detect_prob": 1.0, "resolve_prob": 1.0,
                     "recovery_prob": 0.0, "repair_prob": 0.0, **response}})


def _cascade_crisis(queue: str):
    """Complainers tell every follower with probability 0.08 per step until answered:
    what a complainer costs grows with its followers (unlike retell mode, where each
    sharer tells tells_per_step people whatever its reach)."""
    return wom_sim.load_scenario({
        "scenario": {"seed": 4, "steps": 60, "replicates": 30},
        "graph": {"kind": "barabasi_albert", "n": 5000, "m": 2},
        "funnel": {"kind": "none"},
        "wom": {"mode": "cascade", "transmissibility": 0.08, "active_steps": 1000, "p_negative_experience": 1.0},
        "seeding": {"budget": 0, "initial_complainers": 80},
        "response": {"policy": "capacity", "capacity": 3, "queue": queue, "delay": 0, "detect_prob": 1.0,
                     "resolve_prob": 1.0, "recovery_prob": 0.0, "repair_prob": 0.0}})


def test_by_reach_beats_fifo_under_tight_capacity():
    """Complainers' follower counts vary on a BA graph: answering the most-followed
    first keeps negative reach lower than first-found-first (paired over CRN replicates)."""
    fifo = wom_sim.run(_cascade_crisis("fifo")).metric("negative_reach")[:, -1]
    reach = wom_sim.run(_cascade_crisis("by_reach")).metric("negative_reach")[:, -1]
    m, lo, hi = mean_ci(fifo - reach)
    assert lo > 0, (m, lo, hi, fifo.mean(), reach.mean())


def test_threshold_makes_no_response_below_its_threshold():
    res = wom_sim.run(_crisis("threshold", threshold=1e9))
    assert (res.metric("responses") == 0).all()
    low = wom_sim.run(_crisis("threshold", threshold=5))
    assert (low.metric("responses")[:, -1] > 0).all()
    # it starts only after a step with more than 5 negative messages
    neg = low.metric("new_neg_messages")
    resp = low.metric("new_responses")
    for r in range(neg.shape[0]):
        first_resp = int(np.flatnonzero(resp[r])[0])
        first_loud = int(np.flatnonzero(neg[r] > 5)[0])
        assert first_resp >= first_loud


def test_custom_policy_from_python(tmp_path, monkeypatch):
    monkeypatch.setenv("WOM_SIM_PLUGINS", "1")  # a scenario may name code of its own only when allowed
    (tmp_path / "my_policies.py").write_text(textwrap.dedent('''
        import numpy as np
        from wom_sim.policies import ResponsePolicy

        class AnswerEveryOther(ResponsePolicy):
            """Answers the complainers found at odd steps, right away."""
            def __init__(self, spec):
                super().__init__(spec)
                self.queue = []
            def on_detected(self, step, agents, view):
                if step % 2:
                    self.queue.append(agents)
            def due(self, step, view):
                out = np.concatenate(self.queue) if self.queue else np.zeros(0, dtype=np.int64)
                self.queue = []
                return out
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    res = wom_sim.run(_crisis("my_policies:AnswerEveryOther"))
    assert (res.metric("responses")[:, -1] > 0).all()


def test_unknown_or_broken_policies_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WOM_SIM_PLUGINS", "0")  # restored after the test (--allow-plugins sets it)
    p = tmp_path / "s.toml"
    for value, needle in [("fixed_dealy", "did you mean 'fixed_delay'"),
                          ("no_such_module:Policy", "cannot load policy"),
                          ("math:sqrt", "not a subclass")]:
        p.write_text(f'[response]\npolicy = "{value}"\n')
        r = CliRunner().invoke(main, ["--allow-plugins", "validate", str(p)])
        assert r.exit_code == 2 and needle in r.output, r.output
