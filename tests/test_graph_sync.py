"""Meetings for a set through Graph, kept in step with the roster: against the Graph stand-in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import graph_settings
from bot.features.meetings_sync import sync_all, sync_set
from bot.rules import booking as b
from bot.store.base import BookChange
from bot.store.sql import SqlStore
from graph.client import RetryPolicy, StaticTokenCredential, open_client
from graph.meetings import EventSpec, create_session_event
from graph.service import GraphService
from graph.settings import GraphSettings
from tests.programmes import programme
from tests.standins.graph import ORGANISER, STATIC_TOKEN, Faults, GraphStandin

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=5, connect_timeout=5)
SET = "adaptation-wed"
NOW = datetime.now(UTC)


async def nominate(store: SqlStore, n: int) -> None:
    email = f"officer{n}@council{n}.gov.uk"
    event = b.Nominate(
        SET,
        uuid.uuid4().hex,
        f"council{n}",
        f"Council {n}",
        (b.Officer(email, f"Officer {n}", "sustainability", f"aad-{n}", NOW),),
        f"{SET}|{n}",
        b.Who(f"aad-{n}", email),
        NOW,
    )

    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        return BookChange(after, effects)

    await store.change_book("adaptation", change, NOW)


@pytest.fixture
async def booked(store: SqlStore) -> SqlStore:
    await store.save_programme(programme(), NOW)
    for n in range(1, 4):
        await nominate(store, n)
    return store


@pytest.fixture
async def graph() -> AsyncIterator[GraphStandin]:
    async with GraphStandin() as standin:
        yield standin


@pytest.fixture
def settings(graph: GraphStandin) -> GraphSettings:
    return graph_settings(graph.env())


@pytest.fixture
async def client(settings: GraphSettings) -> AsyncIterator[Any]:
    async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), FAST) as c:
        yield c


async def test_creating_a_sets_meetings(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    report = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert (report.created, report.found, report.installed, report.error) == (
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        None,
    )
    sessions = await booked.session_meetings(SET)
    assert all(
        s.event_id and s.join_url and s.meeting_id and s.chat_id and s.app_installed_at for s in sessions
    )
    assert len({s.join_url for s in sessions}) == 3  # one meeting, one chat, one register per session
    event = graph.events[sessions[1].event_id]  # type: ignore[index]
    invited = sorted(a["emailAddress"]["address"] for a in event.body["attendees"])
    assert invited == [
        "facilitator@lga.gov.uk",
        "officer1@council1.gov.uk",
        "officer2@council2.gov.uk",
        "officer3@council3.gov.uk",
    ]
    assert "session 2 of 3" in event.body["subject"]
    assert "Chatham House" in event.body["body"]["content"]
    assert await booked.set_of_chat(sessions[0].chat_id) == SET  # type: ignore[arg-type]


async def test_running_again_has_nothing_to_do(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    await sync_set(booked, GraphService(client, settings), SET, NOW)
    before = sum(graph.counts.values())
    again = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert not again.changed and again.error is None
    assert sum(graph.counts.values()) == before
    assert len(graph.events) == 3


async def test_a_crash_after_graph_answered_is_finished_without_a_duplicate(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    # The first run created session 1's event, then died before the store kept its id.
    session = (await booked.session_meetings(SET))[0]
    from bot.features.meetings_sync import PREPARATION, invitees, meeting_body, subject

    prog = await booked.programme()
    set_def = prog.set_by_key(SET)
    assert set_def is not None
    people = invitees(prog, await booked.book("adaptation"), set_def)
    spec = EventSpec(
        SET,
        1,
        subject(prog, set_def, 1),
        session.starts_at,
        session.ends_at,
        people,
        meeting_body(set_def.name, 1, PREPARATION),
    )
    await create_session_event(client, ORGANISER, spec)
    report = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert report.created == [1, 2, 3]
    assert len(graph.events) == 3
    assert len(graph.events_with_transaction(spec.transaction_id)) == 1


async def test_a_refusal_half_way_keeps_what_was_done_and_a_rerun_finishes(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    graph.force("/chats/", 403, "Forbidden")
    report = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert report.created == [1] and report.found == [1] and report.installed == []
    assert report.error is not None and report.error.status == 403
    assert "TeamsAppInstallation" in report.error.admin_message
    assert "kept" in "\n".join(report.lines())
    graph.forced.clear()
    finished = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert finished.created == [2, 3] and finished.installed == [1, 2, 3]
    assert len(graph.events) == 3


async def test_a_403_on_the_calendar_names_what_to_grant(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    graph.force("/events", 403, "ErrorAccessDenied")
    report = await sync_set(booked, GraphService(client, settings), SET, NOW)
    assert report.created == [] and report.error is not None
    assert "Calendars.ReadWrite" in report.error.admin_message


async def test_throttling_at_30_percent_still_completes_without_duplicates(
    booked: SqlStore, settings: GraphSettings
) -> None:
    async with GraphStandin(faults=Faults(seed=7, throttle_rate=0.3, retry_after=(0, 1))) as graph:
        throttled = graph_settings(graph.env())
        async with open_client(throttled, StaticTokenCredential(STATIC_TOKEN), FAST) as client:
            report = await sync_set(booked, GraphService(client, throttled), SET, NOW)
        assert report.error is None and report.created == [1, 2, 3]
        assert len(graph.events) == 3
        assert graph.faults_served["throttle"] > 0


async def test_a_promotion_reaches_only_the_sessions_to_come(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    await sync_set(booked, GraphService(client, settings), SET, NOW)
    sessions = await booked.session_meetings(SET)
    # Between session 1 and session 2, a fourth council gets a place.
    between = sessions[0].ends_at + timedelta(days=1)
    await nominate(booked, 4)
    reports = await sync_all(booked, GraphService(client, settings), between)
    assert [r.reinvited for r in reports if r.set_key == SET] == [[2, 3]]
    first = graph.events[sessions[0].event_id]  # type: ignore[index]
    assert first.patches == []
    second = graph.events[sessions[1].event_id]  # type: ignore[index]
    assert "officer4@council4.gov.uk" in str(second.patches[-1]["attendees"])
    # Never the body: rewriting it would give the meeting a new join link.
    assert set(second.patches[-1]) - {"@odata.type"} == {"attendees"}


@pytest.mark.slow
async def test_the_command_creates_meetings_with_a_real_credential(tmp_path: Any) -> None:
    import asyncio
    import os
    import sys

    database = f"sqlite:///{tmp_path / 'als.sqlite3'}"
    store = await SqlStore.open(database)
    await store.save_programme(programme(), NOW)
    await nominate(store, 1)
    await store.close()
    async with GraphStandin(tls=True) as graph:
        # azure-identity's ClientSecretCredential takes its token from the stand-in over TLS.
        env = {**os.environ, **graph.env(), "DATABASE_URL": database}

        async def als(*args: str) -> tuple[int, str, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *args,
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
            return process.returncode or 0, out.decode(), err.decode()

        code, out, err = await als("meetings", "create", SET)
        assert code == 0, err
        assert "events created for sessions 1, 2, 3" in out
        code, out, _ = await als("meetings", "create", SET)
        assert "events created for sessions none" in out and len(graph.events) == 3
        code, out, _ = await als("meetings", "show", SET)
        assert out.count("join: https://teams.microsoft.com/") == 3
        graph.force("/events", 403, "ErrorAccessDenied")
        await nominate_later(database)
        code, out, _ = await als("meetings", "sync", SET)
        assert code == 1 and "Calendars.ReadWrite" in out


async def nominate_later(database: str) -> None:
    store = await SqlStore.open(database)
    await nominate(store, 2)
    await store.close()


async def test_an_admin_creates_meetings_from_the_card_and_is_told_when_done(
    teams: Any, database_url: str
) -> None:
    from bot.adapter.app import STORE
    from tests.conftest import start_bot
    from tests.standins.teams import User

    admin = User("a0000000-0000-4000-8000-00000000000a", "Pat Admin", "pat.admin@lga.gov.uk")
    async with GraphStandin(tls=True) as graph:
        bot = await start_bot({**teams.bot_env(), **graph.env(), "DATABASE_URL": database_url,
                               "ALS_ADMINS": admin.aad_object_id})
        try:
            await bot.app[STORE].save_programme(programme(), NOW)
            await teams.send(bot.messages, teams.message(admin, "sets"))
            assert "meetings.create" in str(teams.calls[-1].cards[0])
            reply = await teams.send(bot.messages, teams.card_action(admin, "meetings.create", {"set_key": SET}))
            assert reply.status == 200 and "Creating the Teams meetings" in reply.body["value"]
            chat = teams.personal(admin)["id"]
            for _ in range(500):
                done = [c.text for c in teams.calls_to(chat) if "events created" in c.text]
                if done:
                    break
                import asyncio

                await asyncio.sleep(0.02)
            assert done and "events created for sessions 1, 2, 3" in done[0]
            assert len(graph.events) == 3
            officer = User("b0000000-0000-4000-8000-00000000000b", "Sam", "sam@leeds.gov.uk")
            refused = await teams.send(bot.messages, teams.card_action(officer, "meetings.create", {"set_key": SET}))
            assert "Only programme admins" in refused.body["value"]
        finally:
            await bot.runner.cleanup()


async def test_create_reports_each_session_and_creates_the_one_in_progress(
    booked: SqlStore, graph: GraphStandin, settings: GraphSettings, client: Any
) -> None:
    sessions = await booked.session_meetings(SET)
    during_two = sessions[1].starts_at + timedelta(minutes=5)  # session 1 is over, 2 has just begun
    report = await sync_set(booked, GraphService(client, settings), SET, during_two)
    assert report.error is None and report.created == [2, 3]
    assert len(graph.events) == 2
    lines = report.lines()
    assert [line.split(":", 1)[0].strip().split(" (")[0] for line in lines[1:4]] == [
        "session 1", "session 2", "session 3"]
    assert "skipped: it has ended" in lines[1]
    assert "meeting created" in lines[2] and "in progress" in lines[2]
    assert "meeting created" in lines[3] and "app added to its chat" in lines[3]
    again = await sync_set(booked, GraphService(client, settings), SET, during_two)
    assert "already there" in again.lines()[2] and "already there" in again.lines()[3]
