"""The Microsoft Graph calls the use cases make, as a port: plain values in and out, no SDK.

`graph.service.GraphService` implements it with msgraph-sdk; the use cases (`meetings_sync`,
`attendance_collect`) and their tests see only this.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# Fixed namespace, so a transactionId depends on the set and session only.
TRANSACTION_NAMESPACE = uuid.UUID("6f1e4c8a-3b7d-5e2f-9a10-5c2b7d8e4f31")


class GraphError(Exception):
    """A Graph call that failed for good: `admin_message` says what to do about it.

    `detail` is Graph's own error text, kept for diagnosis; it names ids, never user content.
    """

    def __init__(self, status: int, code: str, admin_message: str, detail: str = "") -> None:
        super().__init__(admin_message)
        self.status = status
        self.code = code
        self.admin_message = admin_message
        self.detail = detail

    def __repr__(self) -> str:
        return f"GraphError(status={self.status}, code={self.code!r})"


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str = ""


@dataclass(frozen=True)
class EventSpec:
    """One session's calendar event. `revision` changes the transactionId, to re-create on
    purpose after an event was deleted."""

    set_key: str
    session_number: int
    subject: str
    start: datetime
    end: datetime
    attendees: Sequence[Invitee]
    body_html: str
    revision: int = 0

    @property
    def transaction_id(self) -> str:
        name = f"{self.set_key}/session/{self.session_number}/r{self.revision}"
        return str(uuid.uuid5(TRANSACTION_NAMESPACE, name))


@dataclass(frozen=True)
class CreatedEvent:
    event_id: str
    join_url: str
    ical_uid: str


@dataclass(frozen=True)
class OnlineMeetingInfo:
    meeting_id: str
    chat_thread_id: str


@dataclass(frozen=True)
class RscPermission:
    """A resource-specific permission to consent to when installing into a chat."""

    value: str
    kind: Literal["Application", "Delegated"] = "Application"


@dataclass(frozen=True)
class Installed:
    chat_id: str
    already: bool = field(default=False)


@dataclass(frozen=True)
class Interval:
    join: datetime | None
    leave: datetime | None
    seconds: int


@dataclass(frozen=True)
class Record:
    """One participant in one report. Guests may have no e-mail address; keep them anyway."""

    email: str | None
    identity_id: str | None
    tenant_id: str | None
    display_name: str
    role: str
    total_seconds: int
    intervals: tuple[Interval, ...]

    @property
    def key(self) -> str:
        """Who this is, for joining one person's records across reports."""
        if self.identity_id:
            return f"id:{self.identity_id.lower()}"
        if self.email:
            return f"email:{self.email.lower()}"
        return f"name:{self.display_name}"


@dataclass(frozen=True)
class SessionReports:
    """A session's attendance as Teams reported it: the reports of the runs within its time (a
    restarted meeting has several; none until Teams has made one), the number of records read,
    and one record per person across the reports."""

    report_ids: tuple[str, ...]
    records_read: int
    records: tuple[Record, ...]


class GraphPort(Protocol):
    """The organiser's calendar, the meetings and their chats, and the attendance reports.

    Every method raises `GraphError` for a permanent failure (throttling is waited out inside)."""

    async def create_event(self, spec: EventSpec) -> CreatedEvent:
        """Create the session's event with its Teams meeting; the same spec twice gives one event."""
        ...

    async def set_attendees(self, event_id: str, attendees: Sequence[Invitee]) -> None: ...

    async def move_event(self, event_id: str, start: datetime, end: datetime) -> None: ...

    async def find_meeting(self, join_url: str) -> OnlineMeetingInfo: ...

    async def install_app(self, chat_id: str, permissions: Sequence[RscPermission]) -> Installed:
        """Add the app to a meeting chat; an app already there counts as installed."""
        ...

    async def read_attendance(self, meeting_id: str, start: datetime, end: datetime,
                              page_size: int | None = None) -> SessionReports: ...
