"""The documentation site: it builds strictly, its tutorials' commands run as written, and
its pages render in a real browser (Debian's chromium, as tests/test_ui.py)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from conftest import cli

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))
CHROMIUM = Path("/usr/bin/chromium")


def _blocks(md: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if find_spec("mkdocs") is None:
        pytest.skip("mkdocs missing: pip install -e '.[test]'")
    out = tmp_path_factory.mktemp("docs") / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_the_site_builds_with_every_page(site):
    for page in ("index.html", "model/index.html", "tutorials/planner/index.html", "tutorials/teacher/index.html",
                 "tutorials/pr/index.html", "reference/cli/index.html", "reference/scenario/index.html",
                 "reference/api/index.html", "benchmarks/index.html"):
        assert (site / page).is_file(), page
    cli_page = (site / "reference/cli/index.html").read_text()
    assert all(c in cli_page for c in ("compare-seeding", "bench-response", "fit", "animate", "scenarios"))
    keys = (site / "reference/scenario/index.html").read_text()
    assert "weak_ties_per_step" in keys and "complainer_labels" in keys  # generated from the schema
    assert "fit_scenario" in (site / "reference/api/index.html").read_text()


@pytest.mark.parametrize("md", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_commands_run_as_written(md, tmp_path):
    """Every `wom-sim` line of a tutorial's bash blocks, and every python block, runs (in a
    folder where scenarios/ is the project's)."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    ran = 0
    for block in _blocks(md, "bash"):
        for line in block.splitlines():
            if line.startswith("wom-sim "):
                r = cli(*shlex.split(line)[1:], cwd=tmp_path)
                assert r.exit_code == 0, (line, r.output)
                ran += 1
    for code in _blocks(md, "python"):
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            exec(compile(code, str(md), "exec"), {})
        finally:
            os.chdir(old)
        ran += 1
    assert ran > 0


def test_pages_render_in_a_browser(site, tmp_path):
    missing = [m for m in ("playwright.sync_api",) if find_spec(m) is None]
    if missing or not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have chromium and playwright: missing {missing or CHROMIUM}")
        pytest.skip(f"{missing or CHROMIUM} missing")
    from playwright.sync_api import sync_playwright
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        page = browser.new_page()
        for path, heading in (("index.html", "wom-sim"), ("tutorials/planner/index.html", "Planners")):
            page.goto((site / path).as_uri(), timeout=30_000)
            h1 = page.locator("h1").first.inner_text(timeout=10_000)
            assert heading in h1, (path, h1)
            assert page.locator("nav").count() > 0  # the theme's navigation rendered
        page.screenshot(path=str(tmp_path / "planner.png"))
        browser.close()
    assert (tmp_path / "planner.png").stat().st_size > 0
