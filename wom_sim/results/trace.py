"""Who told whom (`wom-sim run --trace`): every message of the traced replicates, with
its step, teller, hearer, valence, and whether the hearer's state changed when it read it.

A message sent in step t is read in step t + 1 (docs/model.md, "How to read it").
`changed` is 1 when the hearer's stage or awareness differed after the step in which it
read the message from before that step, 0 when not, and empty for messages sent in the
last step (never read within the run). Several messages read in one step share that
step's verdict, and a change can have other causes that step (advertising, the hearer's
own progress down the funnel): `changed` says the hearer moved, not that this message
alone moved it. KOL posts are messages too (their teller is the KOL).

The trace is recorded by an Observer of the NumPy engine's general rules, so only runs
that ask for it pay for it. A pure independent cascade normally runs on a dedicated
kernel that draws differently: its trace comes from the general rules, the same model in
distribution but not the same draws as the run's table for that replicate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engines.numpy.replicate import Batch, Observer

TRACE_COLUMNS = ["replicate", "step", "teller", "hearer", "valence", "changed"]


@dataclass
class TraceObserver(Observer):
    """Collects one replicate's messages (local agent ids) and their `changed` verdicts."""
    replicate: int
    steps: list[np.ndarray] = field(default_factory=list)
    tellers: list[np.ndarray] = field(default_factory=list)
    hearers: list[np.ndarray] = field(default_factory=list)
    valence: list[np.ndarray] = field(default_factory=list)
    changed: list[np.ndarray] = field(default_factory=list)
    _before: tuple[np.ndarray, np.ndarray] | None = None

    def sent(self, t: int, rep: Batch, tellers: np.ndarray, hearers: np.ndarray, negative: np.ndarray) -> None:
        self.steps.append(np.full(hearers.size, t, dtype=np.int64))
        self.tellers.append(rep.local(np.asarray(tellers)))
        self.hearers.append(rep.local(np.asarray(hearers)))
        self.valence.append(np.where(negative, -1, 1).astype(np.int8))
        self.changed.append(np.full(hearers.size, -1, dtype=np.int8))  # unknown until read

    def before_step(self, t: int, rep: Batch) -> None:
        self._before = None
        if self.steps and self.steps[-1].size and self.steps[-1][0] == t - 1:
            h = self.hearers[-1]
            self._before = (rep.stage[h].copy(), rep.aware[h].copy())

    def after_step(self, t: int, rep: Batch) -> None:
        if self._before is None:
            return
        k = next(i for i in range(len(self.steps) - 1, -1, -1) if self.steps[i].size and self.steps[i][0] == t - 1)
        h = self.hearers[k]
        stage, aware = self._before
        self.changed[k] = ((rep.stage[h] != stage) | (rep.aware[h] != aware)).astype(np.int8)
        self._before = None

    def rows(self) -> dict[str, np.ndarray]:
        """The trace as columns (TRACE_COLUMNS), in the order the messages were sent."""
        def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
        steps = cat(self.steps, np.int64)
        return {"replicate": np.full(steps.size, self.replicate, dtype=np.int64), "step": steps,
                "teller": cat(self.tellers, np.int64), "hearer": cat(self.hearers, np.int64),
                "valence": cat(self.valence, np.int8), "changed": cat(self.changed, np.int8)}


def trace_replicates(eng: Any, seed: int, reps: list[int], kols_of: Any) -> dict[str, np.ndarray]:
    """Run replicates `reps` (stream (seed, 2, r), KOLs kols_of(r)) through the general
    rules with a TraceObserver each; their messages as one table of columns."""
    from ..streams import stream
    parts = []
    for r in reps:
        obs = TraceObserver(r)
        eng.run_counters(stream(seed, 2, r), kols=kols_of(r), observer=obs)
        parts.append(obs.rows())
    return {c: np.concatenate([p[c] for p in parts]) for c in TRACE_COLUMNS}


def trace_text(trace: dict[str, np.ndarray], labels: list[str] | None = None) -> str:
    """trace.csv: TRACE_COLUMNS; agents by the edge list's labels where it has them;
    `changed` empty for messages never read (sent in the last step)."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRACE_COLUMNS)
    names = np.asarray(labels, dtype=object) if labels is not None else None
    teller = names[trace["teller"]] if names is not None else trace["teller"]
    hearer = names[trace["hearer"]] if names is not None else trace["hearer"]
    changed = ["" if c < 0 else int(c) for c in trace["changed"].tolist()]
    w.writerows(zip(trace["replicate"].tolist(), trace["step"].tolist(), list(teller), list(hearer),
                    trace["valence"].tolist(), changed))
    return buf.getvalue()


def write_trace_parquet(trace: dict[str, np.ndarray], path: Any, labels: list[str] | None = None) -> None:
    """trace.parquet (needs pyarrow): the same columns, `changed` a nullable integer."""
    import pandas as pd
    df = pd.DataFrame({c: trace[c] for c in TRACE_COLUMNS})
    if labels is not None:
        names = np.asarray(labels, dtype=object)
        df["teller"], df["hearer"] = names[trace["teller"]], names[trace["hearer"]]
    df["changed"] = pd.array(np.where(trace["changed"] < 0, 0, trace["changed"]), dtype="Int8")
    df.loc[trace["changed"] < 0, "changed"] = pd.NA
    df.to_parquet(path, index=False)
