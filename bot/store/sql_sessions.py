"""The sessions half of the SQL store: session runs saved by compare-and-set, presence, actions,
reviews and anonymous reflections."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from bot.rules.airtime import AirtimeSettings
from bot.rules.records import (
    MAX_ACTIONS,
    REVIEW_STATUSES,
    ActionItem,
    ActionReview,
    Reflection,
    ReflectionKind,
    ReviewStatus,
    SessionRun,
)
from bot.rules.session import RUNNING, SessionState, card_due
from bot.store import tables as t
from bot.store.base import Notice
from bot.store.sql_booking import _Base
from bot.store.sql_evaluation import author_hash

AIRTIME_KEY = "airtime:"
_RUNNING = [stage.value for stage in RUNNING]


def _run(row: Any) -> SessionRun:
    return SessionRun(
        set_key=row["set_key"],
        number=int(row["number"]),
        chat_id=row["chat_id"],
        state=SessionState.from_dict(row["state"]),
        card_activity_id=row["card_activity_id"],
        updated_at=row["updated_at"],
    )


def _status(value: object) -> ReviewStatus | None:
    return next((s for s in REVIEW_STATUSES if s == value), None)


class SessionQueries:
    """Mixed into SqlStore."""

    async def session_run(self, set_key: str, number: int) -> SessionRun | None:
        r = t.session_run
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(
                sa.select(r).where(r.c.set_key == set_key, r.c.number == number))).mappings().first()
        return None if row is None else _run(row)

    async def session_run_in_chat(self, chat_id: str) -> SessionRun | None:
        r = t.session_run
        running = sa.case((r.c.stage.in_(_RUNNING), 0), else_=1)
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(
                sa.select(r).where(r.c.chat_id == chat_id)
                .order_by(running, r.c.updated_at.desc(), r.c.number.desc()).limit(1)
            )).mappings().first()
        return None if row is None else _run(row)

    async def session_runs_of(self, set_key: str) -> list[SessionRun]:
        r = t.session_run
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(r).where(r.c.set_key == set_key).order_by(r.c.number))).mappings().all()
        return [_run(row) for row in rows]

    async def save_session_run(self, run: SessionRun, expected_version: int | None,
                               notices: list[Notice], now: datetime) -> bool:
        base = cast(_Base, self)
        r = t.session_run
        values = {
            "chat_id": run.chat_id,
            "stage": run.state.stage.value,
            "state": run.state.to_dict(),
            "version": run.state.version,
            "next_due": card_due(run.state),
            "updated_at": now,
        }
        async with base.write() as conn:
            if expected_version is None:
                stmt = base._insert(r).values(set_key=run.set_key, number=run.number, **values)
                result = await conn.execute(
                    stmt.on_conflict_do_nothing(index_elements=["set_key", "number"]))
            else:
                result = await conn.execute(
                    r.update()
                    .where(r.c.set_key == run.set_key, r.c.number == run.number,
                           r.c.version == expected_version)
                    .values(**values)
                )
            if result.rowcount != 1:
                return False
            await base.enqueue_in(conn, notices, now)
        return True

    async def set_session_card(self, set_key: str, number: int, activity_id: str) -> None:
        r = t.session_run
        async with cast(_Base, self).write() as conn:
            await conn.execute(r.update().where(r.c.set_key == set_key, r.c.number == number)
                               .values(card_activity_id=activity_id))

    async def due_session_runs(self, now: datetime, limit: int = 50) -> list[SessionRun]:
        r = t.session_run
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(r).where(r.c.next_due <= now, r.c.stage.in_(_RUNNING))
                .order_by(r.c.next_due).limit(limit)
            )).mappings().all()
        return [_run(row) for row in rows]

    # Who is in the meeting ----------------------------------------------------------------------

    async def set_presence(self, chat_id: str, member: str, in_meeting: bool, now: datetime) -> None:
        base = cast(_Base, self)
        values = {"in_meeting": in_meeting, "updated_at": now}
        stmt = base._insert(t.meeting_presence).values(chat_id=chat_id, member=member.lower(), **values)
        async with base.write() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["chat_id", "member"], set_=values))

    async def presence(self, chat_id: str) -> dict[str, bool]:
        p = t.meeting_presence
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(p.c.member, p.c.in_meeting).where(p.c.chat_id == chat_id))).all()
        return {str(row[0]): bool(row[1]) for row in rows}

    # Timings per series ---------------------------------------------------------------------------

    async def airtime_settings(self, series_key: str) -> AirtimeSettings:
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(
                sa.select(t.setting.c.value).where(t.setting.c.key == AIRTIME_KEY + series_key))).first()
        return AirtimeSettings() if row is None else AirtimeSettings.from_dict(row[0])

    async def save_airtime_settings(self, series_key: str, settings: AirtimeSettings) -> None:
        base = cast(_Base, self)
        value = settings.to_dict()
        stmt = base._insert(t.setting).values(key=AIRTIME_KEY + series_key, value=value)
        async with base.write() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    # Actions and their review -----------------------------------------------------------------------

    async def save_actions(self, set_key: str, team_id: str, number: int, officer_email: str,
                           texts: list[str], now: datetime) -> None:
        a = t.action_item
        kept = [text.strip() for text in texts if text.strip()][:MAX_ACTIONS]
        where = (a.c.set_key == set_key, a.c.team_id == team_id, a.c.session_number == number)
        async with cast(_Base, self).write() as conn:
            await conn.execute(a.delete().where(*where))
            if kept:
                await conn.execute(a.insert(), [
                    {"set_key": set_key, "team_id": team_id, "session_number": number, "position": i,
                     "text": text, "officer_email": officer_email.lower(), "created_at": now}
                    for i, text in enumerate(kept, start=1)
                ])

    async def actions_of(self, set_key: str, team_id: str, number: int) -> list[ActionItem]:
        a = t.action_item
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                sa.select(a.c.position, a.c.text, a.c.status)
                .where(a.c.set_key == set_key, a.c.team_id == team_id, a.c.session_number == number)
                .order_by(a.c.position)
            )).all()
        return [ActionItem(int(row[0]), str(row[1]), _status(row[2])) for row in rows]

    async def save_review(self, set_key: str, team_id: str, number: int, review: ActionReview,
                          officer_email: str, now: datetime) -> None:
        base = cast(_Base, self)
        a, v = t.action_item, t.action_review
        notes = {
            "worked_well": review.worked_well.strip(),
            "worked_less_well": review.worked_less_well.strip(),
            "learning": review.learning.strip(),
            "officer_email": officer_email.lower(),
            "reviewed_at": now,
        }
        stmt = base._insert(v).values(set_key=set_key, team_id=team_id, session_number=number, **notes)
        async with base.write() as conn:
            for position, status in review.statuses:
                await conn.execute(
                    a.update()
                    .where(a.c.set_key == set_key, a.c.team_id == team_id, a.c.session_number == number,
                           a.c.position == position)
                    .values(status=status, reviewed_at=now)
                )
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=["set_key", "team_id", "session_number"], set_=notes))

    async def review_of(self, set_key: str, team_id: str, number: int) -> ActionReview | None:
        v = t.action_review
        async with cast(_Base, self).read() as conn:
            query = sa.select(v).where(
                v.c.set_key == set_key, v.c.team_id == team_id, v.c.session_number == number)
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        items = await self.actions_of(set_key, team_id, number)
        return ActionReview(
            tuple((i.position, i.status) for i in items if i.status is not None),
            row["worked_well"], row["worked_less_well"], row["learning"],
        )

    # Reflections, kept without names -------------------------------------------------------------

    async def add_reflection(self, set_key: str, number: int, author: str,
                             texts: list[tuple[ReflectionKind, str]]) -> bool:
        base = cast(_Base, self)
        sent = base._insert(t.reflection_sent).values(
            set_key=set_key, session_number=number, author=author.lower()
        ).on_conflict_do_nothing(index_elements=["set_key", "session_number", "author"])
        rows = [{"set_key": set_key, "session_number": number, "kind": kind, "text": text.strip()}
                for kind, text in texts if text.strip()]
        async with base.write() as conn:
            if (await conn.execute(sent)).rowcount != 1:
                return False
            if rows:
                ids = (await conn.execute(t.reflection.insert().returning(t.reflection.c.id), rows)).scalars()
                # Kept apart and hashed, only so that `als erase` can find the author's words.
                await conn.execute(t.reflection_author.insert(), [
                    {"reflection_id": i, "author_hash": author_hash(author)} for i in ids])
        return True

    async def reflections(self, set_key: str, number: int) -> list[Reflection]:
        f = t.reflection
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(
                # Sorted by text, not by arrival, so that the order gives no hint of who wrote what.
                sa.select(f.c.kind, f.c.text).where(f.c.set_key == set_key, f.c.session_number == number)
                .order_by(f.c.kind, f.c.text)
            )).all()
        return [Reflection("team" if row[0] == "team" else "individual", str(row[1])) for row in rows]
