"""`als erase EMAIL` end to end: afterwards the officer's name, e-mail address, id and texts are in no
table (every text and JSON column of every table is scanned, on SQLite and PostgreSQL), no export and
no report; the report's figures are unchanged; and if they write again, the bot does not know them.

Besides the finished programme of the report's seed, the officer erased had the weeks between
sessions (issue 12): session reminders sent by the reminder sweep (one by e-mail through the Graph
stand-in, because Teams refused), a refined challenge, an action update before session 2, and a
deep-dive topic proposed and voted for."""

from __future__ import annotations

import builtins
import html
import json
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapter.web import BOT, COURIER, SESSION_TICKER, STORE, TICKER
from bot.features import reminders
from bot.report.figures import series_report
from bot.report.render import sheets
from bot.store.base import Notice
from bot.store.sql import SqlStore
from cards.payloads_between import ANSWER_IDS, TEXT_ID, TITLE_ID
from tests.conftest import RunningBot, start_bot
from tests.report_seed import (
    ACTION_TEXTS,
    CHALLENGE,
    EVALUATIONS,
    FACILITATOR,
    OFFICERS,
    SERIES,
    TUE,
    answer_through_cards,
    challenge_title,
    programme,
    reason,
    reflection_text,
    seed_records,
    today,
)
from tests.standins.graph import GraphStandin
from tests.standins.teams import TENANT, TeamsStandIn
from tests.test_e2e_between import Clock
from tests.test_e2e_between_chat import act
from tests.test_report import run_cli

pytestmark = pytest.mark.slow
PRIYA, TOM = OFFICERS["priya.shah@leeds.gov.uk"], OFFICERS["tom.hughes@leeds.gov.uk"]
KIM = OFFICERS["kim.lee@wigan.gov.uk"]
# What Priya wrote between sessions: a refined challenge, her team's action update, a topic.
REFINED = ("Pooling the drainage money of three services",
           "Highways, parks and housing each hold a drainage budget; one pooled fund would pay for the scheme")
NOTES = ("Finance came to our first options meeting", "Highways answered our questions weeks late",
         "Invite finance before the options paper goes out")
TOPIC = "Retrofitting listed buildings in conservation areas"
KIM_TOPIC = "Working with the water companies"
BETWEEN = (*REFINED, *NOTES, TOPIC)


def traces(email: str) -> list[str]:
    """Everything that is the officer's: who they are and what they wrote."""
    user = OFFICERS[email]
    mine = [user.name, user.email, user.aad_object_id, challenge_title(email), f"{CHALLENGE} ({user.name})",
            reason(email), *(reflection_text(email, n) for n in (1, 2, 3)),
            *(f"{x} ({email} {n})" for x in ACTION_TEXTS for n in (1, 2, 3))]
    for who, _, helped, change, _ in EVALUATIONS:
        if who == email:
            mine += [x for x in (helped, change) if x]
    return mine + list(BETWEEN) if email == PRIYA.email else mine


def strings(value: Any) -> Iterable[str]:
    """Every string in a value, a JSON document's strings one by one (its escaping of quotes, new
    lines and accents would hide a text from a search of the document as a whole)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            value = json.loads(value)  # a JSON column read back as text
        except ValueError:
            pass
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif value is not None:
        yield str(value)


async def every_row(store: SqlStore) -> dict[str, list[str]]:
    """Every table the database holds (reflected, not taken from this code's list), each row as its
    text: every column, text and JSON alike."""
    async with store.read() as conn:
        names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        found: dict[str, list[str]] = {}
        for name in names:
            table = sa.Table(name, sa.MetaData())
            await conn.run_sync(lambda c, tb=table: sa.inspect(c).reflect_table(tb, None))
            rows = (await conn.execute(sa.select(table))).all()
            found[name] = ["\n".join(x for v in row for x in strings(v)).lower() for row in rows]
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


def titles_erased(figures: dict[str, Any], titles: Iterable[str]) -> dict[str, Any]:
    """The figures as they should be once the topics with these titles lose them: same votes, same
    ranks, the title "[erased]"."""
    gone = set(titles)
    return {**figures, "topics": [(*row[:2], "[erased]" if row[2] in gone else row[2], *row[3:])
                                  for row in figures["topics"]]}


@dataclass
class Weeks:
    bot: RunningBot
    graph: GraphStandin
    clock: Clock


@pytest.fixture
async def weeks(teams: TeamsStandIn, database_url: str) -> AsyncIterator[Weeks]:
    """The report's finished programme, answered through the cards, with e-mail through Graph."""
    async with GraphStandin(tls=True) as graph:
        clock = Clock(today())
        env = {**teams.bot_env(), "DATABASE_URL": database_url, "MicrosoftAppTenantId": TENANT, **graph.env()}
        running = await start_bot(env, clock=clock)
        # The test drives the courier and the sweeps by the clock, one round at a time.
        for loop in (COURIER, TICKER, SESSION_TICKER):
            await running.app[loop].stop()
        try:
            await seed_records(running.app[STORE], today())
            await answer_through_cards(teams.send, teams, running.messages)
            yield Weeks(running, graph, clock)
        finally:
            await running.runner.cleanup()


async def between_sessions(w: Weeks, teams: TeamsStandIn) -> None:
    """Priya's weeks before session 2, through the bot: reminders (by e-mail, as Teams refuses her),
    a refined challenge, her team's action update, a topic she proposes and one she votes for."""
    session_2 = programme(today()).set_by_key(TUE).sessions[1].start_utc  # type: ignore[union-attr]
    teams.refused.add(PRIYA.aad_object_id)
    bot, courier = w.bot.app[BOT], w.bot.app[COURIER]
    for lead in (timedelta(days=3), timedelta(hours=1)):
        w.clock.now = session_2 - lead + timedelta(seconds=20)
        assert await reminders.sweep(bot.services, w.clock.now) > 0
        while await courier.deliver_due():
            pass
    mails = [m for m in w.graph.mails if m.subject.startswith("Reminder:")]
    assert [m.to[0] for m in mails] == [PRIYA.email] * 2, mails
    teams.refused.discard(PRIYA.aad_object_id)

    w.clock.now = session_2 - timedelta(minutes=30)
    saved = await act(w.bot, teams, PRIYA, "challenge.save", {
        "set_key": TUE, TITLE_ID: REFINED[0], TEXT_ID: REFINED[1], **dict.fromkeys(ANSWER_IDS, "yes")})
    assert REFINED[0] in json.dumps(saved), saved
    update = dict(zip(("worked_well", "worked_less_well", "learning"), NOTES, strict=True))
    saved = await act(w.bot, teams, PRIYA, "actions.save", {
        "set_key": TUE, "number": 1, "status_1": "done", "status_2": "partly", **update})
    assert NOTES[2] in json.dumps(saved), saved
    await act(w.bot, teams, PRIYA, "topics.propose", {"set_key": TUE, "topic": TOPIC})
    await act(w.bot, teams, KIM, "topics.propose", {"set_key": TUE, "topic": KIM_TOPIC})
    ids = {x.title: x.id for x in await w.bot.app[STORE].topics(TUE)}
    await act(w.bot, teams, KIM, "topics.vote", {"topic_id": ids[TOPIC]})
    await act(w.bot, teams, PRIYA, "topics.vote", {"topic_id": ids[KIM_TOPIC]})
    shown = await act(w.bot, teams, KIM, "topics.show", {"set_key": TUE})
    assert TOPIC in json.dumps(shown)  # remembered as the answer to Kim's card, too
    w.clock.now = today()


async def test_an_erased_officer_is_gone_everywhere_and_the_counts_stay(
    weeks: Weeks, teams: TeamsStandIn, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    report_bot = weeks.bot
    store: SqlStore = report_bot.app[STORE]
    await between_sessions(weeks, teams)
    await teams.send(report_bot.messages, teams.message(PRIYA, "my sets"))
    await store.enqueue([Notice(f"email:{FACILITATOR.email}", {"text": "Priya Shah (Leeds City Council) cannot attend"}),
                         Notice(f"user:{PRIYA.aad_object_id}", {"text": "Your place is confirmed"})], today())
    for trace in (PRIYA.name, PRIYA.email, PRIYA.aad_object_id, *BETWEEN):  # the scan finds them before
        assert await mentions(store, [trace]) != [], trace
    before = figures(await series_report(store, SERIES, today(), min_answers=3))
    assert [row[2:] for row in before["topics"]] == [(TOPIC, 2), (KIM_TOPIC, 2)]
    assert await run_cli(monkeypatch, database_url, "notices", "--all") == 0
    assert f"{PRIYA.email}\tsession-reminder [{TUE}]\tby e-mail" in capsys.readouterr().out

    # Asked to confirm, and answered no: nothing goes.
    monkeypatch.setattr(builtins, "input", lambda prompt="": "no")
    assert await run_cli(monkeypatch, database_url, "erase", TOM.email) == 1
    assert "nothing erased" in capsys.readouterr().out
    assert any(TOM.email in hit for hit in await mentions(store, [TOM.email]))

    assert await run_cli(monkeypatch, database_url, "erase", "PRIYA.Shah@leeds.gov.uk", "--yes") == 0
    captured = capsys.readouterr()
    said = captured.out
    assert "officer erased" in captured.err and "priya" not in captured.err.lower()  # the log: counts only
    assert "erased priya.shah@leeds.gov.uk" in said and "challenge versions: 2 erased" in said
    assert "evaluation text: 1 erased" in said and "reflections: 3 erased" in said
    assert "topics' titles: 1 erased" in said and "topic votes kept anonymously: 2 erased" in said
    assert "session reminders kept anonymously: 4 erased" in said and "reviews' text: 2 erased" in said
    assert "still mentioned" not in said
    assert await mentions(store, traces(PRIYA.email)) == []
    after = figures(await series_report(store, SERIES, today(), min_answers=3))
    # Every count the report shows is the same; her topic keeps its rank and both votes, not its title.
    assert after == titles_erased(before, [TOPIC])

    monkeypatch.setattr(builtins, "input", lambda prompt="": "yes")
    assert await run_cli(monkeypatch, database_url, "erase", TOM.email) == 0
    assert await mentions(store, traces(TOM.email)) == []
    assert figures(await series_report(store, SERIES, today(), min_answers=3)) == titles_erased(before, [TOPIC])
    assert await mentions(store, traces("kim.lee@wigan.gov.uk")) != []  # the others are untouched

    # Their rows stay for the counts, under pseudonyms: the reminder sweep finds them, and queues nothing.
    session_3 = programme(today()).set_by_key(TUE).sessions[2].start_utc  # type: ignore[union-attr]
    assert await reminders.sweep(report_bot.app[BOT].services, session_3 - timedelta(hours=1, seconds=-20)) > 0
    async with store.read() as conn:
        queued = (await conn.execute(sa.text("SELECT recipient FROM outbox"))).scalars().all()
    lee = OFFICERS["lee.brown@bury.gov.uk"]
    assert f"user:{lee.aad_object_id}" in queued and not [r for r in queued if "erased" in r]

    out = tmp_path / "out"
    assert await run_cli(monkeypatch, database_url, "export", TUE, "--out", str(out / "export")) == 0
    assert await run_cli(monkeypatch, database_url, "report", SERIES, "--out", str(out / "report")) == 0
    capsys.readouterr()
    assert await run_cli(monkeypatch, database_url, "notices", "--all") == 0
    assert await run_cli(monkeypatch, database_url, "topics", SERIES) == 0
    listed = capsys.readouterr().out
    assert KIM_TOPIC in listed and "[erased]" in listed
    written = files_text(out) + listed.lower()
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
