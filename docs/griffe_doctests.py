"""A Griffe extension for the API pages: wom-sim's docstrings hold sample uses as doctest
lines (``>>> ...`` and their output), which Markdown would read as text (and ``[...]`` as
links). Each run of such lines becomes a fenced ``pycon`` code block."""
from __future__ import annotations

from typing import Any

from griffe import Extension


def fence_doctests(text: str) -> str:
    out: list[str] = []
    block: list[str] = []
    indent = ""

    def flush() -> None:
        if block:
            out.append(f"{indent}```pycon")
            out.extend(block)
            out.append(f"{indent}```")
            block.clear()

    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith((">>>", "...")) or (block and stripped):
            if not block:
                indent = line[: len(line) - len(stripped)]
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


class DoctestBlocks(Extension):
    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
