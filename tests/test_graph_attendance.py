"""Attendance reports and records from the Graph stand-in, and picking a session's reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import graph_settings
from graph.attendance import (
    Interval,
    Record,
    Report,
    attendance_records,
    join_records,
    list_attendance_reports,
    reports_for_session,
)
from graph.client import RetryPolicy, StaticTokenCredential, open_client
from graph.errors import GraphError
from tests.standins.graph import EXTERNAL_TENANTS, ORGANISER, STATIC_TOKEN, GraphStandin, people

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=5, connect_timeout=5)
START = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
END = START + timedelta(minutes=90)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def standin(clock: Clock) -> AsyncIterator[GraphStandin]:
    async with GraphStandin(page_size=100, clock=clock) as graph:
        yield graph


@pytest.fixture
async def client(standin: GraphStandin) -> AsyncIterator[Any]:
    settings = graph_settings(standin.env())
    async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), FAST) as graph:
        yield graph


async def test_paging_over_1000_records_reaches_the_end(standin: GraphStandin, client: Any) -> None:
    meeting = standin.add_meeting()
    seeded = people(1050, START, guests=3)
    report = standin.add_report(meeting, START, END, seeded)

    records = await attendance_records(client, ORGANISER, meeting, report)

    assert len(records) == 1050
    assert standin.count("GET", "/attendanceRecords") == 11
    assert [r.identity_id for r in records] == [p["identity"]["id"] for p in seeded]
    guests = [r for r in records if r.email is None]
    assert [g.display_name for g in guests] == ["Guest 1047", "Guest 1048", "Guest 1049"]
    assert all(g.identity_id and g.tenant_id is None for g in guests)
    assert {r.tenant_id for r in records} >= set(EXTERNAL_TENANTS)
    assert all(isinstance(r.tenant_id, str) for r in records if r.tenant_id)


async def test_page_size_can_be_asked_for(standin: GraphStandin, client: Any) -> None:
    meeting = standin.add_meeting()
    report = standin.add_report(meeting, START, END, people(45, START))
    records = await attendance_records(client, ORGANISER, meeting, report, page_size=10)
    assert len(records) == 45
    assert standin.count("GET", "/attendanceRecords") == 5


async def test_record_fields_are_read_as_utc(standin: GraphStandin, client: Any) -> None:
    meeting = standin.add_meeting()
    seeded = people(3, START, guests=0)
    report = standin.add_report(meeting, START, END, seeded)

    first = (await attendance_records(client, ORGANISER, meeting, report))[0]

    source = seeded[0]
    assert first.email == source["emailAddress"]
    assert first.role == "Organizer"
    assert first.display_name == "Officer 0"
    assert first.total_seconds == source["totalAttendanceInSeconds"]
    assert first.intervals[0].seconds == source["attendanceIntervals"][0]["durationInSeconds"]
    join = first.intervals[0].join
    assert join is not None and join.tzinfo is not None and join.utcoffset() == timedelta(0)
    assert join.isoformat().startswith(source["attendanceIntervals"][0]["joinDateTime"][:19])


async def test_a_report_that_is_not_ready_is_not_listed(
    standin: GraphStandin, client: Any, clock: Clock
) -> None:
    meeting = standin.add_meeting()
    report = standin.add_report(meeting, START, END, people(8, START), ready_after=600)

    assert await list_attendance_reports(client, ORGANISER, meeting) == []
    clock.now += 601
    listed = await list_attendance_reports(client, ORGANISER, meeting)

    assert [r.id for r in listed] == [report]
    assert listed[0].total_participants == 8
    assert (listed[0].start, listed[0].end) == (START, END)


async def test_restarted_meeting_reports_are_picked_and_joined(
    standin: GraphStandin, client: Any
) -> None:
    meeting = standin.add_meeting()
    everyone = people(6, START, guests=1)
    before = people(6, START - timedelta(weeks=4), seed=9)
    standin.add_report(meeting, START - timedelta(weeks=4), END - timedelta(weeks=4), before)
    # The meeting ended by mistake at 11:05 and was restarted at 11:07.
    first_run = standin.add_report(meeting, START, START + timedelta(minutes=35), everyone)
    restart = START + timedelta(minutes=37)
    second_run = standin.add_report(meeting, restart, END + timedelta(minutes=4), everyone[:4])

    reports = await list_attendance_reports(client, ORGANISER, meeting)
    chosen = reports_for_session(reports, START, END)
    batches = [await attendance_records(client, ORGANISER, meeting, r.id) for r in chosen]
    joined = join_records(batches)

    assert [r.id for r in chosen] == [first_run, second_run]
    assert len(joined) == 6
    by_id = {r.identity_id: r for r in joined}
    for person in everyone[:4]:
        merged = by_id[person["identity"]["id"]]
        assert len(merged.intervals) == len(person["attendanceIntervals"]) * 2
        assert merged.total_seconds == 2 * person["totalAttendanceInSeconds"]
    assert any(r.email is None for r in joined)


async def test_unknown_meeting_is_a_graph_error(client: Any) -> None:
    with pytest.raises(GraphError) as caught:
        await list_attendance_reports(client, ORGANISER, "no-such-meeting")
    assert caught.value.status == 404


async def test_403_on_attendance_names_the_artifact_permission(
    standin: GraphStandin, client: Any
) -> None:
    meeting = standin.add_meeting()
    standin.force("/attendanceReports", 403, "Forbidden")
    with pytest.raises(GraphError) as caught:
        await list_attendance_reports(client, ORGANISER, meeting)
    assert "application permission OnlineMeetingArtifact.Read.All" in caught.value.admin_message


def report(minutes_from_start: int, length: int, rid: str = "") -> Report:
    start = START + timedelta(minutes=minutes_from_start)
    return Report(rid or f"r{minutes_from_start}", start, start + timedelta(minutes=length), 1)


def test_reports_for_session_takes_overlapping_runs_only() -> None:
    reports = [
        report(-4 * 7 * 24 * 60, 90, "previous session"),
        report(-10, 5, "sound check before"),
        report(0, 40, "first run"),
        report(45, 50, "after restart"),
        report(24 * 60, 90, "next day"),
    ]
    chosen = reports_for_session(reversed(reports), START, END)
    assert [r.id for r in chosen] == ["sound check before", "first run", "after restart"]
    assert reports_for_session(reports, START, END, slack=timedelta(0))[0].id == "first run"


def test_reports_for_session_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        reports_for_session([], datetime(2026, 3, 3, 10, 30), END)


def record(key: str, seconds: int, email: str | None = None, joined: int = 0) -> Record:
    at = START + timedelta(minutes=joined)
    return Record(email, key or None, None, f"Name {key}", "Attendee", seconds,
                  (Interval(at, at + timedelta(seconds=seconds), seconds),))


def test_join_records_keeps_guests_and_matches_by_id_then_email() -> None:
    first = [record("id-1", 600), record("", 300, "x@york.gov.uk"), record("", 120)]
    second = [record("ID-1", 900, joined=50), record("", 60, "X@York.gov.uk", joined=60),
              record("", 30)]
    joined = {r.key: r for r in join_records([first, second])}
    assert joined["id:id-1"].total_seconds == 1500
    assert joined["email:x@york.gov.uk"].total_seconds == 360
    assert joined["name:Name "].total_seconds == 150
    assert [i.join for i in joined["id:id-1"].intervals] == [START, START + timedelta(minutes=50)]


@given(st.lists(st.tuples(st.integers(-600, 600), st.integers(1, 200)), max_size=12),
       st.integers(0, 120))
def test_chosen_reports_always_overlap_the_widened_session(
    runs: list[tuple[int, int]], slack_minutes: int
) -> None:
    reports = [report(start, length, f"r{i}") for i, (start, length) in enumerate(runs)]
    slack = timedelta(minutes=slack_minutes)
    chosen = reports_for_session(reports, START, END, slack)
    ids = {r.id for r in chosen}
    for r in reports:
        assert r.start is not None and r.end is not None
        overlaps = r.start <= END + slack and r.end >= START - slack
        assert (r.id in ids) == overlaps
    assert [r.start for r in chosen] == sorted(r.start for r in chosen if r.start)
