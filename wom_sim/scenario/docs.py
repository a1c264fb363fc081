"""The defaults table (`wom-sim defaults`), generated from the schema and the catalogs."""
from __future__ import annotations

from typing import Any, Literal

from ..catalogs import GRAPH_KINDS, POLICIES, STRATEGIES
from .schema import SECTIONS

_CATALOGS: dict[tuple[str, str], Any] = {("graph", "kind"): GRAPH_KINDS, ("seeding", "strategy"): STRATEGIES,
                                          ("response", "policy"): POLICIES}


def _range_text(field) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    ann = field.annotation
    args = getattr(ann, "__args__", None)
    if getattr(ann, "__origin__", None) is Literal or (args and all(isinstance(a, str) for a in args)):
        assert args is not None  # a Literal has its values as __args__
        return " | ".join(args)
    if lo is None and hi is None:
        return ""
    return f"{'(' if lo_open else '['}{'' if lo is None else lo}, {'' if hi is None else hi}{')' if hi_open else ']'}"


def defaults_table() -> list[tuple[str, str, str, str]]:
    """(dotted key, default, range, meaning) for every key, generated from the schema."""
    rows = []
    for sec, model in SECTIONS.items():
        inst = model()
        for name, field in model.model_fields.items():
            default = getattr(inst, name)
            rng = _range_text(field)
            if (sec, name) in _CATALOGS:
                rng = " | ".join(_CATALOGS[(sec, name)])
            rows.append((f"{sec}.{name}", "(rule)" if default is None else repr(default), rng, field.description or ""))
    rows.append(("sweep.\"section.key\"", "{}", "list of values",
                 "A grid of dotted keys; `wom-sim sweep` runs every combination."))
    return rows
