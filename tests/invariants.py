"""The booking's invariants, checked against the store after fuzzing, crashes and outages."""

from __future__ import annotations

from collections import Counter

from bot.store.base import Store


async def booking_problems(store: Store) -> list[str]:
    """What is wrong with the stored booking: capacity, queue order, one team per council."""
    problems: list[str] = []
    programme = await store.programme()
    for series in programme.series:
        book = await store.book(series.key)
        seqs = [t.accepted_seq for t in book.teams]
        if len(seqs) != len(set(seqs)):
            problems.append(f"{series.key}: two teams share an arrival number")
        active = [t for t in book.teams if t.active]
        per_set = Counter((t.set_key, t.council) for t in active)
        problems += [f"{s}: council {c} holds {n} teams" for (s, c), n in per_set.items() if n > 1]
        if book.one_team_per_series:
            per_series = Counter(t.council for t in active)
            problems += [f"{series.key}: council {c} holds {n} teams" for c, n in per_series.items() if n > 1]
        for state in book.sets:
            confirmed, waiting = book.confirmed(state.key), book.waitlist(state.key)
            if len(confirmed) > state.capacity:
                problems.append(f"{state.key}: {len(confirmed)} confirmed for {state.capacity} places")
            if waiting and len(confirmed) < state.capacity and state.booking == "open":
                problems.append(f"{state.key}: a team waits while a place is free")
            order = [t.accepted_seq for t in waiting]
            if order != sorted(order):
                problems.append(f"{state.key}: the waiting list is out of arrival order")
    return problems
