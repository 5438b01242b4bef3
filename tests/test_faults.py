"""Faults at 30 %: Graph throttling, 503s, timeouts and dropped connections across series creation,
roster sync and attendance; connector 429, 5xx, 403 and 413 on the bot's replies.

Everything that can complete does, nothing is duplicated, and what cannot complete is reported or
re-routed, never lost silently and never a failed turn.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import graph_settings
from bot.features.attendance_collect import collect_session
from bot.features.meetings_sync import sync_all, sync_set
from bot.router import TOO_LARGE
from bot.store.sql import SqlStore
from graph.client import RetryPolicy, StaticTokenCredential, open_client
from graph.service import GraphService
from tests.attendance_seed import SET as SEEDED_SET
from tests.conftest import RunningBot
from tests.programmes import programme
from tests.standins.graph import STATIC_TOKEN, Faults, GraphStandin
from tests.standins.teams import TeamsStandIn, User
from tests.test_attendance_collect import NOW as ATTENDANCE_NOW
from tests.test_attendance_collect import record, session_one
from tests.test_graph_sync import NOW, SET, nominate

pytestmark = pytest.mark.slow
# A third of the requests fail, in every way Graph fails; a slow answer outlasts the timeout.
THIRTY_PERCENT = Faults(seed=14, throttle_rate=0.12, retry_after=(0, 1), unavailable_rate=0.08,
                        drop_rate=0.05, slow_rate=0.05, slow_seconds=0.6)
PATIENT = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=0.4, connect_timeout=1.0, attempts=10)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Graph's faults do not depend on the database kind: SQLite only here."""
    return f"sqlite:///{tmp_path / 'als.sqlite3'}"


async def test_series_creation_and_roster_sync_complete_under_30_percent_faults(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    for n in range(1, 4):
        await nominate(store, n)
    async with GraphStandin(faults=THIRTY_PERCENT) as graph:
        settings = graph_settings(graph.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), PATIENT) as client:
            report = await sync_set(store, GraphService(client, settings), SET, NOW)
            assert report.error is None, report.error
            assert report.created == [1, 2, 3]
            sessions = await store.session_meetings(SET)
            await nominate(store, 4)  # a promotion between session 1 and session 2
            reports = await sync_all(store, GraphService(client, settings), sessions[0].ends_at + timedelta(days=1))
        assert all(r.error is None for r in reports), [r.error for r in reports]
        assert [r.reinvited for r in reports if r.set_key == SET] == [[2, 3]]
        assert len(graph.events) == 3  # no duplicate event, whatever was retried
        for meeting in sessions:
            assert meeting.event_id in graph.events
        served = sum(graph.faults_served.values())
    assert served > 0
    print(f"\nGraph faults injected and survived (meetings, roster): {dict(graph.faults_served)}")


async def test_attendance_is_collected_once_under_30_percent_faults(store: SqlStore) -> None:
    async with GraphStandin(faults=THIRTY_PERCENT, page_size=20) as graph:
        meeting, start, end = await session_one(store, graph)
        people = [record(f"id-{i}", f"guest{i}@example.org", f"Guest {i}",
                         [(start, end)]) for i in range(600)]
        graph.add_report(meeting, start, end, people)
        settings = graph_settings(graph.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), PATIENT) as client:
            done = await collect_session(store, GraphService(client, settings), SEEDED_SET, 1, ATTENDANCE_NOW)
        assert len(done.taken.others) == 600  # every page read, none twice
        served = dict(graph.faults_served)
    assert sum(served.values()) > 0
    print(f"\nGraph faults injected and survived (attendance): {served}")


async def test_connector_faults_at_30_percent_never_fail_a_turn_or_vanish(
    bot: RunningBot, teams: TeamsStandIn
) -> None:
    chance = random.Random(14)
    users = [User(f"d0000000-0000-4000-8000-{i:012d}", f"Officer {i}", f"o{i}@leeds.gov.uk") for i in range(20)]
    for user in users:  # each opens the personal chat first, so a re-routed reply can be delivered
        await teams.send(bot.messages, teams.installed(user))
    injected: Counter[int] = Counter()
    for user in users:
        if chance.random() < 0.3:
            status = chance.choice([429, 503, 403, 413])
            injected[status] += 1
            teams.connector_faults.append((status, {"Retry-After": "0.1"} if status == 429 else {}))
        reply = await teams.send(bot.messages, teams.message(user, "help"))
        assert reply.status == 201
        teams.connector_faults.clear()
    calls = await teams.wait_for_calls(len(users) * 2 + injected[429] + injected[503] + injected[413])
    told_too_large = sum(c.text == TOO_LARGE for c in calls)
    assert told_too_large == injected[413]
    helped = {c.conversation_id for c in calls if c.cards and "What I can do" in str(c.cards)}
    blocked = injected[403]
    # Everyone got the help card but those who blocked the bot and those told it was too large.
    assert len(helped) >= len(users) - blocked - injected[413]
    print(f"\nconnector faults injected and survived on replies: {dict(injected)}")
