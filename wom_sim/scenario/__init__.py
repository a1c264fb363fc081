"""Scenario files: the typed schema (schema.py), reading and overrides (load.py), and the
defaults table (docs.py). Everything here reads the catalogs, never an implementation,
so checking a scenario stays light."""
from __future__ import annotations

from .docs import defaults_table
from .load import (
                   apply_overrides,
                   apply_point,
                   bundled_names,
                   bundled_path,
                   load_scenario,
                   parse_override,
                   read_toml,
                   sweep_points,
                   validate_dict,
)
from .schema import (
                   GRAPH_PARAMS,
                   IN_STEPS,
                   SECTIONS,
                   EconomicsSpec,
                   FunnelSpec,
                   GraphSpec,
                   OutputSpec,
                   ResponseSpec,
                   Scenario,
                   ScenarioMeta,
                   SeedingSpec,
                   StepUnit,
                   WomSpec,
                   nearest,
                   plural,
)

__all__ = ["Scenario", "load_scenario", "validate_dict", "read_toml", "parse_override", "apply_overrides",
           "apply_point", "sweep_points", "bundled_names", "bundled_path", "defaults_table", "nearest", "SECTIONS",
           "GRAPH_PARAMS",
           "ScenarioMeta", "GraphSpec", "FunnelSpec", "WomSpec", "SeedingSpec", "ResponseSpec", "EconomicsSpec",
           "OutputSpec", "StepUnit", "IN_STEPS", "plural"]
