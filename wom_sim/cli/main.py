"""The `wom-sim` command line. Thin: it parses, calls the library, and prints.

Every error that is the user's to fix exits with code 2 and one clear message, no
traceback (set WOM_SIM_DEBUG=1 to see one for a bug). Commands import the library
parts they run inside their bodies, so `wom-sim --help` and `validate` start fast.

    common.py   error handling, --set loading, grid options, progress bars
    run.py      run, validate, defaults, graph
    grid.py     sweep, compare-seeding, bench-response
    fit.py      fit
    teach.py    teach
    ui.py       ui (the interactive page; Solara loads only in the server process)
"""
from __future__ import annotations

import os

import click

from ..policies.base import PLUGINS_ENV
from .fit import fit_cmd
from .grid import bench_response_cmd, compare_seeding_cmd, sweep
from .run import defaults, graph, run, scenarios, validate
from .teach import animate_cmd, teach
from .ui import ui


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wom-sim")
@click.option("--allow-plugins", is_flag=True,
              help="Allow a scenario to name Python code of your own (response.policy = \"module:Class\"); "
                   "only for scenario files you trust. Same as WOM_SIM_PLUGINS=1.")
def main(allow_plugins: bool) -> None:
    """wom-sim: word-of-mouth diffusion on social graphs.

    \b
    wom-sim run quickstart                     run a bundled scenario (or a file), write tables and plots
    wom-sim scenarios                          list the bundled scenarios
    wom-sim validate SCENARIO                  check a file, print it with every default
    wom-sim defaults                           every key, its default, range and meaning
    wom-sim graph SCENARIO -o g.npz            build and save the scenario's graph
    wom-sim sweep SCENARIO -o DIR [--resume]   run a [sweep] grid on all cores or Dask
    wom-sim compare-seeding SCENARIO --strategies degree,ris --budget 10,50
    wom-sim bench-response SCENARIO --delays 0,1,2,4,8 --policies fixed_delay,capacity:C=5
    wom-sim teach compare                      AISAS vs SICAS in class: figures and a handout
    wom-sim animate RUN_DIR                    spread.gif of a run (also: teach ... --animate)
    wom-sim fit SCENARIO --data OBS.csv --fit wom.p_external=0.0005:0.05   calibrate, forecast
    """
    if allow_plugins:  # the environment carries it to worker processes too
        os.environ[PLUGINS_ENV] = "1"




for command in (run, teach, sweep, validate, defaults, graph, compare_seeding_cmd, bench_response_cmd,
                fit_cmd, scenarios, animate_cmd, ui):
    main.add_command(command)


if __name__ == "__main__":
    main()
