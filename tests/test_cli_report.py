"""The report, erasure and retention commands' answers to wrong input: one line, a non-zero status."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.test_cli import ALS, _env


def run(tmp_path: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ALS, *argv], env=_env(tmp_path, **extra), capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_wrong_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    done = run(tmp_path, "serve", "--port", "0", ALS_RETENTION_DAYS="a year")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "als: configuration error: ALS_RETENTION_DAYS must be a whole number, not 'a year'")
    assert "Traceback" not in done.stderr


def test_unknown_series_and_officer_are_named(tmp_path: Path) -> None:
    done = run(tmp_path, "report", "no-such-series", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "no series 'no-such-series'" in done.stderr
    assert not (tmp_path / "out").exists()
    done = run(tmp_path, "erase", "nobody@example.org", "--yes")
    assert done.returncode == 1 and "nothing is kept about nobody@example.org" in done.stderr
    done = run(tmp_path, "retention", "--dry-run")
    assert done.returncode == 0 and "no set is due for purging" in done.stdout
