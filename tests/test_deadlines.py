"""The commitment deadline sweep: a reminder first, then the place goes to the waiting list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bot.features.base import Services
from bot.features.signup import _deciding, expire_deadlines
from bot.rules import booking as b
from bot.store.sql import SqlStore
from tests.programmes import programme

SET = "adaptation-wed"


async def nominate(store: SqlStore, n: int, at: datetime, *, partner: bool = False) -> None:
    email = f"officer{n}@council{n}.gov.uk"
    officers = [b.Officer(email, f"Officer {n}", "sustainability", f"aad-{n}", at)]
    if partner:
        officers.append(b.Officer(f"partner{n}@council{n}.gov.uk", f"Partner {n}", "other"))
    event = b.Nominate(SET, uuid.uuid4().hex, f"council{n}", f"Council {n}", tuple(officers),
                       f"{SET}|{n}", b.Who(f"aad-{n}", email), at)
    await store.change_book("adaptation", _deciding(programme(), event, None), at)


async def test_an_uncommitted_team_is_reminded_then_replaced(store: SqlStore) -> None:
    placed = datetime.now(UTC).replace(microsecond=0)
    await store.save_programme(programme(), placed)
    await nominate(store, 1, placed, partner=True)
    for n in range(2, 8):
        await nominate(store, n, placed)
    services = Services(store=store)
    nominated = await store.claim_due(placed, 60, 50)
    assert [p.recipient for p in nominated] == ["email:partner1@council1.gov.uk"]  # asked to commit
    for p in nominated:
        await store.delivered(p.id, placed)
    book = await store.book("adaptation")
    (first,) = [t for t in book.teams if t.council == "council1"]
    assert first.status == "confirmed" and first.deadline is not None

    await expire_deadlines(services, placed + timedelta(hours=1))
    assert await store.claim_due(placed + timedelta(hours=1), 60, 50) == []  # nothing due yet

    remind_at = first.deadline - timedelta(hours=24)
    await expire_deadlines(services, remind_at + timedelta(minutes=1))
    reminders = await store.claim_due(remind_at + timedelta(minutes=1), 60, 50)
    assert [p.recipient for p in reminders] == ["email:partner1@council1.gov.uk"]
    await store.delivered(reminders[0].id, remind_at)
    await expire_deadlines(services, remind_at + timedelta(minutes=2))  # a second sweep: no repeat
    assert await store.claim_due(remind_at + timedelta(hours=2), 60, 50) == []

    after = first.deadline + timedelta(minutes=1)
    await expire_deadlines(services, after)
    book = await store.book("adaptation")
    assert {t.council: t.status for t in book.teams}["council1"] == "lapsed"
    assert [t.council for t in book.confirmed(SET)][-1] == "council7"
    told = sorted(p.recipient for p in await store.claim_due(after, 60, 50))
    assert told == ["email:partner1@council1.gov.uk", "user:aad-1", "user:aad-7"]
