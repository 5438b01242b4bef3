"""Session reminders as plain rules: lead times ("3 days", "1 hour") and when each reminder falls due.

No clock and no store here: the scheduler (bot.features.reminders) passes `now` and what the store
holds, and keeps in the store which reminders went out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_LEADS: tuple[int, ...] = (3 * 24 * 60, 60)  # "3 days", "1 hour", in minutes
MAX_LEAD_MINUTES = 60 * 24 * 60  # sixty days
# A reminder first seen this long after it fell due (the sweep runs every minute) is still sent;
# one seen later was already past when its team was confirmed, its session moved or its lead
# time was added, and is skipped rather than sent late.
GRACE = timedelta(minutes=3)

_LEAD = re.compile(r"^\s*(\d{1,5})\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}


class LeadError(ValueError):
    """A lead time that is not like "3 days", "1 hour" or "10 minutes"."""


def parse_lead(value: object) -> int:
    """Minutes before a session, from "3 days", "1 hour", "10 minutes" (or "2h", "30 min")."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise LeadError('must be like "3 days", "1 hour" or "10 minutes"')
    match = _LEAD.match(value)
    if not match:
        raise LeadError(f'{value!r} is not like "3 days", "1 hour" or "10 minutes"')
    minutes = int(match[1]) * _UNIT_MINUTES[match[2][0].lower()]
    if not 1 <= minutes <= MAX_LEAD_MINUTES:
        raise LeadError(f"{value!r} must be between 1 minute and 60 days")
    return minutes


def describe_lead(minutes: int) -> str:
    """E.g. 4320 → "3 days", 60 → "1 hour", 90 → "90 minutes"."""
    for unit, size in (("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"  # pragma: no cover (every whole number divides by 1)


def leads_for(set_leads: Sequence[int] | None, series_leads: Sequence[int] | None) -> tuple[int, ...]:
    """The set's own lead times, else its series', else the default; longest first, no repeats."""
    chosen = set_leads if set_leads is not None else series_leads
    return tuple(sorted(set(DEFAULT_LEADS if chosen is None else chosen), reverse=True))


@dataclass(frozen=True)
class Slot:
    """One reminder: to one officer, at one lead time, before one session as it is now scheduled."""

    set_key: str
    number: int
    starts_at: datetime
    lead_minutes: int
    officer_email: str
    due_at: datetime


@dataclass(frozen=True)
class Officer:
    email: str
    team_id: str
    placed_at: datetime | None  # when the team got its confirmed place


def slots(set_key: str, sessions: Sequence[tuple[int, datetime]], leads: Sequence[int],
          officers: Sequence[Officer], now: datetime) -> list[Slot]:
    """Every reminder still to matter: sessions not yet started, each lead, each officer."""
    result: list[Slot] = []
    for number, starts_at in sessions:
        if starts_at <= now:
            continue
        for lead in leads:
            due = starts_at - timedelta(minutes=lead)
            for officer in officers:
                result.append(Slot(set_key, number, starts_at, lead, officer.email, due))
    return result


def first_state(slot: Slot, placed_at: datetime | None, now: datetime) -> tuple[str, str | None]:
    """What a reminder is when the scheduler first sees it: ("due", None) or ("skipped", why)."""
    if placed_at is not None and placed_at > slot.due_at + GRACE:
        return "skipped", "confirmed after"
    if slot.due_at < now - GRACE:
        return "skipped", "already past"
    return "due", None


def send_or_skip(slot: Slot, *, started: Collection[int], apologies: Collection[tuple[int, str]],
                 now: datetime) -> str | None:
    """At its due time: None to send, or why not ("started", "apologies")."""
    if slot.number in started or slot.starts_at <= now:
        return "started"
    if (slot.number, slot.officer_email) in apologies:
        return "apologies"
    return None
