"""mkdocs hooks: pages generated from the code at build time, so they never go stale.

    <!-- scenario-keys -->      the table of every scenario key (the schema: `wom-sim defaults`)
    <!-- benchmark-report -->   benchmarks/README.md (images and links into the repository dropped:
                                the site links to the file instead)
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _scenario_keys() -> str:
    from wom_sim.scenario import defaults_table
    lines = ["| key | default | range | meaning |", "|---|---|---|---|"]
    for r in defaults_table():
        lines.append("| " + " | ".join(f"`{c}`" if i < 2 and c else c.replace("|", "\\|") for i, c in enumerate(r))
                     + " |")
    return "\n".join(lines)


def _benchmarks() -> str:
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)                  # figures live in the repository
    text = re.sub(r"\[([^\]]+)\]\((?!https?://|#)[^)]*\)", r"\1", text)  # relative links: plain text
    text = re.sub(r"^# .*\n", "", text, count=1, flags=re.M)
    return text


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001 (mkdocs' signature)
    if "<!-- scenario-keys -->" in markdown:
        markdown = markdown.replace("<!-- scenario-keys -->", _scenario_keys())
    if "<!-- benchmark-report -->" in markdown:
        markdown = markdown.replace("<!-- benchmark-report -->", _benchmarks())
    return markdown
