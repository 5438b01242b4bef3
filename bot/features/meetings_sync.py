"""Keeps a set's Teams meetings in step with the programme and the roster (through the Graph port).

For each session, in order: create the calendar event with its Teams meeting (invitations go to
the confirmed officers and the facilitators; a session in progress gets one too, a session that
has ended does not), look up the online meeting and its chat, install the app in that chat; for
sessions still to come, bring the attendees and the times into line.
Each step is stored as soon as it succeeds, so a rerun after a crash or a refusal finishes what
is missing and repeats nothing (the event's transactionId covers a crash between Graph's answer
and the store's commit).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.features.graph_port import EventSpec, GraphError, GraphPort, Invitee, RscPermission
from bot.rules.booking import Book
from bot.rules.ground_rules import GROUND_RULES
from bot.rules.programme import Programme, SetDef
from bot.store.base import SessionMeeting, Store
from cards.format import london_slot

log = logging.getLogger(__name__)

# The resource-specific permissions that the manifest declares, consented to for the meeting chat.
RSC = (
    RscPermission("OnlineMeeting.ReadBasic.Chat"),
    RscPermission("OnlineMeetingParticipant.Read.Chat"),
    RscPermission("ChatMessage.Read.Chat"),
    RscPermission("OnlineMeetingNotification.Send.Chat"),
)
PREPARATION = (
    "Refine your challenge: what has changed, and what do you want from the set today?",
    "Update your actions from the last session: done, partly done or not done, and what you learnt.",
    "Find a quiet place where you can speak freely; what is said in the set stays in the set.",
)


@dataclass
class SyncReport:
    set_key: str
    created: list[int] = field(default_factory=list)
    found: list[int] = field(default_factory=list)
    installed: list[int] = field(default_factory=list)
    reinvited: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # One line per session looked at, saying what became of it (created, already there, ended...).
    outcomes: list[str] = field(default_factory=list)
    error: GraphError | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.found or self.installed or self.reinvited or self.moved)

    def lines(self) -> list[str]:
        def sessions(numbers: list[int]) -> str:
            return ", ".join(str(n) for n in numbers) or "none"

        lines = [
            f"{self.set_key}: events created for sessions {sessions(self.created)}; "
            f"meetings and chats found for {sessions(self.found)}; app installed in the chats of "
            f"{sessions(self.installed)}; attendees updated for {sessions(self.reinvited)}; "
            f"times moved for {sessions(self.moved)}",
            *(f"  {outcome}" for outcome in self.outcomes),
            *(f"  note: {note}" for note in self.skipped),
        ]
        if self.error is not None:
            lines.append(f"  stopped: {self.error.admin_message}")
            lines.append("  What was done so far is kept; run the command again once that is fixed.")
        return lines


def invitees(programme: Programme, book: Book, set_def: SetDef) -> list[Invitee]:
    """The confirmed teams' officers and the set's facilitators (those named by e-mail address)."""
    people: dict[str, Invitee] = {}
    for team in book.confirmed(set_def.key):
        for officer in team.officers:
            people.setdefault(officer.email, Invitee(officer.email, officer.name))
    for facilitator in set_def.facilitators:
        if "@" in facilitator:
            people.setdefault(facilitator.lower(), Invitee(facilitator.lower()))
    return sorted(people.values(), key=lambda i: i.email)


def subject(programme: Programme, set_def: SetDef, number: int) -> str:
    series = programme.series_by_key(set_def.series_key)
    title = series.title if series else set_def.series_key
    return f"{title} — {set_def.name.split(' – ')[-1]} — session {number} of {len(set_def.sessions)}"


def meeting_body(set_name: str, session_number: int, preparation: Sequence[str]) -> str:
    """HTML for the invitation: the ground rules and how to prepare, nothing confidential."""
    rules = "".join(
        f"<li><strong>{html.escape(rule.title)}</strong>: {html.escape(rule.explanation)}</li>"
        for rule in GROUND_RULES
    )
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in preparation)
    return (
        f"<p>{html.escape(set_name)}: action learning set, session {session_number}.</p>"
        f"<h3>Ground rules</h3><ul>{rules}</ul>"
        f"<h3>How to prepare</h3><ul>{steps}</ul>"
        "<p>Join with the Teams link in this invitation. The set's app opens in the meeting chat.</p>"
    )


async def sync_set(
    store: Store, graph: GraphPort, set_key: str, now: datetime, *, create: bool = True
) -> SyncReport:
    report = SyncReport(set_key)
    programme = await store.programme()
    set_def = programme.set_by_key(set_key)
    if set_def is None:
        report.skipped.append("no such set")
        return report
    book = await store.book(set_def.series_key)
    people = invitees(programme, book, set_def)
    emails = tuple(i.email for i in people)
    session: SessionMeeting | None = None
    try:
        for session in await store.session_meetings(set_key):
            done = await _sync_session(
                store, graph, programme, set_def, session, people, emails, now, create, report
            )
            if done:
                report.outcomes.append(f"session {session.number} ({_when(session)}): {done}")
    except GraphError as error:
        report.error = error
        if session is not None:
            report.outcomes.append(f"session {session.number} ({_when(session)}): stopped here")
        log.warning(
            "meeting sync stopped", extra={"set": set_key, "status": error.status, "code": error.code}
        )
    log.info(
        "meeting sync",
        extra={
            "set": set_key,
            "sessions_created": report.created,
            "sessions_reinvited": report.reinvited,
        },
    )
    return report


def _when(session: SessionMeeting) -> str:
    return london_slot(session.starts_at, session.ends_at)


async def _sync_session(
    store: Store,
    graph: GraphPort,
    programme: Programme,
    set_def: SetDef,
    session: SessionMeeting,
    people: list[Invitee],
    emails: tuple[str, ...],
    now: datetime,
    create: bool,
    report: SyncReport,
) -> str:
    """Bring one session's meeting into line; what became of it, for the report ("" for nothing
    worth saying: a sync that has no meeting to keep in step)."""
    number, future, ended = session.number, session.starts_at > now, session.ends_at <= now
    done: list[str] = []
    if session.event_id is None:
        if not create:
            return ""
        if ended:
            report.skipped.append(f"session {number} has already ended; no meeting was created for it")
            return "skipped: it has ended, so no meeting was created"
        spec = EventSpec(
            set_def.key,
            number,
            subject(programme, set_def, number),
            session.starts_at,
            session.ends_at,
            people,
            meeting_body(set_def.name, number, PREPARATION),
        )
        created = await graph.create_event(spec)
        await store.record_meeting(
            set_def.key,
            number,
            {
                "event_id": created.event_id,
                "join_url": created.join_url,
                "ical_uid": created.ical_uid,
                "attendees": emails,
                "scheduled_start": session.starts_at,
                "scheduled_end": session.ends_at,
            },
        )
        report.created.append(number)
        done.append("meeting created, invitations sent" + ("" if future else " (it is in progress)"))
        session = SessionMeeting(
            **{
                **session.__dict__,
                "event_id": created.event_id,
                "join_url": created.join_url,
                "attendees": emails,
                "scheduled_start": session.starts_at,
                "scheduled_end": session.ends_at,
            }
        )
    assert session.event_id is not None
    if future and session.attendees != emails:
        # Only the attendees are sent: rewriting the body would give the meeting a new join link.
        await graph.set_attendees(session.event_id, people)
        await store.record_meeting(set_def.key, number, {"attendees": emails})
        report.reinvited.append(number)
        done.append("attendees updated")
    if future and (session.scheduled_start, session.scheduled_end) != (session.starts_at, session.ends_at):
        await graph.move_event(session.event_id, session.starts_at, session.ends_at)
        await store.record_meeting(
            set_def.key, number, {"scheduled_start": session.starts_at, "scheduled_end": session.ends_at}
        )
        report.moved.append(number)
        done.append("times moved")
    if session.join_url and not session.meeting_id:
        meeting = await graph.find_meeting(session.join_url)
        await store.record_meeting(
            set_def.key, number, {"meeting_id": meeting.meeting_id, "chat_id": meeting.chat_thread_id}
        )
        await store.link_chat(meeting.chat_thread_id, set_def.key, "graph", now)
        report.found.append(number)
        session = SessionMeeting(
            **{**session.__dict__, "meeting_id": meeting.meeting_id, "chat_id": meeting.chat_thread_id}
        )
    if session.chat_id and session.app_installed_at is None:
        await graph.install_app(session.chat_id, RSC)
        await store.record_meeting(set_def.key, number, {"app_installed_at": now})
        report.installed.append(number)
        done.append("app added to its chat")
    if done:
        return ", ".join(done)
    if not future and not ended:
        return "already there (in progress)"
    return "already there" + (" (ended)" if ended else "")


async def sync_all(store: Store, graph: GraphPort, now: datetime) -> list[SyncReport]:
    """The periodic pass: roster and time changes reach the sets whose meetings exist."""
    reports = []
    for set_def in (await store.programme()).sets:
        if any(s.event_id for s in await store.session_meetings(set_def.key)):
            reports.append(await sync_set(store, graph, set_def.key, now, create=False))
    return reports
