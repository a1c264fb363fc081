"""Firm response policies (docs/model.md section 5) behind one small interface.

The engine owns monitoring (each active negative sharer is detected with
``detect_prob`` per step) and the response effects (resolve, recover, repair). A
policy only decides *when* the detected complainers are answered:

    policy.on_detected(step, agents, view)   # complainers found at the end of `step`
    policy.due(step, view) -> agents         # complainers answered at the end of `step`

``view`` is a read-only EngineView: out-degrees (followers), the negative messages
sent this step, the rng. Policies are named in the catalog (wom_sim.catalogs.POLICIES;
add one with ``wom_sim.catalogs.register_policy``); a scenario then names it in
``response.policy``. A policy in your own module needs no registration: name it
"my_module:MyPolicy" (a ResponsePolicy subclass importable from PYTHONPATH); as a
scenario file may come from anyone, wom-sim imports that module only when allowed
(``wom-sim --allow-plugins ...`` or WOM_SIM_PLUGINS=1).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalogs import POLICIES
from ..errors import ScenarioError

#: importing a policy class named by a scenario ("module:Class") needs this set to 1
PLUGINS_ENV = "WOM_SIM_PLUGINS"


@dataclass
class EngineView:
    """What a policy may look at: read-only facts of the running replicate."""
    out_degree: np.ndarray
    neg_messages_step: int
    rng: np.random.Generator


class ResponsePolicy:
    """Base class: answers nobody. Subclasses override on_detected and due."""

    #: False means the engine skips monitoring complainers altogether (no cost)
    monitors: bool = True
    #: True when each complainer is answered on its own (no queue, no state shared
    #: between complainers, the view unread): one instance then serves a whole batch
    #: of replicates, seeing agent rows of the batch instead of one replicate's agents.
    #: Read from the class itself: a subclass (which may read the view) must declare it
    per_agent: bool = False

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def on_detected(self, step: int, agents: np.ndarray, view: EngineView) -> None:
        pass

    def due(self, step: int, view: EngineView) -> np.ndarray:
        return np.zeros(0, dtype=np.int32)

    def idle(self) -> bool:
        """True when no response is scheduled (lets the engine stop a finished run early)."""
        return True


def resolve(name: str) -> type[ResponsePolicy]:
    """A catalogued name, or "package.module:ClassName" for a policy written in Python
    outside wom-sim (a subclass of ResponsePolicy). Raises ScenarioError with the fix."""
    if name in POLICIES:
        cls: type[ResponsePolicy] = POLICIES[name].load()
        return cls
    if ":" not in name:
        raise KeyError(name)
    if os.environ.get(PLUGINS_ENV, "") not in ("1", "true", "yes"):
        raise ScenarioError(
            f"response.policy = {name!r} names Python code in a module of your own, and scenario files get "
            f"shared: wom-sim imports code named by a scenario only when you allow it. Run "
            f"`wom-sim --allow-plugins COMMAND ...` (or set {PLUGINS_ENV}=1) for a scenario you trust, or register "
            f"the class in Python (wom_sim.catalogs.register_policy) and name it.")
    module, _, attr = name.partition(":")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ScenarioError(f"response.policy = {name!r}: cannot load policy {name!r}: {exc}. Write it as "
                            "'module:Class' with the module importable (on PYTHONPATH) and Class a subclass of "
                            "wom_sim.policies.ResponsePolicy") from None
    if not (isinstance(found, type) and issubclass(found, ResponsePolicy)):
        raise ScenarioError(f"response.policy = {name!r}: policy {name!r} is not a subclass of "
                            "wom_sim.policies.ResponsePolicy")
    return found


def make_policy(spec: Any) -> ResponsePolicy:
    """The policy a [response] section names, built from that section."""
    return resolve(spec.policy)(spec)
