"""`none` (the firm does not answer) and `fixed_delay` (answer d steps after detection)."""
from __future__ import annotations

import numpy as np

from .base import EngineView, ResponsePolicy


class NoResponse(ResponsePolicy):
    """The firm does not listen: complaints run their course."""
    monitors = False


class FixedDelay(ResponsePolicy):
    """A complainer detected at step s is answered at the end of step s + delay."""

    per_agent = True

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self._due: dict[int, list[np.ndarray]] = {}

    def on_detected(self, step: int, agents: np.ndarray, view: EngineView) -> None:
        if agents.size:
            self._due.setdefault(step + self.spec.delay, []).append(agents)

    def due(self, step: int, view: EngineView) -> np.ndarray:
        parts = self._due.pop(step, None)
        if not parts:
            return np.zeros(0, dtype=np.int32)
        return np.concatenate(parts)

    def idle(self) -> bool:
        return not self._due
