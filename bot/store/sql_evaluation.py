"""The evaluation half of the SQL store: answers, the pulse, what the sweep sent, and erasure and the
retention purge, which remove personal data and free text but keep the rows that figures count."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.evaluation import Answer
from bot.store import tables as t
from bot.store.base import Notice, Scrubbed
from bot.store.sql_booking import _Base

ERASED = "erased-"
# What stands for a deep-dive topic's title once its proposer is erased or its set purged.
ERASED_TITLE = "[erased]"
# The order in which a summary lists what went (and the admin reads it).
KINDS = (
    "officer records", "challenge versions", "actions' text", "reviews' text", "reflections",
    "evaluation text", "evaluation answers kept anonymously", "pulse answers kept anonymously",
    "session reminders kept anonymously", "topics' titles", "topic votes kept anonymously",
    "apologies' reasons", "attendance records", "conversation references", "meeting presence",
    "invitation lists", "queued or sent messages", "remembered card answers", "team keys",
    "other records",
)
# Tables whose personal data this module removes column by column; any other table is only scanned.
_HANDLED = {
    "officer", "challenge_version", "action_item", "action_review", "reflection", "reflection_sent",
    "reflection_author", "evaluation_answer", "pulse_answer", "apology", "attendance", "conversation_ref",
    "meeting_presence", "session_slot", "outbox", "processed_activity", "team", "meeting_chat",
    "session_reminder", "topic", "topic_vote",
}


def author_hash(author: str) -> str:
    """How a reflection's author is kept beside it: enough to find it for erasure, not to show."""
    return hashlib.sha256(f"reflection-author:{author.strip().lower()}".encode()).hexdigest()


def _answer(row: Any) -> Answer:
    return Answer(int(row.benefit_self), int(row.benefit_team), int(row.benefit_council),
                  int(row.challenge_moved), row.helped, row.change, bool(row.recommend))


class _DryRun(Exception):
    def __init__(self, scrubbed: Scrubbed) -> None:
        self.scrubbed = scrubbed


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int | None) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + int(n)

    def done(self, officers: int, leftovers: Iterable[str] = ()) -> Scrubbed:
        return Scrubbed(tuple((k, self.counts[k]) for k in KINDS if k in self.counts), officers,
                        tuple(sorted(set(leftovers))))


def _strings(value: Any) -> Iterable[str]:
    """Every string in a JSON value, keys included: searched one by one, because JSON's escaping (of
    quotes, new lines, non-ASCII letters) would hide a text from a search of the whole document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _mentions(value: Any, terms: Sequence[str]) -> bool:
    if value is None:
        return False
    text = "\n".join(_strings(value)).lower()
    return any(term in text for term in terms)


async def _changed(conn: AsyncConnection, statement: Any) -> int:
    return int((await conn.execute(statement)).rowcount or 0)


class EvaluationQueries:
    """Mixed into SqlStore."""

    # Answers --------------------------------------------------------------------------------

    async def save_evaluation(self, set_key: str, respondent: str, team_id: str, answer: Answer,
                              now: datetime) -> bool:
        base = cast(_Base, self)
        e = t.evaluation_answer
        values = {"team_id": team_id, "benefit_self": answer.benefit_self,
                  "benefit_team": answer.benefit_team, "benefit_council": answer.benefit_council,
                  "challenge_moved": answer.challenge_moved, "helped": answer.helped,
                  "change": answer.change, "recommend": answer.recommend, "updated_at": now}
        async with base.write() as conn:
            existed = (await conn.execute(sa.select(e.c.respondent).where(
                e.c.set_key == set_key, e.c.respondent == respondent.lower()))).first() is not None
            stmt = base._insert(e).values(set_key=set_key, respondent=respondent.lower(), answered_at=now,
                                          **values)
            await conn.execute(stmt.on_conflict_do_update(index_elements=["set_key", "respondent"],
                                                          set_=values))
        return not existed

    async def evaluation_of(self, set_key: str, respondent: str) -> Answer | None:
        e = t.evaluation_answer
        async with cast(_Base, self).read() as conn:
            row = (await conn.execute(sa.select(e).where(
                e.c.set_key == set_key, e.c.respondent == respondent.lower()))).first()
        return None if row is None else _answer(row)

    async def evaluation_answers(self, set_key: str) -> list[Answer]:
        e = t.evaluation_answer
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(e).where(e.c.set_key == set_key)
                                       .order_by(e.c.answered_at, e.c.respondent))).all()
        return [_answer(r) for r in rows]

    async def evaluation_respondents(self, set_key: str) -> frozenset[str]:
        e = t.evaluation_answer
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(e.c.respondent).where(e.c.set_key == set_key))).scalars()
            return frozenset(str(r) for r in rows)

    async def save_pulse(self, set_key: str, number: int, respondent: str, score: int,
                         now: datetime) -> None:
        base = cast(_Base, self)
        stmt = base._insert(t.pulse_answer).values(set_key=set_key, session_number=number,
                                                   respondent=respondent.lower(), score=score,
                                                   answered_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["set_key", "session_number", "respondent"],
                                          set_={"score": score, "answered_at": now})
        async with base.write() as conn:
            await conn.execute(stmt)

    async def pulse_scores(self, set_key: str) -> dict[int, list[int]]:
        p = t.pulse_answer
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(p.c.session_number, p.c.score)
                                       .where(p.c.set_key == set_key)
                                       .order_by(p.c.session_number, p.c.answered_at))).all()
        scores: dict[int, list[int]] = {}
        for number, score in rows:
            scores.setdefault(int(number), []).append(int(score))
        return scores

    async def claim_sending(self, set_key: str, what: str, notices: Sequence[Notice],
                            now: datetime) -> bool:
        base = cast(_Base, self)
        claim = base._insert(t.evaluation_sent).values(
            set_key=set_key, what=what, sent_at=now, recipients=len(notices),
        ).on_conflict_do_nothing(index_elements=["set_key", "what"])
        async with base.write() as conn:
            # On PostgreSQL a second instance's insert waits for the first's commit, then does nothing.
            if (await conn.execute(claim)).rowcount != 1:
                return False
            await base.enqueue_in(conn, list(notices), now)
        return True

    async def sent_at(self, set_key: str, what: str) -> datetime | None:
        s = t.evaluation_sent
        async with cast(_Base, self).read() as conn:
            value = (await conn.execute(sa.select(s.c.sent_at).where(
                s.c.set_key == set_key, s.c.what == what))).scalar_one_or_none()
        return cast(datetime | None, value)

    async def ended_runs(self) -> frozenset[tuple[str, int]]:
        r = t.session_run
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(r.c.set_key, r.c.number).where(r.c.stage == "ended"))).all()
        return frozenset((str(a), int(b)) for a, b in rows)

    # Erasure and retention -------------------------------------------------------------------

    async def erase_officer(self, email: str, now: datetime, *, dry_run: bool = False) -> Scrubbed:
        base = cast(_Base, self)
        email = email.strip().lower()
        try:
            async with base.write() as conn:
                tally = _Tally()
                o = t.officer
                rows = (await conn.execute(sa.select(o.c.team_id, o.c.name, o.c.aad_object_id)
                                           .where(o.c.email == email))).all()
                refs = (await conn.execute(sa.select(t.conversation_ref.c.key)
                                           .where(t.conversation_ref.c.email == email))).scalars().all()
                ids = {r.aad_object_id for r in rows if r.aad_object_id}
                ids |= {str(k).removeprefix("user:") for k in refs if str(k).startswith("user:")}
                names = {r.name for r in rows if r.name.strip()}
                pseudonym = ERASED + secrets.token_hex(8)
                await self._scrub_person(conn, tally, email, pseudonym, frozenset(ids), frozenset(names),
                                         set_key=None)
                leftovers = await self._leftovers(conn, [email, *ids, *names])
                scrubbed = tally.done(len(rows), leftovers)
                if dry_run:
                    raise _DryRun(scrubbed)
        except _DryRun as rolled_back:
            return rolled_back.scrubbed
        return scrubbed

    async def purge_set(self, set_key: str, now: datetime, *, dry_run: bool = False) -> Scrubbed | None:
        base = cast(_Base, self)
        try:
            async with base.write() as conn:
                claim = base._insert(t.set_purge).values(set_key=set_key, purged_at=now, summary={})
                if await _changed(conn, claim.on_conflict_do_nothing(index_elements=["set_key"])) != 1:
                    return None
                tally = _Tally()
                people = (await conn.execute(
                    sa.select(t.officer.c.email, t.officer.c.name, t.officer.c.aad_object_id)
                    .join(t.team, t.team.c.team_id == t.officer.c.team_id)
                    .where(t.team.c.set_key == set_key, ~t.officer.c.email.startswith(ERASED))
                )).all()
                for person in people:
                    ids = frozenset({person.aad_object_id} if person.aad_object_id else set())
                    names = frozenset({person.name} if person.name.strip() else set())
                    await self._scrub_person(conn, tally, person.email, ERASED + secrets.token_hex(8), ids,
                                             names, set_key=set_key)
                await self._scrub_set(conn, tally, set_key)
                scrubbed = tally.done(len(people))
                await conn.execute(t.set_purge.update().where(t.set_purge.c.set_key == set_key)
                                   .values(summary={"counts": dict(scrubbed.counts),
                                                    "officers": scrubbed.officers}))
                if dry_run:
                    raise _DryRun(scrubbed)
        except _DryRun as rolled_back:
            return rolled_back.scrubbed
        return scrubbed

    async def purged_sets(self) -> dict[str, datetime]:
        p = t.set_purge
        async with cast(_Base, self).read() as conn:
            rows = (await conn.execute(sa.select(p.c.set_key, p.c.purged_at))).all()
        return {str(k): v for k, v in rows}

    async def _scrub_person(self, conn: AsyncConnection, tally: _Tally, email: str, pseudonym: str,
                            ids: frozenset[str], names: frozenset[str], *, set_key: str | None) -> None:
        """Erase one person's data (in `set_key` only, for a retention purge); every row that a figure
        counts stays, under `pseudonym`, with its text emptied."""

        def in_set(table: sa.Table) -> list[Any]:
            return [] if set_key is None else [table.c.set_key == set_key]

        o, tm = t.officer, t.team
        teams_here = sa.select(tm.c.team_id)
        if set_key is not None:
            teams_here = teams_here.where(tm.c.set_key == set_key)
        own_teams = (await conn.execute(
            sa.select(o.c.team_id).where(o.c.email == email, o.c.team_id.in_(teams_here)))).scalars().all()
        # Texts they wrote, read before they go, so that copies in messages and answers go too.
        texts: list[str] = []
        c = t.challenge_version
        for title, text in (await conn.execute(sa.select(c.c.title, c.c.text).where(
                c.c.officer_email == email, *in_set(c)))).all():
            texts += [title, text]
        a = t.action_item
        texts += (await conn.execute(sa.select(a.c.text).where(a.c.officer_email == email,
                                                                *in_set(a)))).scalars()
        ap = t.apology
        texts += (await conn.execute(sa.select(ap.c.reason).where(ap.c.officer_email == email,
                                                                   *in_set(ap)))).scalars()

        tally.add("challenge versions", (await conn.execute(
            c.delete().where(c.c.officer_email == email, *in_set(c)))).rowcount)
        tally.add("actions' text", (await conn.execute(
            a.update().where(a.c.officer_email == email, *in_set(a)).values(text="", officer_email=pseudonym)
        )).rowcount)
        rv = t.action_review
        texts += [x for row in (await conn.execute(sa.select(
            rv.c.worked_well, rv.c.worked_less_well, rv.c.learning).where(
            rv.c.officer_email == email, *in_set(rv)))).all() for x in row]
        tally.add("reviews' text", (await conn.execute(
            rv.update().where(rv.c.officer_email == email, *in_set(rv))
            .values(worked_well="", worked_less_well="", learning="", officer_email=pseudonym))).rowcount)
        authors = [author_hash(x) for x in (email, *ids)]
        ra, rf = t.reflection_author, t.reflection
        mine = sa.select(ra.c.reflection_id).where(ra.c.author_hash.in_(authors))
        theirs = list((await conn.execute(sa.select(rf.c.id).where(rf.c.id.in_(mine),
                                                                   *in_set(rf)))).scalars())
        if theirs:
            await conn.execute(ra.delete().where(ra.c.reflection_id.in_(theirs)))
            tally.add("reflections", (await conn.execute(rf.delete().where(rf.c.id.in_(theirs)))).rowcount)
        rs = t.reflection_sent
        await conn.execute(rs.update().where(rs.c.author.in_([email, *(i.lower() for i in ids)]), *in_set(rs))
                           .values(author=pseudonym))
        e = t.evaluation_answer
        texts += [x for row in (await conn.execute(sa.select(e.c.helped, e.c.change).where(
            e.c.respondent == email, *in_set(e)))).all() for x in row]
        tally.add("evaluation text", (await conn.execute(
            e.update().where(e.c.respondent == email, *in_set(e), sa.or_(e.c.helped != "", e.c.change != ""))
            .values(helped="", change=""))).rowcount)
        tally.add("evaluation answers kept anonymously", (await conn.execute(
            e.update().where(e.c.respondent == email, *in_set(e)).values(respondent=pseudonym))).rowcount)
        p = t.pulse_answer
        tally.add("pulse answers kept anonymously", (await conn.execute(
            p.update().where(p.c.respondent == email, *in_set(p)).values(respondent=pseudonym))).rowcount)
        texts += await self._scrub_between(conn, tally, [email, *(i.lower() for i in ids)], pseudonym,
                                           set_key=set_key)
        tally.add("apologies' reasons", (await conn.execute(
            ap.update().where(ap.c.officer_email == email, *in_set(ap))
            .values(reason="", officer_email=pseudonym))).rowcount)
        at = t.attendance
        tally.add("attendance records", (await conn.execute(
            at.update().where(at.c.subject == f"officer:{email}", *in_set(at))
            .values(subject=f"officer:{pseudonym}", email=pseudonym, name="", reason=None))).rowcount)
        # Someone matched as "other" (e.g. they joined from another account) keeps only their minutes.
        others = (await conn.execute(sa.select(at.c.set_key, at.c.session_number, at.c.subject).where(
            at.c.kind == "other", *in_set(at),
            sa.or_(at.c.email == email, *(at.c.subject.contains(i) for i in ids))))).all()
        for n, row in enumerate(others):
            await conn.execute(at.update().where(
                at.c.set_key == row.set_key, at.c.session_number == row.session_number,
                at.c.subject == row.subject).values(subject=f"other:{pseudonym}-{n}", email=None, name=""))
        tally.add("attendance records", len(others))
        if own_teams:
            tally.add("team keys", (await conn.execute(
                tm.update().where(tm.c.team_id.in_(own_teams)).values(
                    idempotency_key=sa.literal("erased:") + tm.c.team_id))).rowcount)
        tally.add("officer records", (await conn.execute(
            o.update().where(o.c.email == email, o.c.team_id.in_(own_teams))
            # The booking claim ("series:<key>|<email>", bot.store.sql_booking) names them too.
            .values(email=pseudonym, name="", aad_object_id=None,
                    claim=sa.case((o.c.claim.is_(None), None),
                                  else_=sa.literal("erased:") + o.c.team_id + "|" + pseudonym)))).rowcount)

        still_an_officer = (await conn.execute(sa.select(o.c.team_id).where(o.c.email == email))).first()
        if still_an_officer is None:  # in a purge, someone who is in another set is still reachable
            cr = t.conversation_ref
            tally.add("conversation references", (await conn.execute(cr.delete().where(sa.or_(
                cr.c.email == email, cr.c.key.in_([f"user:{i}" for i in ids]))))).rowcount)
            mp = t.meeting_presence
            tally.add("meeting presence", (await conn.execute(mp.delete().where(
                mp.c.member.in_([email, *(i.lower() for i in ids)])))).rowcount)
            mc = t.meeting_chat
            await conn.execute(mc.update().where(mc.c.linked_by.in_([email, *ids]))
                               .values(linked_by="erased"))
        s = t.session_slot
        for row in (await conn.execute(sa.select(s.c.set_key, s.c.number, s.c.attendees)
                                       .where(s.c.attendees.is_not(None), *in_set(s)))).all():
            if email in [str(x).lower() for x in row.attendees]:
                kept = [x for x in row.attendees if str(x).lower() != email]
                await conn.execute(s.update().where(s.c.set_key == row.set_key, s.c.number == row.number)
                                   .values(attendees=kept))
                tally.add("invitation lists", 1)
        if set_key is None:
            tally.add("other records", await self._replace_identity(conn, email, ids, pseudonym))
        # Short texts ("Yes", "None") would match unrelated messages: only distinctive ones are sought.
        terms = [x.lower() for x in (email, *ids, *names) if x and len(x.strip()) >= 3]
        terms += [x.lower() for x in texts if x and len(x.strip()) >= 12]
        await self._drop_mentions(conn, tally, terms, [f"email:{email}", *(f"user:{i}" for i in ids)])

    async def _scrub_between(self, conn: AsyncConnection, tally: _Tally, who: Sequence[str], pseudonym: str,
                             *, set_key: str | None) -> list[str]:
        """What the weeks between sessions (issue 12) kept of the person; returns the texts removed.

        A session reminder's row holds no text, only whom it was for: it stays under the pseudonym, so
        that it is never sent again. A deep-dive topic's title is its proposer's own words, so it goes,
        replaced by "[erased]" rather than deleted: the topic keeps its place and the votes of the
        others stay counted in the report's ranking (what a programme team would expect: one member's
        erasure must not take away what the rest of the set asked for). Their own votes stay counted
        too, anonymously, like their pulse answers. (Refined challenges are challenge versions, and
        action updates are action reviews: both are taken above; notices are taken with the outbox.)"""
        sr, tp, tv = t.session_reminder, t.topic, t.topic_vote
        reminders = sr.update().where(sr.c.officer_email.in_(who)).values(officer_email=pseudonym)
        topics = sa.select(tp.c.id, tp.c.title).where(tp.c.proposed_by.in_(who))
        votes = sa.select(tv.c.topic_id, tv.c.voter).where(tv.c.voter.in_(who)).order_by(tv.c.topic_id)
        if set_key is not None:
            reminders = reminders.where(sr.c.set_key == set_key)
            topics = topics.where(tp.c.set_key == set_key)
            votes = votes.where(tv.c.topic_id.in_(sa.select(tp.c.id).where(tp.c.set_key == set_key)))
        tally.add("session reminders kept anonymously", await _changed(conn, reminders))
        proposed = (await conn.execute(topics)).all()
        for topic_id, _ in proposed:
            await conn.execute(tp.update().where(tp.c.id == topic_id).values(
                title=ERASED_TITLE, title_key=f"{ERASED_TITLE}:{topic_id}", proposed_by=pseudonym))
        tally.add("topics' titles", len(proposed))
        counted: set[int] = set()
        for topic_id, voter in (await conn.execute(votes)).all():
            one = tv.c.topic_id == topic_id, tv.c.voter == voter
            if topic_id in counted:  # the same person under their address and their id: one vote
                await conn.execute(tv.delete().where(*one))
                continue
            counted.add(topic_id)
            await conn.execute(tv.update().where(*one).values(voter=pseudonym))
        tally.add("topic votes kept anonymously", len(counted))
        return [str(title) for _, title in proposed if title != ERASED_TITLE]

    async def _drop_mentions(self, conn: AsyncConnection, tally: _Tally, terms: Sequence[str],
                             recipients: Sequence[str]) -> None:
        """Messages to the person, and messages or remembered card answers that mention them or
        carry their words, are deleted (they were sent already, or must not be now)."""
        ob = t.outbox
        to_them = {x.lower() for x in recipients}
        # A notice's record is its body (the e-mail part included), its key and how it went out.
        gone = [r.id for r in (await conn.execute(
            sa.select(ob.c.id, ob.c.recipient, ob.c.body, ob.c.dedupe_key, ob.c.last_error))).all()
            if str(r.recipient).lower() in to_them or _mentions([r.body, r.dedupe_key, r.last_error], terms)]
        if gone:
            tally.add("queued or sent messages", await _changed(conn, ob.delete().where(ob.c.id.in_(gone))))
        pa = t.processed_activity
        seen = [r.activity_id for r in (await conn.execute(
            sa.select(pa.c.activity_id, pa.c.response).where(pa.c.response.is_not(None)))).all()
            if _mentions(r.response, terms)]
        if seen:
            tally.add("remembered card answers", (await conn.execute(
                pa.update().where(pa.c.activity_id.in_(seen)).values(response=None))).rowcount)

    async def _scrub_set(self, conn: AsyncConnection, tally: _Tally, set_key: str) -> None:
        """What a finished set keeps of anyone, after its officers are scrubbed: nothing typed."""
        rf, ra = t.reflection, t.reflection_author
        ids = (await conn.execute(sa.select(rf.c.id).where(rf.c.set_key == set_key))).scalars().all()
        if ids:
            await conn.execute(ra.delete().where(ra.c.reflection_id.in_(ids)))
            tally.add("reflections", (await conn.execute(rf.delete().where(rf.c.id.in_(ids)))).rowcount)
        c = t.challenge_version
        tally.add("challenge versions", await _changed(conn, c.delete().where(c.c.set_key == set_key)))
        a = t.action_item
        tally.add("actions' text", (await conn.execute(
            a.update().where(a.c.set_key == set_key, a.c.text != "").values(text=""))).rowcount)
        rv = t.action_review
        tally.add("reviews' text", (await conn.execute(
            rv.update().where(rv.c.set_key == set_key,
                              rv.c.learning + rv.c.worked_well + rv.c.worked_less_well != "")
            .values(worked_well="", worked_less_well="", learning=""))).rowcount)
        e = t.evaluation_answer
        tally.add("evaluation text", (await conn.execute(
            e.update().where(e.c.set_key == set_key, sa.or_(e.c.helped != "", e.c.change != ""))
            .values(helped="", change=""))).rowcount)
        at = t.attendance
        others = (await conn.execute(sa.select(at.c.session_number, at.c.subject).where(
            at.c.set_key == set_key, at.c.kind == "other",
            ~at.c.subject.startswith(f"other:{ERASED}")))).all()
        for n, row in enumerate(others):
            await conn.execute(at.update().where(
                at.c.set_key == set_key, at.c.session_number == row.session_number,
                at.c.subject == row.subject,
            ).values(subject=f"other:{ERASED}{secrets.token_hex(4)}-{n}", email=None, name="",
                     tenant_id=None))
        tally.add("attendance records", len(others))
        await self._scrub_set_between(conn, tally, set_key)
        s = t.session_slot
        await conn.execute(s.update().where(s.c.set_key == set_key).values(attendees=[]))
        chats = {str(x) for x in (await conn.execute(sa.select(s.c.chat_id).where(
            s.c.set_key == set_key, s.c.chat_id.is_not(None)))).scalars()}
        chats |= {str(x) for x in (await conn.execute(sa.select(t.meeting_chat.c.chat_id).where(
            t.meeting_chat.c.set_key == set_key))).scalars()}
        if chats:
            mp = t.meeting_presence
            tally.add("meeting presence", await _changed(conn, mp.delete().where(mp.c.chat_id.in_(chats))))

    async def _scrub_set_between(self, conn: AsyncConnection, tally: _Tally, set_key: str) -> None:
        """The set's topics keep their votes but no titles; no reminder or vote keeps whose it was,
        whoever they were (e.g. an officer whose team was withdrawn); the set's notices and how they
        went out are deleted (a year after its last session, none is still to go)."""
        tp, tv, sr, ob = t.topic, t.topic_vote, t.session_reminder, t.outbox
        tally.add("topics' titles", await _changed(conn, tp.update().where(
            tp.c.set_key == set_key, tp.c.title != ERASED_TITLE).values(
            title=ERASED_TITLE, title_key=sa.literal(f"{ERASED_TITLE}:") + sa.cast(tp.c.id, sa.String),
            proposed_by=ERASED + "set")))
        in_set = sa.select(tp.c.id).where(tp.c.set_key == set_key)
        voters = (await conn.execute(sa.select(tv.c.voter).distinct().where(
            tv.c.topic_id.in_(in_set), ~tv.c.voter.startswith(ERASED)))).scalars().all()
        for voter in voters:
            tally.add("topic votes kept anonymously", await _changed(conn, tv.update().where(
                tv.c.topic_id.in_(in_set), tv.c.voter == voter).values(voter=ERASED + secrets.token_hex(8))))
        people = (await conn.execute(sa.select(sr.c.officer_email).distinct().where(
            sr.c.set_key == set_key, ~sr.c.officer_email.startswith(ERASED)))).scalars().all()
        for person in people:
            tally.add("session reminders kept anonymously", await _changed(conn, sr.update().where(
                sr.c.set_key == set_key, sr.c.officer_email == person).values(
                officer_email=ERASED + secrets.token_hex(8))))
        tally.add("queued or sent messages", await _changed(conn, ob.delete().where(ob.c.set_key == set_key)))

    async def _replace_identity(self, conn: AsyncConnection, email: str, ids: frozenset[str],
                                pseudonym: str) -> int:
        """In tables other features add (e.g. who proposed or voted for a topic), a column holding
        exactly the person's address or id gets the pseudonym; anything else is listed as left."""
        changed = 0
        who = [email, *(i.lower() for i in ids)]
        for table in t.metadata.sorted_tables:
            if table.name in _HANDLED:
                continue
            for col in table.columns:
                if isinstance(col.type, sa.String) and not isinstance(col.type, sa.Text | sa.JSON) \
                        and (col.type.length or 320) >= len(pseudonym):
                    changed += await _changed(conn, table.update().where(sa.func.lower(col).in_(who))
                                              .values({col.name: pseudonym}))
        return changed

    async def _leftovers(self, conn: AsyncConnection, terms: Sequence[str]) -> list[str]:
        """Text columns of tables added by other features that still mention the person."""
        wanted = [x.lower() for x in terms if x and len(x.strip()) >= 3]
        found: list[str] = []
        if not wanted:
            return found
        for table in t.metadata.sorted_tables:
            if table.name in _HANDLED:
                continue
            columns = [col for col in table.columns
                       if isinstance(col.type, sa.String | sa.Text | sa.JSON)]
            if not columns:
                continue
            for row in (await conn.execute(sa.select(*columns))).all():
                for col, value in zip(columns, row, strict=True):
                    if _mentions(value, wanted):
                        found.append(f"{table.name}.{col.name}")
        return found
