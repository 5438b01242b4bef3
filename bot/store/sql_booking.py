"""The programme and booking half of the SQL store: series, sets, teams, officers, challenges."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.booking import Book, Effect, Officer, Resize, SetState, Team, TeamStatus, Who, decide
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
from bot.store.base import BookChange, ChallengeRecord, Notice, ProgrammeSaved

ALLOWED_DOMAINS = "allowed_domains"


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


def _team_values(series_key: str, team: Team) -> dict[str, Any]:
    return {
        "team_id": team.team_id,
        "series_key": series_key,
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


def _officer_rows(team: Team) -> list[dict[str, Any]]:
    return [
        {
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

    async def programme(self: _Base) -> Programme:
        async with self.read() as conn:
            return await BookingQueries._programme_in(cast(Any, self), conn)

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
        effects: list[Effect] = []
        for series_key, set_key, capacity in resizes:
            event = Resize(set_key, capacity, now)

            def resize(book: Book, event: Resize = event) -> BookChange:
                after, found = decide(book, event)
                return BookChange(after, found)

            effects.extend((await self.change_book(series_key, resize, now)).effects)
        return ProgrammeSaved(tuple(created), tuple(updated), tuple(effects))

    async def _load_book(self, conn: AsyncConnection, series_key: str, *, lock: bool) -> Book:
        base = cast(_Base, self)
        query = sa.select(t.series).where(t.series.c.key == series_key)
        if lock and base.dialect == "postgresql":
            query = query.with_for_update()
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
        teams = await self._teams_where(conn, t.team.c.series_key == series_key)
        return Book(
            series_key,
            cast(Policy, series["policy"]),
            bool(series["one_team_per_series"]),
            sets,
            tuple(teams),
        )

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
            return await self._load_book(conn, series_key, lock=False)

    async def change_book(
        self, series_key: str, change: Callable[[Book], BookChange], now: datetime
    ) -> BookChange:
        base = cast(_Base, self)
        async with base.write() as conn:
            before = await self._load_book(conn, series_key, lock=True)
            result = change(before)
            await self._save_book(conn, series_key, before, result.book)
            for record in result.challenges:
                await self._add_challenge(conn, record, now)
            await base.enqueue_in(conn, list(result.notices), now)
        return result

    async def _save_book(self, conn: AsyncConnection, series_key: str, before: Book, after: Book) -> None:
        old_teams = {team.team_id: team for team in before.teams}
        for team in after.teams:
            old = old_teams.get(team.team_id)
            if old is None:
                await conn.execute(t.team.insert().values(**_team_values(series_key, team)))
                await conn.execute(t.officer.insert(), _officer_rows(team))
            elif old != team:
                values = _team_values(series_key, team)
                await conn.execute(t.team.update().where(t.team.c.team_id == team.team_id).values(**values))
                if old.officers != team.officers:
                    await conn.execute(t.officer.delete().where(t.officer.c.team_id == team.team_id))
                    await conn.execute(t.officer.insert(), _officer_rows(team))
        old_sets = {s.key: s for s in before.sets}
        for set_state in after.sets:
            old_set = old_sets.get(set_state.key)
            if old_set is not None and (old_set.booking, old_set.capacity) != (
                set_state.booking,
                set_state.capacity,
            ):
                await conn.execute(
                    t.set_def.update()
                    .where(t.set_def.c.key == set_state.key)
                    .values(booking=set_state.booking, capacity=set_state.capacity)
                )

    async def _add_challenge(self, conn: AsyncConnection, record: ChallengeRecord, now: datetime) -> None:
        c = t.challenge_version
        where = (c.c.set_key == record.set_key, c.c.officer_email == record.officer_email)
        latest = (
            (await conn.execute(sa.select(c).where(*where).order_by(c.c.number.desc()).limit(1)))
            .mappings()
            .one_or_none()
        )
        if latest is not None and (latest["title"], latest["text"], tuple(latest["answers"])) == (
            record.title,
            record.text,
            record.answers,
        ):
            return
        number = 1 if latest is None else int(latest["number"]) + 1
        await conn.execute(
            c.insert().values(
                set_key=record.set_key,
                officer_email=record.officer_email,
                number=number,
                title=record.title,
                text=record.text,
                answers=list(record.answers),
                created_at=now,
            )
        )

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
