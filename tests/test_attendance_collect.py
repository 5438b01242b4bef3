"""Collecting attendance from the Graph stand-in into the store (SQLite and PostgreSQL): matching
across tenants, a restarted meeting, paging to the end under throttling, collecting twice, and the
timed sweep that waits for a report that is not ready yet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.config import AttendanceSettings, graph_settings
from bot.features.attendance_collect import NotCollected, NotReady, collect_session, sweep
from bot.rules import attendance as a
from bot.store import tables as t
from bot.store.sql import SqlStore
from graph.client import RetryPolicy, StaticTokenCredential
from graph.service import GraphService, open_graph
from tests.attendance_seed import FACILITATOR, LEEDS_TENANT, SET, TEAMS, WIGAN_TENANT, record, seed
from tests.standins.graph import STATIC_TOKEN, GraphStandin, people

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=10, connect_timeout=5)
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ALEX_ID, KIM_ID = TEAMS[0][1][0][2], TEAMS[1][1][0][2]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def graph(clock: Clock) -> AsyncIterator[GraphStandin]:
    async with GraphStandin(page_size=100, clock=clock) as standin:
        yield standin


def client_for(graph: GraphStandin) -> AbstractAsyncContextManager[GraphService]:
    return open_graph(graph_settings(graph.env()), StaticTokenCredential(STATIC_TOKEN), FAST)


async def session_one(store: SqlStore, graph: GraphStandin) -> tuple[str, datetime, datetime]:
    await seed(store, NOW)
    meeting = graph.add_meeting()
    # A recurring series: every session shares the one meeting, so reports are told apart by time.
    for number in (1, 2, 3):
        await store.record_meeting(SET, number, {"meeting_id": meeting})
    slot = (await store.programme()).set_by_key(SET).sessions[0]  # type: ignore[union-attr]
    return meeting, slot.start_utc, slot.end_utc


def mins(start: datetime, a_: float, b_: float) -> list[tuple[datetime, datetime]]:
    return [(start + timedelta(minutes=a_), start + timedelta(minutes=b_))]


def by_email(taken: a.SessionAttendance) -> dict[str, a.OfficerAttendance]:
    return {o.email: o for o in taken.officers}


async def test_a_session_is_matched_across_tenants_and_strangers_are_kept(
    store: SqlStore, graph: GraphStandin
) -> None:
    meeting, start, end = await session_one(store, graph)
    team_of = {o.email: o.team_id for o in await store.set_members(SET)}
    await store.save_apology(a.Apology(SET, 1, "lee@bury.gov.uk", team_of["lee@bury.gov.uk"], "Budget setting",
                                       NOW), [], NOW)
    earlier = start - timedelta(weeks=2)
    graph.add_report(meeting, earlier, earlier + timedelta(minutes=90), [
        record("someone", "lee@bury.gov.uk", "Lee Brown", mins(earlier, 0, 90))])
    graph.add_report(meeting, start - timedelta(minutes=5), end + timedelta(minutes=3), [
        # Alex's own object id; the report shows a Leeds alias address.
        record(ALEX_ID, "a.smith@leeds.gov.uk", "Alex Smith", mins(start, -5, 88), tenant=LEEDS_TENANT),
        # Sam from Leeds's tenant: an identity the bot has never seen; the address in other case.
        record("5a5a5a5a-0000-4000-8000-000000000001", "Sam@Leeds.gov.uk", "Sam Jones", mins(start, 0, 90),
               tenant=LEEDS_TENANT),
        # Kim as a guest of the programme's tenant.
        record("9e9e9e9e-0000-4000-8000-000000000002", "kim_wigan.gov.uk#EXT#@lga.onmicrosoft.com",
               "Kim Lee", mins(start, 30, 50), tenant=WIGAN_TENANT),
        record("fac-1", FACILITATOR, "Pat Facilitator", mins(start, -10, 93), role="Organizer"),
        record("c0c0c0c0-0000-4000-8000-000000000003", "jo@wigan.gov.uk", "Jo Deputy", mins(start, 0, 90),
               tenant=WIGAN_TENANT),
        record("guest-anon", None, "Guest (Unverified)", mins(start, 10, 40), tenant=None),
    ])
    async with client_for(graph) as client:
        done = await collect_session(store, client, SET, 1, NOW)

    officers = by_email(done.taken)
    assert {e: o.status for e, o in officers.items()} == {
        "alex@leeds.gov.uk": "attended", "sam@leeds.gov.uk": "attended",
        "kim@wigan.gov.uk": "absent", "lee@bury.gov.uk": "apologies"}
    assert officers["kim@wigan.gov.uk"].minutes == 20  # present, too briefly: the minutes are kept
    assert officers["lee@bury.gov.uk"].reason == "Budget setting"
    assert officers["alex@leeds.gov.uk"].first_join == start - timedelta(minutes=5)
    assert [(o.name, o.facilitator) for o in done.taken.others] == [
        ("Pat Facilitator", True), ("Guest (Unverified)", False), ("Jo Deputy", False)]
    assert len(done.reports) == 1
    kept = (await store.attendance(SET))[1]
    assert set(kept.officers) == set(done.taken.officers) and kept.others == done.taken.others


async def test_a_restarted_meeting_is_joined_into_one_session(store: SqlStore, graph: GraphStandin) -> None:
    meeting, start, end = await session_one(store, graph)
    first = [record(ALEX_ID, None, "Alex Smith", mins(start, 0, 35)),
             record(KIM_ID, None, "Kim Lee", mins(start, 0, 35))]
    restart = start + timedelta(minutes=37)
    second = [record(ALEX_ID, None, "Alex Smith", mins(start, 37, 90))]
    graph.add_report(meeting, start, start + timedelta(minutes=35), first)
    graph.add_report(meeting, restart, end, second)
    async with client_for(graph) as client:
        done = await collect_session(store, client, SET, 1, NOW)
    assert len(done.reports) == 2 and done.records == 3
    officers = by_email(done.taken)
    assert (officers["alex@leeds.gov.uk"].status, officers["alex@leeds.gov.uk"].minutes) == ("attended", 88)
    assert (officers["kim@wigan.gov.uk"].status, officers["kim@wigan.gov.uk"].minutes) == ("absent", 35)


async def test_a_thousand_records_are_read_to_the_last_page_under_throttling(
    store: SqlStore, graph: GraphStandin
) -> None:
    meeting, start, end = await session_one(store, graph)
    crowd = people(1000, start, guests=5)
    crowd.append(record(KIM_ID, "kim@wigan.gov.uk", "Kim Lee", mins(start, 0, 90)))  # on page 11
    graph.add_report(meeting, start, end, crowd)
    graph.fail_next("throttle", 3, route="/attendanceRecords", retry_after=0)
    graph.fail_next("throttle", 1, route="/attendanceReports", retry_after=0)
    async with client_for(graph) as client:
        done = await collect_session(store, client, SET, 1, NOW)
    assert done.records == 1001
    assert graph.faults_served["throttle"] == 4
    assert graph.count("GET", "/attendanceRecords") == 11 + 3
    assert by_email(done.taken)["kim@wigan.gov.uk"].status == "attended"
    assert len(done.taken.others) == 1000
    assert sum(o.email is None for o in done.taken.others) == 5  # guests with no e-mail, kept


async def test_collecting_twice_replaces_never_duplicates(store: SqlStore, graph: GraphStandin) -> None:
    meeting, start, end = await session_one(store, graph)
    graph.add_report(meeting, start, end, [record(ALEX_ID, None, "Alex Smith", mins(start, 0, 90)),
                                           record("g", None, "Guest", mins(start, 0, 90))])
    async with client_for(graph) as client:
        first = await collect_session(store, client, SET, 1, NOW)
        second = await collect_session(store, client, SET, 1, NOW + timedelta(hours=1))
    assert set(first.taken.officers) == set(second.taken.officers)
    async with store.read() as conn:
        rows = (await conn.execute(sa.select(sa.func.count()).select_from(t.attendance))).scalar_one()
    assert rows == 4 + 1  # four officers and one guest, once


async def test_no_report_yet_and_no_meeting_are_told_apart(store: SqlStore, graph: GraphStandin) -> None:
    meeting, start, end = await session_one(store, graph)
    graph.add_report(meeting, start, end, [], ready_after=600)
    async with client_for(graph) as client:
        with pytest.raises(NotReady):
            await collect_session(store, client, SET, 1, NOW)
        await store.record_meeting(SET, 2, {"meeting_id": None})
        with pytest.raises(NotCollected, match="als meetings create"):
            await collect_session(store, client, SET, 2, NOW)


async def notices(store: SqlStore) -> list[tuple[str, Any]]:
    async with store.read() as conn:
        rows = (await conn.execute(sa.select(t.outbox.c.recipient, t.outbox.c.body))).all()
    return [(r[0], r[1]) for r in rows]


async def test_the_sweep_waits_for_the_report_then_tells_the_facilitator(
    store: SqlStore, graph: GraphStandin, clock: Clock
) -> None:
    meeting, start, end = await session_one(store, graph)
    graph.add_report(meeting, start, end, [record(ALEX_ID, None, "Alex Smith", mins(start, 0, 90))],
                     ready_after=20 * 60)  # Teams makes the report twenty minutes after the end
    settings = AttendanceSettings()
    kicks: list[int] = []

    async def run(at: datetime) -> list[tuple[str, int, str]]:
        return await sweep(store, lambda: client_for(graph), settings, at,
                           kick=lambda: kicks.append(1))

    assert await run(end + timedelta(minutes=5)) == []  # within the grace period: not looked at
    assert await run(end + timedelta(minutes=11)) == [(SET, 1, "not ready")]
    assert await run(end + timedelta(minutes=12)) == []  # tried a moment ago
    clock.now += 20 * 60
    assert await run(end + timedelta(minutes=30)) == [(SET, 1, "collected")]
    assert await run(end + timedelta(hours=2)) == []
    assert kicks == [1]
    ((recipient, body),) = await notices(store)
    assert recipient == f"email:{FACILITATOR}"
    assert "Attendance for session 1" in str(body["card"]) and "Alex Smith" in str(body["card"])


async def test_the_sweep_gives_up_after_the_wait_and_says_so(store: SqlStore, graph: GraphStandin) -> None:
    _, _, end = await session_one(store, graph)
    settings = AttendanceSettings(wait=timedelta(hours=6))

    async def run(at: datetime) -> list[tuple[str, int, str]]:
        return await sweep(store, lambda: client_for(graph), settings, at)

    assert await run(end + timedelta(minutes=11)) == [(SET, 1, "not ready")]
    assert await run(end + timedelta(hours=7)) == [(SET, 1, "gave up")]
    assert await run(end + timedelta(hours=8)) == []
    ((recipient, body),) = await notices(store)
    assert recipient == f"email:{FACILITATOR}"
    assert "within 6 hours" in body["text"] and f"als attendance collect {SET} 1" in body["text"]


def test_attendance_settings_from_the_environment() -> None:
    settings = AttendanceSettings.from_env({"ALS_ATTENDANCE_THRESHOLD": "75%",
                                            "ALS_ATTENDANCE_WAIT_HOURS": "48"})
    assert (settings.threshold, settings.wait) == (0.75, timedelta(hours=48))
    assert AttendanceSettings.from_env({}) == AttendanceSettings()
    with pytest.raises(ValueError, match="ALS_ATTENDANCE_THRESHOLD"):
        AttendanceSettings.from_env({"ALS_ATTENDANCE_THRESHOLD": "half"})


async def test_the_bot_runs_the_sweep_only_when_graph_is_configured(
    graph: GraphStandin, database_url: str
) -> None:
    from bot.adapter.app import TICKER, create_app
    from bot.config import load_settings

    base = {"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": database_url}
    store = await SqlStore.open(database_url)
    try:
        with_graph = create_app(load_settings({**base, **graph.env(ALS_ATTENDANCE_WAIT_HOURS="48")}), store)
        without = create_app(load_settings(base), store)
        assert "attendance" in [name for name, _ in with_graph[TICKER].sweeps]
        assert "attendance" not in [name for name, _ in without[TICKER].sweeps]
    finally:
        await store.close()
