"""`als attendance collect` and `als export` as an admin runs them: against the Graph stand-in over
TLS with the real azure-identity credential, and into CSV files and one XLSX workbook."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from bot.store.sql import SqlStore
from tests.attendance_seed import SET, TEAMS, record, seed
from tests.standins.graph import GraphStandin

ALS = [sys.executable, "-m", "bot.cli"]
ALEX_ID = TEAMS[0][1][0][2]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("Microsoft", "ToBot", "ToChannel", "AZURE_", "GRAPH_", "ALS_"))}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'als.sqlite3'}", **extra}


async def als(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    # Asynchronous, so that the Graph stand-in on this loop keeps answering.
    process = await asyncio.create_subprocess_exec(*ALS, *args, env=env, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), out.decode(), err.decode()


def test_collect_without_graph_names_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run([*ALS, "attendance", "collect", SET], env=env_for(tmp_path),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "Graph is not configured: set AZURE_TENANT_ID" in result.stderr.decode()


async def test_collect_then_export(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'als.sqlite3'}")
    now = datetime.now(UTC)
    async with GraphStandin(tls=True) as graph:
        try:
            team_of = await seed(store, now)
            meeting = graph.add_meeting()
            await store.record_meeting(SET, 1, {"meeting_id": meeting})
            start = (await store.programme()).set_by_key(SET).sessions[0].start_utc  # type: ignore[union-attr]
            await store.save_actions(SET, team_of["alex@leeds.gov.uk"], 1, "alex@leeds.gov.uk",
                                     ["Meet the flood team", "=HYPERLINK(\"http://x\")"], now)
            await store.add_reflection(SET, 1, "alex@leeds.gov.uk", [("team", "Questions helped")])
        finally:
            await store.close()
        graph.add_report(meeting, start, start + timedelta(minutes=90), [
            record(ALEX_ID, None, "Alex Smith", [(start, start + timedelta(minutes=90))]),
            record("guest", None, "Guest 1", [(start, start + timedelta(minutes=30))], tenant=None),
        ])
        env = env_for(tmp_path, **graph.env())
        code, out, err = await als(env, "attendance", "collect", SET, "1")
        assert code == 0, err
        assert "session 1: 1 attended, 0 with apologies, 3 absent without notice, 1 others joined" in out
        assert "Guest 1 <no e-mail>: 30 min" in out
        code, out, _ = await als(env, "attendance", "collect", SET, "1")  # again: replaces
        assert code == 0 and "1 attended" in out

    export_dir = tmp_path / "export"
    code, out, err = await als(env_for(tmp_path), "export", SET, "--out", str(export_dir))
    assert code == 0, err
    names = sorted(p.name for p in export_dir.iterdir())
    assert names == [f"{SET}-actions.csv", f"{SET}-attendance.csv", f"{SET}-reflections.csv",
                     f"{SET}-register.csv", f"{SET}.xlsx"]
    with (export_dir / f"{SET}-register.csv").open(encoding="utf-8-sig") as handle:
        register = list(csv.DictReader(handle))
    assert len(register) == 4
    alex = next(r for r in register if r["email"] == "alex@leeds.gov.uk")
    assert alex["missed without notice"] == ""
    assert next(iter(v for k, v in alex.items() if k.startswith("session 1"))) == "attended (90 min)"
    kim = next(r for r in register if r["email"] == "kim@wigan.gov.uk")
    assert kim["missed without notice"] == "yes"
    with (export_dir / f"{SET}-attendance.csv").open(encoding="utf-8-sig") as handle:
        detail = list(csv.DictReader(handle))
    assert len(detail) == 5 and sum(r["kind"] == "not an officer of the set" for r in detail) == 1
    with (export_dir / f"{SET}-actions.csv").open(encoding="utf-8-sig") as handle:
        actions = [row["action"] for row in csv.DictReader(handle)]
    assert actions == ["Meet the flood team", "'=HYPERLINK(\"http://x\")"]  # never a live formula
    book = load_workbook(export_dir / f"{SET}.xlsx")
    assert book.sheetnames == ["register", "attendance", "actions", "reflections"]
    reflections = [row for row in book["reflections"].iter_rows(values_only=True)]
    assert reflections == [("session", "kind", "reflection"), (1, "team", "Questions helped")]
    assert "alex" not in str(reflections).lower()  # reflections carry no author
    assert book["actions"]["D3"].value == "'=HYPERLINK(\"http://x\")"
