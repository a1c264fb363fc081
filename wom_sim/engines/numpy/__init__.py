"""The vectorized NumPy core (engine.py), its batch of replicates with a public stepping
API (replicate.py), the pure-IC kernel (ic.py) and Bass mode (bass.py)."""
from __future__ import annotations

from .engine import NumpyEngine
from .replicate import Batch, Inbox, Observer, Replicate

__all__ = ["NumpyEngine", "Batch", "Replicate", "Observer", "Inbox"]
