"""The attendance half of the SQL store: apologies, each session's attendance, and collection runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.attendance import (
    Apology,
    Member,
    OfficerAttendance,
    OtherAttendee,
    SessionAttendance,
    Status,
    teams_left_out,
)
from bot.store import tables as t
from bot.store.base import CollectionDue, Notice
from bot.store.sql_booking import _Base

OFFICER, OTHER = "officer", "other"


def _apology(row: Any) -> Apology:
    return Apology(row["set_key"], int(row["session_number"]), row["officer_email"], row["team_id"],
                   row["reason"], row["created_at"], row["withdrawn_at"])


class AttendanceQueries:
    """Mixed into SqlStore."""

    async def _members(self, conn: AsyncConnection, set_key: str) -> list[Member]:
        query = (
            sa.select(t.officer.c.email, t.officer.c.name, t.officer.c.aad_object_id, t.team.c.team_id,
                      t.team.c.council_name)
            .join(t.team, t.team.c.team_id == t.officer.c.team_id)
            .where(t.team.c.set_key == set_key, t.team.c.status == "confirmed")
            .order_by(t.team.c.accepted_seq, t.officer.c.position)
        )
        return [Member(r.email, r.name, r.team_id, r.council_name, r.aad_object_id)
                for r in (await conn.execute(query)).all()]

    async def set_members(self, set_key: str) -> list[Member]:
        async with cast(_Base, self).read() as conn:
            return await self._members(conn, set_key)

    async def teams_with_apologies(self, set_key: str, session_number: int) -> frozenset[str]:
        a = t.apology
        async with cast(_Base, self).read() as conn:
            members = await self._members(conn, set_key)
            sent = (await conn.execute(
                sa.select(a.c.officer_email).where(
                    a.c.set_key == set_key, a.c.session_number == session_number,
                    a.c.withdrawn_at.is_(None))
            )).scalars().all()
        by_team: dict[str, list[str]] = {}
        for member in members:
            by_team.setdefault(member.team_id, []).append(member.email)
        return teams_left_out(by_team, sent)

    async def apologies(self, set_key: str) -> list[Apology]:
        a = t.apology
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(a).where(a.c.set_key == set_key).order_by(a.c.session_number, a.c.created_at)
            )).mappings().all()
        return [_apology(r) for r in rows]

    async def save_apology(self, apology: Apology, notices: Sequence[Notice], now: datetime) -> None:
        base = cast(_Base, self)
        values = {"team_id": apology.team_id, "reason": apology.reason, "created_at": apology.created_at,
                  "withdrawn_at": None}
        stmt = base._insert(t.apology).values(
            set_key=apology.set_key, session_number=apology.session_number,
            officer_email=apology.officer_email, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["set_key", "session_number", "officer_email"],
                                          set_=values)
        async with base.write() as conn:
            await conn.execute(stmt)
            await base.enqueue_in(conn, list(notices), now)

    async def withdraw_apology(self, set_key: str, session_number: int, officer_email: str,
                               notices: Sequence[Notice], now: datetime) -> bool:
        base = cast(_Base, self)
        a = t.apology
        async with base.write() as conn:
            result = await conn.execute(
                a.update()
                .where(a.c.set_key == set_key, a.c.session_number == session_number,
                       a.c.officer_email == officer_email, a.c.withdrawn_at.is_(None))
                .values(withdrawn_at=now)
            )
            if result.rowcount != 1:
                return False
            await base.enqueue_in(conn, list(notices), now)
        return True

    async def save_attendance(self, set_key: str, session_number: int, taken: SessionAttendance,
                              reports: Sequence[str], notices: Sequence[Notice], now: datetime) -> None:
        base = cast(_Base, self)
        rows: list[dict[str, Any]] = []
        for o in taken.officers:
            rows.append({
                "subject": f"{OFFICER}:{o.email}", "kind": OFFICER, "email": o.email, "name": o.name,
                "team_id": o.team_id, "council_name": o.council_name, "tenant_id": None, "role": None,
                "status": o.status, "seconds": o.seconds, "first_join": o.first_join,
                "last_leave": o.last_leave, "reason": o.reason, "facilitator": False,
            })
        for other in taken.others:
            rows.append({
                "subject": f"{OTHER}:{other.key}"[:400], "kind": OTHER, "email": other.email,
                "name": other.name[:200], "team_id": None, "council_name": None,
                "tenant_id": other.tenant_id, "role": other.role[:30], "status": None,
                "seconds": other.seconds, "first_join": other.first_join, "last_leave": other.last_leave,
                "reason": None, "facilitator": other.facilitator,
            })
        where = (t.attendance.c.set_key == set_key, t.attendance.c.session_number == session_number)
        run = {"attempts": 1, "last_attempt_at": now, "last_error": None, "collected_at": now,
               "reports": list(reports), "gave_up_at": None}
        upsert = base._insert(t.attendance_collection).values(
            set_key=set_key, session_number=session_number, **run)
        upsert = upsert.on_conflict_do_update(
            index_elements=["set_key", "session_number"],
            set_={k: v for k, v in run.items() if k != "attempts"},
        )
        async with base.write() as conn:
            await conn.execute(t.attendance.delete().where(*where))
            if rows:
                await conn.execute(t.attendance.insert(), [
                    {"set_key": set_key, "session_number": session_number, "collected_at": now, **r}
                    for r in rows
                ])
            await conn.execute(upsert)
            await base.enqueue_in(conn, list(notices), now)

    async def attendance(self, set_key: str) -> dict[int, SessionAttendance]:
        a = t.attendance
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(a).where(a.c.set_key == set_key).order_by(a.c.session_number, a.c.subject)
            )).mappings().all()
        officers: dict[int, list[OfficerAttendance]] = {}
        others: dict[int, list[OtherAttendee]] = {}
        for r in rows:
            number = int(r["session_number"])
            officers.setdefault(number, [])
            others.setdefault(number, [])
            if r["kind"] == OFFICER:
                officers[number].append(OfficerAttendance(
                    r["email"], r["name"], r["team_id"] or "", r["council_name"] or "",
                    cast(Status, r["status"]), int(r["seconds"]), r["first_join"], r["last_leave"],
                    r["reason"]))
            else:
                others[number].append(OtherAttendee(
                    str(r["subject"]).removeprefix(f"{OTHER}:"), r["name"], r["email"], r["tenant_id"],
                    r["role"] or "", int(r["seconds"]), r["first_join"], r["last_leave"],
                    bool(r["facilitator"])))
        return {
            n: SessionAttendance(
                tuple(officers[n]),
                tuple(sorted(others[n], key=lambda o: (not o.facilitator, o.name.lower(), o.key))),
            )
            for n in sorted(officers)
        }

    async def claim_collections(self, now: datetime, *, grace: timedelta, retry: timedelta,
                                wait: timedelta) -> list[CollectionDue]:
        base = cast(_Base, self)
        s, c = t.session_slot, t.attendance_collection
        query = (
            sa.select(s.c.set_key, s.c.number, s.c.meeting_id, s.c.starts_at, s.c.ends_at, c.c.attempts,
                      c.c.last_attempt_at)
            .select_from(s.outerjoin(c, sa.and_(c.c.set_key == s.c.set_key,
                                                c.c.session_number == s.c.number)))
            .where(s.c.meeting_id.is_not(None), s.c.ends_at <= now - grace,
                   c.c.collected_at.is_(None), c.c.gave_up_at.is_(None))
            .order_by(s.c.ends_at)
        )
        due: list[CollectionDue] = []
        async with base.write() as conn:
            for r in (await conn.execute(query)).all():
                give_up = now > r.ends_at + wait
                if r.attempts is None:
                    if give_up:
                        continue  # ended long before anyone looked (e.g. an older database): left alone
                    claimed = await conn.execute(
                        base._insert(c).values(set_key=r.set_key, session_number=r.number, attempts=1,
                                               last_attempt_at=now)
                        .on_conflict_do_nothing(index_elements=["set_key", "session_number"]))
                    attempts = 1
                elif give_up or r.last_attempt_at <= now - retry:
                    # Conditional on what was read, so two instances cannot both take the session.
                    claimed = await conn.execute(
                        c.update()
                        .where(c.c.set_key == r.set_key, c.c.session_number == r.number,
                               c.c.last_attempt_at == r.last_attempt_at, c.c.collected_at.is_(None),
                               c.c.gave_up_at.is_(None))
                        .values(attempts=c.c.attempts + (0 if give_up else 1), last_attempt_at=now,
                                gave_up_at=now if give_up else None))
                    attempts = int(r.attempts) + (0 if give_up else 1)
                else:
                    continue
                if claimed.rowcount == 1:
                    due.append(CollectionDue(r.set_key, int(r.number), r.meeting_id, r.starts_at,
                                             r.ends_at, attempts, give_up))
        return due

    async def collection_failed(self, set_key: str, session_number: int, error: str,
                                notices: Sequence[Notice], now: datetime) -> None:
        base = cast(_Base, self)
        c = t.attendance_collection
        run = {"last_error": error[:200], "last_attempt_at": now}
        stmt = base._insert(c).values(set_key=set_key, session_number=session_number, attempts=1, **run)
        stmt = stmt.on_conflict_do_update(index_elements=["set_key", "session_number"], set_=run)
        async with base.write() as conn:
            await conn.execute(stmt)
            await base.enqueue_in(conn, list(notices), now)
