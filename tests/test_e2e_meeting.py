"""The session in the meeting, end to end through the Teams stand-in with authentication on, with a
stepped clock: the facilitator's controls, who may use them, the card updated in place, a restart
mid-session, two instances, actions and their review, reflections, participant events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.adapter.web import SESSION_TICKER, STORE
from bot.rules.session import NOT_ALLOWED, Stage, pending
from bot.store.sql import SqlStore
from tests.conftest import RunningBot, start_bot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn
from tests.transcript import (
    BURY,
    FACILITATOR,
    LEEDS,
    MEMBER,
    SET,
    WIGAN,
    Clock,
    Meeting,
    card_text,
    first_session_start,
    open_meeting,
    whole_session,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(first_session_start())


def bot_env(teams: TeamsStandIn, database_url: str) -> dict[str, str]:
    # The ticker's own rounds are an hour apart: the tests tick the clock themselves, step by step.
    return {**teams.bot_env(), "DATABASE_URL": database_url, "ALS_SESSION_TICK_SECONDS": "3600"}


@pytest.fixture
async def meeting_bot(teams: TeamsStandIn, database_url: str, clock: Clock) -> AsyncIterator[RunningBot]:
    running = await start_bot(bot_env(teams, database_url), clock=clock)
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def meeting(meeting_bot: RunningBot, teams: TeamsStandIn, clock: Clock) -> Meeting:
    return await open_meeting(meeting_bot, teams, clock)


def texts(m: Meeting, user: object) -> str:
    return json.dumps([c.body for c in m.private(user)], ensure_ascii=False)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_a_facilitator_runs_a_whole_session_with_pass_extend_and_back(meeting: Meeting) -> None:
    m = meeting
    await whole_session(m)
    state = await m.state()
    assert state.stage is Stage.ENDED
    assert [turn.team for turn in state.turns] == [m.ids["wigan"], m.ids["leeds"], m.ids["bury"]]
    # Two posts (the ground rules, the session card); every other message in the chat updates the card.
    card_id = await m.card_id()
    posts = [c for c in m.chat_calls() if c.method == "POST"]
    assert [card_text(c.cards[0]).splitlines()[0] for c in posts] == [
        "Ground rules", f"Session 1 of 3: {programme().sets[1].name}"]
    updates = [c for c in m.chat_calls() if c.method == "PUT"]
    assert updates and {c.activity_id for c in updates} == {card_id}
    # Each warning of Wigan's extended airtime was given once.
    shown = [card_text(c.cards[0]) for c in updates]
    wigan = [text for text in shown if "**Wigan Council**" in text]
    assert sum("2 min left (until" in text for text in wigan) == 1
    assert sum("30 s left (until" in text for text in wigan) == 1
    assert sum("Time is up" in text for text in wigan) == 1
    assert "Extended by 3 min" in wigan[-1]
    # The card moved into the questions with the rule for them, once.
    assert sum("**Wigan Council**: Questions" in text and "Questions, not advice." in text for text in wigan) == 1
    # The member who typed next was refused privately, and nothing changed for it.
    assert NOT_ALLOWED in texts(m, MEMBER)
    # Presenters were asked for their actions; everyone for reflections; the facilitator saw them
    # without names.
    for user in (*LEEDS, *WIGAN, *BURY):
        assert "meeting.actions" in texts(m, user) and "meeting.reflection" in texts(m, user)
    assert "You are next" in texts(m, LEEDS[0]) and "You are next" in texts(m, BURY[0])
    facilitator = texts(m, FACILITATOR)
    assert "Leeds learnt to ask first" in facilitator and "Wigan learnt to ask first" in facilitator
    assert not any(u.name in facilitator or u.email in facilitator for u in (*LEEDS, *WIGAN))
    in_chat = m.most_per_minute(lambda call: call.conversation_id == m.chat_id)
    print(f"\n{m.transcript()}\nmost messages in a minute: {m.most_per_minute()} in all, {in_chat} to the chat")
    assert in_chat <= 60  # Teams' limit is 60 per 30 seconds per chat


async def test_only_facilitators_control_the_session(meeting: Meeting) -> None:
    m = meeting
    await m.say(MEMBER, "start")
    assert await m.store.session_run_in_chat(m.chat_id) is None
    await m.say(FACILITATOR, "start")
    before = await m.state()
    calls = len(m.chat_calls())
    await m.say(MEMBER, "next")
    await m.say(MEMBER, "next", mention=True)
    answer = await m.press(MEMBER, "meeting.next")
    assert answer["value"] == NOT_ALLOWED  # the answer to the button, seen by the clicker alone
    await m.press(MEMBER, "meeting.extend", {"minutes": 2})
    assert await m.state() == before
    assert len(m.chat_calls()) == calls  # nothing was said or updated in the chat
    assert texts(m, MEMBER).count(NOT_ALLOWED) >= 2  # typed commands are refused in private
    await m.press(FACILITATOR, "meeting.next")
    assert (await m.state()).current == m.ids["leeds"]


async def test_chatter_in_the_meeting_chat_gets_no_answer(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    calls = len(m.teams.calls)
    for line in ("hello everyone", "next week I will send the plan", "end of the day works for me",
                 "skip lunch?", "extend the deadline"):
        await m.say(MEMBER, line)
    await m.say(FACILITATOR, "next time let's start earlier")
    assert len(m.teams.calls) == calls
    assert (await m.state()).current is None
    await m.say(MEMBER, "what can you do", mention=True)
    assert "didn't understand" in m.chat_calls()[-1].text


@pytest.mark.slow
async def test_a_restart_and_a_second_instance_continue_the_session(
    teams: TeamsStandIn, database_url: str, clock: Clock
) -> None:
    first = await start_bot(bot_env(teams, database_url), clock=clock)
    m = await open_meeting(first, teams, clock)
    await m.say(FACILITATOR, "start")
    await m.tick(300)
    await m.say(FACILITATOR, "next")
    await m.tick(600)
    before = await m.state()
    card_id = await m.card_id()
    await first.runner.cleanup()  # the bot stops mid-airtime

    again = await start_bot(bot_env(teams, database_url), clock=clock)
    other = await start_bot(bot_env(teams, database_url), clock=clock)
    try:
        m.bot = again
        assert await m.state() == before
        clock.advance(before.allotted - 600 - 120)  # to the two-minute warning
        calls = len(m.chat_calls())
        # Both instances sweep at the same moment; the warning is given once.
        await asyncio.gather(again.app[SESSION_TICKER].run_once(), other.app[SESSION_TICKER].run_once())
        await m.settle()
        new = m.chat_calls()[calls:]
        assert [(c.method, c.activity_id) for c in new] == [("PUT", card_id)]
        shown = card_text(new[0].cards[0])
        assert "**Leeds City Council**" in shown and "2 min left (until" in shown
        await m.tick(0)
        await asyncio.gather(again.app[SESSION_TICKER].run_once(), other.app[SESSION_TICKER].run_once())
        assert len(m.chat_calls()) == calls + 1
        # The other instance takes the next command where the first left off.
        m.bot = other
        await m.say(FACILITATOR, "next")
        state = await m.state()
        assert state.current == m.ids["wigan"] and state.done == (m.ids["leeds"],)
    finally:
        await again.runner.cleanup()
        await other.runner.cleanup()


async def test_an_unlinked_chat_is_linked_by_its_facilitator(
    meeting_bot: RunningBot, teams: TeamsStandIn, clock: Clock
) -> None:
    m = await open_meeting(meeting_bot, teams, clock, link=False)
    await m.say(MEMBER, "start")
    assert m.chat_calls() == [] and "not a facilitator" in texts(m, MEMBER)
    await m.say(FACILITATOR, "start", mention=True)
    choose = card_text(m.chat_calls()[-1].cards[0])
    assert "Which set meets in this chat?" in choose and programme().sets[1].name in choose
    refused = await m.press(MEMBER, "meeting.start", {"set_key": SET})
    assert refused["value"] == NOT_ALLOWED and await m.store.set_of_chat(m.chat_id) is None
    answer = await m.press(FACILITATOR, "meeting.start", {"set_key": SET})
    assert "Session 1 has started" in card_text(answer["value"])
    assert await m.store.set_of_chat(m.chat_id) == SET
    assert "Leeds City Council: next" in await m.session_card()


@pytest.mark.slow
async def test_participant_events_and_the_facilitator_keep_the_order(meeting: Meeting) -> None:
    m = meeting
    await m.event([LEEDS[0], BURY[0]], joined=True)
    await m.say(FACILITATOR, "start")
    state = await m.state()
    assert state.order == (m.ids["leeds"], m.ids["bury"], m.ids["wigan"])
    assert "Wigan Council: not joined yet" in await m.session_card()
    await m.event([WIGAN[0]], joined=True)
    assert "Wigan Council: waiting" in await m.session_card()
    await m.event([BURY[0]], joined=False)
    assert "Bury Council: not joined yet" in await m.session_card()
    await m.press(FACILITATOR, "meeting.here", {"team": m.ids["bury"]})  # the facilitator knows better
    assert "Bury Council: waiting" in await m.session_card()
    # The order card: Wigan first, then Leeds, then Bury.
    await m.say(FACILITATOR, "order")
    assert "Change the running order" in card_text(m.chat_calls()[-1].cards[0])
    answer = await m.press(FACILITATOR, "meeting.reorder", {
        "position_1": m.ids["wigan"], "position_2": m.ids["leeds"], "position_3": m.ids["bury"]})
    assert "Running order changed" in card_text(answer["value"])
    assert pending(await m.state()) == [m.ids["wigan"], m.ids["leeds"], m.ids["bury"]]
    await m.say(FACILITATOR, "skip bury")
    await m.say(FACILITATOR, "order Leeds")
    assert pending(await m.state()) == [m.ids["leeds"], m.ids["wigan"]]


@pytest.mark.slow
async def test_actions_set_in_one_session_open_the_next(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")  # Leeds
    await m.say(FACILITATOR, "next")  # Leeds done: asked for actions
    alex = LEEDS[0]
    form = {"set_key": SET, "number": "1", "team_id": m.ids["leeds"],
            "action_1": "Meet the finance lead", "action_2": "", "action_3": "Draft the adaptation plan"}
    refused = await m.press(MEMBER, "meeting.actions", form, conversation=m.teams.personal(MEMBER))
    assert refused["value"] == "Only the officers of that team can do that."
    saved = await m.press(alex, "meeting.actions", form, conversation=m.teams.personal(alex))
    assert "Meet the finance lead" in card_text(saved["value"])
    await m.press(FACILITATOR, "meeting.end", {"confirmed": True})  # the confirmation's button

    set_def = programme().set_by_key(SET)
    assert set_def is not None
    m.clock.now = set_def.sessions[1].start_utc
    await m.say(FACILITATOR, "start")
    assert (await m.state()).session_number == 2
    await m.say(FACILITATOR, "order Leeds")
    await m.say(FACILITATOR, "next")
    card = await m.session_card()
    assert "Review of last actions" in card and "Meet the finance lead" in card
    review = [c for c in m.private(LEEDS[1]) if c.cards and "Review of your last actions" in card_text(c.cards[0])]
    assert len(review) == 1
    done = await m.press(alex, "meeting.review", {
        "set_key": SET, "number": "1", "team_id": m.ids["leeds"], "status_1": "done", "status_2": "partly",
        "worked_well": "Finance came", "worked_less_well": "Time", "learning": "Ask early"},
        conversation=m.teams.personal(alex))
    assert "Review saved" in card_text(done["value"])
    store = m.bot.app[STORE]
    assert isinstance(store, SqlStore)
    kept = await store.review_of(SET, m.ids["leeds"], 1)
    assert kept is not None and kept.statuses == ((1, "done"), (2, "partly")) and kept.learning == "Ask early"


async def test_a_second_reflection_from_one_member_is_refused(meeting: Meeting) -> None:
    m = meeting
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "reflect")
    form = {"set_key": SET, "number": "1", "team": "We listened", "individual": ""}
    first = await m.press(MEMBER, "meeting.reflection", form, conversation=m.teams.personal(MEMBER))
    second = await m.press(MEMBER, "meeting.reflection", form, conversation=m.teams.personal(MEMBER))
    assert "Thank you" in card_text(first["value"]) and "already sent" in card_text(second["value"])
    outsider = await m.press(FACILITATOR, "meeting.reflection", form, conversation=m.teams.personal(FACILITATOR))
    assert outsider["value"] == "Only the members of this set can send reflections for it."
    answer = await m.press(FACILITATOR, "meeting.reflections")
    assert "personal chat" in answer["value"]
    assert "We listened" in texts(m, FACILITATOR)
    assert (await m.state()).stage is Stage.REFLECTION
