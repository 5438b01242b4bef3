"""The schema without Alembic at start-up: the head read from the files is Alembic's, the SQLite
snapshot is exactly what the migrations make, and a database at head is left alone."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.store import schema
from bot.store.sql import head_revision, make_engine, migrate


def _alembic_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(schema.VERSIONS.parent))
    return ScriptDirectory.from_config(config).get_current_head()


async def _dump(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(schema.dump)
    finally:
        await engine.dispose()


async def _migrated(url: str, *, snapshot: bool) -> tuple[str | None, dict[str, Any]]:
    engine = make_engine(url)
    try:
        revision = await migrate(engine, snapshot=snapshot)
    finally:
        await engine.dispose()
    return revision, await _dump(url)


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_revision() is not None
    assert head_revision() == _alembic_head()


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(f'"""A migration."""\n\n{text}\n\n\ndef upgrade() -> None:\n    pass\n')


def test_the_head_is_the_one_revision_nothing_revises(tmp_path: Path) -> None:
    _write(tmp_path, "a.py", 'revision = "a"\ndown_revision = None')
    _write(tmp_path, "b.py", 'revision: str = "b"\ndown_revision: str | None = "a"')
    assert schema.head_revision(tmp_path) == "b"
    _write(tmp_path, "c.py", 'revision = "c"\ndown_revision = "a"')  # a branch: two heads
    assert schema.head_revision(tmp_path) is None  # Alembic decides (and refuses)
    _write(tmp_path, "d.py", 'revision = "d"\ndown_revision = ("b", "c")')  # merged again
    assert schema.head_revision(tmp_path) == "d"


async def test_the_snapshot_is_what_the_migrations_make(tmp_path: Path) -> None:
    revision, migrated = await _migrated(f"sqlite:///{tmp_path / 'alembic.sqlite3'}", snapshot=False)
    stored = schema.load_snapshot()
    assert stored is not None and revision == head_revision()
    assert stored == migrated, (
        "bot/store/migrations/sqlite_head.json is not the schema the migrations make: after a new "
        "migration, run `python -m bot.store.schema` and commit the file")


async def test_a_fresh_sqlite_database_from_the_snapshot_equals_a_migrated_one(tmp_path: Path) -> None:
    by_alembic = await _migrated(f"sqlite:///{tmp_path / 'alembic.sqlite3'}", snapshot=False)
    by_snapshot = await _migrated(f"sqlite:///{tmp_path / 'snapshot.sqlite3'}", snapshot=True)
    assert by_snapshot == by_alembic
    assert by_snapshot[0] == head_revision()


async def test_a_stale_snapshot_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = {"revision": "0001", "schema": ["CREATE TABLE alembic_version (version_num VARCHAR(32))"],
             "rows": {"alembic_version": [["0001"]]}}
    monkeypatch.setattr(schema, "load_snapshot", lambda: stale)
    by_alembic = await _migrated(f"sqlite:///{tmp_path / 'alembic.sqlite3'}", snapshot=False)
    assert await _migrated(f"sqlite:///{tmp_path / 'stale.sqlite3'}", snapshot=True) == by_alembic


async def test_a_database_that_is_not_empty_is_migrated_by_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'als.sqlite3'}"
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE somebody_elses (x INTEGER)"))
        assert await migrate(engine) == head_revision()
    finally:
        await engine.dispose()
    dumped = await _dump(url)
    assert any("somebody_elses" in statement for statement in dumped["schema"])
    assert {"team", "officer", "alembic_version"} <= {
        s.split()[2] for s in dumped["schema"] if s.startswith("CREATE TABLE")}


async def test_two_instances_starting_on_one_fresh_file_make_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'als.sqlite3'}"
    engines = [make_engine(url), make_engine(url)]
    try:
        assert await asyncio.gather(*(migrate(e) for e in engines)) == [head_revision()] * 2
    finally:
        for e in engines:
            await e.dispose()
    assert await _dump(url) == schema.load_snapshot()


MIGRATE_AND_REPORT = """
import asyncio, json, sys
from bot.store.sql import make_engine, migrate
async def main():
    engine = make_engine(sys.argv[1])
    revision = await migrate(engine)
    await engine.dispose()
    return revision
print(json.dumps({"revision": asyncio.run(main()), "alembic": "alembic" in sys.modules}))
"""


def _migrate_elsewhere(url: str, cwd: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", MIGRATE_AND_REPORT, url], cwd=cwd, env=dict(os.environ),
                          capture_output=True, timeout=120, check=True)
    return dict(json.loads(done.stdout))


@pytest.mark.slow
def test_alembic_is_imported_only_when_a_migration_runs(database_url: str, tmp_path: Path) -> None:
    first = _migrate_elsewhere(database_url, tmp_path)
    assert first["revision"] == head_revision()
    # SQLite, fresh: made from the snapshot; PostgreSQL, fresh: the migrations ran.
    assert first["alembic"] is database_url.startswith("postgres")
    again = _migrate_elsewhere(database_url, tmp_path)
    assert again == {"revision": head_revision(), "alembic": False}
