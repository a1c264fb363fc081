"""One visual language for every figure and page: stage names, colours and order.

Plots, the teach handout and figures, and the interactive page all draw a stage with
the colour and the name given here, so "rejected" looks the same everywhere.
"""
from __future__ import annotations

from itertools import cycle

import matplotlib
import numpy as np

from ..funnels import Funnel

#: colours of the agents' states (a funnel's pre-purchase stages are shades of blue)
UNAWARE = "#d9d9d9"
ACTION = "#a1d99b"      # bought, not telling
POSITIVE = "#1a9641"    # a sharer of good news; positive messages; adopters
NEGATIVE = "#d7191c"    # a sharer of bad news; negative messages; negative reach
REJECTED = "#fdae61"    # decided against the product
DONE = "#7b7b9b"        # bought and told all
AWARE = "#2c7fb8"       # ever heard of the product
NEUTRAL = "#555555"     # reference lines, baselines

#: one colour per funnel where two funnels are compared
FUNNELS = {"aisas": "#3a6fb0", "sicas": "#e07b28"}

#: display names of stage code names (a stage not listed is capitalised)
STAGE_NAMES = {"attention": "Attention", "interest": "Interest", "search": "Search", "action": "Action",
               "share": "Share", "sense": "Sense", "interest_interactive": "Interest & Interactive",
               "connect_communicate": "Connect & Communicate", "unaware": "Unaware", "rejected": "Rejected",
               "done": "Done"}
SHORT_NAMES = {"interest_interactive": "I&I", "connect_communicate": "C&C"}

#: a category of the network drawings after the funnel's own stage codes: an agent
#: telling bad news (buyer or rejecter)
NEG_SHARE = -1


def stage_label(stage: str, short: bool = False) -> str:
    """Display name of a stage: connect_communicate -> 'Connect & Communicate'."""
    if short and stage in SHORT_NAMES:
        return SHORT_NAMES[stage]
    return STAGE_NAMES.get(stage, stage.replace("_", " ").capitalize())


def pre_stage_colours(n_pre: int) -> list[str]:
    """Light to dark blue for the pre-purchase stages (further = darker)."""
    blues = matplotlib.colormaps["Blues"]
    return [matplotlib.colors.to_hex(blues(x)) for x in np.linspace(0.3, 0.85, max(n_pre, 1))][:n_pre]


def stage_colour(funnel: Funnel, code: int) -> str:
    """The colour of a stage code (or NEG_SHARE, a sharer of bad news)."""
    if code == NEG_SHARE:
        return NEGATIVE
    if code == funnel.UNAWARE:
        return UNAWARE
    if 1 <= code <= funnel.n_pre:
        return pre_stage_colours(funnel.n_pre)[code - 1]
    return {funnel.ACTION: ACTION, funnel.SHARE: POSITIVE, funnel.REJECTED: REJECTED, funnel.DONE: DONE}[code]


def stage_order(funnel: Funnel) -> list[int]:
    """Stage codes in the order figures stack and list them: unaware, the funnel, done, rejected."""
    return [funnel.UNAWARE, *range(1, funnel.n_pre + 1), funnel.ACTION, funnel.SHARE, funnel.DONE, funnel.REJECTED]


#: line styles for series that may coincide (strategies, policies): distinct colour,
#: marker and dash, so that no series hides another
_COLOURS = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors]  # type: ignore[attr-defined]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
_DASHES = ["-", "--", "-.", ":"]


def series_styles(names: list[str]) -> dict[str, dict[str, object]]:
    """A distinct colour, marker and dash for each name, in order."""
    dashes = cycle(_DASHES)
    return {name: {"color": _COLOURS[i % len(_COLOURS)], "marker": _MARKERS[i % len(_MARKERS)],
                   "linestyle": next(dashes)} for i, name in enumerate(names)}
