"""What a newcomer's first `make run` leaves behind stays out of `git status`: SQLite's write-ahead
log and shared-memory files beside `als.sqlite3` (issue 11, item 14)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs git and a git work tree (runs in CI and in a clone)")
@pytest.mark.parametrize("name", ["als.sqlite3", "als.sqlite3-wal", "als.sqlite3-shm", "als.sqlite3-journal"])
def test_the_database_files_of_make_run_are_ignored(name: str) -> None:
    found = subprocess.run(["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, check=False)
    assert found.returncode == 0, f"{name} would show in git status"
