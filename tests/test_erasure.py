"""`als erase EMAIL` end to end: afterwards the officer's name, e-mail address, id and texts are in no
table (every text column of every table is scanned, on SQLite and PostgreSQL), no export and no
report; the report's figures are unchanged; and if they write again, the bot does not know them."""

from __future__ import annotations

import builtins
import html
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapter.web import STORE
from bot.report.figures import series_report
from bot.report.render import sheets
from bot.store.base import Notice
from bot.store.sql import SqlStore
from tests.conftest import RunningBot
from tests.report_seed import (
    ACTION_TEXTS,
    CHALLENGE,
    EVALUATIONS,
    FACILITATOR,
    OFFICERS,
    SERIES,
    TUE,
    challenge_title,
    reason,
    reflection_text,
    today,
)
from tests.standins.teams import TeamsStandIn
from tests.test_report import report_bot, run_cli  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
PRIYA, TOM = OFFICERS["priya.shah@leeds.gov.uk"], OFFICERS["tom.hughes@leeds.gov.uk"]


def traces(email: str) -> list[str]:
    """Everything that is the officer's: who they are and what they wrote."""
    user = OFFICERS[email]
    mine = [user.name, user.email, user.aad_object_id, challenge_title(email), f"{CHALLENGE} ({user.name})",
            reason(email), *(reflection_text(email, n) for n in (1, 2, 3)),
            *(f"{x} ({email} {n})" for x in ACTION_TEXTS for n in (1, 2, 3))]
    for who, _, helped, change, _ in EVALUATIONS:
        if who == email:
            mine += [x for x in (helped, change) if x]
    return mine


async def every_row(store: SqlStore) -> dict[str, list[str]]:
    """Every table the database holds (reflected, not taken from this code's list), as text."""
    async with store.read() as conn:
        names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        found: dict[str, list[str]] = {}
        for name in names:
            table = sa.Table(name, sa.MetaData())
            await conn.run_sync(lambda c, tb=table: sa.inspect(c).reflect_table(tb, None))
            rows = (await conn.execute(sa.select(table))).all()
            found[name] = [json.dumps([str(v) for v in row], ensure_ascii=False).lower() for row in rows]
    return found


async def mentions(store: SqlStore, terms: list[str]) -> list[str]:
    hits = []
    for name, rows in (await every_row(store)).items():
        for term in terms:
            if any(term.lower() in row for row in rows):
                hits.append(f"{term!r} in {name}")
    return hits


def files_text(out: Path) -> str:
    parts = []
    for path in out.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                parts += [book.read(n).decode("utf-8") for n in book.namelist()]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8-sig"))
    return html.unescape("\n".join(parts)).lower()


def figures(report: Any) -> dict[str, Any]:
    return {s.name: s.rows for s in sheets(report) if s.name != "free-text"}


async def test_an_erased_officer_is_gone_everywhere_and_the_counts_stay(
    report_bot: RunningBot, teams: TeamsStandIn, database_url: str, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    store: SqlStore = report_bot.app[STORE]
    await teams.send(report_bot.messages, teams.message(PRIYA, "my sets"))
    await store.enqueue([Notice(f"email:{FACILITATOR.email}", {"text": "Priya Shah (Leeds City Council) cannot attend"}),
                         Notice(f"user:{PRIYA.aad_object_id}", {"text": "Your place is confirmed"})], today())
    assert await mentions(store, traces(PRIYA.email)) != []  # the scan finds what is there
    before = figures(await series_report(store, SERIES, today(), min_answers=3))

    # Asked to confirm, and answered no: nothing goes.
    monkeypatch.setattr(builtins, "input", lambda prompt="": "no")
    assert await run_cli(monkeypatch, database_url, "erase", TOM.email) == 1
    assert "nothing erased" in capsys.readouterr().out
    assert any(TOM.email in hit for hit in await mentions(store, [TOM.email]))

    assert await run_cli(monkeypatch, database_url, "erase", "PRIYA.Shah@leeds.gov.uk", "--yes") == 0
    captured = capsys.readouterr()
    said = captured.out
    assert "officer erased" in captured.err and "priya" not in captured.err.lower()  # the log: counts only
    assert "erased priya.shah@leeds.gov.uk" in said and "challenge versions: 1 erased" in said
    assert "evaluation text: 1 erased" in said and "reflections: 3 erased" in said
    assert "still mentioned" not in said
    assert await mentions(store, traces(PRIYA.email)) == []
    after = figures(await series_report(store, SERIES, today(), min_answers=3))
    assert after == before  # every count the report shows is the same

    monkeypatch.setattr(builtins, "input", lambda prompt="": "yes")
    assert await run_cli(monkeypatch, database_url, "erase", TOM.email) == 0
    assert await mentions(store, traces(TOM.email)) == []
    assert figures(await series_report(store, SERIES, today(), min_answers=3)) == before
    assert await mentions(store, traces("kim.lee@wigan.gov.uk")) != []  # the others are untouched

    out = tmp_path / "out"
    assert await run_cli(monkeypatch, database_url, "export", TUE, "--out", str(out / "export")) == 0
    assert await run_cli(monkeypatch, database_url, "report", SERIES, "--out", str(out / "report")) == 0
    written = files_text(out)
    for term in traces(PRIYA.email) + traces(TOM.email):
        assert term.lower() not in written, term
    assert "kim lee" in written  # the export still names the officers who were not erased

    # Nothing is known of her: she is a stranger, and a second erasure finds nothing.
    await teams.send(report_bot.messages, teams.message(PRIYA, "my sets"))
    assert "Tuesday set" not in json.dumps(teams.calls[-1].body)
    await teams.send(report_bot.messages, teams.message(PRIYA, "evaluation"))
    assert "no evaluation open" in json.dumps(teams.calls[-1].body)
    capsys.readouterr()
    # Writing again left only the new chat's reference, which a second erasure takes too.
    assert await run_cli(monkeypatch, database_url, "erase", PRIYA.email, "--yes") == 0
    said = capsys.readouterr().out
    assert "conversation references: 1 erased" in said and "officer records" not in said
