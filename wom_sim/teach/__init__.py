"""Teaching AISAS and SICAS (`wom-sim teach aisas|sicas|compare`).

    bundled.py   the classroom scenarios (shipped with the package) and the pair a lesson runs
    recorder.py  runs a funnel through the engine's stepping API, recording what a class needs to see
    tables.py    the lesson's numbers (counts, conversion rates, the four SICAS differences)
    figures.py   the funnel, the differences and the network snapshot (PNG and SVG)
    handout.py   the Markdown handout
    lesson.py    all of it, written into one folder atomically (run_lesson)
"""
