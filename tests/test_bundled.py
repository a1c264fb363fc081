"""Bundled scenarios work by name from any folder, and `wom-sim scenarios` lists them."""
from __future__ import annotations

from pathlib import Path

from conftest import cli

from wom_sim.scenario import bundled_names, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_every_bundled_scenario_is_listed_and_loads_by_name(tmp_path):
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert bundled_names() == names
    r = cli("scenarios", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    for name in names:
        assert name in r.output
        assert load_scenario(name).source.endswith(f"{name}.toml")
        own = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        assert load_scenario(name + ".toml").scenario.name == own.scenario.name


def test_run_a_bundled_scenario_by_name_from_another_folder(tmp_path):
    r = cli("run", "quickstart", "--set", "graph.n=600", "--set", "scenario.steps=5", "--replicates", "2", "--quiet",
            cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "results" / "quickstart" / "summary.json").is_file()


def test_a_local_file_wins_over_a_bundled_name_and_unknown_names_say_what_exists(tmp_path):
    (tmp_path / "quickstart.toml").write_text('[scenario]\nname = "mine"\n')
    assert load_scenario(tmp_path / "quickstart.toml").scenario.name == "mine"
    r = cli("validate", "quickstart.toml", cwd=tmp_path)
    assert r.exit_code == 0 and 'name = "mine"' in r.output
    r = cli("run", "quikstart", cwd=tmp_path)
    assert r.exit_code == 2 and "no such scenario file" in r.output and "wom-sim scenarios" in r.output


def test_bundled_scenarios_are_found_in_the_layout_of_a_non_editable_install(tmp_path):
    """`pip install .` puts scenarios/ at wom_sim/bundled, a namespace package (no
    __init__.py), where importlib.resources gives a MultiplexedPath whose str() is not a
    path (the names came out empty once). The same layout is made here by copying the
    package, and a fresh interpreter lists and resolves the bundled names from it."""
    import shutil
    import subprocess
    import sys
    site = tmp_path / "site"
    shutil.copytree(ROOT / "wom_sim", site / "wom_sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", site / "wom_sim" / "bundled", ignore=shutil.ignore_patterns("*.py"))
    code = ("import wom_sim, sys; from wom_sim.scenario import bundled_names; "
            "from wom_sim.scenario.load import bundled_path; "
            "assert wom_sim.__file__.startswith(sys.argv[1]), wom_sim.__file__; "
            "print(','.join(bundled_names())); print(bundled_path('quickstart.toml'))")
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": ""}, timeout=60)
    assert out.returncode == 0, out.stderr
    names, path = out.stdout.split("\n")[:2]
    assert names.split(",") == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert path == str(site / "wom_sim" / "bundled" / "quickstart.toml")
