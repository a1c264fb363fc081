"""The Mesa model: docs/model.md sections 2-7 as Mesa agents (agents.py) on a network.

This engine is for teaching and for small graphs (at most 50,000 agents). It runs the
same rules as the vectorized NumPy core (engines/numpy), one consumer at a time, so
that a student can read every rule as an agent method (agents.py lists them), and
WomModel.step puts them in the order of docs/model.md section 4.

Synchronous updates (every decision reads the state at the start of the step) on top
of Mesa's sequential `AgentSet.do`:

1. Messages go through a two-slot mailbox. What an agent is told during step t lands
   in its `inbox_*` counters; at the start of step t + 1 every agent moves its inbox
   to `news_*` (`open_inbox`) and only then reads it. So no agent reacts in step t to a
   message sent in step t, whatever the order in which agents act.
2. The agents who may advance in the funnel are chosen once, at the start of the step
   (`starters`): an agent who becomes aware in this step enters the funnel and first
   advances in the next step.
3. Brand sensing (SICAS) sets a flag read by `progress` in the next step.
4. Sharers made in step t first tell in step t + 1 (`shares_from`), or in step t under
   real-time sharing (SICAS, pure contagion).
5. Bass mode is Mesa's classic simultaneous activation: every non-adopter first
   decides (reading who had adopted at the start of the step), then all deciders adopt.

With these, the order in which agents act inside one phase does not matter (only the
random numbers they draw depend on it), so a phase may use `shuffle_do`.

The graph is a `mesa.discrete_space.Network` built from the CSR graph (one agent per
cell; an agent's followers are the agents of the cells its cell connects to). Complete
mixing (graph kind "complete") has no Network: every agent is everyone's neighbour and
picks whom it tells uniformly among all others (mean field).

Random numbers: the replicate's numpy Generator seeds the Mesa model
(`Model(rng=...)`); agents draw their coin flips from the model's seeded `random`,
and the retelling counts from `model.rng` with the same distributions as the NumPy
engine (model.rules.new_tells). The model collects the engines' shared counters
(model.metrics.COUNTERS); the metrics are derived from them once, by metrics.table.
The numbers differ from the NumPy engine's, the distributions do not:
tests/test_mesa_equivalence.py compares the two statistically.
"""
from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector
from mesa.discrete_space import Network

from ...model import metrics, rules
from ...policies import EngineView, make_policy
from ...seeding.complainers import pick_from_order
from .agents import UNAWARE, ConsumerAgent


def _network_kwargs() -> dict:
    """Mesa >= 3.4's Network computes a spring layout unless told not to (minutes on
    big graphs); Mesa 3.3 has no such argument."""
    return {"layout": None} if "layout" in inspect.signature(Network.__init__).parameters else {}


class WomModel(mesa.Model):
    """Word of mouth on a social network: one step is docs/model.md section 4.

    `engine` is the MesaEngine (engine.py) of the scenario: its graph, funnel and the
    networkx graph behind every replicate's Network."""

    def __init__(self, engine: Any, rng: np.random.Generator, kols: np.ndarray) -> None:
        super().__init__(rng=rng)
        sc = engine.sc
        self.sc, self.funnel = sc, engine.funnel
        self.wom, self.resp, self.econ = sc.wom, sc.response, sc.economics
        self.cascade = sc.wom.mode == "cascade"
        self.n = engine.n
        self.complete = engine.g.complete
        self.t = 0  # the last step done (Mesa's own `steps`/`time` are left to Mesa)
        # --- the counters behind the metrics (model.metrics.COUNTERS)
        self.n_aware = self.n_neg_reach = self.adopters = self.new_adopters = 0
        self.new_pos = self.new_neg = self.new_responses = 0
        self.stage_counts = [0] * self.funnel.n_codes
        # --- the population, on the network (complete mixing: no network, mean field)
        self.consumers: list[ConsumerAgent] = list(
            ConsumerAgent.create_agents(self, self.n, node=list(range(self.n))))
        self.network: Network | None = None
        if not self.complete:
            self.network = Network(engine.nx_graph(), random=self.random, **_network_kwargs())
            self._place_on_network(weighted=self.cascade and engine.g.weights is not None)
        self.kols = [self.consumers[i] for i in np.asarray(kols, dtype=np.int64).tolist()]
        self.spend = engine.spend([kols])[0]  # what the KOLs cost (net_npv)
        self.policy = make_policy(sc.response)
        self.complainer_order = getattr(engine, "complainer_order", None)
        self.view = EngineView(engine.out_degree if self.policy.monitors else np.zeros(0), 0, self.rng)
        self.datacollector = DataCollector(model_reporters=self._reporters())
        self.start()
        self.record()

    def _place_on_network(self, weighted: bool) -> None:
        assert self.network is not None  # complete mixing has no network to place agents on
        for agent in self.consumers:
            agent.cell = self.network[agent.node]
        for agent in self.consumers:
            # the agents in the cells this cell connects to (the out-neighbours); read
            # from `connections`, not `cell.neighborhood`, whose functools cache would
            # keep every replicate's cells, agents and model alive
            agent.followers = [other for cell in agent.cell.connections.values()
                               for other in cell.agents]
            for other in agent.followers:
                other.sources += 1
            if weighted:
                G = self.network.G
                agent.follower_weights = [float(G[agent.node][o.node].get("weight", 1.0))
                                          for o in agent.followers]

    def _reporters(self) -> dict[str, Callable[..., Any]]:
        """One DataCollector model reporter per counter, in model.metrics' order."""
        reporters: dict[str, Callable[..., Any]] = {
            "aware": lambda m: m.n_aware,
            "adopters": lambda m: m.adopters,
            "new_adopters": lambda m: m.new_adopters,
            "negative_reach": lambda m: m.n_neg_reach,
            "new_pos_messages": lambda m: m.new_pos,
            "new_neg_messages": lambda m: m.new_neg,
            "new_responses": lambda m: m.new_responses,
        }
        for code, name in enumerate(self.funnel.code_names()):
            reporters[f"stage_{name}"] = lambda m, code=code: m.stage_counts[code]
        assert list(reporters) == metrics.counter_names(self.funnel), "counter order differs from model.metrics"
        return reporters

    def counters(self) -> np.ndarray:
        """The counters collected so far: (steps done + 1, counters)."""
        return self.datacollector.get_model_vars_dataframe().to_numpy(dtype=np.float64)

    def table(self) -> pd.DataFrame:
        """The metrics so far (model.metrics.table of the counters), row t = after step t."""
        return pd.DataFrame(metrics.table(self.counters(), self.funnel, self.econ, self.spend, self.resp),
                            columns=metrics.metric_names(self.funnel))

    def draw_tells(self, valence: int) -> int:
        """Retellings of one new sharer (cascade: its active steps), rules.new_tells."""
        return int(rules.new_tells(self.rng, self.wom, valence, 1)[0])

    def others(self, agent: ConsumerAgent, k: int) -> list[ConsumerAgent]:
        """Complete mixing: k distinct agents other than `agent`, uniformly."""
        picks = self.random.sample(range(self.n - 1), k)
        return [self.consumers[i + (i >= agent.node)] for i in picks]

    # ---------------------------------------------------------------- step 0
    def start(self) -> None:
        """Initial conditions: KOLs are positive sharers who broadcast at step 1;
        initial complainers are negative sharers who tell from step 1."""
        f = self.funnel
        for kol in self.kols:
            kol.is_kol = True
            kol.stage, kol.experience, kol.valence = f.SHARE, 1, 1
            kol.become_aware()
            self.adopters += 1
        k = self.sc.seeding.complainer_count
        if k:
            order = self.complainer_order
            if order is not None:  # fixed complainers (seeding.complainers): no draw
                kols = np.array([a.node for a in self.kols], dtype=np.int64)
                chosen = [self.consumers[i] for i in pick_from_order(order, k, kols).tolist()]
            else:
                pool = [a for a in self.consumers if not a.is_kol]
                chosen = self.random.sample(pool, min(k, len(pool)))
            for a in chosen:
                a.stage, a.experience = f.SHARE, -1
                a.become_aware()
                a.hear_bad_news()
                self.adopters += 1
                tells = int(rules.new_tells(self.rng, self.wom, -1, 1, complainer=True)[0])
                if a.make_sharer(-1, tells, now=True) == 0:
                    a.stage = f.DONE  # nobody to tell

    # ---------------------------------------------------------------- one step
    def step(self) -> None:
        self.new_adopters = self.new_pos = self.new_neg = self.new_responses = 0
        if self.quiescent():  # nothing can change any more: a quiet step
            self.t += 1
            self.record()
            return
        self.t = t = self.t + 1
        # synchronous messages: what was told in step t-1 is opened now
        self.agents.do("open_inbox")
        # the agents in the funnel at the start of the step: only they advance in it
        starters = self.agents.select(lambda a: a.in_funnel)
        # 1-2. exposure and persuasion by last step's messages
        self.agents.select(lambda a: a.has_news).shuffle_do("receive")
        # 1. advertising reaches the still unaware
        if self.wom.p_external > 0:
            self.agents.select(lambda a: a.stage == UNAWARE).shuffle_do("see_advert")
        # 3-4. funnel progression (not for those rejected this step); Action = purchase
        starters.select(lambda a: a.in_funnel).shuffle_do("progress")
        # SICAS (a): the brand senses the agents in the funnel (lifts next step's advance)
        if self.funnel.brand_engagement > 0 and self.resp.detect_prob > 0:
            self.agents.select(lambda a: a.in_funnel and not a.sensed).shuffle_do("be_sensed")
        # 5. telling: the KOLs' one broadcast, then every active sharer
        if t == 1:
            self.agents.select(lambda a: a.is_kol).shuffle_do("broadcast")
        tellers = self.agents.select(lambda a: a.tells_now(t)).shuffle()
        neg_tellers = [a for a in tellers if a.valence < 0]
        tellers.do("tell")
        # 6. the firm detects this step's complainers and answers those due
        if self.policy.monitors:
            self.respond(neg_tellers)
        # 7. counters
        self.record()

    def respond(self, neg_tellers: list[ConsumerAgent]) -> None:
        """docs/model.md section 5: detection, then the responses the policy says are due."""
        t, r = self.t, self.resp
        self.view.neg_messages_step = self.new_neg
        if neg_tellers and r.detect_prob > 0:
            found = [a for a in neg_tellers if not a.detected and self.random.random() < r.detect_prob]
            found.sort(key=lambda a: a.shares_from)  # queues: older complaints first
            for a in found:
                a.detected = True
            self.policy.on_detected(t, np.array([a.node for a in found], dtype=np.int64), self.view)
        due = [self.consumers[i] for i in np.asarray(self.policy.due(t, self.view)).tolist()]
        if not due:
            return
        self.new_responses = len(due)
        for a in due:  # first every answer ...
            a.get_answer()
        if r.repair_prob > 0:  # ... then the public replies
            self.public_replies(due)

    def public_replies(self, answered: list[ConsumerAgent]) -> None:
        """Each REJECTED follower of an answered complainer reconsiders with repair_prob
        (one chance per answered complainer it follows)."""
        rp, rejected = self.resp.repair_prob, self.funnel.REJECTED
        rand = self.random.random
        if self.complete:  # every other agent follows each answered complainer, not itself
            mine = set(answered)
            hits = [a for a in self.consumers if a.stage == rejected
                    and rand() < rules.repair_probability(len(answered) - (a in mine), rp)]
        else:
            hits = list(dict.fromkeys(o for a in answered for o in a.followers
                                      if o.stage == rejected and rand() < rp))
        for a in hits:
            a.reconsider()

    def quiescent(self) -> bool:
        """No rule can change the state again: no messages in flight, no sharers,
        nobody in the funnel, no advertising, no response scheduled."""
        if self.wom.p_external > 0 or not self.policy.idle() or (self.t < 1 and self.kols):
            return False
        return not any(a.has_mail or a.tells_left > 0 or a.in_funnel for a in self.agents)

    def record(self) -> None:
        counts = Counter(self.agents.get("stage"))
        self.stage_counts = [counts.get(code, 0) for code in range(self.funnel.n_codes)]
        self.datacollector.collect(self)


class BassModel(WomModel):
    """Bass mode (Rand & Rust 2011): adoption is the only change of state. Each
    non-adopter adopts with min(1, p + q f), f the adopted fraction of the agents it
    hears; under complete mixing, of all other agents (mean field)."""

    def start(self) -> None:
        for kol in self.kols:
            kol.is_kol = True
            kol.adopt()
        self.new_adopters = 0

    def step(self) -> None:
        self.t = self.t + 1
        self.new_adopters = 0
        deciders = self.agents.select(lambda a: a.stage == UNAWARE)
        frac = None  # on a network each agent looks at the agents it hears
        if self.complete:  # mean field: the adopted fraction of everyone else
            frac = self.adopters / (self.n - 1) if self.n > 1 else 0.0
        # simultaneous activation: all decide on the state at the start of the step ...
        deciders.do("consider_adopting", frac)
        # ... then those who decided to adopt do so
        deciders.select(lambda a: a.will_adopt).do("adopt")
        self.record()
