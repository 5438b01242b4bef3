"""Collects a session's attendance: reads its Teams attendance reports through Microsoft Graph,
matches them to the set's officers (bot.rules.attendance) and keeps the result as the register.

Used on demand (`als attendance collect`) and by a timed sweep in the running bot: after each
session's end, retried until Teams has made the report, for up to `ALS_ATTENDANCE_WAIT_HOURS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.features import attendance as feature
from bot.features.people import facilitator_key
from bot.rules import attendance as rules
from bot.store.base import CollectionDue, Notice, Store
from cards.attendance import register_card
from cards.format import london_slot, programme_set_title
from graph.attendance import (
    Record,
    attendance_records,
    join_records,
    list_attendance_reports,
    reports_for_session,
)
from graph.errors import GraphError
from graph.settings import GraphSettings

log = logging.getLogger(__name__)


class AttendanceConfigError(ValueError):
    """A wrong attendance setting; the message names the variable."""


@dataclass(frozen=True)
class AttendanceSettings:
    threshold: float = rules.DEFAULT_THRESHOLD  # share of the session present to count as attended
    wait: timedelta = timedelta(hours=24)  # how long after a session to keep looking for its report
    grace: timedelta = timedelta(minutes=10)  # after the scheduled end, before the first look
    retry: timedelta = timedelta(minutes=15)  # between looks while the report is not there
    page_size: int | None = None  # records per page; None lets Graph choose

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AttendanceSettings:
        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name, "").strip().rstrip("%")
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise AttendanceConfigError(f"{name} must be a number, not {raw!r}") from None
            if not low <= value <= high:
                raise AttendanceConfigError(f"{name} must be between {low:g} and {high:g}, not {raw}")
            return value

        # A percentage, as people say it: 50 means present for at least half the session.
        percent = number("ALS_ATTENDANCE_THRESHOLD", rules.DEFAULT_THRESHOLD * 100, 1, 100)
        return cls(
            threshold=percent / 100,
            wait=timedelta(hours=number("ALS_ATTENDANCE_WAIT_HOURS", 24, 0, 24 * 30)),
            grace=timedelta(minutes=number("ALS_ATTENDANCE_GRACE_MINUTES", 10, 0, 24 * 60)),
            retry=timedelta(minutes=number("ALS_ATTENDANCE_RETRY_MINUTES", 15, 1, 24 * 60)),
        )


class NotCollected(Exception):
    """The attendance could not be read yet, or at all; the message says why, for an admin."""


class NotReady(NotCollected):
    """Teams has not made the session's attendance report yet."""


@dataclass(frozen=True)
class Collected:
    set_key: str
    number: int
    reports: tuple[str, ...]
    records: int  # attendance records read, over all the session's reports
    taken: rules.SessionAttendance


def presence(record: Record) -> rules.Presence:
    return rules.Presence(
        record.identity_id, record.email, record.tenant_id, record.display_name, record.role,
        record.total_seconds,
        tuple(rules.Span(i.join, i.leave, i.seconds) for i in record.intervals),
    )


async def read_session(client: Any, organiser: str, meeting_id: str, start: datetime, end: datetime,
                       page_size: int | None = None) -> tuple[tuple[str, ...], int, list[Record]]:
    """The session's reports (a restarted meeting has several), every record read to the last page,
    and one record per person across them."""
    reports = reports_for_session(await list_attendance_reports(client, organiser, meeting_id), start, end)
    if not reports:
        raise NotReady("Teams has not made an attendance report for this session yet.")
    batches = await asyncio.gather(*(
        attendance_records(client, organiser, meeting_id, r.id, page_size) for r in reports))
    return tuple(r.id for r in reports), sum(len(b) for b in batches), join_records(batches)


def _collected_notices(set_def: Any, number: int, card: dict[str, Any]) -> list[Notice]:
    return [Notice(facilitator_key(f), {"card": card}, f"attendance:{set_def.key}:{number}:{f}")
            for f in set_def.facilitators]


async def collect_session(
    store: Store, client: Any, organiser: str, set_key: str, number: int, now: datetime, *,
    settings: AttendanceSettings = AttendanceSettings(), notify: bool = False,
) -> Collected:
    """Read, match and keep one session's attendance; collecting again replaces it."""
    programme = await store.programme()
    set_def = programme.set_by_key(set_key)
    if set_def is None:
        raise NotCollected(f"There is no set {set_key!r}.")
    if not 1 <= number <= len(set_def.sessions):
        raise NotCollected(f"{set_key} has sessions 1 to {len(set_def.sessions)}, not {number}.")
    slot = set_def.sessions[number - 1]
    meeting = next((m for m in await store.session_meetings(set_key) if m.number == number), None)
    if meeting is None or not meeting.meeting_id:
        raise NotCollected(f"Session {number} of {set_key} has no Teams meeting yet: run "
                           f"`als meetings create {set_key}` first.")
    reports, count, records = await read_session(
        client, organiser, meeting.meeting_id, slot.start_utc, slot.end_utc, settings.page_size)
    members, apologies = await store.set_members(set_key), await store.apologies(set_key)
    taken = rules.take_attendance(
        members, [a for a in apologies if a.session_number == number],
        [presence(r) for r in records], slot.start_utc, slot.end_utc,
        threshold=settings.threshold, facilitators=set_def.facilitators,
    )
    notices: list[Notice] = []
    if notify and set_def.facilitators:
        # The facilitators get the whole register with this session in it (and who else joined).
        collected = await store.attendance(set_key) | {number: taken}
        sessions = feature.session_times(set_def)
        register = rules.build_register(set_key, sessions, members, collected, apologies, now)
        when = london_slot(slot.start_utc, slot.end_utc)
        note = f"Attendance for session {number} ({when}) was read from Teams."
        card = register_card(register, set_title=programme_set_title(programme, set_def), note=note)
        notices = _collected_notices(set_def, number, card)
    await store.save_attendance(set_key, number, taken, reports, notices, now)
    log.info("attendance collected", extra={"set": set_key, "session": number, "reports": len(reports),
                                            "records": count})
    return Collected(set_key, number, reports, count, taken)


async def give_up(store: Store, due: CollectionDue, settings: AttendanceSettings, now: datetime) -> None:
    programme = await store.programme()
    set_def = programme.set_by_key(due.set_key)
    hours = settings.wait.total_seconds() / 3600
    when = london_slot(due.starts_at, due.ends_at)
    text = (f"The attendance of session {due.number} of {programme_set_title(programme, set_def)} "
            f"({when}) could not be read from Teams within {hours:g} hours "
            f"of its end. A programme admin can run `als attendance collect {due.set_key} {due.number}` "
            "once Teams has the report.") if set_def else ""
    notices = [Notice(facilitator_key(f), {"text": text}, f"attendance-missing:{due.set_key}:"
                      f"{due.number}:{f}") for f in (set_def.facilitators if set_def else ())]
    await store.collection_failed(due.set_key, due.number, "gave up: no attendance report", notices, now)
    log.warning("attendance not collected in time", extra={"set": due.set_key, "session": due.number})


async def sweep(store: Store, graph: GraphSettings, settings: AttendanceSettings, now: datetime, *,
                credential: Any = None, kick: Callable[[], None] = lambda: None,
                open_client: Callable[..., Any] | None = None) -> list[tuple[str, int, str]]:
    """One round of the timed check: (set, session, outcome) for each session it looked at."""
    due = await store.claim_collections(now, grace=settings.grace, retry=settings.retry, wait=settings.wait)
    if not due:
        return []
    if open_client is None:
        from graph.client import open_client as opener
    else:
        opener = open_client
    outcomes: list[tuple[str, int, str]] = []
    async with opener(graph, credential) as client:
        for item in due:
            if item.give_up:
                await give_up(store, item, settings, now)
                outcomes.append((item.set_key, item.number, "gave up"))
                continue
            try:
                await collect_session(store, client, graph.organiser, item.set_key, item.number, now,
                                      settings=settings, notify=True)
                outcomes.append((item.set_key, item.number, "collected"))
            except NotCollected as error:
                await store.collection_failed(item.set_key, item.number, str(error), (), now)
                outcomes.append((item.set_key, item.number, "not ready" if isinstance(error, NotReady)
                                 else "failed"))
            except GraphError as error:
                await store.collection_failed(item.set_key, item.number, f"Graph {error.status} {error.code}",
                                              (), now)
                log.warning("attendance collection failed", extra={
                    "set": item.set_key, "session": item.number, "status": error.status})
                outcomes.append((item.set_key, item.number, "failed"))
    if any(outcome != "not ready" for _, _, outcome in outcomes):
        kick()
    return outcomes


class GraphAttendance:
    """The attendance sweep as the bot's ticker runs it (present only when Graph is configured)."""

    def __init__(self, graph: GraphSettings, settings: AttendanceSettings, store: Store,
                 kick: Callable[[], None]) -> None:
        self.graph = graph
        self.settings = settings
        self.store = store
        self.kick = kick

    async def sweep(self, now: datetime) -> Sequence[tuple[str, int, str]]:
        return await sweep(self.store, self.graph, self.settings, now, kick=self.kick)
