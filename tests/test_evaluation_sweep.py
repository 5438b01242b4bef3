"""The sweep that sends the evaluation, its reminder and the pulse: each goes once, also when two
instances share the database, and from what the store says has ended (no hook in the meeting code)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.features import evaluation as feature
from bot.features.base import Services
from bot.rules import evaluation as ev
from bot.rules.records import SessionRun
from bot.rules.session import SessionState, Stage
from bot.store import tables as t
from bot.store.sql import SqlStore
from tests.report_seed import OFFICERS, THU, TUE, programme, seed_records

T = datetime(2027, 6, 30, 9, 0, tzinfo=UTC)  # 15 to 21 days after the Tuesday set's last session


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    first = await SqlStore.open(database_url)
    second = await SqlStore.open(database_url)
    feature.configure(feature.EvaluationSettings())
    await seed_records(first, T)
    yield first, second
    await first.close()
    await second.close()


async def outbox(store: SqlStore, prefix: str) -> list[tuple[str, dict[str, object]]]:
    async with store.read() as conn:
        rows = (await conn.execute(sa.select(t.outbox.c.recipient, t.outbox.c.body)
                                   .where(t.outbox.c.dedupe_key.startswith(prefix)))).all()
    return [(r.recipient, dict(r.body)) for r in rows]


async def both(stores: tuple[SqlStore, SqlStore], now: datetime) -> int:
    made = await asyncio.gather(*(feature.sweep(Services(store=s), now) for s in stores))
    return sum(made)


async def test_the_evaluation_and_its_reminder_go_once_on_two_instances(
    two: tuple[SqlStore, SqlStore]
) -> None:
    first, _ = two
    await both(two, T)
    sent = await outbox(first, "evaluation:")
    expected = {f"user:{u.aad_object_id}" for u in OFFICERS.values()}
    assert Counter(r for r, _ in sent) == Counter(expected)  # each officer of both sets, once
    for _, body in sent:
        assert "evaluation.submit" in json.dumps(body["card"])
        assert "type evaluation" in str(body["text"])  # what an e-mail can say: no confidential text
        assert "Flood resilience" not in json.dumps(body)
    assert await both(two, T + timedelta(days=1)) == 0
    assert await outbox(first, "reminder:") == []

    # Kim answers; three days on, the others are reminded, once, however many sweeps run.
    await first.save_evaluation(TUE, "kim.lee@wigan.gov.uk", "team", ev.Answer(4, 4, 4, 4, "", "", True), T)
    await both(two, T + ev.REMINDER_AFTER + timedelta(minutes=1))
    await both(two, T + ev.REMINDER_AFTER + timedelta(hours=1))
    reminded = Counter(r for r, _ in await outbox(first, "reminder:"))
    kim = OFFICERS["kim.lee@wigan.gov.uk"]
    assert reminded == Counter(expected - {f"user:{kim.aad_object_id}"})
    async with first.read() as conn:
        claims = (await conn.execute(sa.select(t.evaluation_sent.c.set_key, t.evaluation_sent.c.what))).all()
    assert sorted(claims) == sorted([(TUE, "evaluation"), (TUE, "reminder"), (THU, "evaluation"),
                                     (THU, "reminder")])


async def test_a_session_ended_by_its_facilitator_sends_the_pulse_and_opens_the_evaluation(
    two: tuple[SqlStore, SqlStore]
) -> None:
    first, _ = two
    slot = programme(T).set_by_key(TUE).sessions[2]  # type: ignore[union-attr]
    now = slot.start_utc + timedelta(minutes=80)  # before the scheduled end
    assert await both(two, now) == 0  # nothing has ended yet
    run = SessionRun(TUE, 3, "19:meeting_tue@thread.v2", SessionState(stage=Stage.ENDED, session_number=3))
    assert await first.save_session_run(run, None, [], now)
    assert await both(two, now) == 2  # the pulse for session 3 and the evaluation, on one instance
    pulses = Counter(r for r, _ in await outbox(first, f"pulse:{TUE}:3:"))
    # Everyone of the set but Kim, who sent apologies for session 3.
    assert pulses == Counter(f"user:{u.aad_object_id}" for e, u in OFFICERS.items()
                             if e.endswith(("leeds.gov.uk", "bury.gov.uk", "cornwall.gov.uk")))
    assert len(await outbox(first, f"evaluation:{TUE}:")) == 5
    assert await outbox(first, f"evaluation:{THU}:") == []  # the Thursday set has not ended
    assert await both(two, now + timedelta(minutes=30)) == 0


async def test_no_pulse_for_a_session_long_past(two: tuple[SqlStore, SqlStore]) -> None:
    first, _ = two
    await both(two, T)
    async with first.read() as conn:
        pulses = (await conn.execute(sa.select(sa.func.count()).select_from(t.outbox)
                                     .where(t.outbox.c.dedupe_key.startswith("pulse:")))).scalar_one()
    assert pulses == 0
