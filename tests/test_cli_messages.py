"""What the `als` commands say: one `als:` prefix, where an export went, what loading created."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
ALS = [sys.executable, "-m", "bot.cli"]


def als(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("Microsoft", "ToBot", "ToChannel", "AZURE_", "GRAPH_", "ALS_"))}
    env = {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'als.sqlite3'}", **extra}
    return subprocess.run([*ALS, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_loading_into_an_empty_database_says_created_then_updated(tmp_path: Path) -> None:
    example = str(ROOT / "examples" / "programme.yaml")
    first = als(tmp_path, "programme", "load", example)
    assert first.returncode == 0, first.stderr
    created = next(line for line in first.stdout.splitlines() if "created:" in line)
    assert "allowed_domains" in created
    assert "updated: nothing" in first.stdout
    again = als(tmp_path, "programme", "load", example)
    assert "created: nothing" in again.stdout and "updated: nothing" in again.stdout


def test_export_without_out_writes_a_folder_of_its_own_and_says_where(tmp_path: Path) -> None:
    assert als(tmp_path, "programme", "load", str(ROOT / "examples" / "programme.yaml")).returncode == 0
    result = als(tmp_path, "export", "procurement-tue")
    assert result.returncode == 0, result.stderr
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date().isoformat()
    folder = tmp_path / f"export-procurement-tue-{today}"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["als.sqlite3"]
    assert (folder / "procurement-tue.xlsx").is_file()
    assert f"to {folder}" in result.stdout.splitlines()[0]


def test_every_error_starts_with_als(tmp_path: Path) -> None:
    unknown = als(tmp_path, "booking", "open", "no-such-set")
    manifest = als(tmp_path, "manifest", "build")  # nothing set: names what is missing
    config = als(tmp_path, "migrate", PORT="eighty")
    for result in (unknown, manifest, config):
        assert result.returncode != 0
        assert result.stderr.startswith("als: "), result.stderr


def test_booking_list_names_each_set_once_with_its_series(tmp_path: Path) -> None:
    assert als(tmp_path, "programme", "load", str(ROOT / "examples" / "programme.yaml")).returncode == 0
    listed = als(tmp_path, "booking", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("adaptation-wed:"))
    assert line.startswith("adaptation-wed: Sustainable Adaptation – Wednesday set, booking")
    assert line.count("Sustainable Adaptation") == 1
