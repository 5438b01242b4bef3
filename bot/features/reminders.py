"""Session reminders: a sweep, run every minute by each instance, that sends each officer of every
confirmed team a reminder at each lead time before each session.

The store keeps every reminder it has seen (bot.store.sql_between.claim_reminders), so a reminder
fires once: not lost by a restart (it is still due), not doubled by a second instance (only one
update from "due" to "sent" lands). A lead time already past when a team was confirmed, its session
moved or the lead time was added is skipped; an officer with apologies for the session, a session
already started, and a withdrawn team get none.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.features.base import Services
from bot.features.mail_text import email_part
from bot.rules import reminders as r
from bot.rules import rotation
from bot.rules.booking import Book, Officer, Team
from bot.rules.programme import Programme, Series, SetDef
from bot.store.base import Notice, ReminderCandidate
from cards import between as cards
from cards.format import set_title

log = logging.getLogger(__name__)
KIND = "session-reminder"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def recipient(officer: Officer) -> str:
    return f"user:{officer.aad_object_id}" if officer.aad_object_id else f"email:{officer.email}"


def leads_of(programme: Programme, set_def: SetDef, stored: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    series = programme.series_by_key(set_def.series_key)
    own = stored.get(f"set:{set_def.key}", set_def.reminders)
    inherited = stored.get(f"series:{set_def.series_key}", series.reminders if series else None)
    return r.leads_for(own, inherited)


async def _places(services: Services, series: Series | None, set_def: SetDef, teams: tuple[Team, ...],
                  number: int) -> dict[str, str]:
    """Each team's place in the session's running order, where the rules can tell it in advance."""
    apologies = await services.store.teams_with_apologies(set_def.key, number)
    ids = [t.team_id for t in teams]
    if series is not None and series.format == "few" and series.presenters_per_session:
        # Who presents depends on who presented before: known once every earlier session has run.
        runs = {r.number: r for r in await services.store.session_runs_of(set_def.key)}
        if any(k not in runs for k in range(1, number)):
            return {}
        history = [runs[k].state.done for k in range(1, number)]
        presenting = rotation.presenters_for_session(ids, series.presenters_per_session, history,
                                                     apologies=apologies)
        places = {team: f"presenting, {_ordinal(i)} of {len(presenting)}"
                  for i, team in enumerate(presenting, 1)}
        return places | {t: "a short update at the opening" for t in ids if t not in presenting}
    order = rotation.running_order(ids, number - 1, sessions=len(set_def.sessions), apologies=apologies)
    return {team: f"{_ordinal(i)} of {len(order)} in the running order" for i, team in enumerate(order, 1)}


async def candidates_for(services: Services, programme: Programme, set_def: SetDef, book: Book,
                         leads: tuple[int, ...], now: datetime) -> list[ReminderCandidate]:
    series = programme.series_by_key(set_def.series_key)
    teams = book.confirmed(set_def.key)
    officers = {o.email: (team, o) for team in teams for o in team.officers}
    sessions = [(i, s.start_utc) for i, s in enumerate(set_def.sessions, 1)]
    slots = r.slots(set_def.key, sessions, leads,
                    [r.Officer(o.email, team.team_id, team.placed_at) for team, o in officers.values()], now)
    if not slots:
        return []
    due_numbers = {s.number for s in slots if s.due_at <= now}
    started: set[int] = set()
    apologies: set[tuple[int, str]] = set()
    joins: dict[int, str | None] = {}
    places: dict[int, dict[str, str]] = {}
    if due_numbers:
        started = {n for n in due_numbers if await services.store.session_run(set_def.key, n) is not None}
        apologies = {(a.session_number, a.officer_email) for a in await services.store.apologies(set_def.key)
                     if a.standing}
        joins = {m.number: m.join_url for m in await services.store.session_meetings(set_def.key)}
        for n in due_numbers - started:
            places[n] = await _places(services, series, set_def, teams, n)
    title = set_title(series.title if series else "", set_def.name)
    result: list[ReminderCandidate] = []
    for slot in slots:
        team, officer = officers[slot.officer_email]
        skip: str | None = None
        notice: Notice | None = None
        if slot.due_at <= now:
            skip = r.send_or_skip(slot, started=started, apologies=apologies, now=now)
            if skip is None:
                notice = _notice(set_def, title, slot, team, officer, joins.get(slot.number),
                                 places.get(slot.number, {}).get(team.team_id))
        result.append(ReminderCandidate(slot.set_key, slot.number, slot.starts_at, slot.lead_minutes,
                                        slot.officer_email, slot.due_at, team.placed_at, skip, notice))
    return result


def _notice(set_def: SetDef, title: str, slot: r.Slot, team: Team, officer: Officer, join_url: str | None,
            place: str | None) -> Notice:
    session = set_def.sessions[slot.number - 1]
    view = cards.ReminderView(set_def.key, title, slot.number, session.start_utc, session.end_utc,
                              r.describe_lead(slot.lead_minutes), join_url, place,
                              officer.committed_at is not None)
    body = {
        "card": cards.reminder_card(view),
        "kind": KIND,
        "set": set_def.key,
        "email": email_part(f"Reminder: {title}, session {slot.number}", cards.reminder_email_lines(view),
                            join_url),
    }
    key = (f"{KIND}:{set_def.key}:{slot.number}:{slot.starts_at.isoformat()}:{slot.lead_minutes}:"
           f"{officer.email}")
    return Notice(recipient(officer), body, key)


async def sweep(services: Services, now: datetime) -> int:
    """Send every reminder due now; returns how many were sent (by this instance)."""
    programme = await services.store.programme()
    stored = await services.store.reminder_leads()
    sent = 0
    books: dict[str, Book] = {}
    for set_def in programme.sets:
        leads = leads_of(programme, set_def, stored)
        candidates: list[ReminderCandidate] = []
        if leads:
            if set_def.series_key not in books:  # one read of a series' booking serves all its sets
                books[set_def.series_key] = await services.store.book(set_def.series_key)
            book = books[set_def.series_key]
            candidates = await candidates_for(services, programme, set_def, book, leads, now)
        done = await services.store.claim_reminders(set_def.key, candidates, now, r.GRACE)
        if done:
            log.info("session reminders queued", extra={"set": set_def.key, "count": len(done)})
            services.kick()
        sent += len(done)
    return sent
