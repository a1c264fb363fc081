"""`wom-sim ui`: serve the interactive page (wom_sim/ui/app.py) with Solara.

Cheap to import: Solara, Mesa's viz and matplotlib load only in the server process.
The command checks the scenario first (a bad file fails here, with exit code 2, not in
the browser), then runs ``python -m solara run wom_sim.ui.page`` with the scenario
passed in the environment, and stops it on Ctrl-C.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import click

from .common import fail

INSTALL_HINT = "pip install 'wom-sim[ui]'"

#: what the page needs beyond the core install, and the major versions it works with
#: (ipyvue/ipyvuetify 2+ need a newer Vue than Solara's offline assets serve)
_UI_MODULES = {"solara": "solara", "solara_assets": "solara-assets", "altair": "altair",
               "ipyvue": "ipyvue", "ipyvuetify": "ipyvuetify"}
_MAJOR_BELOW = {"ipyvue": 2, "ipyvuetify": 2}


def missing_ui_packages() -> list[str]:
    """The [ui] extra's packages that are absent (or of an unsupported version)."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    missing = []
    for module, dist in _UI_MODULES.items():
        if find_spec(module) is None:
            missing.append(dist)
            continue
        below = _MAJOR_BELOW.get(dist)
        if below is not None:
            try:
                major = int(version(dist).split(".")[0])
            except (PackageNotFoundError, ValueError):
                continue
            if major >= below:
                missing.append(f"{dist}<{below} (found {version(dist)})")
    return missing


def _bind(host: str, port: int) -> int:
    """Check that host:port can be served (port 0: find a free one); return the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return s.getsockname()[1]


@click.command("ui")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a scenario key (repeatable), e.g. --set response.delay=4.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve the page on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to serve the page on (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
def ui(scenario: str | None, sets: tuple[str, ...], host: str, port: int, no_browser: bool) -> None:
    """Interactive page on the Mesa engine: the network coloured by stage, the funnel,
    positive and negative messages over time; sliders, an AISAS/SICAS switch, a seed
    box, Reset / Step / Play.

    SCENARIO defaults to the AISAS classroom. Up to 2,000 agents the network is drawn;
    the Mesa engine takes up to 50,000. Needs the [ui] extra: pip install 'wom-sim[ui]'.
    """
    missing = missing_ui_packages()
    if missing:
        fail(f"the interactive page needs the [ui] extra ({', '.join(missing)} missing); "
              f"install it with: {INSTALL_HINT}")
    from ..errors import WomSimError
    from ..scenario import load_scenario
    from ..ui.model import check_page_scenario, default_scenario_path

    path = os.path.abspath(scenario) if scenario else str(default_scenario_path())
    try:
        check_page_scenario(load_scenario(path, list(sets)))
    except WomSimError as exc:
        fail(str(exc))
    try:
        port = _bind(host, port)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port} ({exc.strerror or exc}); "
              "choose another --port (0 picks a free one) or --host")
    env = dict(os.environ, WOM_SIM_UI_SCENARIO=path, WOM_SIM_UI_SET=json.dumps(list(sets)))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")  # offline: no usage pings
    env.setdefault("SOLARA_CHECK_HOOKS", "off")  # Mesa's own components trip Solara's linter
    cmd = [sys.executable, "-m", "solara", "run", "wom_sim.ui.page", "--host", host, "--port", str(port),
           "--production", "--no-open" if no_browser else "--open"]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"wom-sim ui: {path} at http://{shown}:{port}/ (Ctrl-C stops the server)", err=True)
    proc = subprocess.Popen(cmd, env=env)

    def stop(signum, frame):  # a kill of this command stops the server too
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C: let the server close (a terminal signals it too)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    if code not in (0, -signal.SIGTERM):
        fail(f"the Solara server stopped with exit code {code}", 1)


