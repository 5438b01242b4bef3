"""The authorisation matrix, table-driven: every card verb and typed command × eight kinds of person,
through the real endpoint with authentication on.

In every cell the card data names *this* set, the Leeds team and its officer, whoever sends it:
identity comes from the signed activity only. A cell passes when:
- nothing belonging to others changes (the Leeds team, set A's session, the sets' booking) unless
  the table allows that kind of person to change it (a person's changes to their own team are
  theirs to make);
- nothing confidential of set A (the Leeds team's challenge) reaches a person outside set A, in the
  answer, a reply in their chat, or a notice queued to them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapter.web import STORE
from bot.commands import COMMANDS, Scope
from bot.rules import nomination as n
from bot.rules.booking import Who
from bot.rules.programme import parse_programme
from bot.store import tables as t
from cards.verbs import Verb
from tests.conftest import RunningBot, start_bot
from tests.programmes import YEAR
from tests.sessions import start_session
from tests.standins.teams import TeamsStandIn, User

SECRET = "CONFIDENTIAL-LEEDS-CHALLENGE-7f3a"
PROGRAMME = f"""
allowed_domains: []
series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
sets:
  - key: adapt-a
    series: adaptation
    name: Adaptation A
    booking: open
    facilitators: [fa@lga.gov.uk]
    sessions:
      - {YEAR}-05-05 10:30-12:00
      - {YEAR}-05-19 10:30-12:00
      - {YEAR}-06-02 10:30-12:00
  - key: adapt-b
    series: adaptation
    name: Adaptation B
    booking: open
    facilitators: [fb@lga.gov.uk]
    sessions:
      - {YEAR}-05-06 10:30-12:00
      - {YEAR}-05-20 10:30-12:00
      - {YEAR}-06-03 10:30-12:00
"""


def _user(i: int, name: str, email: str) -> User:
    return User(f"a0000000-0000-4000-8000-{i:012d}", name, email)


PEOPLE = {  # forbidden first, so that an allowed change never hides a forbidden one
    "stranger": _user(1, "Sam Stranger", "sam@nowhere.gov.uk"),
    "officer of another set": _user(2, "Bea Bristol", "bea@bristol.gov.uk"),
    "facilitator of another set": _user(3, "Fran B", "fb@lga.gov.uk"),
    "officer of another team": _user(4, "Yan York", "yan@york.gov.uk"),
    "partner": _user(5, "Pat Leeds", "pat@leeds.gov.uk"),
    "officer": _user(6, "Alex Leeds", "alex@leeds.gov.uk"),
    "facilitator": _user(7, "Fay A", "fa@lga.gov.uk"),
    "admin": _user(8, "Ada Admin", "ada@lga.gov.uk"),
}
IN_SET_A = {"partner", "officer", "officer of another team", "facilitator", "admin"}
RUNS_SESSIONS = {"facilitator", "admin"}
ADMINS = {"admin"}
LEEDS = {"partner", "officer"}

# Who may change what belongs to others (the Leeds team, set A's session, the booking); anything
# else a cell changes must be the sender's own.
MAY_CHANGE: dict[str, set[str]] = {
    **{v.value: RUNS_SESSIONS for v in Verb if v.value.startswith("meeting.")},
    "booking.open": ADMINS, "booking.close": ADMINS, "meetings.create": ADMINS,
    "signup.commit": LEEDS, "withdraw.confirm": LEEDS, "apologies.send": LEEDS,
    "apologies.withdraw": LEEDS,
    # Reflections are anonymous (no team, no author): any member of the set may add one.
    "meeting.reflection": IN_SET_A,
    **{c.name: RUNS_SESSIONS for c in COMMANDS if Scope.PERSONAL not in c.scopes},
}
# Last: the verbs and commands that end something, so the cells before them act on a live set.
LAST = ["withdraw.confirm", "meeting.end", "end", "booking.close"]
VOLATILE = {"processed_activity", "conversation_ref", "outbox", "alembic_version"}


def _form(user: User, council: str, set_key: str, partner: User | None = None) -> dict[str, Any]:
    data = {
        n.SET_KEY: set_key, n.SUBMISSION_ID: f"sub-{user.aad_object_id}", n.COUNCIL: council,
        n.OFFICER_NAME: user.name, n.OFFICER_EMAIL: user.email, n.OFFICER_ROLE: "sustainability",
        n.CHALLENGE_TITLE: "Our challenge",
        n.CHALLENGE_TEXT: SECRET if council.startswith("Leeds") else "Another council's challenge.",
        n.COMMIT: "true", n.GROUND_RULES: "true", **{q: "yes" for q in n.SUITABILITY},
    }
    if partner is not None:
        data.update({n.PARTNER_NAME: partner.name, n.PARTNER_EMAIL: partner.email,
                     n.PARTNER_ROLE: "procurement"})
    return data


@dataclass
class World:
    bot: RunningBot
    chat_a: dict[str, Any]
    leeds_team: str
    own: dict[str, set[str]]  # per kind: the strings that mark a row as the sender's own


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Authorisation does not depend on the database kind (the store tests cover both)."""
    return f"sqlite:///{tmp_path / 'als.sqlite3'}"


@pytest.fixture
async def world(teams: TeamsStandIn, database_url: str) -> AsyncIterator[World]:
    bot = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url,
                           "ALS_ADMINS": PEOPLE["admin"].email})
    try:
        store = bot.app[STORE]
        now = datetime.now(UTC)
        await store.save_programme(parse_programme(PROGRAMME), now)
        for kind, council, set_key, partner in (
            ("officer", "Leeds City Council", "adapt-a", PEOPLE["partner"]),
            ("officer of another team", "York Council", "adapt-a", None),
            ("officer of another set", "Bristol City Council", "adapt-b", None),
        ):
            user = PEOPLE[kind]
            reply = await teams.send(bot.messages, teams.card_action(
                user, "signup.submit", _form(user, council, set_key, partner)))
            assert reply.status == 200, reply.body
        chat_a = teams.meeting_chat("authz-a")
        await store.link_chat(chat_a["id"], "adapt-a", PEOPLE["facilitator"].email, now)
        chat_b = teams.meeting_chat("authz-b")["id"]
        await store.link_chat(chat_b, "adapt-b", PEOPLE["facilitator of another set"].email, now)
        await start_session(bot.messages, teams, PEOPLE["facilitator"], chat_a, store)
        own: dict[str, set[str]] = {}
        leeds = ""
        for kind, user in PEOPLE.items():
            ids = {user.email, user.aad_object_id}
            for team in await store.teams_of(Who(user.aad_object_id, user.email)):
                ids.add(team.team_id)
                if kind == "officer":
                    leeds = team.team_id
            own[kind] = ids
        assert leeds
        # The partner's own rows are the Leeds team's: a change there by the partner is theirs.
        yield World(bot, chat_a, leeds, own)
    finally:
        await bot.runner.cleanup()


async def _rows(bot: RunningBot) -> set[tuple[str, str]]:
    store = bot.app[STORE]
    rows: set[tuple[str, str]] = set()
    async with store.read() as conn:  # type: ignore[attr-defined]
        for table in t.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            for row in (await conn.execute(sa.select(table))).mappings():
                rows.add((table.name, json.dumps(dict(row), default=str, sort_keys=True)))
    return rows


async def _notices_to(bot: RunningBot, user: User, after: int) -> str:
    store = bot.app[STORE]
    o = t.outbox
    async with store.read() as conn:  # type: ignore[attr-defined]
        rows = (await conn.execute(sa.select(o.c.recipient, o.c.body).where(o.c.id > after))).all()
    mine = {f"user:{user.aad_object_id}", f"email:{user.email}"}
    return json.dumps([r.body for r in rows if r.recipient in mine], ensure_ascii=False)


async def _last_notice(bot: RunningBot) -> int:
    async with bot.app[STORE].read() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(sa.select(sa.func.max(t.outbox.c.id)))).scalar() or 0)


@pytest.mark.slow
async def test_only_the_allowed_change_or_see_anything(world: World, teams: TeamsStandIn) -> None:
    bot = world.bot
    cells = 0
    wrong: list[str] = []
    allowed: set[str] = set()
    actions = [("verb", v.value) for v in Verb] + [("command", c.name) for c in COMMANDS]
    actions.sort(key=lambda a: LAST.index(a[1]) + 1 if a[1] in LAST else 0)
    after = await _rows(bot)
    for how, what in actions:
        for kind, user in PEOPLE.items():
            cells += 1
            data = {"set_key": "adapt-a", "team_id": world.leeds_team, "team": world.leeds_team,
                    "officer": PEOPLE["officer"].email, "session": 1, "number": 1, "minutes": 5,
                    **(_form(PEOPLE["officer"], "Leeds City Council", "adapt-a")
                       if what.startswith("signup.") else {}), n.CHALLENGE_TEXT: "A sender's own text."}
            if how == "verb":
                chat = world.chat_a if what.startswith("meeting.") else None
                activity = teams.card_action(user, what, data, chat)
            else:
                command = next(c for c in COMMANDS if c.name == what)
                chat = None if Scope.PERSONAL in command.scopes else world.chat_a
                text = {"extend": "extend 3", "skip": "skip Leeds"}.get(what, what)
                activity = teams.message(user, text, chat, mention=chat is not None)
            before, last_notice, calls = after, await _last_notice(bot), len(teams.calls)
            reply = await teams.send(bot.messages, activity)
            after = await _rows(bot)
            if reply.status >= 500:
                wrong.append(f"{what} by {kind}: HTTP {reply.status}")
                continue
            changed = {row for _, row in before ^ after}
            others = [row for row in changed if not any(mark in row for mark in world.own[kind])]
            if others and kind not in MAY_CHANGE.get(what, set()):
                wrong.append(f"{what} by {kind} changed {others[0][:160]}")
            elif others:
                allowed.add(f"{what} by {kind}")
            seen = json.dumps(reply.body, ensure_ascii=False) + await _notices_to(bot, user, last_notice)
            seen += json.dumps([c.body for c in teams.calls[calls:]], ensure_ascii=False)
            if SECRET in seen and kind not in IN_SET_A:
                wrong.append(f"{what} by {kind} saw set A's challenge")
    print(f"\nauthorisation matrix: {cells} cells ({len(actions)} actions × {len(PEOPLE)} kinds), "
          f"{len(wrong)} wrong; {len(allowed)} allowed cells changed others' state")
    assert wrong == []
    # The matrix is not vacuous: the allowed people could change what the others could not.
    assert {"meeting.next by facilitator", "booking.close by admin"} <= allowed
