"""The facilitator's controls end to end through the Teams stand-in with authentication on: the time
check, a start far from the scheduled time and the end confirmed first, facilitator-only forms, and
refusals that cannot be delivered now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.rules.session import NOT_ALLOWED, Stage
from bot.store import tables as t
from cards.format import london
from tests.conftest import RunningBot, start_bot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn, User
from tests.transcript import (
    FACILITATOR,
    MEMBER,
    SET,
    Clock,
    Meeting,
    card_text,
    first_session_start,
    open_meeting,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(first_session_start())


@pytest.fixture
async def meeting_bot(teams: TeamsStandIn, database_url: str, clock: Clock) -> AsyncIterator[RunningBot]:
    env = {**teams.bot_env(), "DATABASE_URL": database_url, "ALS_SESSION_TICK_SECONDS": "3600"}
    running = await start_bot(env, clock=clock)
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def meeting(meeting_bot: RunningBot, teams: TeamsStandIn, clock: Clock) -> Meeting:
    return await open_meeting(meeting_bot, teams, clock)


def last_card(m: Meeting) -> dict[str, Any]:
    cards = [c.cards[0] for c in m.chat_calls() if c.cards]
    return cards[-1]


def facilitator_only(card: dict[str, Any]) -> bool:
    """A card everyone in the chat sees without a button or an input; Teams fetches the form for
    the facilitator alone."""
    inputs = [e for e in card["body"] if str(e.get("type", "")).startswith("Input.")]
    return (card["refresh"]["userIds"] == [FACILITATOR.channel_id] and "actions" not in card
            and inputs == [])


async def test_the_time_check_tells_the_room_how_the_session_stands(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    await m.tick(60)
    await m.say(FACILITATOR, "timecheck")
    end = london(m.clock.now + timedelta(minutes=89))[-5:]
    assert m.chat_calls()[-1].text == f"The session is on time: it ends at {end}."
    await m.tick(6 * 60)  # the opening runs two minutes over
    answer = await m.press(FACILITATOR, "meeting.timecheck")
    assert answer["value"] == "Done."
    assert "running 2 minutes behind plan" in m.chat_calls()[-1].text
    calls = len(m.chat_calls())
    await m.say(MEMBER, "timecheck")
    assert len(m.chat_calls()) == calls


async def test_a_start_far_from_the_scheduled_time_is_confirmed_first(meeting: Meeting) -> None:
    m = meeting
    set_def = programme().set_by_key(SET)
    assert set_def is not None
    m.clock.now = set_def.sessions[0].start_utc - timedelta(days=60)
    await m.say(FACILITATOR, "start")
    assert await m.store.session_run_in_chat(m.chat_id) is None
    assert facilitator_only(last_card(m)) and "Start session 1?" in card_text(last_card(m))
    refused = await m.press(MEMBER, "meeting.form", {"form": "start", "set_key": SET, "number": 1})
    assert refused["value"] == NOT_ALLOWED
    form = await m.press(FACILITATOR, "meeting.form", {"form": "start", "set_key": SET, "number": 1})
    assert f"scheduled for {london(set_def.sessions[0].start_utc)}" in card_text(form["value"])
    started = await m.press(FACILITATOR, "meeting.start", {"set_key": SET, "number": 1, "confirmed": True})
    assert "Session 1 has started" in card_text(started["value"])
    await m.press(FACILITATOR, "meeting.end", {"confirmed": True})
    # After the end, start offers the next session, with its date.
    await m.say(FACILITATOR, "start")
    assert "Start session 2?" in card_text(last_card(m))
    assert await m.store.session_run(SET, 2) is None
    form = await m.press(FACILITATOR, "meeting.form", {"form": "start", "set_key": SET, "number": 2})
    assert f"Session 2 of {set_def.name}" in card_text(form["value"]).replace("\\", "")


async def test_ending_the_session_asks_for_confirmation(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "end")
    assert (await m.state()).stage is Stage.OPENING
    assert facilitator_only(last_card(m)) and "End session 1?" in card_text(last_card(m))
    answer = await m.press(FACILITATOR, "meeting.end")  # the session card's button
    assert answer["value"] == "Confirm on the card below." and (await m.state()).stage is Stage.OPENING
    form = await m.press(FACILITATOR, "meeting.form", {"form": "end"})
    assert "[End the session]" in card_text(form["value"])
    refused = await m.press(MEMBER, "meeting.end", {"confirmed": True})
    assert refused["value"] == NOT_ALLOWED and (await m.state()).stage is Stage.OPENING
    await m.press(FACILITATOR, "meeting.end", {"confirmed": True})
    assert (await m.state()).stage is Stage.ENDED


async def test_facilitator_forms_reach_the_facilitator_alone(
    meeting: Meeting, meeting_bot: RunningBot, teams: TeamsStandIn, clock: Clock
) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "order")
    assert facilitator_only(last_card(m))
    form = await m.press(FACILITATOR, "meeting.form", {"form": "order"})
    assert "<Position 1: " in card_text(form["value"])
    assert (await m.press(MEMBER, "meeting.form", {"form": "order"}))["value"] == NOT_ALLOWED
    unlinked = await open_meeting(meeting_bot, teams, clock, link=False)
    await unlinked.say(FACILITATOR, "start", mention=True)
    assert facilitator_only(last_card(unlinked))
    choose = await unlinked.press(FACILITATOR, "meeting.form", {"form": "link"})
    assert programme().sets[1].name in card_text(choose["value"])
    assert (await unlinked.press(MEMBER, "meeting.form", {"form": "link"}))["value"] == NOT_ALLOWED


async def test_a_refusal_that_cannot_be_delivered_now_is_dropped(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    stranger = User("57a46e00-0000-4000-8000-000000000099", "Sam Stranger")  # no personal chat
    await m.say(stranger, "next")
    await m.say(MEMBER, "next")
    o = t.outbox
    async with m.store.read() as conn:
        rows = (await conn.execute(sa.select(o.c.recipient))).scalars().all()
    assert f"user:{stranger.aad_object_id}" not in rows
    assert f"user:{MEMBER.aad_object_id}" in rows  # the member with a personal chat hears why
