"""Between sessions in the SQL store: how notices went out, session reminders, challenge versions,
deep-dive topics. Mixed into SqlStore before BookingQueries, whose programme loading it extends
with the reminder lead times (kept apart, read by the reminder sweep alone, so that the booking
path's `programme()` costs no extra query)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.programme import Programme
from bot.rules.reminders import Slot, first_state
from bot.store import tables as t
from bot.store.base import (
    ChallengeRecord,
    Notice,
    NoticeStatus,
    Pending,
    ProgrammeSaved,
    ReminderCandidate,
    Topic,
)
from bot.store.sql_booking import BookingQueries, _Base

TOPIC_MAX = 200


def notice_kind(notice: Notice) -> str:
    """What a notice is: named in its body by the code that made it, else its de-duplication key's
    first word (e.g. "promoted"), else a plain "message"."""
    named = notice.body.get("kind")
    if isinstance(named, str) and named:
        return named[:40]
    if notice.dedupe_key:
        return notice.dedupe_key.split(":", 1)[0][:40]
    return "message"


def _scope(kind: str, key: str) -> str:
    return f"{kind}:{key}"


class BetweenQueries(BookingQueries):
    """Relies on SqlStore's transactions and dialect helpers, like the other query mixins."""

    # Programme: the reminder lead times ride along with the series and sets -------------------

    async def save_programme(self, programme: Programme, now: datetime) -> ProgrammeSaved:
        saved = await super().save_programme(programme, now)
        base = cast(_Base, self)
        rows = [(_scope("series", s.key), s.reminders) for s in programme.series]
        rows += [(_scope("set", s.key), s.reminders) for s in programme.sets]
        lead = t.reminder_lead
        async with base.write() as conn:
            for scope, minutes in rows:
                if minutes is None:
                    # Taken out of the file: back to the default (or the series').
                    await conn.execute(lead.delete().where(lead.c.scope == scope))
                    continue
                stmt = base._insert(lead).values(scope=scope, minutes=list(minutes), updated_at=now)
                await conn.execute(stmt.on_conflict_do_update(
                    index_elements=["scope"], set_={"minutes": list(minutes), "updated_at": now}))
        return saved

    async def reminder_leads(self) -> dict[str, tuple[int, ...]]:
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(t.reminder_lead))).all()
        return {r.scope: tuple(int(m) for m in r.minutes) for r in rows}

    # Delivery ---------------------------------------------------------------------------------

    async def claim_email(self, notice_id: int, now: datetime, reason: str) -> bool:
        o = t.outbox
        async with cast(_Base, self).write() as conn:
            result = await conn.execute(
                o.update().where(o.c.id == notice_id, o.c.email_claimed_at.is_(None), o.c.sent_at.is_(None))
                .values(email_claimed_at=now, last_error=reason[:200]))
        return bool(result.rowcount == 1)

    async def release_email(self, notice_id: int) -> None:
        o = t.outbox
        async with cast(_Base, self).write() as conn:
            await conn.execute(o.update().where(o.c.id == notice_id).values(email_claimed_at=None))

    async def notice_failed(self, notice_id: int, reason: str, now: datetime,
                            retry_at: datetime | None) -> None:
        o = t.outbox
        values: dict[str, Any] = {"status": "failed", "status_at": now, "last_error": reason[:200]}
        # No retry: leave it due in a hundred years, so that it stays listed but is never taken.
        values["due_at"] = retry_at if retry_at is not None else now + timedelta(days=36500)
        async with cast(_Base, self).write() as conn:
            await conn.execute(o.update().where(o.c.id == notice_id, o.c.sent_at.is_(None)).values(**values))

    async def report_failures(self, now: datetime,
                              build: Callable[[list[NoticeStatus]], list[Notice]]) -> int:
        o = t.outbox
        base = cast(_Base, self)
        pick = (sa.select(o).where(o.c.status == "failed", o.c.sent_at.is_(None), o.c.reported_at.is_(None),
                                   o.c.kind != "undelivered")
                .order_by(o.c.id).limit(200))
        # Asked every courier round: look without the write lock first (SQLite has one writer).
        async with base.read() as conn:
            if (await conn.execute(pick.with_only_columns(o.c.id).limit(1))).first() is None:
                return 0
        if base.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        async with base.write() as conn:
            rows = (await conn.execute(pick)).mappings().all()
            if not rows:
                return 0
            statuses = await self._statuses(conn, rows)
            await base.enqueue_in(conn, build(statuses), now)
            await conn.execute(o.update().where(o.c.id.in_([r["id"] for r in rows])).values(reported_at=now))
        return len(rows)

    async def _statuses(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[NoticeStatus]:
        """The rows as the programme team sees them, in a fixed number of queries whatever their count."""
        if not rows:
            return []
        sets = {str(k) for (k,) in (await conn.execute(sa.select(t.set_def.c.key))).all()}
        teams = {str(team): str(key) for team, key in (await conn.execute(
            sa.select(t.team.c.team_id, t.team.c.set_key))).all()}
        users = {r["recipient"] for r in rows if str(r["recipient"]).startswith("user:")}
        emails: dict[str, str] = {}
        if users:
            ids = [u.removeprefix("user:") for u in users]
            for aad, email in (await conn.execute(sa.select(t.officer.c.aad_object_id, t.officer.c.email)
                                                  .where(t.officer.c.aad_object_id.in_(ids)))).all():
                emails[f"user:{aad}"] = str(email)
            c = t.conversation_ref
            for key, email in (await conn.execute(sa.select(c.c.key, c.c.email)
                                                  .where(c.c.key.in_(users)))).all():
                if email:
                    emails[str(key)] = str(email)

        def set_of(row: Any) -> str | None:
            if row["set_key"]:
                return str(row["set_key"])
            # Older notices name no set: find it from the set key or team id in their key.
            for part in str(row["dedupe_key"] or "").split(":")[1:3]:
                if part in sets:
                    return part
                if part in teams:
                    return teams[part]
            return None

        result = []
        for row in rows:
            recipient = str(row["recipient"])
            person = recipient.partition(":")[2].lower() if recipient.startswith("email:") else emails.get(
                recipient, recipient)
            at = row["status_at"] or row["sent_at"] or row["created_at"]
            result.append(NoticeStatus(row["id"], person, row["kind"] or "message", set_of(row),
                                       row["status"] or "pending", at, row["last_error"]))
        return result

    async def notice_statuses(self, set_key: str | None = None, *, everything: bool = False,
                              limit: int = 500) -> list[NoticeStatus]:
        o = t.outbox
        query = sa.select(o).order_by(o.c.id.desc()).limit(limit * 4 if set_key else limit)
        if not everything:
            query = query.where(o.c.status != "teams", ~o.c.recipient.startswith("chat:"))
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(query)).mappings().all()
            statuses = await self._statuses(conn, rows)
        if set_key is not None:
            statuses = [s for s in statuses if s.set_key == set_key]
        return statuses[:limit]

    async def email_of(self, recipient: str) -> str | None:
        async with cast(_Base, self).read() as conn:
            return await self._email_in(conn, recipient)

    async def _email_in(self, conn: AsyncConnection, recipient: str) -> str | None:
        kind, _, value = recipient.partition(":")
        if kind == "email":
            return value.lower()
        if kind != "user":
            return None
        known = (await conn.execute(
            sa.select(t.conversation_ref.c.email).where(t.conversation_ref.c.key == recipient))).first()
        if known is not None and known[0]:
            return str(known[0])
        officer = (await conn.execute(
            sa.select(t.officer.c.email).where(t.officer.c.aad_object_id == value).limit(1))).first()
        return None if officer is None else str(officer[0])

    async def notice_context(self, notice: Pending) -> dict[str, str]:
        parts = [str(notice.body.get("set") or ""), *str(notice.dedupe_key or "").split(":")[1:3]]
        async with cast(_Base, self).read() as conn:
            for part in (p for p in parts if p):
                team = (await conn.execute(sa.select(t.team.c.set_key, t.team.c.council_name)
                                           .where(t.team.c.team_id == part))).first()
                set_key = str(team[0]) if team is not None else part
                found = (await conn.execute(sa.select(t.set_def.c.name, t.series.c.title)
                                            .join(t.series, t.series.c.key == t.set_def.c.series_key)
                                            .where(t.set_def.c.key == set_key))).first()
                if found is not None:
                    name, series = str(found[0]), str(found[1])
                    title = name if name.lower().startswith(series.lower()) else f"{series}: {name}"
                    context = {"set": title}
                    if team is not None:
                        context["council"] = str(team[1])
                    return context
        return {}

    async def any_service_url(self, tenant_id: str | None = None) -> str | None:
        c = t.conversation_ref
        query = sa.select(c.c.service_url).where(c.c.kind == "personal")
        if tenant_id:
            query = query.where(c.c.tenant_id == tenant_id)
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(query.order_by(c.c.updated_at.desc()).limit(1))).first()
        return None if row is None else str(row[0])

    # Session reminders ------------------------------------------------------------------------

    async def claim_reminders(self, set_key: str, candidates: Sequence[ReminderCandidate], now: datetime,
                              grace: timedelta) -> list[ReminderCandidate]:
        base = cast(_Base, self)
        r = t.session_reminder
        Key = tuple[str, int, datetime, int, str]

        def key(c: ReminderCandidate) -> Key:
            return c.set_key, c.number, c.starts_at, c.lead_minutes, c.officer_email

        def where(k: Key) -> Any:
            return sa.and_(r.c.set_key == k[0], r.c.session_number == k[1], r.c.starts_at == k[2],
                           r.c.lead_minutes == k[3], r.c.officer_email == k[4])

        wanted = {key(c): c for c in candidates}
        sent: list[ReminderCandidate] = []
        # Most minutes nothing is new, due or dropped: find that out without taking the write lock.
        async with base.read() as conn:
            kept = {(x.set_key, x.session_number, x.starts_at, x.lead_minutes, x.officer_email):
                    "dropped" if x.reason == "dropped" else x.state
                    for x in (await conn.execute(
                        sa.select(r.c.set_key, r.c.session_number, r.c.starts_at, r.c.lead_minutes,
                                  r.c.officer_email, r.c.state, r.c.reason)
                        .where(r.c.set_key == set_key, r.c.starts_at > now))).all()}
        idle = all(k in kept and kept[k] != "dropped" and (kept[k] != "due" or c.due_at > now)
                   for k, c in wanted.items())
        if idle and all(k in wanted or state != "due" for k, state in kept.items()):
            return sent
        async with base.write() as conn:
            rows = (await conn.execute(
                sa.select(r.c.set_key, r.c.session_number, r.c.starts_at, r.c.lead_minutes,
                          r.c.officer_email, r.c.state, r.c.reason)
                .where(r.c.set_key == set_key, r.c.starts_at > now)
                # One order for every instance, so that two updating the same rows cannot deadlock.
                .order_by(r.c.session_number, r.c.starts_at, r.c.lead_minutes, r.c.officer_email))).all()
            states: dict[Key, str] = {}
            for x in rows:
                k = (x.set_key, x.session_number, x.starts_at, x.lead_minutes, x.officer_email)
                states[k] = x.state
                if k not in wanted and x.state == "due":
                    # Its lead time was taken out, its officer's team withdrew, or its session moved.
                    await conn.execute(r.update().where(where(k), r.c.state == "due")
                                       .values(state="skipped", reason="dropped", decided_at=now))
                elif k in wanted and x.state == "skipped" and x.reason == "dropped":
                    c = wanted[k]
                    slot = Slot(c.set_key, c.number, c.starts_at, c.lead_minutes, c.officer_email, c.due_at)
                    state, reason = first_state(slot, c.placed_at, now)
                    # Wanted again (a lead time put back): due again unless already past.
                    await conn.execute(r.update().where(where(k)).values(state=state, reason=reason,
                                                                           decided_at=now))
                    states[k] = state
            fresh = []
            for k, c in wanted.items():
                if k in states:
                    continue
                slot = Slot(c.set_key, c.number, c.starts_at, c.lead_minutes, c.officer_email, c.due_at)
                state, reason = first_state(slot, c.placed_at, now)
                states[k] = state
                fresh.append({"set_key": c.set_key, "session_number": c.number, "starts_at": c.starts_at,
                              "lead_minutes": c.lead_minutes, "officer_email": c.officer_email,
                              "due_at": c.due_at, "state": state, "reason": reason, "decided_at": now})
            if fresh:
                await conn.execute(base._insert(r).on_conflict_do_nothing(), fresh)
            for k, c in wanted.items():
                if states.get(k) != "due" or c.due_at > now:
                    continue
                done = "skipped" if c.skip or c.notice is None else "sent"
                # Another instance may have taken it since: only the one whose update lands sends it.
                result = await conn.execute(r.update().where(where(k), r.c.state == "due")
                                            .values(state=done, reason=c.skip, decided_at=now))
                if result.rowcount == 1 and done == "sent" and c.notice is not None:
                    await base.enqueue_in(conn, [c.notice], now)
                    sent.append(c)
        return sent

    # Challenges -------------------------------------------------------------------------------

    async def save_challenge(self, record: ChallengeRecord, now: datetime) -> int:
        async with cast(_Base, self).write() as conn:
            await self._add_challenge(conn, record, now)
            return await self._versions_in(conn, record.set_key, record.officer_email)

    async def challenge_versions(self, set_key: str, officer_email: str) -> int:
        async with cast(_Base, self).read() as conn:
            return await self._versions_in(conn, set_key, officer_email)

    @staticmethod
    async def _versions_in(conn: AsyncConnection, set_key: str, officer_email: str) -> int:
        c = t.challenge_version
        value = (await conn.execute(sa.select(sa.func.max(c.c.number)).where(
            c.c.set_key == set_key, c.c.officer_email == officer_email))).scalar_one_or_none()
        return int(value or 0)

    # Deep-dive topics -------------------------------------------------------------------------

    async def propose_topic(self, set_key: str, title: str, by: str, now: datetime) -> int:
        base = cast(_Base, self)
        clean = " ".join(title.split())[:TOPIC_MAX]
        title_key = clean.lower()
        stmt = base._insert(t.topic).values(set_key=set_key, title=clean, title_key=title_key,
                                            proposed_by=by.lower(), created_at=now)
        async with base.write() as conn:
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["set_key", "title_key"]))
            found = (await conn.execute(sa.select(t.topic.c.id).where(
                t.topic.c.set_key == set_key, t.topic.c.title_key == title_key))).scalar_one()
        return int(found)

    async def vote_topic(self, topic_id: int, voter: str, vote: bool, now: datetime) -> bool:
        base = cast(_Base, self)
        v = t.topic_vote
        async with base.write() as conn:
            exists = (await conn.execute(sa.select(t.topic.c.id).where(t.topic.c.id == topic_id))).first()
            if exists is None:
                return False
            if vote:
                stmt = base._insert(v).values(topic_id=topic_id, voter=voter.lower(), voted_at=now)
                await conn.execute(stmt.on_conflict_do_nothing(index_elements=["topic_id", "voter"]))
            else:
                await conn.execute(v.delete().where(v.c.topic_id == topic_id, v.c.voter == voter.lower()))
        return True

    async def topics(self, set_key: str, voter: str | None = None) -> list[Topic]:
        tp, v = t.topic, t.topic_vote
        votes = (sa.select(v.c.topic_id, sa.func.count().label("n")).group_by(v.c.topic_id).subquery())
        query = (sa.select(tp.c.id, tp.c.set_key, tp.c.title, tp.c.proposed_by, tp.c.created_at,
                           sa.func.coalesce(votes.c.n, 0).label("votes"))
                 .select_from(tp.outerjoin(votes, votes.c.topic_id == tp.c.id))
                 .where(tp.c.set_key == set_key))
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(query)).all()
            mine: set[int] = set()
            if voter:
                mine = {int(x[0]) for x in (await conn.execute(sa.select(v.c.topic_id).where(
                    v.c.voter == voter.lower()))).all()}
        topics = [Topic(int(x.id), x.set_key, x.title, int(x.votes), int(x.id) in mine,
                        bool(voter) and x.proposed_by == (voter or "").lower()) for x in rows]
        order = {int(x.id): x.created_at for x in rows}
        return sorted(topics, key=lambda tpc: (-tpc.votes, order[tpc.id], tpc.id))

    async def topic_set(self, topic_id: int) -> str | None:
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(sa.select(t.topic.c.set_key).where(t.topic.c.id == topic_id))).first()
        return None if row is None else str(row[0])
