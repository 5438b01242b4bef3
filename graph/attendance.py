"""Attendance reports of a session's Teams meeting, read to the last page, and picked by time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.features.graph_port import Interval, Record, SessionReports
from graph.errors import graph_errors


@dataclass(frozen=True)
class Report:
    """One meeting run (Teams makes a new report each time the meeting starts again)."""

    id: str
    start: datetime | None
    end: datetime | None
    total_participants: int


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _time(value: Any) -> datetime | None:
    return _aware(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _report(item: dict[str, Any]) -> Report:
    return Report(
        id=str(item["id"]),
        start=_time(item.get("meetingStartDateTime")),
        end=_time(item.get("meetingEndDateTime")),
        total_participants=int(item.get("totalParticipantCount") or 0),
    )


def _record(item: dict[str, Any]) -> Record:
    identity = item.get("identity") or {}
    return Record(
        email=_text(item.get("emailAddress")),
        identity_id=_text(identity.get("id")),
        tenant_id=_text(identity.get("tenantId")),
        display_name=str(identity.get("displayName") or ""),
        role=str(item.get("role") or ""),
        total_seconds=int(item.get("totalAttendanceInSeconds") or 0),
        intervals=tuple(
            Interval(
                join=_time(span.get("joinDateTime")),
                leave=_time(span.get("leaveDateTime")),
                seconds=int(span.get("durationInSeconds") or 0),
            )
            for span in item.get("attendanceIntervals") or ()
        ),
    )


async def _pages(client: Any, builder: Any, config: Any = None) -> list[dict[str, Any]]:
    """Every item of a collection, following `@odata.nextLink` to the last page.

    The pages go through the SDK's request adapter (token, retries, mailbox limit, Graph's
    error mapping) but are parsed as plain JSON: the SDK's models cost about 3 ms per record
    (each `Entity` subclass re-runs some 1,200 function-level imports per object), 380 times
    the cost of fetching the page. msgraph-sdk's PageIterator is not used either: it stops at
    the first empty page or falsy callback result and drops the error mapping on later pages.
    """
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    errors = {"XXX": ODataError}
    adapter = client.request_adapter
    items: list[dict[str, Any]] = []
    request = builder.to_get_request_information(config)
    while True:
        raw = await adapter.send_primitive_async(request, "bytes", errors)
        page = json.loads(raw) if raw else {}
        items.extend(page.get("value") or ())
        next_link = page.get("@odata.nextLink")
        if not next_link:
            return items
        request = builder.with_url(next_link).to_get_request_information()


async def list_attendance_reports(client: Any, organiser: str, meeting_id: str) -> list[Report]:
    """The meeting's reports (Graph keeps the 50 newest); empty until Teams has made one."""
    builder = client.users.by_user_id(organiser).online_meetings.by_online_meeting_id(
        meeting_id
    ).attendance_reports
    with graph_errors(area="attendance", action="list the meeting's attendance reports",
                      organiser=organiser):
        items = await _pages(client, builder)
    return [_report(item) for item in items]


async def attendance_records(
    client: Any, organiser: str, meeting_id: str, report_id: str, page_size: int | None = None
) -> list[Record]:
    """Every record of a report, to the last page; guests without an e-mail address included."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.item.online_meetings.item.attendance_reports.item.attendance_records.attendance_records_request_builder import (  # noqa: E501
        AttendanceRecordsRequestBuilder,
    )

    builder = (
        client.users.by_user_id(organiser)
        .online_meetings.by_online_meeting_id(meeting_id)
        .attendance_reports.by_meeting_attendance_report_id(report_id)
        .attendance_records
    )
    query = AttendanceRecordsRequestBuilder.AttendanceRecordsRequestBuilderGetQueryParameters(
        top=page_size
    )
    with graph_errors(area="attendance", action="read the meeting's attendance records",
                      organiser=organiser):
        items = await _pages(client, builder, RequestConfiguration(query_parameters=query))
    return [_record(item) for item in items]


def reports_for_session(
    reports: Iterable[Report],
    start: datetime,
    end: datetime,
    slack: timedelta = timedelta(minutes=30),
) -> list[Report]:
    """The reports of the runs that overlap the session's time (widened by `slack` each side:
    people join early and sessions overrun). A restarted meeting gives several; oldest first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("session times must be timezone-aware")
    low, high = start - slack, end + slack
    chosen = []
    for report in reports:
        if report.start is None:
            continue
        finish = report.end or report.start
        if report.start <= high and finish >= low:
            chosen.append(report)
    return sorted(chosen, key=lambda report: report.start or start)


def join_records(batches: Sequence[Sequence[Record]]) -> list[Record]:
    """One record per person across a session's reports: seconds added, intervals in order.

    People are told apart by identity id, else e-mail, else (guests only) display name.
    """
    merged: dict[str, Record] = {}
    for batch in batches:
        for record in batch:
            seen = merged.get(record.key)
            if seen is None:
                merged[record.key] = record
                continue
            intervals = tuple(sorted(
                seen.intervals + record.intervals,
                key=lambda span: span.join or datetime.min.replace(tzinfo=UTC),
            ))
            merged[record.key] = Record(
                email=seen.email or record.email,
                identity_id=seen.identity_id or record.identity_id,
                tenant_id=seen.tenant_id or record.tenant_id,
                display_name=seen.display_name or record.display_name,
                role=seen.role or record.role,
                total_seconds=seen.total_seconds + record.total_seconds,
                intervals=intervals,
            )
    return list(merged.values())


async def read_session(client: Any, organiser: str, meeting_id: str, start: datetime, end: datetime,
                       page_size: int | None = None) -> SessionReports:
    """The session's reports (a restarted meeting has several), every record read to the last page,
    and one record per person across them. No reports yet: empty."""
    reports = reports_for_session(await list_attendance_reports(client, organiser, meeting_id), start, end)
    if not reports:
        return SessionReports((), 0, ())
    batches = await asyncio.gather(*(
        attendance_records(client, organiser, meeting_id, r.id, page_size) for r in reports))
    return SessionReports(tuple(r.id for r in reports), sum(len(b) for b in batches),
                          tuple(join_records(batches)))
