"""The benchmark runs (a second or two per scenario), so that it cannot rot; no figure is asserted.

What is asserted is that it measured something real: every scenario printed, every request of
every row answered without an error, every message's reply reached the Teams stand-in (in its own
process), and the rush's booking correct (exactly 12 confirmed, waiting lists in arrival order,
each officer told where the team stands). The bench checks these itself and exits 1 with a WRONG
line when one fails; the rows are read here too, so that a bench that stopped checking fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\s*(?P<label>\S.*?)\s+(?P<rate>\d+)/s p50 .* err (?P<errors>\d+)\s+CPU\s+(?P<cpu>[\d.]+) ms/req")


def test_the_benchmark_runs_every_scenario() -> None:
    done = subprocess.run([sys.executable, "-m", "tests.bench_scale", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    for scenario in ("card actions", "messages needing a reply, 16", "messages needing a reply, 64",
                     "booking rush", "start-up to /readyz", "idle resident memory"):
        assert scenario in done.stdout, done.stdout
    assert "WRONG" not in done.stdout, done.stdout
    assert "booking correct" in done.stdout, done.stdout
    assert "Teams stand-in in a process of its own" in done.stdout, done.stdout
    rows = [m for m in map(ROW.match, done.stdout.splitlines()) if m]
    labels = [m["label"].strip() for m in rows]
    # A, B for card actions and each of the two message rows; the rush has no baseline.
    assert labels.count("B: stock CloudAdapter bot") == 3, done.stdout
    for row in rows:
        assert int(row["rate"]) > 0 and int(row["errors"]) == 0, row.group(0)
    # The load generator's own cost is printed under each row.
    assert done.stdout.count("bench: client") == len(rows), done.stdout
