"""The Mesa agent engine: the rules of MODEL.md sections 2-7 written as Mesa agents.

This engine is for teaching and for small graphs (at most 50,000 agents). It runs the
same rules as the vectorized NumPy core (numpy_engine.py), one consumer at a time, so
that a student can read every rule as an agent method:

    ConsumerAgent.receive        exposure and persuasion by last step's messages
    ConsumerAgent.see_advert     advertising exposure (p_external)
    ConsumerAgent.progress       one step down the funnel; reaching Action is `buy`
    ConsumerAgent.be_sensed      SICAS: the brand's monitoring finds the consumer
    ConsumerAgent.tell           retelling (retell) or one round of a cascade
    ConsumerAgent.broadcast      a KOL's one post to its followers (step 1)
    ConsumerAgent.get_answer     the firm's response to a complainer
    ConsumerAgent.reconsider     a rejecter won back by the firm's public reply

and WomModel.step puts them in the order of MODEL.md section 4.

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
engine (sampling.draw_tells). The numbers differ from the NumPy engine's, the
distributions do not: tests/test_mesa_equivalence.py compares the two statistically.
"""
from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import replace
from typing import Callable

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import FixedAgent, Network

from ..errors import ScenarioError
from ..funnels import Funnel, build_funnel
from ..graphs.csr import CSRGraph
from ..policies import EngineView, make_policy
from ..scenario import FunnelSpec, Scenario
from .numpy_engine import metric_names
from .sampling import draw_tells

#: the agent engine refuses bigger graphs (about 5 microseconds per agent-step, plus the
#: networkx graph and Mesa cells in memory): use scenario.engine = "numpy" for those
MAX_AGENTS = 50_000

UNAWARE = 0


# ----------------------------------------------------------------------------- the agent


class ConsumerAgent(FixedAgent):
    """One consumer, fixed to its node of the social network (MODEL.md section 2)."""

    def __init__(self, model: "WomModel", node: int) -> None:
        super().__init__(model)
        self.node = node            # index 0..n-1 in the CSR graph (what policies see)
        self.stage = UNAWARE        # funnel stage code (funnels.py)
        self.experience = 0         # +1 / -1 after purchase, 0 before
        self.valence = 0            # what a sharer tells: +1 / -1
        self.tells_left = 0         # retell: tells still to make; cascade: active steps
        self.shares_from = 0        # first step in which this sharer tells
        self.is_kol = False
        self.aware = False          # ever heard of the product
        self.heard_neg = False      # ever heard a negative message
        self.sensed = False         # SICAS: found by the brand's monitoring
        self.detected = False       # found as a complainer by the firm
        self.inbox_pos = self.inbox_neg = 0   # messages arriving in this step ...
        self.news_pos = self.news_neg = 0     # ... and those being read in this step
        self.followers: list[ConsumerAgent] = []    # who hears what this agent says
        self.follower_weights: list[float] | None = None  # cascade: per-arc T
        self.sources = 0            # bass: how many agents this agent hears
        self.adopted_sources = 0    # bass: how many of them have adopted
        self.will_adopt = False     # bass: this step's decision

    # ---------------------------------------------------------------- small helpers
    @property
    def in_funnel(self) -> bool:
        """Aware but not yet buying: in one of the pre-purchase stages."""
        return 1 <= self.stage <= self.model.funnel.n_pre

    @property
    def has_news(self) -> bool:
        return self.news_pos > 0 or self.news_neg > 0

    @property
    def has_mail(self) -> bool:
        return self.inbox_pos > 0 or self.inbox_neg > 0

    def tells_now(self, t: int) -> bool:
        return self.tells_left > 0 and self.shares_from <= t

    def become_aware(self) -> None:
        if not self.aware:
            self.aware = True
            self.model.n_aware += 1

    def hear_bad_news(self) -> None:
        if not self.heard_neg:
            self.heard_neg = True
            self.model.n_neg_reach += 1

    def make_sharer(self, valence: int, tells: int, now: bool) -> None:
        """Start telling `tells` times (cascade: for `tells` steps): now or next step."""
        self.valence = valence
        self.tells_left = tells
        self.shares_from = self.model.t if now else self.model.t + 1

    def finish_telling(self) -> None:
        """Out of tells: a buyer is DONE; a rejecter stays REJECTED."""
        self.tells_left = 0
        if self.stage == self.model.funnel.SHARE:
            self.stage = self.model.funnel.DONE

    def sample_followers(self, k: int) -> list[ConsumerAgent]:
        """min(k, followers) distinct followers, chosen uniformly."""
        m = self.model
        if m.complete:
            return m.others(self, min(k, m.n - 1))
        return self.random.sample(self.followers, min(k, len(self.followers)))

    def reach_followers(self, p: float, weighted: bool = False) -> list[ConsumerAgent]:
        """Each follower independently with probability p (or the arc's weight)."""
        m = self.model
        if m.complete:  # the same as n - 1 coin flips: a Binomial count of distinct others
            return m.others(self, int(m.rng.binomial(m.n - 1, p)))
        rand = self.random.random
        if weighted and self.follower_weights is not None:
            return [o for o, w in zip(self.followers, self.follower_weights) if rand() < w]
        return [o for o in self.followers if rand() < p]

    # ---------------------------------------------------------------- 1-2. receiving
    def open_inbox(self) -> None:
        """Start of a step: last step's messages become this step's news."""
        self.news_pos, self.news_neg = self.inbox_pos, self.inbox_neg
        self.inbox_pos = self.inbox_neg = 0

    def hear(self, valence: int) -> None:
        """A message arrives (read next step). It can change only an agent not yet
        buying, or give a first piece of bad news; any other is counted, not kept."""
        if self.stage <= self.model.funnel.n_pre or (valence < 0 and not self.heard_neg):
            if valence < 0:
                self.inbox_neg += 1
            else:
                self.inbox_pos += 1

    def receive(self) -> None:
        """Exposure and persuasion by the messages opened this step (MODEL.md 4.1-4.2)."""
        m, f = self.model, self.model.funnel
        self.become_aware()
        if self.news_neg:
            self.hear_bad_news()
        if f.is_contagion:
            self.decide_at_once()
            return
        if self.stage == UNAWARE:
            self.stage = 1  # enters the funnel; first advances next step
        r = m.wom.reject_per_negative
        if self.news_neg and r > 0 and self.in_funnel:
            # each negative message rejects with probability r
            if self.random.random() < 1.0 - (1.0 - r) ** self.news_neg:
                self.reject(share_prob=m.wom.rejecter_shares)
        # positive news (news_pos) boosts this step's advance: read in `progress`

    def decide_at_once(self) -> None:
        """funnel = "none": hearing is deciding; bad news wins if both arrive."""
        if self.stage != UNAWARE:
            return
        if self.news_neg:
            self.reject(share_prob=self.model.share_prob(-1))
        elif self.news_pos:
            self.buy(positive=True)

    def reject(self, share_prob: float) -> None:
        """REJECTED: never buys; may tell its own negative story."""
        m = self.model
        self.stage = m.funnel.REJECTED
        if self.random.random() < share_prob:
            self.make_sharer(-1, m.draw_tells(-1), now=m.funnel.realtime_share)

    def see_advert(self) -> None:
        """Advertising: an unaware agent becomes aware with probability p_external."""
        if self.random.random() < self.model.wom.p_external:
            self.become_aware()
            if self.model.funnel.is_contagion:  # no funnel: advertising persuades at once
                self.buy(positive=True)
            else:
                self.stage = 1

    # ---------------------------------------------------------------- 3-4. funnel, purchase
    def progress(self) -> None:
        """Advance one stage with this stage's probability, boosted by positive news
        and (SICAS) by the brand's engagement; SICAS may skip to Action."""
        f = self.model.funnel
        s = self.stage
        p = f.advance[s - 1]
        k = self.news_pos
        if f.positive_boost > 0 and f.message_boost[s - 1] and k > 0:
            p = 1.0 - (1.0 - p) * (1.0 - f.positive_boost) ** k
        if f.brand_engagement > 0 and f.brand_boost[s - 1] and self.sensed:
            p = 1.0 - (1.0 - p) * (1.0 - f.brand_engagement)
        new = s + 1 if self.random.random() < p else s
        if f.skip > 0 and s == 1 and self.random.random() < f.skip:
            new = f.ACTION
        self.stage = new
        if new == f.ACTION:
            self.buy()

    def buy(self, positive: bool = False) -> None:
        """Purchase (MODEL.md 4.4): draw the experience, maybe become a sharer."""
        m, f = self.model, self.model.funnel
        m.adopters += 1
        m.new_adopters += 1
        bad = not positive and self.random.random() < m.wom.p_negative_experience
        self.experience = -1 if bad else 1
        self.stage = f.ACTION
        if self.random.random() < m.share_prob(self.experience):
            tells = m.draw_tells(self.experience)
            self.stage = f.SHARE if tells > 0 else f.DONE
            self.make_sharer(self.experience, tells, now=f.realtime_share)

    def be_sensed(self) -> None:
        """SICAS (a): the brand's monitoring finds this aware agent (read next step)."""
        if self.random.random() < self.model.resp.detect_prob:
            self.sensed = True

    # ---------------------------------------------------------------- 5. telling
    def broadcast(self) -> None:
        """A KOL posts once (step 1): each follower hears it with kol_reach; then DONE."""
        m = self.model
        heard = self.reach_followers(m.sc.seeding.kol_reach)
        for other in heard:
            other.hear(+1)
        m.new_pos += len(heard)
        self.stage = m.funnel.DONE
        self.valence = 0

    def tell(self) -> None:
        """One step of telling: retell to distinct followers, or one cascade round."""
        m = self.model
        if m.cascade:
            heard = self.reach_followers(m.wom.transmissibility, weighted=True)
            self.tells_left -= 1
        elif not self.followers and not m.complete:
            heard = []
            self.tells_left = 0  # an isolated sharer has nobody to tell: it is finished
        else:
            heard = self.sample_followers(min(self.tells_left, m.wom.tells_per_step))
            self.tells_left -= len(heard)
        for other in heard:
            other.hear(self.valence)
        if self.valence < 0:
            m.new_neg += len(heard)
        else:
            m.new_pos += len(heard)
        if self.tells_left <= 0:
            self.finish_telling()

    # ---------------------------------------------------------------- 6. firm response
    def get_answer(self) -> None:
        """The firm answers this complainer: it may stop telling (resolve) and, if it
        bought and was unhappy, become a positive sharer (service recovery)."""
        r = self.model.resp
        resolve, recover = self.random.random(), self.random.random()
        if resolve < r.resolve_prob and self.valence < 0 and self.tells_left > 0:
            self.finish_telling()
        if recover < r.recovery_prob and self.experience < 0:
            self.recover()

    def recover(self) -> None:
        m = self.model
        self.experience = 1
        self.tells_left = 0
        tells = m.draw_tells(+1)
        self.stage = m.funnel.SHARE if tells > 0 else m.funnel.DONE
        self.make_sharer(+1, tells, now=False)

    def reconsider(self) -> None:
        """A rejecter reached by the firm's public reply goes back to the funnel."""
        self.tells_left = 0
        self.valence = 0
        self.stage = UNAWARE if self.model.funnel.is_contagion else 1

    # ---------------------------------------------------------------- bass mode
    def consider_adopting(self, frac: float | None) -> None:
        """Decide (not yet act): adopt with min(1, p + q f), f the adopted fraction of
        the agents it hears (`frac` under complete mixing)."""
        wom = self.model.wom
        f = frac if frac is not None else self.adopted_sources / max(self.sources, 1)
        self.will_adopt = self.random.random() < min(1.0, wom.p_external + wom.q_imitation * f)

    def adopt(self) -> None:
        m = self.model
        self.will_adopt = False
        self.stage = m.funnel.ACTION
        self.become_aware()
        m.adopters += 1
        m.new_adopters += 1
        for other in self.followers:
            other.adopted_sources += 1


# ----------------------------------------------------------------------------- the model


def _network_kwargs() -> dict:
    """Mesa >= 3.4's Network computes a spring layout unless told not to (minutes on
    big graphs); Mesa 3.3 has no such argument."""
    return {"layout": None} if "layout" in inspect.signature(Network.__init__).parameters else {}


class WomModel(mesa.Model):
    """Word of mouth on a social network: one step is MODEL.md section 4."""

    def __init__(self, engine: "MesaEngine", rng: np.random.Generator, kols: np.ndarray) -> None:
        super().__init__(rng=rng)
        sc = engine.sc
        self.sc, self.funnel = sc, engine.funnel
        self.wom, self.resp, self.econ = sc.wom, sc.response, sc.economics
        self.cascade = sc.wom.mode == "cascade"
        self.n = engine.n
        self.complete = engine.g.complete
        self.t = 0  # the last step done (Mesa's own `steps`/`time` are left to Mesa)
        # --- counters behind the metrics (MODEL.md section 6)
        self.n_aware = self.n_neg_reach = self.adopters = self.new_adopters = 0
        self.pos_msgs = self.neg_msgs = self.new_pos = self.new_neg = 0
        self.responses = self.new_responses = 0
        self.npv = 0.0
        self.stage_counts = [0] * self.funnel.n_codes
        # --- the population, on the network (complete mixing: no network, mean field)
        self.consumers: list[ConsumerAgent] = list(
            ConsumerAgent.create_agents(self, self.n, node=list(range(self.n))))
        self.network = None
        if not self.complete:
            self.network = Network(engine.nx_graph(), random=self.random, **_network_kwargs())
            self._place_on_network(weighted=self.cascade and engine.g.weights is not None)
        self.kols = [self.consumers[i] for i in np.asarray(kols, dtype=np.int64).tolist()]
        self.policy = make_policy(sc.response)
        self.view = EngineView(engine.out_degree if self.policy.monitors else np.zeros(0), 0, self.rng)
        self.datacollector = DataCollector(model_reporters=self._reporters(engine.metrics))
        self.start()
        self.record()

    def _place_on_network(self, weighted: bool) -> None:
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

    def _reporters(self, names: list[str]) -> dict[str, Callable]:
        """One DataCollector model reporter per metric, in the NumPy engine's order."""
        def sentiment(m: WomModel) -> float:
            total = m.pos_msgs + m.neg_msgs
            return (m.pos_msgs - m.neg_msgs) / total if total else 0.0

        reporters: dict[str, Callable] = {
            "aware": lambda m: m.n_aware,
            "adopters": lambda m: m.adopters,
            "new_adopters": lambda m: m.new_adopters,
            "rejected": lambda m: m.stage_counts[m.funnel.REJECTED],
            "negative_reach": lambda m: m.n_neg_reach,
            "pos_messages": lambda m: m.pos_msgs,
            "neg_messages": lambda m: m.neg_msgs,
            "new_pos_messages": lambda m: m.new_pos,
            "new_neg_messages": lambda m: m.new_neg,
            "responses": lambda m: m.responses,
            "new_responses": lambda m: m.new_responses,
            "net_sentiment": sentiment,
            "npv": lambda m: m.npv,
        }
        for code, name in enumerate(self.funnel.code_names()):
            reporters[f"stage_{name}"] = lambda m, code=code: m.stage_counts[code]
        assert list(reporters) == names, "metric order differs from the NumPy engine's"
        return reporters

    # ---------------------------------------------------------------- helpers
    def share_prob(self, valence: int) -> float:
        w = self.wom
        if valence < 0 and w.share_prob_negative is not None:
            return w.share_prob_negative
        return w.share_prob

    def draw_tells(self, valence: int) -> int:
        """Retellings of a new sharer (cascade: its active steps)."""
        w = self.wom
        if self.cascade:
            return w.active_steps
        mean = w.positive_tells if valence > 0 else w.negative_tells
        return int(draw_tells(self.rng, 1, mean, w.tells_distribution)[0])

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
        k = self.sc.seeding.initial_complainers
        if k:
            pool = [a for a in self.consumers if not a.is_kol]
            for a in self.random.sample(pool, min(k, len(pool))):
                a.stage, a.experience = f.SHARE, -1
                a.become_aware()
                a.hear_bad_news()
                self.adopters += 1
                tells = self.draw_tells(-1) if self.cascade else max(self.draw_tells(-1), 1)
                a.make_sharer(-1, tells, now=True)

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
        self.pos_msgs += self.new_pos
        self.neg_msgs += self.new_neg
        # 6. the firm detects this step's complainers and answers those due
        if self.policy.monitors:
            self.respond(neg_tellers)
        self.npv += self.new_adopters * self.econ.margin * (1.0 + self.econ.discount_rate) ** (-t)
        # 7. metrics
        self.record()

    def respond(self, neg_tellers: list[ConsumerAgent]) -> None:
        """MODEL.md section 5: detection, then the responses the policy says are due."""
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
        self.responses += len(due)
        for a in due:  # first every answer ...
            a.get_answer()
        if r.repair_prob > 0:  # ... then the public replies
            self.public_replies(due)

    def public_replies(self, answered: list[ConsumerAgent]) -> None:
        """Each REJECTED follower of an answered complainer reconsiders with repair_prob
        (one chance per answered complainer it follows)."""
        rp, rejected = self.resp.repair_prob, self.funnel.REJECTED
        rand = self.random.random
        if self.complete:
            p = 1.0 - (1.0 - rp) ** len(answered)
            hits = [a for a in self.consumers if a.stage == rejected and rand() < p]
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
        self.t = t = self.t + 1
        self.new_adopters = 0
        deciders = self.agents.select(lambda a: a.stage == UNAWARE)
        frac = None  # on a network each agent looks at the agents it hears
        if self.complete:  # mean field: the adopted fraction of everyone else
            frac = self.adopters / (self.n - 1) if self.n > 1 else 0.0
        # simultaneous activation: all decide on the state at the start of the step ...
        deciders.do("consider_adopting", frac)
        # ... then those who decided to adopt do so
        deciders.select(lambda a: a.will_adopt).do("adopt")
        self.npv += self.new_adopters * self.econ.margin * (1.0 + self.econ.discount_rate) ** (-t)
        self.record()


# ----------------------------------------------------------------------------- the engine


def check_size(n_agents: int | None, source: str = "<dict>") -> None:
    """Refuse a population too big for the agent engine, naming the fix. `n_agents`
    None (an edge list not read yet) passes; the engine checks again."""
    if n_agents is not None and n_agents > MAX_AGENTS:
        raise ScenarioError(
            f"{source}: scenario.engine = \"mesa\" is the teaching engine for at most "
            f"{MAX_AGENTS:,} agents, and this graph has {n_agents:,}. Set scenario.engine = \"numpy\" "
            f"(the same rules, vectorized, for any size).")


class MesaEngine:
    """Runs replicates of one scenario as a Mesa model; the interface of NumpyEngine."""

    def __init__(self, graph: CSRGraph, scenario: Scenario, kols=()) -> None:
        check_size(graph.n, scenario.source)
        self.g = graph
        self.sc = scenario
        self.kols = np.asarray(kols, dtype=np.int64)  # default KOLs of run_replicate
        # Bass mode has no funnel: adoption is the only change of state
        self.funnel: Funnel = build_funnel(FunnelSpec(kind="none") if scenario.wom.mode == "bass"
                                           else scenario.funnel)
        self.metrics = metric_names(self.funnel)
        self.n = graph.n
        self._out_degree: np.ndarray | None = None
        self._nx = None

    @property
    def out_degree(self) -> np.ndarray:
        if self._out_degree is None:
            self._out_degree = self.g.out_degree()
        return self._out_degree

    def nx_graph(self):
        """The networkx graph behind every replicate's mesa Network (built once)."""
        if self._nx is None:
            from ..graphs.io import to_networkx
            self._nx = to_networkx(replace(self.g, meta={}))  # nodes 0..n-1, not labels
        return self._nx

    def run_replicate(self, rng: np.random.Generator,
                      on_step: Callable[[int], None] | None = None,
                      kols: np.ndarray | None = None) -> np.ndarray:
        """Simulate `steps` steps from KOLs `kols` (default: the engine's); return the
        metrics table, shape (steps + 1, metrics): row 0 is the initial state."""
        kols = self.kols if kols is None else np.asarray(kols, dtype=np.int64)
        model_class = BassModel if self.sc.wom.mode == "bass" else WomModel
        model = model_class(self, rng, kols)
        try:
            for t in range(1, self.sc.scenario.steps + 1):
                model.step()
                if on_step is not None:
                    on_step(t)
            table = model.datacollector.get_model_vars_dataframe()[self.metrics]
            return table.to_numpy(dtype=np.float64)
        finally:
            _release(model)


def _release(model: mesa.Model) -> None:
    """Mesa 3.3 keeps every model in a class-level id counter (Agent._ids), and with it
    all its agents: drop it, so that replicates do not pile up in memory."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
