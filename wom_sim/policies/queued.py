"""Policies with a limited or delayed start: `capacity` and `threshold`."""
from __future__ import annotations

import heapq

import numpy as np

from .base import EngineView, ResponsePolicy


class Capacity(ResponsePolicy):
    """At most `capacity` responses per step. A complainer found at step s becomes
    answerable at s + delay and waits in a queue: `fifo` (first found, first answered)
    or `by_reach` (most followers first: the loudest complaint first)."""

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self._waiting: dict[int, list[np.ndarray]] = {}  # eligible step -> agents
        self._heap: list[tuple] = []                     # the queue of eligible complainers
        self._order = 0

    def on_detected(self, step: int, agents: np.ndarray, view: EngineView) -> None:
        if agents.size:
            self._waiting.setdefault(step + self.spec.delay, []).append(agents)

    def due(self, step: int, view: EngineView) -> np.ndarray:
        for agents in self._waiting.pop(step, []):
            if self.spec.queue == "by_reach":
                reach = view.out_degree[agents]
                # ties: earlier found first, then lower id (heap keys are unique)
                for a, r in zip(agents.tolist(), reach.tolist()):
                    heapq.heappush(self._heap, (-r, self._order, a))
                    self._order += 1
            else:
                for a in agents.tolist():
                    heapq.heappush(self._heap, (self._order, a))
                    self._order += 1
        k = min(self.spec.capacity, len(self._heap))
        return np.array([heapq.heappop(self._heap)[-1] for _ in range(k)], dtype=np.int64)

    def idle(self) -> bool:
        return not self._waiting and not self._heap


class Threshold(ResponsePolicy):
    """The firm starts answering only once the negative messages of one step exceed
    `threshold`, then keeps answering (with `delay`). Complainers found earlier wait in
    a backlog and are answered `delay` steps after the start."""

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.started_at: int | None = None
        self._backlog: list[np.ndarray] = []
        self._due: dict[int, list[np.ndarray]] = {}

    def on_detected(self, step: int, agents: np.ndarray, view: EngineView) -> None:
        if self.started_at is None and view.neg_messages_step > self.spec.threshold:
            self.started_at = step
            if self._backlog:
                self._due.setdefault(step + self.spec.delay, []).extend(self._backlog)
                self._backlog = []
        if not agents.size:
            return
        if self.started_at is None:
            self._backlog.append(agents)
        else:
            self._due.setdefault(step + self.spec.delay, []).append(agents)

    def due(self, step: int, view: EngineView) -> np.ndarray:
        parts = self._due.pop(step, None)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def idle(self) -> bool:
        # before the start, a backlog can still be answered only if messages come
        return not self._due
