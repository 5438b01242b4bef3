"""A session's records: its run in the meeting chat, the actions set, their review, the reflections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.rules.session import SessionState

ReviewStatus = Literal["done", "partly", "not_done"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = ("done", "partly", "not_done")
ReflectionKind = Literal["team", "individual"]
MAX_ACTIONS = 5


@dataclass(frozen=True)
class SessionRun:
    """One session as it runs in its meeting chat. `state.version` is what a save compares."""

    set_key: str
    number: int
    chat_id: str
    state: SessionState
    card_activity_id: str | None = None  # the session card, updated in place
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ActionItem:
    position: int  # 1 to MAX_ACTIONS
    text: str
    status: ReviewStatus | None = None  # set at the next session's review


@dataclass(frozen=True)
class ActionReview:
    """A team's review, in a later session, of the actions it set in session `session_number`."""

    statuses: tuple[tuple[int, ReviewStatus], ...]  # (position, status)
    worked_well: str
    worked_less_well: str
    learning: str


@dataclass(frozen=True)
class Reflection:
    kind: ReflectionKind
    text: str
