"""The attendance store on SQLite and PostgreSQL: apologies, replacing a session's attendance, claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.rules import attendance as a
from bot.store import tables as t
from bot.store.base import Notice
from bot.store.sql import SqlStore
from tests.attendance_seed import SET, seed

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def outbox(store: SqlStore) -> list[str]:
    async with store.read() as conn:
        return list((await conn.execute(sa.select(t.outbox.c.recipient).order_by(t.outbox.c.id))).scalars())


async def test_apologies_are_kept_resent_and_withdrawn(store: SqlStore) -> None:
    team_of = await seed(store, NOW)
    sorry = a.Apology(SET, 2, "kim@wigan.gov.uk", team_of["kim@wigan.gov.uk"], "Leave", NOW)
    await store.save_apology(sorry, [Notice("email:facilitator@lga.gov.uk", {"text": "x"}, "k1")], NOW)
    await store.save_apology(a.Apology(SET, 2, sorry.officer_email, sorry.team_id, "Jury service",
                                       NOW + timedelta(hours=1)), [], NOW)
    (kept,) = await store.apologies(SET)
    assert (kept.reason, kept.standing) == ("Jury service", True)
    assert await store.teams_with_apologies(SET, 2) == {team_of["kim@wigan.gov.uk"]}
    assert await store.withdraw_apology(SET, 2, sorry.officer_email, [], NOW)
    assert not await store.withdraw_apology(SET, 2, sorry.officer_email, [], NOW)  # nothing standing
    assert await store.teams_with_apologies(SET, 2) == frozenset()
    assert (await store.apologies(SET))[0].withdrawn_at == NOW
    assert await outbox(store) == ["email:facilitator@lga.gov.uk"]


async def test_a_team_of_two_is_left_out_only_when_both_send_apologies(store: SqlStore) -> None:
    team_of = await seed(store, NOW)
    leeds = team_of["alex@leeds.gov.uk"]
    await store.save_apology(a.Apology(SET, 1, "alex@leeds.gov.uk", leeds, "Ill", NOW), [], NOW)
    assert await store.teams_with_apologies(SET, 1) == frozenset()
    await store.save_apology(a.Apology(SET, 1, "sam@leeds.gov.uk", leeds, "Ill too", NOW), [], NOW)
    assert await store.teams_with_apologies(SET, 1) == {leeds}
    assert await store.teams_with_apologies(SET, 2) == frozenset()


def _taken(status: a.Status, others: int) -> a.SessionAttendance:
    return a.SessionAttendance(
        (a.OfficerAttendance("alex@leeds.gov.uk", "Alex Smith", "t1", "Leeds City Council", status, 4000,
                             NOW, NOW + timedelta(minutes=80)),),
        tuple(a.OtherAttendee(f"id:g{i}", f"Guest {i}", None, None, "Attendee", 60, NOW, NOW)
              for i in range(others)),
    )


async def test_collecting_again_replaces_never_duplicates(store: SqlStore) -> None:
    await seed(store, NOW)
    await store.save_attendance(SET, 1, _taken("absent", 3), ["r1"], [], NOW)
    await store.save_attendance(SET, 1, _taken("attended", 1), ["r1", "r2"], [], NOW + timedelta(hours=1))
    collected = await store.attendance(SET)
    assert list(collected) == [1]
    assert [o.status for o in collected[1].officers] == ["attended"]
    assert [o.name for o in collected[1].others] == ["Guest 0"]
    async with store.read() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(t.attendance))).scalar_one()
        run = (await conn.execute(sa.select(t.attendance_collection))).mappings().one()
    assert count == 2
    assert run["reports"] == ["r1", "r2"] and run["collected_at"] == NOW + timedelta(hours=1)


async def test_sessions_are_claimed_after_their_end_retried_then_given_up(store: SqlStore) -> None:
    await seed(store, NOW)
    await store.record_meeting(SET, 1, {"meeting_id": "m-1"})
    await store.record_meeting(SET, 2, {"meeting_id": "m-1"})
    end = (await store.programme()).set_by_key(SET).sessions[0].end_utc  # type: ignore[union-attr]
    times = {"grace": timedelta(minutes=10), "retry": timedelta(minutes=15), "wait": timedelta(hours=24)}
    assert await store.claim_collections(end + timedelta(minutes=5), **times) == []
    (due,) = await store.claim_collections(end + timedelta(minutes=11), **times)
    assert (due.set_key, due.number, due.meeting_id, due.attempts, due.give_up) == (SET, 1, "m-1", 1, False)
    # Taken: another instance looking a moment later leaves it alone.
    assert await store.claim_collections(end + timedelta(minutes=12), **times) == []
    await store.collection_failed(SET, 1, "no report yet", [], end + timedelta(minutes=12))
    (again,) = await store.claim_collections(end + timedelta(minutes=30), **times)
    assert again.attempts == 2
    (last,) = await store.claim_collections(end + timedelta(hours=25), **times)
    assert last.give_up
    assert await store.claim_collections(end + timedelta(hours=26), **times) == []


async def test_a_collected_session_is_not_claimed(store: SqlStore) -> None:
    await seed(store, NOW)
    await store.record_meeting(SET, 1, {"meeting_id": "m-1"})
    end = (await store.programme()).set_by_key(SET).sessions[0].end_utc  # type: ignore[union-attr]
    await store.save_attendance(SET, 1, _taken("attended", 0), ["r1"], [], end)
    times = {"grace": timedelta(0), "retry": timedelta(0), "wait": timedelta(hours=24)}
    assert await store.claim_collections(end + timedelta(minutes=30), **times) == []
    await store.record_meeting(SET, 2, {"meeting_id": "m-1"})
    end2 = (await store.programme()).set_by_key(SET).sessions[1].end_utc  # type: ignore[union-attr]
    # Never tried, and over the wait already (the bot was off): left alone, nobody is told.
    assert await store.claim_collections(end2 + timedelta(hours=30), **times) == []
