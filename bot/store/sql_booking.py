"""The programme and booking half of the SQL store: series, sets, teams, officers, challenges."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.booking import ACTIVE, Book, Officer, SetState, Tally, Team, TeamStatus, Who
from bot.rules.programme import (
    BookingState,
    DeadlineRule,
    Format,
    Policy,
    Programme,
    Series,
    SessionSlot,
    SetDef,
)
from bot.store import tables as t
from bot.store.base import BookScope, BookSlice, ChallengeRecord, Notice, ProgrammeSaved

ALLOWED_DOMAINS = "allowed_domains"
PROGRAMME_SECONDS = 1.0


class _Base(Protocol):
    dialect: str

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
    def read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
    def _insert(self, table: sa.Table) -> Any: ...
    async def enqueue_in(self, conn: AsyncConnection, notices: list[Notice], now: datetime) -> None: ...


def _deadline_json(rule: DeadlineRule) -> dict[str, Any]:
    return {
        "commit_within_hours": rule.commit_within_hours,
        "commit_days_before_first_session": rule.commit_days_before_first_session,
        "remind_hours_before": rule.remind_hours_before,
    }


class _Overtaken(Exception):
    """A set's version moved on while a decision was being made: roll back, decide again."""


def _team_claim(book: Book, team: Team) -> str | None:
    if not team.active:
        return None
    if book.one_team_per_series:
        return f"series:{book.series_key}|{team.council}"
    return f"set:{team.set_key}|{team.council}"


def _team_values(book: Book, team: Team) -> dict[str, Any]:
    return {
        "team_id": team.team_id,
        "series_key": book.series_key,
        "claim": _team_claim(book, team),
        "set_key": team.set_key,
        "council": team.council,
        "council_name": team.council_name,
        "accepted_seq": team.accepted_seq,
        "accepted_at": team.accepted_at,
        "status": team.status,
        "idempotency_key": team.idempotency_key,
        "placed_at": team.placed_at,
        "deadline": team.deadline,
        "reminded_at": team.reminded_at,
        "ended_at": team.ended_at,
    }


def _officer_rows(book: Book, team: Team) -> list[dict[str, Any]]:
    return [
        {
            "claim": f"series:{book.series_key}|{o.email}" if team.active else None,
            "team_id": team.team_id,
            "email": o.email,
            "position": i,
            "name": o.name,
            "role": o.role,
            "aad_object_id": o.aad_object_id,
            "committed_at": o.committed_at,
        }
        for i, o in enumerate(team.officers)
    ]


class BookingQueries:
    """Mixed into SqlStore; relies on its transactions and dialect helpers."""

    _programme_cache: tuple[Programme, float] | None = None
    _programme_generation = 0  # moves on with every change here, so a read overtaken is not kept
    _programme_loading: tuple[int, asyncio.Future[Programme]] | None = None

    def _forget_programme(self) -> None:
        self._programme_cache = None
        self._programme_generation += 1

    async def programme(self, *, fresh: bool = False) -> Programme:
        # Every sign-up reads the programme (four queries); in a rush, hundreds a second. It is
        # kept for a moment: this process's own changes drop it at once, another instance's show
        # within PROGRAMME_SECONDS, and a booking decision always reads the sets afresh.
        cached = self._programme_cache
        if not fresh and cached is not None and time.monotonic() - cached[1] < PROGRAMME_SECONDS:
            return cached[0]
        generation = self._programme_generation
        loading = self._programme_loading
        if not fresh and loading is not None and loading[0] == generation:
            # The turns that find it expired together wait for one read, not one each.
            return await asyncio.shield(loading[1])
        future: asyncio.Future[Programme] = asyncio.get_running_loop().create_future()
        if not fresh:
            self._programme_loading = (generation, future)
        try:
            async with cast(_Base, self).read() as conn:
                programme = await self._programme_in(conn)
        except BaseException as error:
            if isinstance(error, Exception):
                future.set_exception(error)
                future.exception()  # retrieved, whether or not anyone waits
            else:
                future.cancel()
            raise
        finally:
            if self._programme_loading is not None and self._programme_loading[1] is future:
                self._programme_loading = None
        future.set_result(programme)
        if generation == self._programme_generation:
            self._programme_cache = (programme, time.monotonic())
        return programme

    async def _programme_in(self, conn: AsyncConnection) -> Programme:
        series_rows = (await conn.execute(sa.select(t.series).order_by(t.series.c.key))).mappings().all()
        set_rows = (await conn.execute(sa.select(t.set_def).order_by(t.set_def.c.key))).mappings().all()
        slot_rows = (
            (
                await conn.execute(
                    sa.select(t.session_slot).order_by(t.session_slot.c.set_key, t.session_slot.c.number)
                )
            )
            .mappings()
            .all()
        )
        slots: dict[str, list[SessionSlot]] = {}
        for row in slot_rows:
            slots.setdefault(row["set_key"], []).append(SessionSlot(row["starts_at"], row["ends_at"]))
        series = tuple(
            Series(
                r["key"],
                r["title"],
                r["theme"],
                cast(Policy, r["policy"]),
                bool(r["one_team_per_series"]),
                cast(Format, r["format"]),
                r["presenters_per_session"],
            )
            for r in series_rows
        )
        sets = tuple(
            SetDef(
                r["key"],
                r["series_key"],
                r["name"],
                tuple(slots.get(r["key"], [])),
                tuple(r["facilitators"]),
                int(r["capacity"]),
                cast(BookingState, r["booking"]),
                DeadlineRule(**r["deadline"]),
            )
            for r in set_rows
        )
        domains = (
            await conn.execute(sa.select(t.setting.c.value).where(t.setting.c.key == ALLOWED_DOMAINS))
        ).first()
        return Programme(series, sets, tuple(domains[0]) if domains else ())

    async def save_programme(self, programme: Programme, now: datetime) -> ProgrammeSaved:
        base = cast(_Base, self)
        self._forget_programme()
        created: list[str] = []
        updated: list[str] = []
        resizes: list[tuple[str, str, int]] = []
        async with base.write() as conn:
            current = await self._programme_in(conn)
            domains = list(programme.allowed_domains)
            if domains != list(current.allowed_domains):
                stmt = base._insert(t.setting).values(key=ALLOWED_DOMAINS, value=domains)
                await conn.execute(
                    stmt.on_conflict_do_update(index_elements=["key"], set_={"value": domains})
                )
                updated.append(ALLOWED_DOMAINS)
            for series in programme.series:
                values = {
                    "title": series.title,
                    "theme": series.theme,
                    "policy": series.policy,
                    "one_team_per_series": series.one_team_per_series,
                    "format": series.format,
                    "presenters_per_session": series.presenters_per_session,
                }
                old = current.series_by_key(series.key)
                if old is None:
                    await conn.execute(t.series.insert().values(key=series.key, updated_at=now, **values))
                    created.append(series.key)
                elif old != series:
                    await conn.execute(
                        t.series.update().where(t.series.c.key == series.key).values(updated_at=now, **values)
                    )
                    updated.append(series.key)
            for set_def in programme.sets:
                old_set = current.set_by_key(set_def.key)
                values = {
                    "series_key": set_def.series_key,
                    "name": set_def.name,
                    "facilitators": list(set_def.facilitators),
                    "deadline": _deadline_json(set_def.deadline),
                }
                if old_set is None:
                    # The file's booking state and capacity apply when a set is created; after that,
                    # admins open and close booking, and a capacity change goes through the rules.
                    await conn.execute(
                        t.set_def.insert().values(
                            key=set_def.key,
                            capacity=set_def.capacity,
                            booking=set_def.booking,
                            updated_at=now,
                            **values,
                        )
                    )
                    created.append(set_def.key)
                else:
                    unchanged = (
                        old_set.series_key,
                        old_set.name,
                        old_set.facilitators,
                        old_set.deadline,
                        old_set.sessions,
                    ) == (
                        set_def.series_key,
                        set_def.name,
                        set_def.facilitators,
                        set_def.deadline,
                        set_def.sessions,
                    )
                    if not unchanged:
                        await conn.execute(
                            t.set_def.update()
                            .where(t.set_def.c.key == set_def.key)
                            .values(updated_at=now, **values)
                        )
                    if old_set.capacity != set_def.capacity:
                        resizes.append((set_def.series_key, set_def.key, set_def.capacity))
                    if not unchanged or old_set.capacity != set_def.capacity:
                        updated.append(set_def.key)
                if old_set is None or old_set.sessions != set_def.sessions:
                    # Updated in place, never deleted and re-made: a session keeps its Teams meeting,
                    # and a moved time is what `als meetings sync` then moves the event to.
                    slot = t.session_slot
                    count = len(set_def.sessions)
                    await conn.execute(
                        slot.delete().where(slot.c.set_key == set_def.key, slot.c.number > count)
                    )
                    for number, session in enumerate(set_def.sessions, start=1):
                        times = {"starts_at": session.start_utc, "ends_at": session.end_utc}
                        stmt = base._insert(slot).values(set_key=set_def.key, number=number, **times)
                        await conn.execute(
                            stmt.on_conflict_do_update(index_elements=["set_key", "number"], set_=times)
                        )
        self._forget_programme()
        return ProgrammeSaved(tuple(created), tuple(updated), resizes=tuple(resizes))

    async def _series_sets(
        self, conn: AsyncConnection, series_key: str
    ) -> tuple[Any, tuple[SetState, ...], dict[str, int]]:
        query = sa.select(t.series).where(t.series.c.key == series_key)
        series = (await conn.execute(query)).mappings().one_or_none()
        if series is None:
            raise KeyError(series_key)
        first = (
            sa.select(t.session_slot.c.set_key, sa.func.min(t.session_slot.c.starts_at).label("first"))
            .group_by(t.session_slot.c.set_key)
            .subquery()
        )
        set_rows = (
            (
                await conn.execute(
                    sa.select(t.set_def, first.c.first)
                    .join(first, first.c.set_key == t.set_def.c.key)
                    .where(t.set_def.c.series_key == series_key)
                    .order_by(t.set_def.c.key)
                )
            )
            .mappings()
            .all()
        )
        sets = tuple(
            SetState(
                r["key"],
                r["name"],
                int(r["capacity"]),
                cast(BookingState, r["booking"]),
                r["first"],
                DeadlineRule(**r["deadline"]),
            )
            for r in set_rows
        )
        return series, sets, {r["key"]: int(r["version"]) for r in set_rows}

    async def _arrivals(self, conn: AsyncConnection, series_key: str) -> int:
        # The unique index on (series_key, accepted_seq) answers this without a scan.
        last = await conn.scalar(
            sa.select(sa.func.max(t.team.c.accepted_seq)).where(t.team.c.series_key == series_key)
        )
        return int(last or 0)

    async def _load_book(self, conn: AsyncConnection, series_key: str, scope: BookScope | None) -> BookSlice:
        series, sets, versions = await self._series_sets(conn, series_key)
        in_series = t.team.c.series_key == series_key
        if scope is None:
            teams = await self._teams_where(conn, in_series)
            book = Book(series_key, cast(Policy, series["policy"]), bool(series["one_team_per_series"]),
                        sets, tuple(teams))
            return BookSlice(book, versions)
        active = t.team.c.status.in_(ACTIVE)
        o = t.officer
        officers = sa.or_(
            o.c.email.in_(sorted(scope.emails)), o.c.aad_object_id.in_(sorted(scope.aad_ids))
        )
        wanted = sa.or_(
            sa.and_(t.team.c.council.in_(sorted(scope.councils)), active),
            t.team.c.idempotency_key.in_(sorted(scope.idempotency_keys)),
            sa.and_(t.team.c.team_id.in_(sa.select(o.c.team_id).where(officers)), active),
        )
        teams = await self._teams_where(conn, sa.and_(in_series, wanted))
        counted = (
            await conn.execute(
                sa.select(t.team.c.set_key, t.team.c.status, sa.func.count())
                .where(t.team.c.set_key.in_([st.key for st in sets]), active)
                .group_by(t.team.c.set_key, t.team.c.status)
            )
        ).all()
        totals = {(k, status): int(n) for k, status, n in counted}
        unloaded: dict[str, Tally] = {}
        for set_state in sets:
            held = [team for team in teams if team.set_key == set_state.key]
            unloaded[set_state.key] = Tally(
                totals.get((set_state.key, "confirmed"), 0) - sum(x.status == "confirmed" for x in held),
                totals.get((set_state.key, "waitlisted"), 0) - sum(x.status == "waitlisted" for x in held),
            )
        ahead: dict[str, int] = {}
        for team in teams:
            if team.status != "waitlisted":
                continue
            before = await conn.scalar(
                sa.select(sa.func.count()).where(
                    t.team.c.set_key == team.set_key,
                    t.team.c.status == "waitlisted",
                    t.team.c.accepted_seq < team.accepted_seq,
                )
            )
            held_before = sum(
                1 for x in teams
                if (x.set_key, x.status) == (team.set_key, "waitlisted")
                and x.accepted_seq < team.accepted_seq
            )
            ahead[team.team_id] = int(before or 0) - held_before
        book = Book(
            series_key, cast(Policy, series["policy"]), bool(series["one_team_per_series"]), sets,
            tuple(teams), unloaded=unloaded, ahead=ahead, arrivals=await self._arrivals(conn, series_key),
        )
        return BookSlice(book, versions)

    async def _teams_where(self, conn: AsyncConnection, condition: Any) -> list[Team]:
        team_rows = (
            (await conn.execute(sa.select(t.team).where(condition).order_by(t.team.c.accepted_seq)))
            .mappings()
            .all()
        )
        if not team_rows:
            return []
        ids = [r["team_id"] for r in team_rows]
        officers: dict[str, list[Officer]] = {}
        for r in (
            await conn.execute(
                sa.select(t.officer).where(t.officer.c.team_id.in_(ids)).order_by(t.officer.c.position)
            )
        ).mappings():
            officers.setdefault(r["team_id"], []).append(
                Officer(r["email"], r["name"], r["role"], r["aad_object_id"], r["committed_at"])
            )
        return [
            Team(
                r["team_id"],
                r["set_key"],
                r["council"],
                r["council_name"],
                tuple(officers.get(r["team_id"], [])),
                int(r["accepted_seq"]),
                r["accepted_at"],
                cast(TeamStatus, r["status"]),
                r["idempotency_key"],
                r["placed_at"],
                r["deadline"],
                r["reminded_at"],
                r["ended_at"],
            )
            for r in team_rows
        ]

    async def book(self, series_key: str) -> Book:
        async with cast(_Base, self).read() as conn:
            return (await self._load_book(conn, series_key, None)).book

    async def load_book(self, series_key: str, scope: BookScope | None = None) -> BookSlice:
        async with cast(_Base, self).read() as conn:
            return await self._load_book(conn, series_key, scope)

    async def booking_tallies(self) -> dict[str, Tally]:
        async with cast(_Base, self).read() as conn:
            rows = (
                await conn.execute(
                    sa.select(t.team.c.set_key, t.team.c.status, sa.func.count())
                    .where(t.team.c.status.in_(ACTIVE))
                    .group_by(t.team.c.set_key, t.team.c.status)
                )
            ).all()
        counts: dict[str, dict[str, int]] = {}
        for set_key, status, n in rows:
            counts.setdefault(set_key, {})[status] = int(n)
        return {k: Tally(v.get("confirmed", 0), v.get("waitlisted", 0)) for k, v in counts.items()}

    async def save_book(
        self, before: BookSlice, after: BookSlice, notices: Sequence[Notice], now: datetime
    ) -> bool:
        base = cast(_Base, self)
        try:
            async with base.write() as conn:
                await self._save_book(conn, before, after)
                await self._add_challenges(conn, after.challenges, now)
                await base.enqueue_in(conn, list(notices), now)
        except (_Overtaken, sa.exc.IntegrityError):
            # Another decision saved first (a set's version moved on, or an arrival number, a
            # council's or an officer's claim was taken): nothing was written.
            return False
        if before.book.sets != after.book.sets:
            self._forget_programme()  # booking opened, closed or resized: after the commit
        return True

    async def _save_book(self, conn: AsyncConnection, before: BookSlice, after: BookSlice) -> None:
        old_teams = {team.team_id: team for team in before.book.teams}
        book = after.book
        new = [team for team in book.teams if team.team_id not in old_teams]
        changed = [x for x in book.teams if x.team_id in old_teams and old_teams[x.team_id] != x]
        old_sets = {s.key: (s.booking, s.capacity) for s in before.book.sets}
        resized = [s for s in book.sets if old_sets.get(s.key, (s.booking, s.capacity)) != (s.booking,
                                                                                      s.capacity)]
        touched = sorted({team.set_key for team in (*new, *changed)} | {s.key for s in resized})
        # The guarantee of capacity and order: a set's version moves on with every saved decision
        # that touches it, and this save only goes ahead on the version it was decided on. In
        # PostgreSQL the row stays locked until commit, so a rival's update waits, then misses.
        # Sets are taken in key order, so two saves never wait on each other in a cycle.
        values = {s.key: {"booking": s.booking, "capacity": s.capacity} for s in resized}
        for set_key in touched:
            result = await conn.execute(
                t.set_def.update()
                .where(t.set_def.c.key == set_key, t.set_def.c.version == before.versions.get(set_key, -1))
                .values(version=t.set_def.c.version + 1, **values.get(set_key, {}))
            )
            if result.rowcount != 1:
                raise _Overtaken(set_key)
        for team in changed:
            old = old_teams[team.team_id]
            await conn.execute(
                t.team.update().where(t.team.c.team_id == team.team_id).values(**_team_values(book, team))
            )
            if old.officers != team.officers:
                await conn.execute(t.officer.delete().where(t.officer.c.team_id == team.team_id))
                await conn.execute(t.officer.insert(), _officer_rows(book, team))
            elif old.active != team.active:
                for row in _officer_rows(book, team):
                    await conn.execute(
                        t.officer.update()
                        .where(t.officer.c.team_id == team.team_id, t.officer.c.email == row["email"])
                        .values(claim=row["claim"])
                    )
        # New teams last: a team withdrawn in the same batch gives up its claims first.
        if new:
            await conn.execute(t.team.insert(), [_team_values(book, team) for team in new])
            await conn.execute(t.officer.insert(), [row for team in new for row in _officer_rows(book, team)])

    async def _add_challenge(self, conn: AsyncConnection, record: ChallengeRecord, now: datetime) -> None:
        await self._add_challenges(conn, [record], now)

    async def _add_challenges(
        self, conn: AsyncConnection, records: Sequence[ChallengeRecord], now: datetime
    ) -> None:
        """The batch's challenge versions in two statements: each officer's latest, then the new ones."""
        if not records:
            return
        c = t.challenge_version
        pairs = sorted({(r.set_key, r.officer_email) for r in records})
        rows = (
            await conn.execute(
                sa.select(c.c.set_key, c.c.officer_email, c.c.number, c.c.title, c.c.text, c.c.answers)
                .where(sa.tuple_(c.c.set_key, c.c.officer_email).in_(pairs))
                .order_by(c.c.number)
            )
        ).all()
        latest: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {
            (r.set_key, r.officer_email): (int(r.number), (r.title, r.text, tuple(r.answers))) for r in rows
        }
        new: list[dict[str, Any]] = []
        for record in records:
            pair = (record.set_key, record.officer_email)
            content = (record.title, record.text, record.answers)
            known = latest.get(pair)
            if known is not None and known[1] == content:
                continue  # the same challenge again is not a new version
            number = 1 if known is None else known[0] + 1
            latest[pair] = (number, content)
            new.append({"set_key": record.set_key, "officer_email": record.officer_email, "number": number,
                        "title": record.title, "text": record.text, "answers": list(record.answers),
                        "created_at": now})
        if new:
            await conn.execute(c.insert(), new)

    async def latest_challenge(self, set_key: str, officer_email: str) -> ChallengeRecord | None:
        c = t.challenge_version
        async with cast(_Base, self).read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(c)
                        .where(c.c.set_key == set_key, c.c.officer_email == officer_email)
                        .order_by(c.c.number.desc())
                        .limit(1)
                    )
                )
                .mappings()
                .one_or_none()
            )
        if row is None:
            return None
        return ChallengeRecord(
            row["set_key"], row["officer_email"], row["title"], row["text"], tuple(row["answers"])
        )

    async def teams_of(self, who: Who) -> list[Team]:
        conditions = []
        if who.aad_object_id:
            conditions.append(t.officer.c.aad_object_id == who.aad_object_id)
        if who.email:
            conditions.append(t.officer.c.email == who.email.strip().lower())
        if not conditions:
            return []
        async with cast(_Base, self).read() as conn:
            ids = sa.select(t.officer.c.team_id).where(sa.or_(*conditions))
            teams = await self._teams_where(conn, t.team.c.team_id.in_(ids))
        # An e-mail match is only trusted where the officer has no object id bound to someone else.
        return [team for team in teams if team.officer(who) is not None]

    async def series_of_team(self, team_id: str) -> str | None:
        async with cast(_Base, self).read() as conn:
            row = (
                await conn.execute(sa.select(t.team.c.series_key).where(t.team.c.team_id == team_id))
            ).first()
        return None if row is None else str(row[0])
