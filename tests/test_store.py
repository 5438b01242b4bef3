"""The store's mechanism on SQLite and on PostgreSQL: migrations, deduplication, conversation refs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.store.base import ConversationRef
from bot.store.sql import SqlStore, make_engine, migrate

NOW = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)


async def test_migrations_are_applied_and_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await migrate(engine) == "0001"
        assert await migrate(engine) == "0001"
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert {"processed_activity", "conversation_ref", "alembic_version"} <= names
    finally:
        await engine.dispose()


async def test_two_instances_migrating_at_once_both_succeed(database_url: str) -> None:
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        assert await asyncio.gather(*(migrate(e) for e in engines)) == ["0001", "0001"]
    finally:
        for e in engines:
            await e.dispose()


async def test_an_activity_is_seen_first_only_once(store: SqlStore) -> None:
    assert await store.first_sighting("a", NOW) is True
    assert await store.first_sighting("a", NOW) is False
    assert await store.first_sighting("b", NOW) is True


async def test_concurrent_sightings_of_one_activity_let_exactly_one_through(store: SqlStore) -> None:
    results = await asyncio.gather(*(store.first_sighting("same", NOW) for _ in range(20)))
    assert results.count(True) == 1


async def test_an_invoke_response_is_kept_for_a_retry(store: SqlStore) -> None:
    await store.first_sighting("a", NOW)
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
        await store.first_sighting("a", datetime(2027, 1, 1))


async def test_ping(store: SqlStore) -> None:
    await store.ping()
