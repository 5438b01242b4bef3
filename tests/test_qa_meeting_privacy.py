"""In the meeting chat a refusal is for the person who asked, not for the room: a member who types
`register` there is told privately, and nothing is posted to the meeting chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.features.attendance import NOT_ALLOWED
from tests.conftest import RunningBot, start_bot
from tests.standins.teams import TeamsStandIn
from tests.transcript import FACILITATOR, MEMBER, Clock, Meeting, first_session_start, open_meeting


@pytest.fixture
async def meeting(teams: TeamsStandIn, database_url: str) -> AsyncIterator[Meeting]:
    clock = Clock(first_session_start())
    env = {**teams.bot_env(), "DATABASE_URL": database_url, "ALS_SESSION_TICK_SECONDS": "3600"}
    running: RunningBot = await start_bot(env, clock=clock)
    yield await open_meeting(running, teams, clock)
    await running.runner.cleanup()


async def test_a_member_asking_for_the_register_in_the_meeting_chat_is_told_privately(meeting: Meeting) -> None:
    m = meeting
    await m.say(MEMBER, "register")
    assert m.chat_calls() == []
    private = m.teams.calls_to(m.teams.personal(MEMBER)["id"])
    assert [c.text for c in private] == [NOT_ALLOWED]


async def test_the_facilitator_still_gets_the_register_privately(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "register")
    assert [c.cards for c in m.chat_calls()] == [[]]  # one short line in the chat, no card
    private = m.teams.calls_to(m.teams.personal(FACILITATOR)["id"])
    assert private and "Register" in str(private[-1].cards[0])
