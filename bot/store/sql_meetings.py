"""The meetings half of the SQL store: each session's Teams meeting, and which chat is which set's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from bot.store import tables as t
from bot.store.base import SessionMeeting
from bot.store.sql_booking import _Base

MEETING_FIELDS = frozenset(
    {
        "event_id",
        "join_url",
        "ical_uid",
        "meeting_id",
        "chat_id",
        "app_installed_at",
        "attendees",
        "scheduled_start",
        "scheduled_end",
    }
)


class MeetingQueries:
    """Mixed into SqlStore."""

    async def session_meetings(self, set_key: str) -> list[SessionMeeting]:
        s = t.session_slot
        async with cast(_Base, self).read() as conn:
            rows = (
                (await conn.execute(sa.select(s).where(s.c.set_key == set_key).order_by(s.c.number)))
                .mappings()
                .all()
            )
        return [
            SessionMeeting(
                set_key=r["set_key"],
                number=int(r["number"]),
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                event_id=r["event_id"],
                join_url=r["join_url"],
                ical_uid=r["ical_uid"],
                meeting_id=r["meeting_id"],
                chat_id=r["chat_id"],
                app_installed_at=r["app_installed_at"],
                attendees=tuple(r["attendees"]) if r["attendees"] is not None else None,
                scheduled_start=r["scheduled_start"],
                scheduled_end=r["scheduled_end"],
            )
            for r in rows
        ]

    async def record_meeting(self, set_key: str, number: int, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - MEETING_FIELDS
        if unknown:
            raise ValueError(f"not a meeting field: {sorted(unknown)}")
        values = {k: list(v) if k == "attendees" and v is not None else v for k, v in changes.items()}
        s = t.session_slot
        async with cast(_Base, self).write() as conn:
            await conn.execute(
                s.update().where(s.c.set_key == set_key, s.c.number == number).values(**values)
            )

    async def link_chat(self, chat_id: str, set_key: str, by: str, now: datetime) -> None:
        base = cast(_Base, self)
        values = {"set_key": set_key, "linked_at": now, "linked_by": by}
        stmt = base._insert(t.meeting_chat).values(chat_id=chat_id, **values)
        async with base.write() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["chat_id"], set_=values))

    async def set_of_chat(self, chat_id: str) -> str | None:
        async with cast(_Base, self).read() as conn:
            linked = (
                await conn.execute(
                    sa.select(t.meeting_chat.c.set_key).where(t.meeting_chat.c.chat_id == chat_id)
                )
            ).first()
            if linked is not None:
                return str(linked[0])
            slot = (
                await conn.execute(
                    sa.select(t.session_slot.c.set_key).where(t.session_slot.c.chat_id == chat_id).limit(1)
                )
            ).first()
        return None if slot is None else str(slot[0])
