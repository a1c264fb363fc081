"""The Mesa agent engine: the same rules as Mesa agents, for teaching and small graphs.

    agents.py   ConsumerAgent: every rule as an agent method
    model.py    WomModel (and BassModel): one step is docs/model.md section 4
    engine.py   MesaEngine: replicates with the NumPy engine's interface
"""
from __future__ import annotations

from .engine import MAX_AGENTS, MesaEngine, check_size, release
from .model import BassModel, WomModel

__all__ = ["MesaEngine", "WomModel", "BassModel", "MAX_AGENTS", "check_size", "release"]
