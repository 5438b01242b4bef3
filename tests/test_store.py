"""The store's mechanism on SQLite and on PostgreSQL: migrations, deduplication, conversation refs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.store.base import ConversationRef, Notice
from bot.store.once import TURN, AlreadyDone, TurnMark
from bot.store.sql import SqlStore, head_revision, make_engine, migrate

HEAD = head_revision()
NOW = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)


async def test_migrations_are_applied_and_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await migrate(engine) == HEAD
        assert await migrate(engine) == HEAD
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert {"processed_activity", "conversation_ref", "alembic_version"} <= names
    finally:
        await engine.dispose()


async def test_two_instances_migrating_at_once_both_succeed(database_url: str) -> None:
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        assert await asyncio.gather(*(migrate(e) for e in engines)) == [HEAD, HEAD]
    finally:
        for e in engines:
            await e.dispose()


async def _work(store: SqlStore, key: str, text: str, *, fail: bool = False) -> None:
    """A turn's work (queueing a notice) done while the turn's activity is `key`."""
    token = TURN.set(TurnMark(key, NOW))
    try:
        async with store.write() as conn:
            await store.enqueue_in(conn, [Notice("user:1", {"text": text})], NOW)
            if fail:
                raise RuntimeError("the process died here")
    finally:
        TURN.reset(token)


async def _queued(store: SqlStore) -> list[str]:
    return [str(p.body["text"]) for p in await store.claim_due(NOW, 60, 100)]


async def test_an_activitys_marker_commits_with_its_work_and_refuses_a_repeat(store: SqlStore) -> None:
    await _work(store, "a", "first")
    assert await store.done_before("a") and not await store.done_before("b")
    with pytest.raises(AlreadyDone):
        await _work(store, "a", "again")
    await _work(store, "b", "other")
    assert await _queued(store) == ["first", "other"]  # the repeat's work was rolled back


async def test_work_that_fails_leaves_no_marker_so_the_resend_does_it(store: SqlStore) -> None:
    with pytest.raises(RuntimeError):
        await _work(store, "a", "lost", fail=True)
    assert not await store.done_before("a")
    await _work(store, "a", "done on the re-send")
    assert await _queued(store) == ["done on the re-send"]


async def test_writes_outside_a_turn_and_later_writes_of_the_turn_carry_no_marker(store: SqlStore) -> None:
    await store.enqueue([Notice("user:1", {"text": "no turn"})], NOW)
    assert not await store.done_before("a")
    token = TURN.set(mark := TurnMark("a", NOW))
    try:
        await store.enqueue([Notice("user:1", {"text": "work"})], NOW)
        await store.enqueue([Notice("user:1", {"text": "act after commit"})], NOW)
    finally:
        TURN.reset(token)
    assert mark.claimed and await store.done_before("a")
    assert await _queued(store) == ["no turn", "work", "act after commit"]


async def test_concurrent_turns_of_one_activity_do_its_work_exactly_once(store: SqlStore) -> None:
    results = await asyncio.gather(*(_work(store, "same", f"try {i}") for i in range(20)),
                                   return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, AlreadyDone) for r in results if r is not None)
    assert len(await _queued(store)) == 1


async def test_an_invoke_response_is_kept_for_a_retry(store: SqlStore) -> None:
    await _work(store, "a", "work")
    assert await store.response_for("a") is None
    await store.record_response("a", {"statusCode": 200, "value": {"x": "é"}})
    assert await store.response_for("a") == {"statusCode": 200, "value": {"x": "é"}}
    assert await store.response_for("unknown") is None


def _ref(key: str, conversation: str, when: datetime) -> ConversationRef:
    return ConversationRef(key, conversation, "https://smba.trafficmanager.net/uk/", "msteams",
                           "tenant", "personal", {"conversation": {"id": conversation}}, when)


async def test_a_conversation_ref_is_saved_and_replaced(store: SqlStore) -> None:
    await store.save_conversation(_ref("user:1", "a:1", NOW))
    later = NOW + timedelta(days=1)
    await store.save_conversation(_ref("user:1", "a:2", later))
    saved = await store.conversation("user:1")
    assert saved == _ref("user:1", "a:2", later)
    assert await store.conversation("user:2") is None


async def test_times_come_back_in_utc_whatever_zone_went_in(store: SqlStore) -> None:
    london_summer = timezone(timedelta(hours=1))
    await store.save_conversation(_ref("user:1", "a:1", datetime(2027, 6, 1, 11, 0, tzinfo=london_summer)))
    saved = await store.conversation("user:1")
    assert saved is not None
    assert saved.updated_at == datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    assert saved.updated_at.tzinfo == UTC


async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    with pytest.raises(sa.exc.StatementError):
        await store.save_conversation(_ref("user:1", "a:1", datetime(2027, 1, 1)))


async def test_ping(store: SqlStore) -> None:
    await store.ping()


async def test_a_verified_email_is_kept_and_found(store: SqlStore) -> None:
    ref = _ref("user:1", "a:1", NOW)
    await store.save_conversation(ConversationRef(**{**ref.__dict__, "email": "alex@leeds.gov.uk"}))
    await store.save_conversation(_ref("user:1", "a:1", NOW + timedelta(minutes=1)))
    found = await store.conversation_by_email("ALEX@leeds.gov.uk".lower())
    assert found is not None and found.key == "user:1" and found.email == "alex@leeds.gov.uk"
    assert await store.conversation_by_email("nobody@leeds.gov.uk") is None


async def test_notices_are_claimed_once_delivered_or_retried(store: SqlStore) -> None:
    await store.enqueue([Notice("user:1", {"text": "one"}, dedupe_key="k1"),
                         Notice("user:2", {"text": "two"}),
                         Notice("user:3", {"text": "later"}, due_at=NOW + timedelta(hours=1))], NOW)
    await store.enqueue([Notice("user:1", {"text": "one again"}, dedupe_key="k1")], NOW)
    first = await store.claim_due(NOW, lease_seconds=60, limit=10)
    assert [(p.recipient, p.body, p.attempts) for p in first] == [
        ("user:1", {"text": "one"}, 1), ("user:2", {"text": "two"}, 1)]
    # Leased: another instance takes nothing until the lease ends.
    assert await store.claim_due(NOW + timedelta(seconds=30), 60, 10) == []
    await store.delivered(first[0].id, NOW)
    await store.not_delivered(first[1].id, "no conversation", NOW + timedelta(minutes=5))
    again = await store.claim_due(NOW + timedelta(minutes=6), 60, 10)
    assert [(p.recipient, p.attempts) for p in again] == [("user:2", 2)]
    await store.delivered(again[0].id, NOW + timedelta(minutes=6))
    assert [p.recipient for p in await store.claim_due(NOW + timedelta(hours=2), 60, 10)] == ["user:3"]


async def test_concurrent_claims_never_share_a_notice(store: SqlStore) -> None:
    await store.enqueue([Notice(f"user:{i}", {"text": str(i)}) for i in range(30)], NOW)
    batches = await asyncio.gather(*(store.claim_due(NOW, 60, 7) for _ in range(6)))
    ids = [p.id for batch in batches for p in batch]
    assert len(ids) == len(set(ids)) == 30


async def test_housekeeping_forgets_old_activity_ids_and_delivered_notices(store: SqlStore) -> None:
    for key, at in (("old", NOW - timedelta(days=3)), ("new", NOW)):
        token = TURN.set(TurnMark(key, at))
        try:
            await store.enqueue([], NOW)
        finally:
            TURN.reset(token)
    await store.enqueue([Notice("user:1", {"text": "a"}), Notice("user:2", {"text": "b"})], NOW)
    sent, pending = await store.claim_due(NOW, 60, 10)
    await store.delivered(sent.id, NOW - timedelta(days=40))
    assert await store.forget_before(NOW - timedelta(days=2), NOW - timedelta(days=30)) == 2
    assert not await store.done_before("old")  # forgotten
    assert await store.done_before("new")
    await store.not_delivered(pending.id, "x", NOW)
    assert [p.recipient for p in await store.claim_due(NOW, 60, 10)] == ["user:2"]  # kept: not delivered
