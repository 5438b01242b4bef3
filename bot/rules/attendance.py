"""Attendance rules: apologies, matching a meeting's attendees to officers, and the set's register.

Plain data in, plain data out. The attendance records come from Microsoft Graph, but this module
sees them only as `Presence` values (the collector converts them), so that the rules never know
where a record came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

DEFAULT_THRESHOLD = 0.5  # present for at least half the session counts as attended
REASON_MAX = 500

Status = Literal["attended", "apologies", "absent"]
# A register cell also covers sessions not collected yet.
CellState = Literal["attended", "apologies", "absent", "coming", "pending", "not_in_set"]


# Identities -----------------------------------------------------------------------------------

def normal_email(address: str | None) -> str | None:
    """An address as officers are stored (lower case), with a guest account's UPN decoded.

    Entra writes a guest's user principal name as `jo.bloggs_leeds.gov.uk#EXT#@host.onmicrosoft.com`;
    the last underscore before `#EXT#` stands for the `@` of the home address (domains have none).
    """
    if not address:
        return None
    value = address.strip().lower()
    if "#ext#@" in value:
        local = value.split("#ext#@", 1)[0]
        name, sep, domain = local.rpartition("_")
        if sep and name and "." in domain:
            return f"{name}@{domain}"
    return value or None


# Apologies ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Apology:
    """An officer's notice that they cannot attend one session; standing until withdrawn."""

    set_key: str
    session_number: int
    officer_email: str
    team_id: str
    reason: str
    created_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


def apology_problem(reason: str, session_start: datetime, now: datetime) -> str | None:
    """Why an apology cannot be taken, or None. Only for a session that has not started yet."""
    if now >= session_start:
        return "That session has already started, so apologies can no longer be sent for it."
    cleaned = reason.strip()
    if not cleaned:
        return "Please give a reason: the facilitator needs it for the register."
    if len(cleaned) > REASON_MAX:
        return f"Please keep the reason to {REASON_MAX} characters."
    return None


def withdrawal_problem(apology: Apology | None, session_start: datetime, now: datetime) -> str | None:
    if apology is None or not apology.standing:
        return "You have no apologies standing for that session."
    if now >= session_start:
        return "That session has already started, so the apologies stay on the register."
    return None


def teams_left_out(
    officers_by_team: Mapping[str, Iterable[str]], apologised: Iterable[str]
) -> frozenset[str]:
    """Teams whose every officer has standing apologies: they are left out of the running order."""
    sent = {e.lower() for e in apologised}
    return frozenset(
        team for team, emails in officers_by_team.items()
        if (wanted := {e.lower() for e in emails}) and wanted <= sent
    )


# Matching a session's attendance ---------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    join: datetime | None
    leave: datetime | None
    seconds: int


@dataclass(frozen=True)
class Presence:
    """One attendee of a session as the meeting saw them (several reports already joined)."""

    identity_id: str | None
    email: str | None
    tenant_id: str | None
    display_name: str
    role: str
    seconds: int
    spans: tuple[Span, ...]

    @property
    def key(self) -> str:
        if self.identity_id:
            return f"id:{self.identity_id.lower()}"
        if self.email:
            return f"email:{self.email.lower()}"
        return f"name:{self.display_name}"


@dataclass(frozen=True)
class Member:
    """An officer of a confirmed team in the set."""

    email: str  # lower case
    name: str
    team_id: str
    council_name: str
    aad_object_id: str | None = None


@dataclass(frozen=True)
class OfficerAttendance:
    email: str
    name: str
    team_id: str
    council_name: str
    status: Status
    seconds: int = 0  # present during the session's time
    first_join: datetime | None = None
    last_leave: datetime | None = None
    reason: str | None = None  # the apology's reason, for status "apologies"

    @property
    def minutes(self) -> int:
        return self.seconds // 60


@dataclass(frozen=True)
class OtherAttendee:
    """Someone in the meeting who is not an officer of the set: kept and shown, never dropped."""

    key: str
    name: str
    email: str | None
    tenant_id: str | None
    role: str
    seconds: int
    first_join: datetime | None
    last_leave: datetime | None
    facilitator: bool = False

    @property
    def minutes(self) -> int:
        return self.seconds // 60


@dataclass(frozen=True)
class SessionAttendance:
    officers: tuple[OfficerAttendance, ...]
    others: tuple[OtherAttendee, ...]


def _bounded(span: Span) -> tuple[datetime, datetime] | None:
    if span.join is None:
        return None
    leave = span.leave or span.join + timedelta(seconds=max(span.seconds, 0))
    return (span.join, leave) if leave >= span.join else None


def seconds_within(spans: Iterable[Span], start: datetime, end: datetime) -> int:
    """Time present between `start` and `end`, overlapping spans (two devices) counted once.

    A span without a join time cannot be placed; its own length is counted as it stands.
    """
    pieces: list[tuple[datetime, datetime]] = []
    loose = 0
    for span in spans:
        bounded = _bounded(span)
        if bounded is None:
            loose += max(span.seconds, 0)
            continue
        low, high = max(bounded[0], start), min(bounded[1], end)
        if high > low:
            pieces.append((low, high))
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for low, high in sorted(pieces):
        if current is None or low > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (low, high)
        else:
            current = (current[0], max(current[1], high))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return int(total) + loose


def _first_last(spans: Iterable[Span]) -> tuple[datetime | None, datetime | None]:
    joins = [s.join for s in spans if s.join is not None]
    leaves = [b[1] for s in spans if (b := _bounded(s)) is not None]
    return (min(joins) if joins else None, max(leaves) if leaves else None)


def match(members: Sequence[Member], presences: Iterable[Presence]) -> tuple[
        dict[str, list[Presence]], list[Presence]]:
    """Attendees matched to officers by Entra object id, then by e-mail address (case-insensitive).

    Officers from other councils appear with their own tenant's identity, so an id that matches
    nobody is no reason to refuse an e-mail match. Names are never used. Returns the presences
    per officer e-mail (someone may join twice, e.g. as a guest and from their own tenant) and
    those that matched no officer.
    """
    by_id = {m.aad_object_id.lower(): m for m in members if m.aad_object_id}
    by_email = {m.email.lower(): m for m in members}
    matched: dict[str, list[Presence]] = {}
    unmatched: list[Presence] = []
    for presence in presences:
        member = by_id.get((presence.identity_id or "").lower()) if presence.identity_id else None
        if member is None:
            email = normal_email(presence.email)
            member = by_email.get(email) if email else None
        if member is None:
            unmatched.append(presence)
        else:
            matched.setdefault(member.email, []).append(presence)
    return matched, unmatched


def _is_facilitator(presence: Presence, facilitators: Iterable[str]) -> bool:
    ids = {i.lower() for i in facilitators}
    return bool(
        (presence.identity_id and presence.identity_id.lower() in ids)
        or ((email := normal_email(presence.email)) and email in ids)
    )


def take_attendance(
    members: Sequence[Member],
    apologies: Iterable[Apology],
    presences: Iterable[Presence],
    start: datetime,
    end: datetime,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    facilitators: Iterable[str] = (),
) -> SessionAttendance:
    """Each officer's status for one session, and everyone else who joined.

    Attended: present for at least `threshold` of the session's scheduled time (time before the
    start or after the end is not counted). Otherwise apologies, if they sent them and did not
    withdraw them, else absent without notice. Someone present too briefly keeps their minutes.
    """
    if not 0 < threshold <= 1:
        raise ValueError("the attendance threshold must be above 0 and at most 1")
    needed = (end - start).total_seconds() * threshold
    standing = {a.officer_email.lower(): a for a in apologies if a.standing}
    matched, unmatched = match(members, presences)
    officers: list[OfficerAttendance] = []
    for member in members:
        spans = tuple(s for p in matched.get(member.email, ()) for s in p.spans)
        seconds = seconds_within(spans, start, end)
        first, last = _first_last(spans)
        apology = standing.get(member.email.lower())
        status: Status
        if matched.get(member.email) and seconds >= needed:
            status = "attended"
        elif apology is not None:
            status = "apologies"
        else:
            status = "absent"
        officers.append(OfficerAttendance(
            member.email, member.name, member.team_id, member.council_name, status, seconds,
            first, last, apology.reason if apology is not None and status == "apologies" else None,
        ))
    facilitator_ids = tuple(facilitators)
    others = []
    for presence in unmatched:
        first, last = _first_last(presence.spans)
        others.append(OtherAttendee(
            presence.key, presence.display_name, presence.email, presence.tenant_id, presence.role,
            seconds_within(presence.spans, start, end), first, last,
            _is_facilitator(presence, facilitator_ids),
        ))
    others.sort(key=lambda o: (not o.facilitator, o.name.lower(), o.key))
    return SessionAttendance(tuple(officers), tuple(others))


# The register ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionTime:
    number: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Cell:
    state: CellState
    minutes: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RegisterRow:
    email: str
    name: str
    council_name: str
    cells: tuple[Cell, ...]  # one per session, in order

    @property
    def flagged(self) -> bool:
        """Missed a session without giving a reason."""
        return any(c.state == "absent" for c in self.cells)


@dataclass(frozen=True)
class Register:
    set_key: str
    sessions: tuple[SessionTime, ...]
    rows: tuple[RegisterRow, ...]
    others: Mapping[int, tuple[OtherAttendee, ...]]  # per collected session

    @property
    def flagged(self) -> tuple[RegisterRow, ...]:
        return tuple(r for r in self.rows if r.flagged)


def build_register(
    set_key: str,
    sessions: Sequence[SessionTime],
    members: Sequence[Member],
    collected: Mapping[int, SessionAttendance],
    apologies: Iterable[Apology],
    now: datetime,
) -> Register:
    """One row per officer (today's officers, then anyone recorded before who has since left),
    one column per session. A collected session shows what was taken; one not collected shows
    standing apologies, else "coming" or "pending" (ended, attendance not read yet)."""
    standing = {(a.session_number, a.officer_email.lower()): a for a in apologies if a.standing}
    people: dict[str, tuple[str, str]] = {m.email: (m.name, m.council_name) for m in members}
    for number in sorted(collected):
        for row in collected[number].officers:
            people.setdefault(row.email, (row.name, row.council_name))
    current = {m.email for m in members}
    rows: list[RegisterRow] = []
    for email, (name, council) in people.items():
        cells: list[Cell] = []
        for session in sessions:
            taken = collected.get(session.number)
            if taken is not None:
                found = next((o for o in taken.officers if o.email == email), None)
                if found is None:
                    cells.append(Cell("not_in_set"))
                else:
                    cells.append(Cell(found.status, found.minutes, found.reason))
                continue
            if email not in current:
                cells.append(Cell("not_in_set"))
            elif (apology := standing.get((session.number, email))) is not None:
                cells.append(Cell("apologies", None, apology.reason))
            else:
                cells.append(Cell("coming" if now < session.end else "pending"))
        rows.append(RegisterRow(email, name, council, tuple(cells)))
    rows.sort(key=lambda r: (r.email not in current, r.council_name.lower(), r.name.lower()))
    return Register(
        set_key, tuple(sessions), tuple(rows),
        {n: collected[n].others for n in sorted(collected)},
    )
