"""Firm response policies (docs/model.md, section 5) behind one small interface (base.py):
`none` and `fixed_delay` (basic.py), `capacity` and `threshold` (queued.py)."""
from __future__ import annotations

from ..catalogs import POLICIES
from .base import EngineView, ResponsePolicy, make_policy, resolve

__all__ = ["POLICIES", "EngineView", "ResponsePolicy", "make_policy", "resolve"]
