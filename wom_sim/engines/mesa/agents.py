"""The consumer as a Mesa agent: every rule of docs/model.md as an agent method.

    ConsumerAgent.receive        exposure and persuasion by last step's messages
    ConsumerAgent.see_advert     advertising exposure (p_external)
    ConsumerAgent.progress       one step down the funnel; reaching Action is `buy`
    ConsumerAgent.be_sensed      SICAS: the brand's monitoring finds the consumer
    ConsumerAgent.tell           the next people of its telling plan, or a cascade round
    ConsumerAgent.broadcast      a KOL's one post to its followers (step 1)
    ConsumerAgent.get_answer     the firm's response to a complainer
    ConsumerAgent.reconsider     a rejecter won back by the firm's public reply

The probabilities come from wom_sim.model.rules, the same functions the NumPy core uses.
"""
from __future__ import annotations

from typing import Any

from mesa.discrete_space import FixedAgent

from ...model import rules

UNAWARE = 0


class ConsumerAgent(FixedAgent):
    """One consumer, fixed to its node of the social network (docs/model.md section 2)."""

    model: Any  # the WomModel (engines.mesa.model) this agent lives in

    def __init__(self, model: Any, node: int) -> None:
        super().__init__(model)
        self.node = node            # index 0..n-1 in the CSR graph (what policies see)
        self.stage = UNAWARE        # funnel stage code (funnels.py)
        self.experience = 0         # +1 / -1 after purchase, 0 before
        self.valence = 0            # what a sharer tells: +1 / -1
        self.tells_left = 0         # retell: tells still to make; cascade: active steps
        self.plan: list[ConsumerAgent] = []  # retell: who it will tell, in order (section 9.2)
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

    def make_sharer(self, valence: int, tells: int, now: bool) -> int:
        """Start telling with `tells` tells (cascade: for `tells` steps), now or next
        step. In retell mode it draws, once, the distinct people it will tell over its
        telling life (rules.telling_plan_size of them, in random order). Returns what it
        will tell (0: nobody to tell)."""
        m = self.model
        if not m.cascade:
            size = int(rules.telling_plan_size(tells, m.n - 1 if m.complete else len(self.followers)))
            self.plan = self.sample_followers(size)
            tells = len(self.plan)
        self.valence = valence
        self.tells_left = tells
        self.shares_from = m.t if now else m.t + 1
        return tells

    def finish_telling(self) -> None:
        """Out of tells: a buyer is DONE; a rejecter stays REJECTED."""
        self.tells_left = 0
        self.plan = []
        if self.stage == self.model.funnel.SHARE:
            self.stage = self.model.funnel.DONE

    def sample_followers(self, k: int) -> list[ConsumerAgent]:
        """min(k, followers) distinct followers: a uniformly random ordered sample."""
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

    def meet_strangers(self, ties: int, p: float) -> list[ConsumerAgent]:
        """Weak ties: `ties` uniformly random other agents met this step (with
        replacement, drawn anew each step), each hearing with probability p."""
        m = self.model
        rand = self.random.random
        hits = sum(1 for _ in range(ties) if rand() < p)
        return [m.consumers[i + (i >= self.node)] for i in (min(int(rand() * (m.n - 1)), m.n - 2)
                                                             for _ in range(hits))]

    # ---------------------------------------------------------------- 1-2. receiving
    def open_inbox(self) -> None:
        """Start of a step: last step's messages become this step's news."""
        self.news_pos, self.news_neg = self.inbox_pos, self.inbox_neg
        self.inbox_pos = self.inbox_neg = 0

    def hear(self, valence: int) -> None:
        """A message arrives; it is judged when read, next step (section 9.1). Only a
        message that can act on nothing then is not kept: one to an agent who bought,
        unless it is a first piece of bad news (rules.message_may_act)."""
        f = self.model.funnel
        bought = self.stage > f.n_pre and self.stage != f.REJECTED
        if rules.message_may_act(valence < 0, self.heard_neg, bought):
            if valence < 0:
                self.inbox_neg += 1
            else:
                self.inbox_pos += 1

    def receive(self) -> None:
        """Exposure and persuasion by the messages opened this step (docs/model.md 4.1-4.2)."""
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
            if self.random.random() < rules.rejection_probability(self.news_neg, r):
                self.reject(share_prob=m.wom.rejecter_shares)
        # positive news (news_pos) boosts this step's advance: read in `progress`

    def decide_at_once(self) -> None:
        """funnel = "none": hearing is deciding; bad news wins if both arrive."""
        if self.stage != UNAWARE:
            return
        if self.news_neg:
            self.reject(share_prob=rules.share_probability(self.model.wom, -1))
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
        p = rules.advance_probability(f.advance[s - 1], self.news_pos if f.message_boost[s - 1] else 0,
                                      f.positive_boost, f.brand_boost[s - 1] and self.sensed,
                                      f.brand_engagement)
        new = s + 1 if self.random.random() < p else s
        if f.skip > 0 and s == 1 and self.random.random() < f.skip:
            new = f.ACTION
        self.stage = new
        if new == f.ACTION:
            self.buy()

    def buy(self, positive: bool = False) -> None:
        """Purchase (docs/model.md 4.4): draw the experience, maybe become a sharer."""
        m, f = self.model, self.model.funnel
        m.adopters += 1
        m.new_adopters += 1
        bad = not positive and self.random.random() < m.wom.p_negative_experience
        self.experience = -1 if bad else 1
        self.stage = f.ACTION
        if self.random.random() < rules.share_probability(m.wom, self.experience):
            told = self.make_sharer(self.experience, m.draw_tells(self.experience), now=f.realtime_share)
            self.stage = f.SHARE if told > 0 else f.DONE

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
        """One step of telling: the next people of its plan, or one cascade round."""
        m = self.model
        if m.cascade:
            heard = self.reach_followers(m.wom.transmissibility, weighted=True)
            if m.wom.weak_ties_per_step:
                heard += self.meet_strangers(m.wom.weak_ties_per_step, m.wom.transmissibility)
            self.tells_left -= 1
        else:
            c = min(self.tells_left, m.wom.tells_per_step)
            heard, self.plan = self.plan[:c], self.plan[c:]
            self.tells_left -= c
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
        if r.backfire_prob > 0 and self.random.random() < r.backfire_prob:
            self.backfire()
            return
        if resolve < r.resolve_prob and self.valence < 0 and self.tells_left > 0:
            self.finish_telling()
        if recover < r.recovery_prob and self.experience < 0:
            self.recover()

    def backfire(self) -> None:
        """A tone-deaf reply: the complainer starts a fresh negative telling life from the
        next step (a new tells draw and plan), neither resolved nor recovered (section 5)."""
        m = self.model
        self.tells_left = 0
        self.plan = []
        told = self.make_sharer(-1, m.draw_tells(-1), now=False)
        if self.stage in (m.funnel.SHARE, m.funnel.DONE) or (self.stage > m.funnel.n_pre
                                                            and self.stage != m.funnel.REJECTED):
            self.stage = m.funnel.SHARE if told > 0 else m.funnel.DONE

    def recover(self) -> None:
        """Service recovery: a complaining buyer becomes a positive sharer, with a fresh
        positive tells draw and a new plan, telling from the next step (section 9.8)."""
        m = self.model
        self.experience = 1
        self.tells_left = 0
        told = self.make_sharer(+1, m.draw_tells(+1), now=False)
        self.stage = m.funnel.SHARE if told > 0 else m.funnel.DONE

    def reconsider(self) -> None:
        """A rejecter reached by the firm's public reply goes back to the funnel."""
        self.tells_left = 0
        self.plan = []
        self.valence = 0
        self.stage = UNAWARE if self.model.funnel.is_contagion else 1

    # ---------------------------------------------------------------- bass mode
    def consider_adopting(self, frac: float | None) -> None:
        """Decide (not yet act): adopt with min(1, p + q f), f the adopted fraction of
        the agents it hears (`frac` under complete mixing)."""
        wom = self.model.wom
        f = frac if frac is not None else self.adopted_sources / max(self.sources, 1)
        self.will_adopt = self.random.random() < rules.bass_adoption_probability(wom.p_external, wom.q_imitation, f)

    def adopt(self) -> None:
        m = self.model
        self.will_adopt = False
        self.stage = m.funnel.ACTION
        self.become_aware()
        m.adopters += 1
        m.new_adopters += 1
        for other in self.followers:
            other.adopted_sources += 1
