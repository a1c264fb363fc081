"""Consumer funnels as data (docs/model.md section 3).

A funnel is the ordered list of stages an aware consumer walks through, with a base
advance probability per step out of each pre-purchase stage and two flags per stage:
whether peers' positive messages boost that advance, and whether the brand's engagement
(SICAS sensing) does. The last two stages are always the purchase (Action) and the
sharing stage; the engines add UNAWARE before and REJECTED, DONE after.

Stage codes used by every engine (int8):
    0 = unaware, 1..F = pre-purchase stages, F+1 = action, F+2 = share,
    F+3 = rejected, F+4 = done.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol


class FunnelSettings(Protocol):
    """What a funnel is built from: the scenario's [funnel] section (scenario.FunnelSpec)."""
    kind: str
    positive_boost: float
    advance: Sequence[float] | None
    stages: Sequence[str] | None
    message_stages: Sequence[str] | None
    brand_engagement: float
    skip: float
    realtime_share: bool | None

#: default advance probabilities, message boosts and brand boosts per built-in funnel
BUILTIN: dict[str, dict] = {
    # AISAS (Dentsu 2004): Attention -> Interest -> Search -> Action -> Share.
    # Peers' messages act on Attention and Interest; Search is the consumer's own step.
    "aisas": dict(stages=("attention", "interest", "search", "action", "share"),
                  advance=(0.30, 0.20, 0.15), message=(True, True, False), brand=(False, False, False),
                  realtime=False, skip=False),
    # SICAS (DCCI 2011): Sense -> Interest & Interactive -> Connect & Communicate -> Action -> Share.
    # (a) brand sensing lifts I&I and C&C; (b) messages act on Sense and on C&C;
    # (c) sharing is real time; (d) a skip from Sense straight to Action.
    "sicas": dict(stages=("sense", "interest_interactive", "connect_communicate", "action", "share"),
                  advance=(0.30, 0.20, 0.15), message=(True, False, True), brand=(False, True, True),
                  realtime=True, skip=True),
    # Pure contagion: hearing is deciding (no pre-purchase stages).
    "none": dict(stages=("action", "share"), advance=(), message=(), brand=(),
                 realtime=True, skip=False),
}


@dataclass(frozen=True)
class Funnel:
    kind: str
    stages: tuple[str, ...]          # pre-purchase stages, then purchase, then share
    advance: tuple[float, ...]       # base advance probability out of each pre-purchase stage
    message_boost: tuple[bool, ...]  # positive messages boost this stage's advance
    brand_boost: tuple[bool, ...]    # SICAS sensing lifts this stage's advance
    positive_boost: float
    brand_engagement: float
    skip: float                      # per-step jump from the first stage to purchase
    realtime_share: bool             # sharers tell in the step they are made

    #: stage code of the agents who never heard of the product
    UNAWARE = 0

    # the stage codes after the pre-purchase stages, read in every step of every engine:
    # computed once (a frozen dataclass keeps cached_property's values in its __dict__)
    @cached_property
    def n_pre(self) -> int:
        """Pre-purchase stages (codes 1..n_pre)."""
        return len(self.advance)

    @cached_property
    def ACTION(self) -> int:
        return self.n_pre + 1

    @cached_property
    def SHARE(self) -> int:
        return self.n_pre + 2

    @cached_property
    def REJECTED(self) -> int:
        return self.n_pre + 3

    @cached_property
    def DONE(self) -> int:
        return self.n_pre + 4

    @cached_property
    def n_codes(self) -> int:
        return self.n_pre + 5

    def code_names(self) -> list[str]:
        """Names of stage codes 0..n_codes-1, used for the `stage_<name>` metrics."""
        return ["unaware", *self.stages, "rejected", "done"]

    @cached_property
    def is_contagion(self) -> bool:
        """No pre-purchase stage: hearing is deciding (funnel "none")."""
        return self.n_pre == 0


def build_funnel(spec: FunnelSettings) -> Funnel:
    """The funnel a scenario's [funnel] section describes (defaults per built-in kind)."""
    if spec.kind == "custom":
        stages = tuple(spec.stages or ())
        pre = stages[:-2]
        boosted = set(spec.message_stages) if spec.message_stages is not None else set(pre)
        return Funnel("custom", stages, tuple(spec.advance or ()), tuple(s in boosted for s in pre),
                      tuple(False for _ in pre), spec.positive_boost, spec.brand_engagement, 0.0,
                      bool(spec.realtime_share) if spec.realtime_share is not None else False)
    b = BUILTIN[spec.kind]
    advance = tuple(spec.advance) if spec.advance is not None else b["advance"]  # length checked by the schema
    realtime = b["realtime"] if spec.realtime_share is None else spec.realtime_share
    return Funnel(spec.kind, b["stages"], advance, b["message"], b["brand"], spec.positive_boost,
                  spec.brand_engagement if spec.kind == "sicas" else 0.0,
                  spec.skip if b["skip"] else 0.0, realtime)


def no_funnel() -> Funnel:
    """Pure contagion: no pre-purchase stages (funnel "none"; Bass mode uses it too)."""
    b = BUILTIN["none"]
    return Funnel("none", b["stages"], (), (), (), 0.0, 0.0, 0.0, True)
