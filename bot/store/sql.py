"""The store on SQLAlchemy's async engine: SQLite (aiosqlite) by default, PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store import schema
from bot.store import tables as t
from bot.store.base import ConversationRef, Notice, Pending, Scrubbed, Store
from bot.store.once import TURN, AlreadyDone, TurnMark
from bot.store.sql_attendance import AttendanceQueries
from bot.store.sql_between import BetweenQueries, notice_kind
from bot.store.sql_booking import BookingQueries
from bot.store.sql_evaluation import ERASED, EvaluationQueries
from bot.store.sql_meetings import MeetingQueries
from bot.store.sql_sessions import SessionQueries

if TYPE_CHECKING:
    from alembic.config import Config

CONVERSATION_REFRESH_SECONDS = 0.0
CONVERSATIONS_REMEMBERED = 20_000
READ_ONLY = "als_read_only"  # an execution option: this connection only reads (SQLite: BEGIN DEFERRED)
# Two instances starting together must not both migrate: PostgreSQL serialises them on this lock.
_MIGRATION_LOCK = 0x414C5301


def engine_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return f"sqlite+aiosqlite://{rest}"
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


def make_engine(database_url: str) -> AsyncEngine:
    url = engine_url(database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # A write takes the write lock at the start, so that read-then-write cannot be
            # overtaken. A read does not: under WAL it reads its snapshot beside the writer,
            # where taking the lock queued every read of a booking rush behind every write.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # During an outage a turn must fail within seconds (the person is told to try again), not
    # wait for asyncpg's 60-second connect timeout. (The pool's own 30-second wait stays: under a
    # booking rush, turns queue for a connection, and that is not an outage.)
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True,
                               connect_args={"timeout": 5, "command_timeout": 60})


# Alembic is imported only when a migration is to run: a database at head is recognised without
# it (bot.store.schema), and importing it is a good part of a second at start-up.


def _alembic_config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("bot.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: sa.Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    command.upgrade(_alembic_config(connection), "head")


def _from_snapshot(connection: sa.Connection, head: str | None) -> bool:
    """Give an empty SQLite database the schema at head in one go; False if it is not empty (or
    the snapshot is not of this head), for the migrations to run instead."""
    if connection.dialect.name != "sqlite" or head is None or not schema.is_empty(connection):
        return False
    snapshot = schema.load_snapshot()
    if snapshot is None or snapshot.get("revision") != head:
        return False
    schema.apply_snapshot(connection, snapshot)
    return True


def head_revision() -> str | None:
    """The newest migration that this code brings (read from the migration files, not by Alembic)."""
    return schema.head_revision()


async def migrate(engine: AsyncEngine, *, snapshot: bool = True) -> str | None:
    """Apply every pending migration; return the schema's revision.

    At head already, this is one query. An empty SQLite database gets the schema at head from
    the snapshot (bot.store.schema), unless `snapshot` is False; anything else runs Alembic.
    """
    head = schema.head_revision()
    async with engine.connect() as conn:
        current = await conn.run_sync(schema.current_revision)
    if head is not None and current == head:
        return current

    def upgrade(connection: sa.Connection) -> None:
        # Decided inside the write transaction: an instance starting beside this one may have
        # made the database meanwhile (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock).
        if not (snapshot and _from_snapshot(connection, head)):
            _upgrade(connection)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
    async with engine.connect() as conn:
        return await conn.run_sync(schema.current_revision)




class GroupCommit:
    """Small writes that arrive while a transaction is open are committed together in the next one.

    Each turn records its conversation, and an invoke its answer: tiny writes, each worth a
    transaction (and, on SQLite, a sync to disk) of its own. Grouped, a hundred turns in flight
    share a handful of commits, the rows of one statement sent as one `executemany` (on SQLite
    each statement is a round trip to aiosqlite's thread), and each caller still returns only after
    its write is committed, so nothing a person was answered on is lost on a crash.
    """

    MAX = 500

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._pending: list[tuple[Any, dict[str, Any], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, stmt: Any, values: dict[str, Any]) -> None:
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((stmt, values, answer))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        # Shielded: a client hanging up must not cancel a write that is shared with others.
        await asyncio.shield(answer)

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.MAX], self._pending[self.MAX:]
                # One executemany per statement; the rows of each keep their order.
                by_stmt: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
                for stmt, values, _ in batch:
                    by_stmt.setdefault(id(stmt), (stmt, []))[1].append(values)
                try:
                    async with self._store.write() as conn:
                        for stmt, rows in by_stmt.values():
                            await conn.execute(stmt, rows)
                except Exception:
                    # One bad write must not sink the others: each goes again on its own.
                    for stmt, values, answer in batch:
                        try:
                            async with self._store.write() as conn:
                                await conn.execute(stmt, values)
                        except Exception as error:
                            if not answer.done():
                                answer.set_exception(error)
                        else:
                            if not answer.done():
                                answer.set_result(None)
                    continue
                for _, _, answer in batch:
                    if not answer.done():
                        answer.set_result(None)
        finally:
            self._task = None


class Lookups:
    """Conversation references asked for while a read is running are read together in the next
    one: in a booking rush every new officer's turn asks for theirs, and each query on its own
    costs several round trips to the driver's thread."""

    MAX = 400  # keys in one IN (...): well inside every SQLite's limit on bound parameters

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._waiting: dict[str, list[asyncio.Future[ConversationRef | None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def get(self, key: str) -> ConversationRef | None:
        answer: asyncio.Future[ConversationRef | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(answer)
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(answer)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                keys = list(self._waiting)[: self.MAX]
                batch = {k: self._waiting.pop(k) for k in keys}
                try:
                    found = await self._store.conversations(keys)
                except Exception as error:
                    for answers in batch.values():
                        for answer in answers:
                            if not answer.done():
                                answer.set_exception(error)
                                answer.exception()  # retrieved: its caller may have gone
                    continue
                for key, answers in batch.items():
                    for answer in answers:
                        if not answer.done():
                            answer.set_result(found.get(key))
        finally:
            self._task = None


_OPEN: weakref.WeakSet[SqlStore] = weakref.WeakSet()


class SqlStore(BetweenQueries, BookingQueries, MeetingQueries, AttendanceQueries, SessionQueries,
               EvaluationQueries, Store):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer: queueing here is cheaper than spinning on its busy timeout.
        self._sqlite_writer = asyncio.Lock() if self.dialect == "sqlite" else None
        self.grouped = GroupCommit(self)
        self.lookups = Lookups(self)
        self._reader_for: tuple[AsyncEngine, AsyncEngine] | None = None
        self._conversations_seen: OrderedDict[str, tuple[tuple[Any, ...], float]] = OrderedDict()
        _OPEN.add(self)
        # Built once: every turn runs these, and building a statement costs more than running it.
        self._sighting_stmt = self._insert(t.processed_activity).on_conflict_do_nothing(
            index_elements=["activity_id"])
        self._response_stmt = (
            t.processed_activity.update()
            .where(t.processed_activity.c.activity_id == sa.bindparam("key"))
            .values(response=sa.bindparam("answer"))
        )
        upsert = self._insert(t.conversation_ref)
        kept = {c.name: upsert.excluded[c.name] for c in t.conversation_ref.c
                if c.name not in ("key", "email")}
        # An e-mail address, once learnt, is kept when a later activity comes without one.
        kept["email"] = sa.func.coalesce(upsert.excluded.email, t.conversation_ref.c.email)
        self._conversation_stmt = upsert.on_conflict_do_update(index_elements=["key"], set_=kept)

    @classmethod
    async def open(cls, database_url: str, *, apply_migrations: bool = True) -> SqlStore:
        engine = make_engine(database_url)
        if apply_migrations:
            await migrate(engine)
        return cls(engine)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed on leaving the block; inside a turn, its first one also
        records the turn's activity (bot.store.once), or raises AlreadyDone if that was done."""
        mark = TURN.get()
        if mark is not None and not mark.applies():
            mark = None
        if self._sqlite_writer is None:
            async with self.engine.begin() as conn:
                if mark is not None:
                    await self._claim(conn, mark)
                yield conn
        else:
            async with self._sqlite_writer, self.engine.begin() as conn:
                if mark is not None:
                    await self._claim(conn, mark)
                yield conn
        if mark is not None:
            mark.claimed = True

    async def _claim(self, conn: AsyncConnection, mark: TurnMark) -> None:
        values = {"activity_id": mark.key, "received_at": mark.at}
        if (await conn.execute(self._sighting_stmt, values)).rowcount != 1:
            raise AlreadyDone(mark.key)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader().connect() as conn:
            yield conn

    def _reader(self) -> AsyncEngine:
        """The engine's connections marked read-only (made once per engine: tests swap it)."""
        if self._reader_for is None or self._reader_for[0] is not self.engine:
            self._reader_for = (self.engine, self.engine.execution_options(**{READ_ONLY: True}))
        return self._reader_for[1]

    def _insert(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            # Imported here: on SQLite the PostgreSQL dialect is never needed (a start-up cost).
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        return sqlite.insert(table)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()

    async def done_before(self, activity_id: str) -> bool:
        stmt = sa.select(t.processed_activity.c.activity_id).where(
            t.processed_activity.c.activity_id == activity_id
        )
        async with self.read() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def record_response(self, activity_id: str, response: dict[str, Any]) -> None:
        await self.grouped.run(self._response_stmt, {"key": activity_id, "answer": response})

    async def response_for(self, activity_id: str) -> dict[str, Any] | None:
        stmt = sa.select(t.processed_activity.c.response).where(
            t.processed_activity.c.activity_id == activity_id
        )
        async with self.read() as conn:
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return dict(value) if isinstance(value, dict) else None

    async def forget_before(self, activities: datetime, notices: datetime) -> int:
        async with self.write() as conn:
            seen = await conn.execute(
                t.processed_activity.delete().where(t.processed_activity.c.received_at < activities))
            sent = await conn.execute(
                t.outbox.delete().where(t.outbox.c.sent_at.is_not(None), t.outbox.c.sent_at < notices))
        return int(seen.rowcount or 0) + int(sent.rowcount or 0)

    async def save_conversation(self, ref: ConversationRef) -> None:
        seen = (ref.conversation_id, ref.service_url, ref.channel_id, ref.tenant_id, ref.kind, ref.email,
                {k: v for k, v in ref.reference.items() if k != "activityId"})
        # Every turn brings its conversation's reference, nearly always the one saved last time
        # (only the activity id moves on, and a proactive message may answer any earlier one).
        # Unchanged, it is written again only every CONVERSATION_REFRESH_SECONDS. An erasure in
        # this process forgets what was written at once (`_forget_conversations`); a row that
        # another process deleted (`als erase` run beside the bot) comes back within that time.
        written = self._conversations_seen.get(ref.key)
        if written is not None and written[0] == seen \
                and time.monotonic() - written[1] < CONVERSATION_REFRESH_SECONDS:
            return
        values = {
            "key": ref.key,
            "conversation_id": ref.conversation_id,
            "service_url": ref.service_url,
            "channel_id": ref.channel_id,
            "tenant_id": ref.tenant_id,
            "kind": ref.kind,
            "reference": ref.reference,
            "updated_at": ref.updated_at,
            "email": ref.email,
        }
        await self.grouped.run(self._conversation_stmt, values)
        self._conversations_seen[ref.key] = (seen, time.monotonic())
        self._conversations_seen.move_to_end(ref.key)
        if len(self._conversations_seen) > CONVERSATIONS_REMEMBERED:
            self._conversations_seen.popitem(last=False)

    async def erase_officer(self, email: str, now: datetime, *, dry_run: bool = False) -> Scrubbed:
        try:
            return await super().erase_officer(email, now, dry_run=dry_run)
        finally:
            self._forget_conversations()

    async def purge_set(self, set_key: str, now: datetime, *, dry_run: bool = False) -> Scrubbed | None:
        try:
            return await super().purge_set(set_key, now, dry_run=dry_run)
        finally:
            self._forget_conversations()

    def _forget_conversations(self) -> None:
        """References were deleted: every store of this process on the same database writes its
        next ones again (the bot's store, when the erasure ran through another)."""
        for store in list(_OPEN):
            if store.engine.url == self.engine.url:
                store._conversations_seen.clear()

    async def conversation(self, key: str) -> ConversationRef | None:
        return await self.lookups.get(key)

    async def conversations(self, keys: list[str]) -> dict[str, ConversationRef]:
        """The saved references of these keys (those saved), in one query."""
        stmt = sa.select(t.conversation_ref).where(t.conversation_ref.c.key.in_(keys))
        async with self.read() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return {row["key"]: ConversationRef(**{k: row[k] for k in row.keys()}) for row in rows}

    async def conversation_by_email(self, email: str) -> ConversationRef | None:
        stmt = (
            sa.select(t.conversation_ref)
            .where(t.conversation_ref.c.email == email.lower(), t.conversation_ref.c.kind == "personal")
            .order_by(t.conversation_ref.c.updated_at.desc())
            .limit(1)
        )
        async with self.read() as conn:
            row = (await conn.execute(stmt)).mappings().one_or_none()
        return None if row is None else ConversationRef(**{k: row[k] for k in row.keys()})

    async def enqueue_in(self, conn: AsyncConnection, notices: list[Notice], now: datetime) -> None:
        """Queue notices inside a caller's transaction (the change they report)."""
        for notice in notices:
            if notice.recipient.startswith(f"email:{ERASED}"):
                # An erased officer's row stays for the counts, under a pseudonym nobody can be reached at.
                continue
            stmt = self._insert(t.outbox).values(
                recipient=notice.recipient, body=notice.body, dedupe_key=notice.dedupe_key,
                created_at=now, due_at=notice.due_at or now, attempts=0,
                kind=notice_kind(notice), set_key=notice.body.get("set"),
            )
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]))

    async def enqueue(self, notices: list[Notice], now: datetime) -> None:
        async with self.write() as conn:
            await self.enqueue_in(conn, notices, now)

    async def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[Pending]:
        o = t.outbox
        pick = (
            sa.select(o.c.id, o.c.recipient, o.c.body, o.c.attempts, o.c.kind, o.c.dedupe_key)
            .where(o.c.sent_at.is_(None), o.c.due_at <= now)
            .order_by(o.c.due_at, o.c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        async with self.write() as conn:
            rows = (await conn.execute(pick)).all()
            if rows:
                await conn.execute(
                    o.update()
                    .where(o.c.id.in_([r.id for r in rows]))
                    .values(due_at=now + timedelta(seconds=lease_seconds), attempts=o.c.attempts + 1)
                )
        return [Pending(r.id, r.recipient, dict(r.body), r.attempts + 1, r.kind or "message", r.dedupe_key)
                for r in rows]

    async def delivered(self, notice_id: int, at: datetime, channel: str = "teams") -> None:
        async with self.write() as conn:
            await conn.execute(
                t.outbox.update().where(t.outbox.c.id == notice_id)
                .values(sent_at=at, status=channel, status_at=at)
            )

    async def not_delivered(self, notice_id: int, error: str, retry_at: datetime) -> None:
        async with self.write() as conn:
            await conn.execute(
                t.outbox.update()
                .where(t.outbox.c.id == notice_id)
                .values(due_at=retry_at, last_error=error[:200])
            )
