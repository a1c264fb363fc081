"""The module `solara run` serves for `wom-sim ui`.

The command passes the scenario in the environment: WOM_SIM_UI_SCENARIO (a TOML path;
default the AISAS classroom) and WOM_SIM_UI_SET (a JSON list of `--set` overrides).
"""
from __future__ import annotations

import json
import os

from .app import build_page

Page = build_page(os.environ.get("WOM_SIM_UI_SCENARIO") or None,
                  json.loads(os.environ.get("WOM_SIM_UI_SET") or "[]"))
