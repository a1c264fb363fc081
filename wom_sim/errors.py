"""Errors a user can act on. The CLI prints their message and exits 2, no traceback."""
from __future__ import annotations


class WomSimError(Exception):
    """Base of every error that is the user's to fix (bad file, bad key, too big)."""


class ScenarioError(WomSimError):
    """A scenario file or override is invalid; the message names the file, key and fix."""


class GraphInputError(WomSimError):
    """An edge list or graph input is malformed; the message names the file and line."""


class MemoryBudgetError(WomSimError):
    """The scenario would not fit in memory; the message gives the estimate in GB."""
