"""What the session card carries from between sessions, end to end through the Teams stand-in: the
presenters' current challenge titles, the review of the actions from a team's last airtime in the
"a few each session" format (4 teams, 2 presenters a session), the open actions of the teams giving
a short update at the opening, and the review saved before the session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.adapter.web import STORE
from bot.rules import booking as b
from bot.rules.airtime import AirtimePhase
from bot.rules.programme import Programme
from bot.store.base import BookChange, ChallengeRecord
from bot.store.sql import SqlStore
from tests.conftest import RunningBot, start_bot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn, User
from tests.transcript import FACILITATOR, SET, Clock, Meeting, officer

COUNCILS = (("leeds", "Leeds City Council"), ("wigan", "Wigan Council"), ("bury", "Bury Council"),
            ("bolton", "Bolton Council"))
USERS = {key: officer(10 + n, f"Officer {name.split()[0]}", key) for n, (key, name) in enumerate(COUNCILS)}


def few() -> Programme:
    base = programme()
    series = tuple(replace(s, format="few", presenters_per_session=2) if s.key == "adaptation" else s
                   for s in base.series)
    return replace(base, series=series)


def starts() -> list[datetime]:
    set_def = few().set_by_key(SET)
    assert set_def is not None
    return [slot.start_utc for slot in set_def.sessions]


@pytest.fixture
def clock() -> Clock:
    return Clock(starts()[0])


@pytest.fixture
async def bot(teams: TeamsStandIn, database_url: str, clock: Clock) -> AsyncIterator[RunningBot]:
    env = {**teams.bot_env(), "DATABASE_URL": database_url, "ALS_SESSION_TICK_SECONDS": "3600"}
    running = await start_bot(env, clock=clock)
    yield running
    await running.runner.cleanup()


async def book(store: SqlStore, clock: Clock) -> dict[str, str]:
    await store.save_programme(few(), clock.now)
    at = clock.now - timedelta(days=30)
    ids: dict[str, str] = {}
    for key, name in COUNCILS:
        user = USERS[key]
        ids[key] = uuid.uuid4().hex
        event = b.Nominate(SET, ids[key], key, name, (b.Officer(user.email, user.name, "sustainability",
                                                                 user.aad_object_id, at),),
                           f"{SET}|{key}", b.Who(user.aad_object_id, user.email), at)
        challenge = ChallengeRecord(SET, user.email, f"Retrofit in {name.split()[0]}", "Details", ())

        def change(current: b.Book, event: b.Nominate = event,
                   challenge: ChallengeRecord = challenge) -> BookChange:
            after, effects = b.decide(current, event)
            return BookChange(after, effects, challenges=(challenge,))

        await store.change_book("adaptation", change, at)
    return ids


async def end(m: Meeting) -> None:
    await m.press(FACILITATOR, "meeting.end", {"confirmed": True})


async def test_the_card_carries_challenges_open_actions_and_reviews_across_sessions(
    bot: RunningBot, teams: TeamsStandIn, clock: Clock
) -> None:
    store = bot.app[STORE]
    assert isinstance(store, SqlStore)
    ids = await book(store, clock)
    chat = teams.meeting_chat(uuid.uuid4().hex[:8])
    m = Meeting(bot, teams, clock, chat, ids)
    users: list[User] = [FACILITATOR, *USERS.values()]
    for user in users:
        await teams.send(bot.messages, teams.message(user, "help"))
    await store.link_chat(chat["id"], SET, FACILITATOR.aad_object_id, clock.now)
    leeds, wigan = USERS["leeds"], USERS["wigan"]

    # Session 1: Leeds and Wigan present; Bury and Bolton give short updates, with no actions yet.
    await m.say(FACILITATOR, "start")
    card = await m.session_card()
    assert "Retrofit in Leeds" in card and "Retrofit in Wigan" in card  # the challenges, in the set's chat
    assert "Bury Council: no open actions" in card
    await m.say(FACILITATOR, "next")
    await m.say(FACILITATOR, "next")  # Leeds done; Wigan
    await m.press(leeds, "meeting.actions", {"set_key": SET, "number": "1", "team_id": ids["leeds"],
                                             "action_1": "Meet the finance lead", "action_2": "Book a survey"},
                  conversation=teams.personal(leeds))
    await end(m)

    # Session 2: Bury and Bolton present; Leeds shows its open actions at the opening.
    clock.now = starts()[1]
    await m.say(FACILITATOR, "start")
    assert (await m.state()).order == (ids["bury"], ids["bolton"])
    card = await m.session_card()
    assert "Leeds City Council: open actions" in card and "Meet the finance lead" in card
    assert "Wigan Council: no open actions" in card
    await m.say(FACILITATOR, "next")  # Bury presents for the first time: no review to open with
    assert "Review of last actions" not in await m.session_card()
    assert (await m.state()).plan[0][0] is AirtimePhase.PRESENTING
    for _ in range(2):  # Bolton, then the reflection round
        await m.say(FACILITATOR, "next")
    await end(m)

    # Between sessions Leeds reviews its session-1 actions; in session 3 its airtime opens with them.
    await m.press(leeds, "meeting.review", {
        "set_key": SET, "number": "1", "team_id": ids["leeds"], "status_1": "done", "status_2": "partly",
        "worked_well": "Finance came", "worked_less_well": "", "learning": "Ask early"},
        conversation=teams.personal(leeds))
    clock.now = starts()[2]
    await m.say(FACILITATOR, "start")
    assert (await m.state()).order == (ids["leeds"], ids["wigan"])
    await m.say(FACILITATOR, "next")
    card = await m.session_card()
    assert "Review of last actions" in card and "Meet the finance lead" in card
    assert "Their review, saved before the session:" in card and "Action 2: partly done" in card
    assert "Learnt: Ask early" in card
    review = [c for c in m.private(leeds) if c.cards and "the actions you set in session 1" in str(c.cards[0])]
    assert len(review) == 1
    assert not any("Retrofit in" in str(c.body) for c in m.private(wigan))  # titles stay in the set's chat
