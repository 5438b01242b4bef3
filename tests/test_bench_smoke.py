"""The benchmark runs (a second or two per scenario), so that it cannot rot; no figure is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_every_scenario() -> None:
    done = subprocess.run([sys.executable, "-m", "tests.bench_scale", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for scenario in ("card actions", "messages needing a reply", "booking rush", "start-up to /readyz",
                     "idle resident memory"):
        assert scenario in done.stdout, done.stdout
    assert "WRONG" not in done.stdout, done.stdout  # the rush's booking is checked, not timed
    assert "stock CloudAdapter bot" in done.stdout
