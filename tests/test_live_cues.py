"""The presenter's private cues in the meeting ("you are next", "2 minutes left") as targeted
in-meeting notifications through the Teams stand-in, end to end with authentication on: the right
recipients, at most 50 a call, and the personal message instead when Teams refuses or the meeting
is unknown."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapter.auth import BotToken
from bot.adapter.meeting_cues import MeetingCues, meeting_key
from bot.config import channel_auth
from bot.net import client_session
from bot.store.base import ConversationRef, Notice
from bot.store.sql import SqlStore
from tests.conftest import start_bot
from tests.live_harness import PUBLIC_URL, live_env, live_meeting
from tests.standins.teams import TeamsStandIn
from tests.transcript import BURY, FACILITATOR, LEEDS, SET, WIGAN, Meeting, open_meeting


@pytest.fixture
async def live(teams: TeamsStandIn, database_url: str) -> AsyncIterator[Meeting]:
    bot, m, _ = await live_meeting(teams, database_url)
    yield m
    await bot.runner.cleanup()


def private_texts(m: Meeting, user: Any) -> str:
    return json.dumps([c.body for c in m.private(user)], ensure_ascii=False)


def recipients(call: Any) -> list[str]:
    return list(call.body["value"]["recipients"])


async def test_you_are_next_goes_to_the_next_team_alone_in_the_meeting(live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    await m.say(FACILITATOR, "start")  # from the meeting chat: Teams names the meeting
    await m.tick(180)  # two minutes of the opening left: Leeds, first, is told
    assert len(teams.notifications) == 1
    call = teams.notifications[0]
    assert call.conversation_id == f"meeting:MCM{m.chat_id[:20]}"
    assert sorted(recipients(call)) == sorted(u.channel_id for u in LEEDS)
    assert call.body["type"] == "targetedMeetingNotification"
    surface = call.body["value"]["surfaces"][0]
    assert surface["surface"] == "meetingStage" and surface["contentType"] == "task"
    assert surface["content"]["value"]["url"] == f"{PUBLIC_URL}/meeting/?cue=next"
    assert surface["content"]["value"]["title"] == "You are next"
    assert call.authorization.startswith("Bearer ")
    # Nobody else was told, and Leeds got no personal message besides.
    assert "You are next" not in private_texts(m, LEEDS[0]) + private_texts(m, LEEDS[1])


async def test_two_minutes_left_goes_to_the_presenter(live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")  # Leeds
    teams.notifications.clear()
    state = await m.state()
    await m.tick(state.allotted - 120)
    titles = [(c.body["value"]["surfaces"][0]["content"]["value"]["title"], sorted(recipients(c)))
              for c in teams.notifications]
    assert ("2 minutes left", sorted(u.channel_id for u in LEEDS)) in titles
    assert ("You are next", [WIGAN[0].channel_id]) in titles
    assert "airtime left" not in private_texts(m, LEEDS[0])


async def test_when_teams_refuses_the_cue_comes_as_a_personal_message(live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    teams.refuse_notifications = 403
    await m.say(FACILITATOR, "start")
    await m.tick(180)
    assert len(teams.notifications) == 1  # tried once
    for user in LEEDS:
        assert "You are next" in private_texts(m, user)
    assert "You are next" not in private_texts(m, BURY[0])


async def test_a_recipient_teams_cannot_reach_gets_the_personal_message(live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    teams.unreachable.add(LEEDS[1].channel_id)
    await m.say(FACILITATOR, "start")
    await m.tick(180)
    assert "You are next" in private_texts(m, LEEDS[1])
    assert "You are next" not in private_texts(m, LEEDS[0])


async def test_when_the_meeting_is_unknown_the_cue_comes_as_a_personal_message(
        live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    # Started by the card's button: a card action does not name the meeting, so none is known.
    await m.press(FACILITATOR, "meeting.start", {"set_key": SET})
    assert await m.store.conversation(meeting_key(m.chat_id)) is None
    await m.tick(180)
    assert teams.notifications == []
    assert "You are next" in private_texts(m, LEEDS[0])


async def test_without_a_public_url_the_cues_are_personal_messages_as_before(
        teams: TeamsStandIn, database_url: str) -> None:
    env = {k: v for k, v in live_env(teams, database_url).items() if k != "ALS_PUBLIC_URL"}
    from tests.transcript import Clock, first_session_start

    clock = Clock(first_session_start())
    bot = await start_bot(env, clock=clock)
    try:
        m = await open_meeting(bot, teams, clock)
        await m.say(FACILITATOR, "start")
        await m.tick(180)
        assert teams.notifications == []
        assert "You are next" in private_texts(m, LEEDS[0])
    finally:
        await bot.runner.cleanup()


async def test_at_most_fifty_recipients_a_call(teams: TeamsStandIn, store: SqlStore) -> None:
    now = datetime.now(UTC)
    chat = "19:meeting_big@thread.v2"
    await store.save_conversation(ConversationRef(meeting_key(chat), "MCMbig", teams.service_url, "msteams",
                                                  "t", "meeting", {"meetingId": "MCMbig"}, now))
    people = [f"00000000-0000-4000-8000-{n:012d}" for n in range(120)]
    for aad in people:
        await store.save_conversation(ConversationRef(
            f"user:{aad}", f"a:{aad}", teams.service_url, "msteams", "t", "personal",
            {"user": {"id": f"29:{aad}", "aadObjectId": aad}}, now))
    cue = {"chat": chat, "kind": "next", "title": "You are next"}
    await store.enqueue([Notice(f"user:{aad}", {"text": "You are next", "meeting_cue": cue}) for aad in people]
                        + [Notice("user:nobody-known", {"text": "You are next", "meeting_cue": cue}),
                           Notice(f"user:{people[0]}", {"text": "an ordinary message"})], now)
    pending = await store.claim_due(now, 60, 200)
    async with client_session() as session:
        token = BotToken(channel_auth(teams.bot_env()), lambda: session)
        cues = MeetingCues(store, token, f"{PUBLIC_URL}/meeting/", lambda: now, lambda: session)
        left = await cues.deliver(pending)
    assert [len(recipients(c)) for c in teams.notifications] == [50, 50, 20]
    assert {r for c in teams.notifications for r in recipients(c)} == {f"29:{a}" for a in people}
    assert sorted(p.recipient for p in left) == sorted(["user:nobody-known", f"user:{people[0]}"])
