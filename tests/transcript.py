"""A simulated session in the meeting, end to end through the Teams stand-in, as a text transcript.

`python -m tests.transcript` runs one 3-presenter session with a stepped clock (pass, extend, back,
warnings, actions, reflections) against the real bot with authentication on, prints the cards the
bot sent (chat posts, in-place updates, private messages) as text, and the most messages the bot
sent in any minute of the session. The e2e tests drive the same harness.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.adapter.web import SESSION_TICKER, STORE
from bot.rules import booking as b
from bot.rules.session import SessionState
from bot.store import tables as t
from bot.store.base import BookChange
from bot.store.sql import SqlStore
from cards.format import LONDON
from tests.conftest import RunningBot, start_bot
from tests.programmes import programme
from tests.standins.teams import Call, TeamsStandIn, User

SET = "adaptation-wed"
FACILITATOR = User("f0000000-0000-4000-8000-000000000001", "Fran Facilitator", "facilitator@lga.gov.uk")


def officer(n: int, name: str, council: str) -> User:
    return User(f"0ff1ce00-0000-4000-8000-{n:012d}", name, f"{name.split()[0].lower()}@{council}.gov.uk")


LEEDS = (officer(1, "Alex Leeds", "leeds"), officer(2, "Sam Leeds", "leeds"))
WIGAN = (officer(3, "Kim Wigan", "wigan"),)
BURY = (officer(4, "Jo Bury", "bury"),)
TEAMS = (("leeds", "Leeds City Council", LEEDS), ("wigan", "Wigan Council", WIGAN), ("bury", "Bury Council", BURY))
MEMBER = WIGAN[0]


class Clock:
    """The bot's clock, moved by the test: a session of 90 minutes runs in a second or two."""

    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def first_session_start() -> datetime:
    set_def = programme().set_by_key(SET)
    assert set_def is not None
    return set_def.sessions[0].start_utc


async def book_teams(store: SqlStore, now: datetime) -> dict[str, str]:
    """The programme and three confirmed teams, in booking order; returns council key to team id."""
    await store.save_programme(programme(), now)
    now -= timedelta(days=30)  # booked weeks before the session
    ids: dict[str, str] = {}
    for key, name, users in TEAMS:
        team_id = uuid.uuid4().hex
        ids[key] = team_id
        officers = tuple(b.Officer(u.email, u.name, "sustainability", u.aad_object_id, now) for u in users)
        event = b.Nominate(set_key=SET, team_id=team_id, council=key, council_name=name, officers=officers,
                           idempotency_key=f"{SET}|{key}", by=b.Who(users[0].aad_object_id, users[0].email),
                           at=now)

        def change(book: b.Book, event: b.Nominate = event) -> BookChange:
            after, effects = b.decide(book, event)
            return BookChange(after, effects)

        await store.change_book("adaptation", change, now)
    return ids


# Cards as text -----------------------------------------------------------------------------------

def _element_text(element: dict[str, Any], lines: list[str]) -> None:
    kind = element.get("type")
    if kind == "TextBlock":
        lines.extend(str(element.get("text", "")).replace("\\", "").splitlines())
    elif kind == "FactSet":
        lines.extend(f"  {f['title']}: {f['value']}" for f in element.get("facts", []))
    elif kind == "Container":
        for item in element.get("items", []):
            _element_text(item, lines)
    elif kind == "ActionSet":
        lines.append(" ".join(f"[{a.get('title')}]" for a in element.get("actions", [])))
    elif kind == "Input.Text":
        value = f": {element['value']}" if element.get("value") else ""
        lines.append(f"  <{element.get('label')}{value}>")
    elif kind == "Input.ChoiceSet":
        options = "/".join(str(c["title"]) for c in element.get("choices", []))
        lines.append(f"  <{element.get('label')}: {options}>")


def card_text(card: dict[str, Any]) -> str:
    lines: list[str] = []
    for element in card.get("body", []):
        _element_text(element, lines)
    if card.get("actions"):
        lines.append(" ".join(f"[{a.get('title')}]" for a in card["actions"]))
    return "\n".join(lines)


# The harness -------------------------------------------------------------------------------------

@dataclass
class Meeting:
    bot: RunningBot
    teams: TeamsStandIn
    clock: Clock
    chat: dict[str, Any]
    ids: dict[str, str]
    stamped: list[tuple[datetime, Call]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> SqlStore:
        store = self.bot.app[STORE]
        assert isinstance(store, SqlStore)
        return store

    @property
    def chat_id(self) -> str:
        return str(self.chat["id"])

    async def settle(self) -> None:
        """Wait until the courier has delivered every notice due, then stamp the new calls with
        the session's clock (the time the bot sent them, as far as the session is concerned)."""
        o = t.outbox
        # Undelivered and not failed: queued, or taken by the courier and on its way.
        query = sa.select(sa.func.count()).select_from(o).where(o.c.sent_at.is_(None),
                                                                o.c.last_error.is_(None))
        for _ in range(500):
            async with self.store.read() as conn:
                if (await conn.execute(query)).scalar_one() == 0:
                    break
            await asyncio.sleep(0.01)
        seen = {id(c) for _, c in self.stamped}
        self.stamped += [(self.clock.now, c) for c in list(self.teams.calls) if id(c) not in seen]

    async def say(self, user: User, text: str, *, mention: bool = False) -> None:
        reply = await self.teams.send(self.bot.messages, self.teams.message(user, text, self.chat, mention=mention))
        assert reply.status in (200, 201), reply.body
        await self.settle()

    async def press(self, user: User, verb: str, data: dict[str, Any] | None = None,
                    conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = self.teams.card_action(user, verb, data or {}, conversation or self.chat)
        reply = await self.teams.send(self.bot.messages, activity)
        assert reply.status == 200, reply.body
        await self.settle()
        body: dict[str, Any] = reply.body
        return body

    async def event(self, users: list[User], *, joined: bool) -> None:
        reply = await self.teams.send(self.bot.messages, self.teams.participants(users, self.chat, joined=joined))
        assert reply.status in (200, 201), reply.body
        await self.settle()

    async def tick(self, seconds: float = 0) -> None:
        self.clock.advance(seconds)
        await self.bot.app[SESSION_TICKER].run_once()
        await self.settle()

    async def state(self) -> SessionState:
        run = await self.store.session_run_in_chat(self.chat_id)
        assert run is not None
        return run.state

    async def card_id(self) -> str | None:
        run = await self.store.session_run_in_chat(self.chat_id)
        return None if run is None else run.card_activity_id

    def chat_calls(self) -> list[Call]:
        return self.teams.calls_to(self.chat_id)

    async def session_card(self) -> str:
        """The session card as it stands: the last update of it, or the post that made it."""
        card_id = await self.card_id()
        updates = [c for c in self.chat_calls() if c.method == "PUT" and c.activity_id == card_id]
        if updates:
            return card_text(updates[-1].cards[0])
        posts = [c for c in self.chat_calls() if c.method == "POST" and c.cards
                 and "Running order" in card_text(c.cards[0])]
        return card_text(posts[-1].cards[0])

    def private(self, user: User) -> list[Call]:
        return self.teams.calls_to(self.teams.personal(user)["id"])

    def who(self, conversation_id: str) -> str:
        return self.names.get(conversation_id, conversation_id)

    def transcript(self) -> str:
        out: list[str] = []
        for at, call in self.stamped:
            if call.conversation_id == self.chat_id:
                where = (f"updates card {call.activity_id} in the meeting chat" if call.method == "PUT"
                         else "posts to the meeting chat")
            elif call.conversation_id in self.names:
                where = f"privately to {self.who(call.conversation_id)}"
            else:
                continue
            body = "\n".join(card_text(c) for c in call.cards) or call.text
            indented = "\n".join(f"    {line}" for line in body.splitlines())
            out.append(f"{at.astimezone(LONDON):%H:%M:%S} {where}\n{indented}\n")
        return "\n".join(out)

    def most_per_minute(self, only: Callable[[Call], bool] = lambda call: True) -> int:
        """The most messages the bot sent in any 60 seconds of the session's clock."""
        times = sorted(at for at, call in self.stamped if only(call))
        return max((sum(1 for u in times if s <= u < s + timedelta(minutes=1)) for s in times), default=0)


async def open_meeting(bot: RunningBot, teams: TeamsStandIn, clock: Clock, *, link: bool = True) -> Meeting:
    """Teams booked, everyone's personal chat opened (so private messages can reach them), and the
    meeting chat linked to the set (as Graph would, or as the facilitator does by hand)."""
    store = bot.app[STORE]
    ids = await book_teams(store, clock.now)
    chat = teams.meeting_chat(uuid.uuid4().hex[:8])
    meeting = Meeting(bot, teams, clock, chat, ids)
    for user in (FACILITATOR, *LEEDS, *WIGAN, *BURY):
        meeting.names[teams.personal(user)["id"]] = user.name
        reply = await teams.send(bot.messages, teams.message(user, "help"))
        assert reply.status in (200, 201)
    if link:
        await store.link_chat(chat["id"], SET, FACILITATOR.aad_object_id, clock.now)
    teams.calls.clear()
    return meeting


async def whole_session(m: Meeting) -> None:
    """One session of three presenters: start, warnings, pass, extend, back, actions, reflection."""
    await m.say(FACILITATOR, "start")
    await m.tick(180)  # two minutes of the opening left: warning, and the first presenter is told
    await m.tick(120)  # the opening's time is up
    await m.say(FACILITATOR, "next", mention=True)  # Leeds
    await m.tick(60)
    await m.say(MEMBER, "next")  # not the facilitator: nothing changes
    await m.say(FACILITATOR, "pass")  # Leeds passes; Wigan
    await m.say(FACILITATOR, "extend 3")
    await m.tick(15 * 60)  # into the questions: the card recalls "questions, not advice"
    state = await m.state()
    await m.tick(state.allotted - 15 * 60 - 120)  # two minutes left
    await m.tick(90)  # thirty seconds left
    await m.tick(30)  # time up
    await m.tick(45)  # running over
    await m.say(FACILITATOR, "next")  # Wigan done, asked for actions; Bury
    await m.tick(300)
    await m.press(FACILITATOR, "meeting.back")  # back to Leeds, who passed; Bury comes next
    await m.tick(600)
    await m.say(FACILITATOR, "next")  # Leeds done; Bury again
    await m.tick(900)
    await m.say(FACILITATOR, "next")  # Bury done; the reflection round
    for user in (LEEDS[0], WIGAN[0]):
        await m.press(user, "meeting.reflection", {
            "set_key": SET, "number": "1", "team": f"{user.name.split()[1]} learnt to ask first",
            "individual": "Questions, not advice, is harder than it sounds"}, conversation=m.teams.personal(user))
    await m.tick(300)
    await m.press(FACILITATOR, "meeting.end", {"confirmed": True})  # the confirmation's button


async def main() -> None:
    teams = TeamsStandIn().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            clock = Clock(first_session_start())
            env = {**teams.bot_env(), "DATABASE_URL": f"sqlite:///{Path(folder) / 'als.sqlite3'}",
                   "ALS_SESSION_TICK_SECONDS": "3600"}
            bot = await start_bot(env, clock=clock)
            try:
                meeting = await open_meeting(bot, teams, clock)
                await whole_session(meeting)
                print(meeting.transcript())
                in_chat = meeting.most_per_minute(lambda call: call.conversation_id == meeting.chat_id)
                print(f"Most messages in any minute of the session: {meeting.most_per_minute()} in all, "
                      f"{in_chat} to the meeting chat (Teams allows a bot 60 per 30 seconds per chat).")
            finally:
                await bot.runner.cleanup()
    finally:
        teams.stop()


if __name__ == "__main__":
    asyncio.run(main())
