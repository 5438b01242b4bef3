"""The schema's revision without Alembic: the head read from the migration files, the database's
own revision in one query, and a fresh SQLite database made at head from a snapshot.

Alembic costs about a second at start-up on a small machine: importing it, then replaying every
migration (on SQLite each `batch_alter_table` rebuilds a table). A database already at head needs
neither, and a fresh SQLite file can be given the schema that the migrations would leave, statement
for statement, in one transaction. `sqlite_head.json` holds that schema; `tests/test_schema.py`
checks it against a database that Alembic migrated, and `python -m bot.store.schema` rewrites it
after a new migration. A snapshot of an older revision than the files' head is never used: the
migrations run instead, so a stale snapshot costs time, never a wrong schema.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
SNAPSHOT = Path(__file__).resolve().parent / "migrations" / "sqlite_head.json"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def head_revision(versions: Path = VERSIONS) -> str | None:
    """The newest migration, read from the files as Alembic reads their `revision` and
    `down_revision`; None when the files have no single head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found = {m[1]: m[2] for m in _ASSIGNMENT.finditer(path.read_text(encoding="utf-8"))}
        if "revision" not in found:
            continue
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(connection: sa.Connection) -> str | None:
    """The database's revision as Alembic records it; None for a database Alembic has not touched
    (or one with several heads, which only Alembic can judge)."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(found[0]) if len(found) == 1 else None


def is_empty(connection: sa.Connection) -> bool:
    """True for an SQLite database with nothing in it: no table, index, view or trigger."""
    return int(connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one()) == 0


def load_snapshot(path: Path = SNAPSHOT) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def apply_snapshot(connection: sa.Connection, snapshot: dict[str, Any]) -> None:
    """Create the snapshot's schema and rows on an empty SQLite database, in the caller's transaction."""
    for statement in snapshot["schema"]:
        connection.exec_driver_sql(statement)
    for table, rows in snapshot["rows"].items():
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            # The names are the snapshot's own, written from sqlite_master, not anyone's input.
            insert = f'INSERT INTO "{table}" VALUES ({marks})'  # noqa: S608
            connection.exec_driver_sql(insert, [tuple(r) for r in rows])


def dump(connection: sa.Connection) -> dict[str, Any]:
    """An SQLite database's schema (its `sqlite_master` statements) and rows: what a snapshot
    holds, and what two databases are compared by.

    The statements come tables first, then indexes, views and triggers, each kind by name: an
    order they can be run in, and the same for the same schema however it was made (the order of
    `sqlite_master` itself follows the history of table rebuilds).
    """
    # SQLite makes sqlite_sequence itself with the first AUTOINCREMENT table: its rows are kept,
    # its statement is not (it may not be run).
    schema = [str(sql) for (sql,) in connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name")]
    tables = [str(name) for (name,) in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    rows: dict[str, list[list[Any]]] = {}
    for table in tables:
        query = f'SELECT * FROM "{table}" ORDER BY 1'  # noqa: S608 (a name from sqlite_master)
        found = [list(row) for row in connection.exec_driver_sql(query)]
        if any(isinstance(value, bytes) for row in found for value in row):
            raise ValueError(f"{table} holds binary data, which a JSON snapshot cannot")
        if found:
            rows[table] = found
    return {"revision": current_revision(connection), "schema": schema, "rows": rows}


def write_snapshot(path: Path = SNAPSHOT) -> dict[str, Any]:
    """Migrate a scratch SQLite database with Alembic and save what it holds as the snapshot."""
    import asyncio
    import tempfile

    from bot.store.sql import make_engine, migrate

    async def migrated(url: str) -> dict[str, Any]:
        engine = make_engine(url)
        try:
            await migrate(engine, snapshot=False)
            async with engine.connect() as conn:
                return await conn.run_sync(dump)
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as folder:
        snapshot = asyncio.run(migrated(f"sqlite:///{folder}/head.sqlite3"))
    path.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return snapshot


if __name__ == "__main__":
    written = write_snapshot()
    print(f"wrote {SNAPSHOT} at revision {written['revision']}", file=sys.stderr)
