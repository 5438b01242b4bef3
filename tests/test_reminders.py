"""The session-reminder scheduler with a controllable clock, on SQLite and PostgreSQL: each reminder
fires once, survives a restart, is not doubled by two stores at once, skips apologies, started
sessions and withdrawn teams, and follows a reload of the lead times."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.features import reminders
from bot.features.base import Services
from bot.rules import booking as b
from bot.rules import reminders as r
from bot.rules import session as s
from bot.rules.attendance import Apology
from bot.rules.programme import ProgrammeError, parse_programme
from bot.rules.records import SessionRun
from bot.store.base import BookChange, Pending
from bot.store.sql import SqlStore
from tests.between_seed import ALEX, SAM, SESSION_1, SESSION_2, SET, programme, programme_text, seed

HOUR_BEFORE = SESSION_1 - timedelta(hours=1)


def services(store: SqlStore) -> Services:
    return Services(store=store)


async def outbox(store: SqlStore, now: datetime) -> list[Pending]:
    return await store.claim_due(now, 60, 1000)


def reminder_for(notices: list[Pending], email: str) -> list[Pending]:
    return [p for p in notices if p.kind == "session-reminder" and p.body["email"] and
            (p.recipient.endswith(email) or (email == ALEX.email and p.recipient == f"user:{ALEX.aad_object_id}"))]


async def test_each_reminder_fires_once_at_its_time(store: SqlStore) -> None:
    await seed(store)
    svc = services(store)
    # First seen an hour and a minute before: the three-day reminder is past, and skipped.
    assert await reminders.sweep(svc, HOUR_BEFORE - timedelta(minutes=1)) == 0
    assert await reminders.sweep(svc, HOUR_BEFORE + timedelta(seconds=30)) == 2
    assert await reminders.sweep(svc, HOUR_BEFORE + timedelta(seconds=50)) == 0
    notices = await outbox(store, HOUR_BEFORE + timedelta(minutes=1))
    assert len(reminder_for(notices, ALEX.email)) == 1
    (sam,) = reminder_for(notices, SAM.email)
    assert sam.recipient == f"email:{SAM.email}"
    card = str(sam.body["card"])
    assert "Session 1 is in 1 hour" in card and "Send apologies" in card
    assert "Update my actions" not in card  # only from session 2 on
    assert "You have not committed yet" in card  # Sam has not committed: asked to
    assert f"Tuesday {SESSION_1.day} March" in " ".join(sam.body["email"]["lines"])


async def test_reminders_seen_ahead_fire_on_time_in_order(store: SqlStore) -> None:
    await seed(store)
    svc = services(store)
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=4)) == 0
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=3) + timedelta(seconds=5)) == 2
    assert await reminders.sweep(svc, HOUR_BEFORE + timedelta(seconds=5)) == 2
    assert await reminders.sweep(svc, SESSION_1 + timedelta(minutes=1)) == 0


async def test_a_reminder_due_during_a_restart_is_still_sent(store: SqlStore, database_url: str) -> None:
    await seed(store)
    assert await reminders.sweep(services(store), HOUR_BEFORE - timedelta(minutes=5)) == 0
    await store.close()
    # Down for 40 minutes over the due time: the reminder was known before, so it still goes.
    again = await SqlStore.open(database_url)
    try:
        assert await reminders.sweep(services(again), HOUR_BEFORE + timedelta(minutes=35)) == 2
        assert await reminders.sweep(services(again), HOUR_BEFORE + timedelta(minutes=36)) == 0
    finally:
        await again.close()


async def test_two_instances_send_each_reminder_once(store: SqlStore, database_url: str) -> None:
    await seed(store)
    await reminders.sweep(services(store), HOUR_BEFORE - timedelta(minutes=5))
    other = await SqlStore.open(database_url)
    try:
        at = HOUR_BEFORE + timedelta(seconds=10)
        counts = await asyncio.gather(*(reminders.sweep(services(x), at) for x in (store, other, store, other)))
        assert sum(counts) == 2
        assert len([p for p in await outbox(store, at) if p.kind == "session-reminder"]) == 2
    finally:
        await other.close()


async def test_no_reminder_for_an_officer_with_apologies(store: SqlStore) -> None:
    leeds, _ = await seed(store)
    await reminders.sweep(services(store), HOUR_BEFORE - timedelta(minutes=5))
    await store.save_apology(Apology(SET, 1, ALEX.email, leeds, "Council meeting", HOUR_BEFORE), [], HOUR_BEFORE)
    assert await reminders.sweep(services(store), HOUR_BEFORE + timedelta(seconds=10)) == 1
    notices = await outbox(store, HOUR_BEFORE + timedelta(minutes=1))
    assert reminder_for(notices, ALEX.email) == [] and len(reminder_for(notices, SAM.email)) == 1


async def test_no_reminder_for_a_withdrawn_team_or_a_started_session(store: SqlStore) -> None:
    leeds, york = await seed(store)
    await reminders.sweep(services(store), HOUR_BEFORE - timedelta(minutes=5))
    event = b.Withdraw(york, b.Who(None, SAM.email), HOUR_BEFORE - timedelta(minutes=2))

    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        return BookChange(after, effects)

    await store.change_book("adaptation", change, HOUR_BEFORE)
    assert await reminders.sweep(services(store), HOUR_BEFORE + timedelta(seconds=10)) == 1
    # Session 2: the facilitator started early, before the ten-minute reminder.
    await store.save_programme(programme(set_reminders='["10 minutes"]'), HOUR_BEFORE)
    state = s.apply(s.SessionState(), s.Start((leeds,), session_number=2), SESSION_2).state
    await store.save_session_run(SessionRun(SET, 2, "19:meeting_x@thread.v2", state), None, [], SESSION_2)
    assert await reminders.sweep(services(store), SESSION_2 - timedelta(minutes=9)) == 0


async def test_a_reload_of_lead_times_applies_to_reminders_to_come(store: SqlStore) -> None:
    await seed(store)
    svc = services(store)
    await reminders.sweep(svc, SESSION_1 - timedelta(days=4))
    await store.save_programme(programme(set_reminders='["10 minutes"]'), SESSION_1 - timedelta(days=4))
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=3) + timedelta(seconds=5)) == 0
    assert await reminders.sweep(svc, HOUR_BEFORE + timedelta(seconds=5)) == 0
    assert await reminders.sweep(svc, SESSION_1 - timedelta(minutes=10) + timedelta(seconds=5)) == 2
    # Taken out of the set again: the series' lead times apply.
    await store.save_programme(programme(), SESSION_1)
    assert await reminders.sweep(svc, SESSION_2 - timedelta(hours=1) + timedelta(seconds=5)) == 2


async def test_a_moved_session_gets_its_own_reminders_and_skips_past_ones(store: SqlStore) -> None:
    await seed(store)
    svc = services(store)
    await reminders.sweep(svc, SESSION_1 - timedelta(days=4))
    # Moved to 14:00 the same day, with three days' notice gone: only the one-hour reminder follows.
    moved = SESSION_1.replace(hour=14)
    await store.save_programme(programme(session_1=f"{SESSION_1:%Y-%m-%d} 14:00-15:30"), moved)
    assert await reminders.sweep(svc, moved - timedelta(days=2)) == 0
    assert await reminders.sweep(svc, HOUR_BEFORE + timedelta(seconds=5)) == 0
    assert await reminders.sweep(svc, moved - timedelta(minutes=59)) == 2


def test_lead_times_read_minutes_hours_and_days() -> None:
    assert [r.parse_lead(x) for x in ("3 days", "1 hour", "10 minutes", "2h", "90 min")] == [4320, 60, 10, 120, 90]
    assert r.describe_lead(4320) == "3 days" and r.describe_lead(90) == "90 minutes"
    assert r.leads_for(None, None) == r.DEFAULT_LEADS
    assert r.leads_for(None, (10,)) == (10,)
    assert r.leads_for((), (10,)) == ()


@pytest.mark.parametrize(("value", "problem"), [
    ('["3 weeks"]', "sets[0].reminders[0]"),
    ('"1 hour"', "sets[0].reminders: must be a list"),
    ('[60]', "sets[0].reminders[0]"),
])
def test_a_wrong_lead_time_names_its_field(value: str, problem: str) -> None:
    with pytest.raises(ProgrammeError) as raised:
        parse_programme(programme_text(set_reminders=value))
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_a_series_reminder_is_checked_too() -> None:
    with pytest.raises(ProgrammeError) as raised:
        parse_programme(programme_text(series_reminders='["soon"]'))
    assert raised.value.problems[0].startswith("series[0].reminders[0]:")


async def test_a_lead_time_taken_out_and_put_back_fires_once_on_time(store: SqlStore) -> None:
    await seed(store)
    svc = services(store)
    await reminders.sweep(svc, SESSION_1 - timedelta(days=4))
    await store.save_programme(programme(set_reminders="[]"), SESSION_1 - timedelta(days=4))
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=4) + timedelta(minutes=1)) == 0
    await store.save_programme(programme(), SESSION_1 - timedelta(days=4))
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=4) + timedelta(minutes=2)) == 0
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=3) + timedelta(seconds=5)) == 2
    assert await reminders.sweep(svc, SESSION_1 - timedelta(days=3) + timedelta(seconds=65)) == 0


async def test_in_the_few_format_the_reminder_says_who_presents(store: SqlStore) -> None:
    await store.save_programme(programme(few="1"), SESSION_1 - timedelta(days=31))
    from tests.between_seed import nominate

    await nominate(store, "leeds", (ALEX,))
    await nominate(store, "york", (SAM,))
    await reminders.sweep(services(store), HOUR_BEFORE - timedelta(minutes=5))
    assert await reminders.sweep(services(store), HOUR_BEFORE + timedelta(seconds=10)) == 2
    notices = await outbox(store, HOUR_BEFORE + timedelta(minutes=1))
    (alex,) = reminder_for(notices, ALEX.email)
    (sam,) = reminder_for(notices, SAM.email)
    assert "presenting, 1st of 1" in str(alex.body["card"])
    assert "a short update at the opening" in str(sam.body["card"])
