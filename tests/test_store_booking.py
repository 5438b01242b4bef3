"""The booking store on SQLite and PostgreSQL: programme loads, decisions saved whole, arrival order."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.features.booking import save_programme
from bot.rules import booking as b
from bot.rules.programme import parse_programme
from bot.store.base import BookChange, ChallengeRecord, Notice
from bot.store.sql import SqlStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "programme.yaml"
NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def nominate(set_key: str, n: int, at: datetime = NOW) -> b.Nominate:
    email = f"officer{n}@council{n}.gov.uk"
    return b.Nominate(
        set_key=set_key, team_id=uuid.uuid4().hex, council=f"council{n}", council_name=f"Council {n}",
        officers=(b.Officer(email, f"Officer {n}", "sustainability", f"aad-{n}", at),
                  b.Officer(f"partner{n}@council{n}.gov.uk", f"Partner {n}", "procurement")),
        idempotency_key=f"{set_key}|{n}", by=b.Who(f"aad-{n}", email), at=at,
    )


def deciding(event: b.Event, notices: tuple[Notice, ...] = ()) -> object:
    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        return BookChange(after, effects, notices)
    return change


async def loaded(store: SqlStore) -> None:
    await store.save_programme(parse_programme(EXAMPLE.read_text()), NOW)


async def test_loading_the_same_programme_twice_changes_nothing(store: SqlStore) -> None:
    programme = parse_programme(EXAMPLE.read_text())
    first = await store.save_programme(programme, NOW)
    assert set(first.created) == {"procurement", "adaptation", "procurement-tue", "procurement-thu",
                                  "adaptation-wed"}
    second = await store.save_programme(programme, NOW)
    assert (second.created, second.updated) == ((), ())
    stored = await store.programme()
    assert {s.key: s for s in stored.series} == {s.key: s for s in programme.series}
    assert {s.key: s for s in stored.sets} == {s.key: s for s in programme.sets}
    assert stored.allowed_domains == programme.allowed_domains


async def test_a_changed_programme_updates_in_place(store: SqlStore) -> None:
    programme = parse_programme(EXAMPLE.read_text())
    await store.save_programme(programme, NOW)
    tue = programme.set_by_key("procurement-tue")
    assert tue is not None
    moved = replace(tue, name="Tuesday set (moved)", sessions=tue.sessions[:2])
    changed = replace(programme, sets=tuple(moved if s.key == tue.key else s for s in programme.sets))
    saved = await store.save_programme(changed, NOW)
    assert saved.updated == ("procurement-tue",)
    again = await store.programme()
    assert again.set_by_key("procurement-tue") == moved
    assert len(again.sets) == 3


async def test_a_decision_is_saved_whole_with_its_notices(store: SqlStore) -> None:
    await loaded(store)
    notice = Notice("user:aad-1", {"text": "placed"})
    result = await store.change_book("procurement", deciding(nominate("procurement-tue", 1), (notice,)), NOW)  # type: ignore[arg-type]
    assert isinstance(result.effects[0], b.Confirmed)
    assert await store.book("procurement") == result.book
    (pending,) = await store.claim_due(NOW, 60, 10)
    assert pending.body == {"text": "placed"}


async def test_teams_are_found_by_object_id_or_email(store: SqlStore) -> None:
    await loaded(store)
    await store.change_book("procurement", deciding(nominate("procurement-tue", 1)), NOW)  # type: ignore[arg-type]
    assert [t.council for t in await store.teams_of(b.Who("aad-1"))] == ["council1"]
    assert [t.council for t in await store.teams_of(b.Who(None, "PARTNER1@council1.gov.uk"))] == ["council1"]
    assert await store.teams_of(b.Who("aad-2", None)) == []
    team = (await store.teams_of(b.Who("aad-1")))[0]
    assert await store.series_of_team(team.team_id) == "procurement"


async def test_challenge_versions_are_kept_and_repeats_are_not(store: SqlStore) -> None:
    await loaded(store)
    first = ChallengeRecord("procurement-tue", "a@x.gov.uk", "Fleet", "Decarbonise the fleet", (True,) * 6)
    second = replace(first, title="Fleet (narrower)")

    def change(record: ChallengeRecord) -> object:
        return lambda book: BookChange(book, challenges=(record,))

    for record in (first, first, second):
        await store.change_book("procurement", change(record), NOW)  # type: ignore[arg-type]
    assert await store.latest_challenge("procurement-tue", "a@x.gov.uk") == second
    assert await store.latest_challenge("procurement-tue", "b@x.gov.uk") is None


async def test_concurrent_nominations_keep_capacity_and_arrival_order(store: SqlStore) -> None:
    await loaded(store)
    events = [nominate("procurement-tue", n) for n in range(40)]
    await asyncio.gather(*(store.change_book("procurement", deciding(e), NOW) for e in events))  # type: ignore[arg-type]
    book = await store.book("procurement")
    assert len(book.confirmed("procurement-tue")) == 6
    assert len(book.waitlist("procurement-tue")) == 34
    assert sorted(t.accepted_seq for t in book.teams) == list(range(1, 41))
    assert [t.accepted_seq for t in book.waitlist("procurement-tue")] == list(range(7, 41))


async def test_a_capacity_change_goes_through_the_rules(store: SqlStore) -> None:
    programme = parse_programme(EXAMPLE.read_text())
    await store.save_programme(programme, NOW)
    for n in range(4):
        await store.change_book("procurement", deciding(nominate("procurement-tue", n)), NOW)  # type: ignore[arg-type]
    smaller = replace(programme, sets=tuple(
        replace(s, capacity=3) if s.key == "procurement-tue" else s for s in programme.sets))
    saved = await save_programme(store, smaller, NOW + timedelta(minutes=1))
    assert any(isinstance(e, b.Refused) and e.code == "capacity_below_confirmed" for e in saved.effects)
    bigger = replace(programme, sets=tuple(
        replace(s, capacity=6) if s.key == "procurement-tue" else s for s in programme.sets))
    await save_programme(store, bigger, NOW)
    book = await store.book("procurement")
    assert book.set_state("procurement-tue").capacity == 6  # type: ignore[union-attr]
