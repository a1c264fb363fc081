"""`wom-sim ui`: an interactive SolaraViz page on the Mesa agent engine.

    model.py     PageModel: the Mesa engine's WomModel, built from a scenario and the
                 page's controls (no Solara: importable with the core install)
    app.py       the page: network coloured by stage, funnel and message charts,
                 sliders, the AISAS/SICAS switch and a seed box (needs the [ui] extra)
    page.py      the module `solara run` serves (reads the scenario from the environment)

The click command is wom_sim.cli.ui (cheap to import: Solara loads in the server).
Install with ``pip install 'wom-sim[ui]'``.
"""
