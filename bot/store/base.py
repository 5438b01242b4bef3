"""The store's interface: use-case methods only, so that the rules never see SQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.rules.booking import Book, Effect, Team, Who
from bot.rules.programme import Programme


@dataclass(frozen=True)
class ConversationRef:
    """Where the bot can reach someone or some chat later (proactive messages)."""

    key: str  # "user:<aadObjectId>" for a personal chat, "chat:<conversationId>" otherwise
    conversation_id: str
    service_url: str
    channel_id: str
    tenant_id: str
    kind: str
    reference: dict[str, Any]
    updated_at: datetime
    email: str | None = None  # as the channel reports the person's profile, lower case


@dataclass(frozen=True)
class Notice:
    """A message to deliver later, proactively: it is queued in the same transaction as the change
    it reports, so it is sent only if that change was committed, and never lost."""

    recipient: str  # "user:<aadObjectId>", "email:<address>" or "chat:<conversationId>"
    body: dict[str, Any]  # {"text": ...} or {"card": {...}}
    dedupe_key: str | None = None  # a second notice with the same key is dropped
    due_at: datetime | None = None  # None: at once


@dataclass(frozen=True)
class Pending:
    id: int
    recipient: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class ChallengeRecord:
    """One version of an officer's challenge: confidential, readable only within its set."""

    set_key: str
    officer_email: str
    title: str
    text: str
    answers: tuple[bool | None, ...]


@dataclass(frozen=True)
class BookChange:
    """What a decision on a series' booking produced: saved, with its notices, in one transaction."""

    book: Book
    effects: tuple[Effect, ...] = ()
    notices: tuple[Notice, ...] = ()
    challenges: tuple[ChallengeRecord, ...] = ()


@dataclass(frozen=True)
class ProgrammeSaved:
    created: tuple[str, ...]  # keys of series and sets created
    updated: tuple[str, ...]
    effects: tuple[Effect, ...] = ()  # e.g. a capacity change refused below the confirmed teams


class Store(ABC):
    @abstractmethod
    async def ping(self) -> None:
        """Raise if the store cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def first_sighting(self, activity_id: str, now: datetime) -> bool:
        """Record an incoming activity id; False if it was seen before (a channel retry)."""

    @abstractmethod
    async def record_response(self, activity_id: str, response: dict[str, Any]) -> None:
        """Keep the answer given to an invoke, so that a retry gets the same answer."""

    @abstractmethod
    async def response_for(self, activity_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def save_conversation(self, ref: ConversationRef) -> None: ...

    @abstractmethod
    async def conversation(self, key: str) -> ConversationRef | None: ...

    @abstractmethod
    async def conversation_by_email(self, email: str) -> ConversationRef | None: ...

    @abstractmethod
    async def enqueue(self, notices: list[Notice], now: datetime) -> None: ...

    @abstractmethod
    async def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[Pending]:
        """Take due notices for delivery; another instance will not take them until the lease ends."""

    @abstractmethod
    async def delivered(self, notice_id: int, at: datetime) -> None: ...

    @abstractmethod
    async def not_delivered(self, notice_id: int, error: str, retry_at: datetime) -> None: ...

    # Programme and booking -------------------------------------------------------------------

    @abstractmethod
    async def save_programme(self, programme: Programme, now: datetime) -> ProgrammeSaved:
        """Create or update series and sets by key; loading the same file twice changes nothing."""

    @abstractmethod
    async def programme(self) -> Programme: ...

    @abstractmethod
    async def book(self, series_key: str) -> Book: ...

    @abstractmethod
    async def change_book(self, series_key: str, change: Callable[[Book], BookChange],
                          now: datetime) -> BookChange:
        """Load the series' booking under a lock, let `change` decide, save the result and queue
        its notices in the same transaction. `change` must be pure: it may run again."""

    @abstractmethod
    async def teams_of(self, who: Who) -> list[Team]:
        """The teams in which this person is an officer, by Entra object id or e-mail address."""

    @abstractmethod
    async def series_of_team(self, team_id: str) -> str | None: ...

    @abstractmethod
    async def latest_challenge(self, set_key: str, officer_email: str) -> ChallengeRecord | None: ...

    # Attendance (issue 6) ---------------------------------------------------------------------

    @abstractmethod
    async def teams_with_apologies(self, set_key: str, session_number: int) -> frozenset[str]:
        """Teams whose every officer has sent apologies for that session: left out of its running order."""
