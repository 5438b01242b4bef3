"""Booking under concurrency, through the real store: any interleaving of sign-ups and withdrawals
keeps capacity, order and one team per council; a partial book decides as the whole book does."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.features.booking import booking_of, save_programme, scope_of
from bot.features.change import Lost
from bot.rules import booking as b
from bot.rules.programme import parse_programme
from bot.store.base import BookChange
from bot.store.sql import SqlStore

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(microsecond=0)
YEAR = NOW.year + 2
CAPACITY = 2
COUNCILS = 8
SETS = ("a", "b")
_series = itertools.count()


def programme_text(series: str, one_per_series: bool) -> str:
    sets = "".join(
        f"""
  - key: {series}-{s}
    series: {series}
    name: Set {s.upper()}
    capacity: {CAPACITY}
    booking: open
    facilitators: [f@lga.gov.uk]
    sessions:
      - {YEAR}-05-0{i + 5} 10:30-12:00
""" for i, s in enumerate(SETS))
    return f"""
allowed_domains: []
series:
  - key: {series}
    title: Series {series}
    theme: a theme
    policy: up_to_two
    one_team_per_series: {str(one_per_series).lower()}
sets:{sets}"""


def who(council: int) -> b.Who:
    return b.Who(f"aad-{council}", f"officer{council}@council{council}.gov.uk")


def nominate(series: str, council: int, set_index: int, at: datetime) -> b.Nominate:
    email = f"officer{council}@council{council}.gov.uk"
    return b.Nominate(
        set_key=f"{series}-{SETS[set_index]}", team_id=uuid.uuid4().hex, council=f"c{council}",
        council_name=f"Council {council}",
        officers=(b.Officer(email, f"Officer {council}", "sustainability", f"aad-{council}", at),),
        idempotency_key=uuid.uuid4().hex, by=who(council), at=at,
    )


submits = st.tuples(st.just("submit"), st.integers(0, COUNCILS - 1), st.integers(0, 1))
withdrawals = st.tuples(st.just("withdraw"), st.integers(0, COUNCILS - 1), st.just(0))
groups = st.lists(st.lists(st.one_of(submits, submits, withdrawals), min_size=1, max_size=10),
                  min_size=1, max_size=6)


def _at(event: b.Event) -> datetime:
    assert isinstance(event, b.Nominate | b.Withdraw)
    return event.at


def check(book: b.Book) -> None:
    active = [t for t in book.teams if t.active]
    if book.one_team_per_series:
        assert len({t.council for t in active}) == len(active), "a council holds two teams"
    else:
        places = [(t.council, t.set_key) for t in active]
        assert len(places) == len(set(places)), "a council holds two teams in a set"
    for set_state in book.sets:
        confirmed, waiting = book.confirmed(set_state.key), book.waitlist(set_state.key)
        assert len(confirmed) <= set_state.capacity, "overbooked"
        assert not waiting or len(confirmed) == set_state.capacity, "a team waits beside a free place"
        assert [t.accepted_seq for t in waiting] == sorted(t.accepted_seq for t in waiting)
        assert [book.position(t) for t in waiting] == list(range(1, len(waiting) + 1))


def same_decision(partial: tuple[b.Effect, ...], whole: tuple[b.Effect, ...], pb: b.Book, wb: b.Book) -> None:
    def summary(effects: tuple[b.Effect, ...], book: b.Book) -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        for e in effects:
            match e:
                case b.Refused(code=code, message=message):
                    out.append(("refused", code, message))
                case b.Waitlisted(team=team, position=position, repeat=repeat):
                    out.append(("waitlisted", team.set_key, position, repeat, team.accepted_seq))
                case b.Confirmed(team=team, repeat=repeat):
                    out.append(("confirmed", team.set_key, repeat, team.accepted_seq))
                case _:
                    out.append((type(e).__name__,))
        return out

    assert summary(partial, pb) == summary(whole, wb)


async def scenario(stores: list[SqlStore], plan: list[list[tuple[str, int, int]]], one_per_series: bool) -> None:
    """`plan`'s groups one after another, each group's events at once, spread over `stores` (each
    store is an instance of the bot with its own batching decider: they race in the database)."""
    store = stores[0]
    series = f"s{next(_series)}"
    await save_programme(store, parse_programme(programme_text(series, one_per_series)), NOW)
    clock = itertools.count()
    for group in plan:
        whole = await store.book(series)
        events: list[b.Event] = []
        for kind, council, set_index in group:
            at = NOW + timedelta(seconds=next(clock))
            if kind == "submit":
                event = nominate(series, council, set_index, at)
                # A partial book decides as the whole book does (the store loads only what it must).
                partial = (await store.load_book(series, scope_of([event]))).book
                p_after, p_effects = b.decide(partial, event)
                w_after, w_effects = b.decide(whole, event)
                same_decision(p_effects, w_effects, p_after, w_after)
                events.append(event)
            else:
                mine = [t for t in whole.teams if t.active and t.council == f"c{council}"]
                if mine:
                    events.append(b.Withdraw(mine[0].team_id, who(council), at))
        results = await asyncio.gather(*(
            booking_of(stores[i % len(stores)]).decide(series, e, at)
            for i, (e, at) in enumerate((e, _at(e)) for e in events)))
        assert not any(isinstance(r, Lost) for r in results)
        after = await store.book(series)
        check(after)
        for result in results:
            assert isinstance(result, BookChange)
            placed = [e for e in result.effects if isinstance(e, b.Confirmed | b.Waitlisted) and not e.repeat]
            for effect in placed:
                stored = after.team(effect.team.team_id)
                assert stored is not None, "an officer was told of a place the store does not hold"
        # Arrivals of one group that only signed up were told distinct places.
        if all(isinstance(e, b.Nominate) for e in events):
            told = [(e.team.set_key, e.position) for r in results if isinstance(r, BookChange)
                    for e in r.effects if isinstance(e, b.Waitlisted) and not e.repeat]
            assert len(told) == len(set(told)), "two officers were told the same place"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=groups, one_per_series=st.booleans())
def test_any_interleaving_of_sign_ups_and_withdrawals_keeps_the_rules(
    database_url: str, plan: list[list[tuple[str, int, int]]], one_per_series: bool
) -> None:
    async def run() -> None:
        stores = [await SqlStore.open(database_url), await SqlStore.open(database_url)]
        try:
            await scenario(stores, plan, one_per_series)
        finally:
            for store in stores:
                await store.close()

    asyncio.run(run())


async def test_a_rush_is_decided_in_batches_with_arrival_order(store: SqlStore) -> None:
    await save_programme(store, parse_programme(programme_text("rush", True)), NOW)
    booking = booking_of(store)
    events = [nominate("rush", c, c % 2, NOW + timedelta(milliseconds=c)) for c in range(300)]
    before = booking.batches
    results = await asyncio.gather(*(booking.decide("rush", e, e.at) for e in events))
    assert booking.batches - before < 20, "every nomination was saved on its own"
    book = await store.book("rush")
    check(book)
    assert sum(len(book.confirmed(s.key)) for s in book.sets) == 2 * CAPACITY
    assert len(book.teams) == 300
    for set_state in book.sets:
        waiting = book.waitlist(set_state.key)
        # Arrival order at this process is the order of the waiting list.
        arrived = [e.team_id for e in events if e.set_key == set_state.key][CAPACITY:]
        assert [t.team_id for t in waiting] == arrived
    assert all(isinstance(r, BookChange) for r in results)


async def test_two_instances_sweeping_at_once_remind_once(database_url: str) -> None:
    # A late sweep extends the deadline from its own clock, so two reminders would carry two
    # different keys: only the set's version lets just one of the two sweeps be saved.
    import sqlalchemy as sa

    from bot.features.base import Services
    from bot.features.signup import expire_deadlines
    from bot.store import tables as t

    stores = [await SqlStore.open(database_url), await SqlStore.open(database_url)]
    try:
        placed = NOW - timedelta(days=10)
        await save_programme(stores[0], parse_programme(programme_text("late", True)), placed)
        for c in range(2):
            event = nominate("late", c, 0, placed)
            event = b.Nominate(event.set_key, event.team_id, event.council, event.council_name,
                               (*event.officers, b.Officer(f"partner{c}@council{c}.gov.uk", "P", "other")),
                               event.idempotency_key, event.by, placed)
            await booking_of(stores[0]).decide("late", event, placed)
        await asyncio.gather(*(expire_deadlines(Services(store=s), NOW + timedelta(seconds=i))
                               for i, s in enumerate(stores)))
        async with stores[0].read() as conn:
            keys = (await conn.execute(sa.select(t.outbox.c.dedupe_key))).scalars().all()
    finally:
        for store in stores:
            await store.close()
    reminders = sorted(k for k in keys if k and k.startswith("reminded:"))
    assert len(reminders) == 2, reminders  # one for each team's partner, not two
