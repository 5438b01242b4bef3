"""The rules and use cases stay plain Python, so that a move to another Teams SDK touches only the adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("botbuilder", "botframework", "msrest", "msgraph", "kiota", "azure", "aiohttp",
             "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "bot.adapter", "bot.store.sql")
PLAIN = [
    *sorted((ROOT / "bot" / "rules").rglob("*.py")),  # packages too, e.g. bot/rules/session/
    *sorted((ROOT / "bot" / "features").rglob("*.py")),
    *sorted((ROOT / "cards").glob("*.py")),
    ROOT / "bot" / "router.py",
    ROOT / "bot" / "turns.py",
    ROOT / "bot" / "commands.py",
    ROOT / "bot" / "store" / "base.py",
]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PLAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_plain_modules_import_no_sdk_web_or_sql(path: Path) -> None:
    bad = sorted(n for n in imported(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_the_check_would_catch_an_sdk_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from botbuilder.core import TurnContext\nimport sqlalchemy as sa\n")
    assert {"botbuilder.core", "sqlalchemy"} <= imported(sample)
