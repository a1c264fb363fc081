"""`wom-sim ui`: the model behind the page, the command, and the page in a real browser.

The browser test starts the page on 127.0.0.1, drives it with Playwright in Debian's
chromium (/usr/bin/chromium; .ci/run installs it, nothing is downloaded), clicks Step
five times, checks the step counter and that the chart changed, and saves a screenshot.
Locally it skips when chromium or the [ui] extra is absent; under CI it fails instead.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from wom_sim.cli import ui as ui_command
from wom_sim.engines.mesa import MesaEngine
from wom_sim.scenario import load_scenario
from wom_sim.streams import stream
from wom_sim.ui.model import PageModel, default_scenario_path, graph_and_kols

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def base(*overrides: str):
    return load_scenario(ROOT / "scenarios" / "aisas_classroom.toml", ["scenario.steps=12", *overrides])


def engine_table(sc, steps: int) -> np.ndarray:
    """What `wom-sim run --set scenario.engine=mesa` computes for replicate 0."""
    sc = load_scenario(sc, ["scenario.engine=mesa", f"scenario.steps={steps}"])
    _, graph, kols = graph_and_kols(sc)
    return MesaEngine(graph, sc, kols).run_replicate(stream(sc.scenario.seed, 2, 0))


def page_table(model: PageModel, steps: int) -> np.ndarray:
    for _ in range(steps):
        model.step()
    return model.table().to_numpy(dtype=np.float64)


# ----------------------------------------------------------------------------- the model


def test_default_scenario_is_the_aisas_classroom():
    path = default_scenario_path()
    assert path.is_file() and path.name == "aisas_classroom.toml"
    assert load_scenario(path).funnel.kind == "aisas"


def test_page_model_counts_equal_the_mesa_engine():
    model = PageModel(base=base())
    assert model.t == 0 and model.running
    got = page_table(model, 12)
    assert got.shape == (13, len(model.table().columns))
    np.testing.assert_array_equal(got, engine_table(base(), 12))
    assert not model.running  # the scenario's 12 steps are done: Play stops
    model.release()


def test_page_controls_are_the_scenario_keys():
    """Sliders and the seed box give the numbers of the same --set overrides."""
    model = PageModel(base=base(), seed="11", positive_tells=8, negative_tells=4, kol_budget=6,
                      kol_reach=0.8, p_external=0.01, response_delay=0, detect_prob=1.0,
                      p_negative_experience=0.3)
    assert model.sc.scenario.seed == 11 and len(model.kol_nodes) == 6 and model.warnings == []
    same = base("scenario.seed=11", "wom.positive_tells=8", "wom.negative_tells=4", "seeding.budget=6",
                "seeding.kol_reach=0.8", "wom.p_external=0.01", "response.delay=0",
                "response.detect_prob=1.0", "wom.p_negative_experience=0.3")
    np.testing.assert_array_equal(page_table(model, 10), engine_table(same, 10))


def test_funnel_switch_changes_the_funnel():
    aisas, sicas = PageModel(base=base(), funnel="aisas"), PageModel(base=base(), funnel="sicas")
    assert aisas.funnel.stages[:3] == ("attention", "interest", "search")
    assert sicas.funnel.stages[:3] == ("sense", "interest_interactive", "connect_communicate")
    assert sicas.funnel.realtime_share and sicas.funnel.brand_engagement > 0
    assert "sense" in sicas.class_names() and "sense" not in aisas.class_names()
    a, s = page_table(aisas, 12), page_table(sicas, 12)
    assert not np.array_equal(a, s)
    np.testing.assert_array_equal(s, engine_table(base("funnel.kind=sicas"), 12))


def test_drawing_classes_match_the_stage_counts():
    model = PageModel(base=base("seeding.initial_complainers=5"))

    def counts() -> dict[str, int]:
        names = model.class_names()
        return dict(zip(names, np.bincount(model.classes(), minlength=len(names)).tolist()))

    start = counts()  # the KOLs and the complainers, each in their own colour
    assert start["positive sharer"] == 3 and start["negative sharer"] == 5
    assert start["unaware"] == model.n - 8
    page_table(model, 6)
    now, row = counts(), model.table().iloc[-1]
    assert sum(now.values()) == model.n
    assert now["unaware"] == row["stage_unaware"]
    for stage in model.funnel.stages[:model.funnel.n_pre]:
        assert now[stage] == row[f"stage_{stage}"]
    assert now["done"] <= row["stage_done"]
    assert now["positive sharer"] + now["negative sharer"] >= row["stage_share"]


def test_seed_box_tolerates_text():
    model = PageModel(base=base(), seed="not a number")
    assert model.sc.scenario.seed == base().scenario.seed
    assert model.warnings and "not a whole number" in model.warnings[0]
    assert PageModel(base=base(), seed=" 42 ").sc.scenario.seed == 42


def test_kol_slider_is_capped_by_the_population():
    small = load_scenario({"graph": {"kind": "erdos_renyi", "n": 30, "mean_degree": 4},
                           "seeding": {"budget": 3, "initial_complainers": 2}})
    model = PageModel(base=small, kol_budget=50)
    assert len(model.kol_nodes) == 28 and "do not fit" in model.warnings[0]


# ----------------------------------------------------------------------------- the command


def test_command_import_is_cheap():
    code = ("import sys, wom_sim.cli.ui; "
            "print(sorted(m for m in ('solara', 'mesa', 'matplotlib', 'altair') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_command_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setattr(ui_command, "missing_ui_packages", lambda: ["solara"])
    res = CliRunner().invoke(ui_command.ui, ["--no-browser"])
    assert res.exit_code == 2
    assert "pip install 'wom-sim[ui]'" in res.output


def test_command_refuses_what_the_page_cannot_show(monkeypatch):
    monkeypatch.setattr(ui_command, "missing_ui_packages", lambda: [])
    res = CliRunner().invoke(ui_command.ui, [str(ROOT / "scenarios" / "bass_forecast.toml"), "--no-browser"])
    assert res.exit_code == 2 and "bass" in res.output
    res = CliRunner().invoke(ui_command.ui, ["--set", "graph.n=60000", "--no-browser"])
    assert res.exit_code == 2 and "50,000" in res.output
    res = CliRunner().invoke(ui_command.ui, ["--set", "wom.nope=1", "--no-browser"])
    assert res.exit_code == 2 and "nope" in res.output


# ----------------------------------------------------------------------------- the browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`wom-sim ui` exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the page did not answer on {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the command and its Solara server (their own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=5)


def test_page_in_a_browser(tmp_path):
    missing = [m for m in ("solara", "solara_assets", "altair", "playwright.sync_api") if find_spec(m) is None]
    if missing:
        msg = f"{', '.join(missing)} missing: pip install -e '.[test]' (or '.[ui]' and playwright)"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI installs the [test] extra)")
        pytest.skip(msg)
    if not CHROMIUM.exists():
        msg = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium runs this test"
        if os.environ.get("CI"):
            pytest.fail(msg + " (.ci/run should have installed it)")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "wom_sim.cli", "ui", "--host", "127.0.0.1",
                                 "--port", str(port), "--no-browser"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)
    try:
        _wait_until_serving(url, proc, log)
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1500, "height": 1100})
            try:
                page = ctx.new_page()
                elsewhere, failed = [], []
                page.on("request", lambda r: elsewhere.append(r.url)
                        if not r.url.startswith((url, "data:", "blob:")) else None)
                page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
                page.on("response", lambda r: failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
                page.goto(url, timeout=30_000)
                counter = page.locator(".wom-step-counter")
                page.wait_for_selector(".wom-step-counter[data-step='0']", timeout=45_000)
                chart = page.locator(".wom-messages-image")
                page.wait_for_function("() => [...document.querySelectorAll('.solara-image')]"
                                       ".every(i => i.complete && i.naturalWidth > 0)", timeout=20_000)
                before_png = chart.screenshot()
                before_digest = page.locator(".wom-messages-data").get_attribute("data-digest")

                step = page.get_by_role("button", name="Step")
                for i in range(1, 6):
                    step.click()
                    page.wait_for_selector(f".wom-step-counter[data-step='{i}']", timeout=20_000)
                page.wait_for_selector(".wom-messages-data[data-step='5']", state="attached", timeout=20_000)
                page.wait_for_function("() => [...document.querySelectorAll('.solara-image')]"
                                       ".every(i => i.complete && i.naturalWidth > 0)", timeout=20_000)

                assert "Step 5 of" in counter.inner_text()
                body = page.locator("body").inner_text()
                assert "Step: 5" in body or "Time: 5" in body  # Mesa's own counter agrees
                assert page.locator(".wom-messages-data").get_attribute("data-digest") != before_digest
                assert chart.screenshot() != before_png, "the messages chart did not change"
                shot = tmp_path / "wom_sim_ui.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                print(f"screenshot: {shot}")
                assert not failed, f"requests failed (the page must work offline): {failed}"
                assert not elsewhere, f"the page asked for resources off this server: {elsewhere}"
            finally:
                ctx.close()
    finally:
        _stop(proc)
    assert time.monotonic() - started < 90


def test_the_page_header_names_no_funnel():
    """The sidebar switches the funnel: the header must not keep saying AISAS over a SICAS run."""
    from wom_sim.ui.app import page_title
    assert page_title(base()) == "wom-sim · Classroom"
    assert page_title(load_scenario({"scenario": {"name": "Launch: SICAS funnel, big city"}})) == \
        "wom-sim · Launch: funnel, big city"


def test_the_page_and_the_lessons_share_one_palette():
    """Each class the page draws has the colour teach's figures and animations give the same
    stage (wom_sim.viz.style.stage_colour): one mapping, for both funnels."""
    from wom_sim.ui.app import class_colours
    from wom_sim.viz import style
    for kind in ("aisas", "sicas"):
        model = PageModel(base(), funnel=kind)
        f = model.funnel
        names = model.class_names()
        colours = dict(zip(names, class_colours(f)))
        assert colours["unaware"] == style.UNAWARE and colours["rejected"] == style.REJECTED
        assert colours["positive sharer"] == style.POSITIVE and colours["negative sharer"] == style.NEGATIVE
        assert colours["action"] == style.stage_colour(f, f.ACTION) and colours["done"] == style.DONE
        for k, stage in enumerate(f.stages[:f.n_pre], start=1):
            assert colours[stage] == style.stage_colour(f, k)
