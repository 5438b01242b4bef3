"""The view data that booking cards are drawn from: plain values, prepared by the features."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Slot = tuple[datetime, datetime]  # start and end, timezone-aware (UTC); cards show Europe/London


@dataclass(frozen=True)
class SetOption:
    """A set that an officer may choose when signing up."""

    key: str
    series_title: str
    name: str
    sessions: tuple[Slot, ...]
    free_places: int
    waiting: int
    policy: Literal["up_to_two", "role_pair"]
    held: str | None = None  # the person's council is in this set: where it stands
    refused: str | None = None  # why the person's council cannot book this set


@dataclass(frozen=True)
class OfficerLine:
    name: str
    role: str  # a key of bot.rules.nomination.ROLES
    committed: bool


@dataclass(frozen=True)
class TeamView:
    """Where one council's team stands, as its own officers may see it."""

    team_id: str
    set_name: str
    series_title: str
    council_name: str
    status: Literal["confirmed", "waitlisted", "withdrawn", "lapsed"]
    position: int | None  # on the waiting list, 1-based
    sessions: tuple[Slot, ...]
    officers: tuple[OfficerLine, ...]
    deadline: datetime | None = None  # for everyone's commitment, while one is outstanding


@dataclass(frozen=True)
class AdminSetView:
    key: str
    name: str
    series_title: str
    booking: Literal["draft", "open", "closed"]
    capacity: int
    sessions: tuple[Slot, ...]
    confirmed: tuple[tuple[str, bool], ...] = field(default_factory=tuple)  # (council, all committed)
    waitlist: tuple[str, ...] = field(default_factory=tuple)  # councils, head first
    deliveries: str = ""  # notices that did not go by Teams (issue 12), e.g. "2 by e-mail, 1 failed"
