"""Progress of a KOL selection, for the strategies that take a while (ris, greedy).

The command line shows a bar while KOLs are chosen ("choosing KOLs with ris: 61,440 RR
sets"); a strategy reports through :func:`report`, which does nothing unless a caller
has installed a hook with :func:`reporting`. A context variable rather than an argument:
strategies keep the one signature of the catalog, and a library caller that installs
no hook pays nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: hook(text, done, total): total None when the end is not known
Hook = Callable[[str, float, float | None], None]

_HOOK: ContextVar[Hook | None] = ContextVar("wom_sim_selection_progress", default=None)


@contextmanager
def reporting(hook: Hook | None) -> Iterator[None]:
    """Within the block, KOL selections report their progress to `hook`."""
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)


def report(text: str, done: float, total: float | None = None) -> None:
    """Tell the installed hook (if any) how far a selection is: `done` of `total`."""
    hook = _HOOK.get()
    if hook is not None:
        hook(text, done, total)
