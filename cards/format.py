"""Dates and user-typed text as cards show them: Europe/London time, British style, no stray markdown."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.rules.programme import Programme, SetDef

LONDON = ZoneInfo("Europe/London")

# Spelt out rather than taken from strftime, whose names follow the process's locale.
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_MARKDOWN = re.compile(r"([\\*_\[\]~`])")


def _local(dt: datetime) -> datetime:
    # A naive time would be read as the server's local time and shown an hour out for half the
    # year; failing loudly is better than a wrong session time on someone's card.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("card times must be timezone-aware")
    return dt.astimezone(LONDON)


def _day(local: datetime) -> str:
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def london_date(dt: datetime) -> str:
    """E.g. "Friday 26 February 2027"."""
    return _day(_local(dt))


def london(dt: datetime) -> str:
    """E.g. "Tuesday 2 March 2027, 10:30"."""
    local = _local(dt)
    return f"{_day(local)}, {local:%H:%M}"


def london_deadline(dt: datetime) -> str:
    """A deadline to the hour, e.g. "Friday 5 March 2027, 17:00": a deadline reckoned from when a
    place was given falls at any minute, and is shown at the hour before it (never later)."""
    local = _local(dt).replace(minute=0, second=0, microsecond=0)
    return f"{_day(local)}, {local:%H:%M}"


def london_slot(start: datetime, end: datetime) -> str:
    """E.g. "Tuesday 2 March 2027, 10:30–12:00"; the end's date is given only if it differs."""
    first, last = _local(start), _local(end)
    if first.date() == last.date():
        return f"{_day(first)}, {first:%H:%M}–{last:%H:%M}"
    return f"{_day(first)}, {first:%H:%M} to {_day(last)}, {last:%H:%M}"


def plain(value: str) -> str:
    """User-typed text (names, councils) made safe for a TextBlock, which renders markdown.

    Escaping the emphasis and link characters keeps a name such as "[Pay here](https://…)" from
    becoming a link on somebody else's card.
    """
    return _MARKDOWN.sub(r"\\\1", value)


_BRACKETED = re.compile(r"^(?P<name>.*\S)\s*\((?P<inside>[^()]+)\)\s*$")


def person(name: str, organisation: str | None = None, detail: str | None = None) -> str:
    """A person with one pair of brackets at most, made safe for a TextBlock: "Kim Lee (Wigan
    Council)", "Alex Smith (Procurement)", "Jo Bloggs, Cornwall Council (Procurement)".

    Guest accounts often carry their organisation in the display name ("Jo Bloggs (Cornwall
    Council)"); it is taken out of the brackets rather than bracketed twice.
    """
    match = _BRACKETED.match(name)
    if match and (detail or organisation):
        inside = match["inside"].strip()
        if organisation is None or inside.casefold() == organisation.casefold():
            name, organisation = match["name"], inside
    shown = plain(name)
    if organisation and detail:
        return f"{shown}, {plain(organisation)} ({plain(detail)})"
    extra = organisation or detail
    return f"{shown} ({plain(extra)})" if extra else shown


def set_title(series_title: str, set_name: str) -> str:
    """A set's title with its series, once: the set's own name if it already names the series
    (sets are often called "Sustainable Procurement – Tuesday set"), else "Series: set name"."""
    if not series_title or series_title.casefold() in set_name.casefold():
        return set_name
    return f"{series_title}: {set_name}"


def programme_set_title(programme: Programme, set_def: SetDef) -> str:
    """`set_title` for a set of the programme, its series looked up."""
    series = programme.series_by_key(set_def.series_key)
    return set_title(series.title if series else "", set_def.name)
