"""End to end through the Teams stand-in, authentication ON: replies, and refusals with 401."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.conftest import RunningBot
from tests.standins.teams import TeamsStandIn, User


async def test_a_message_gets_a_reply(bot: RunningBot, teams: TeamsStandIn, officer: User) -> None:
    reply = await teams.send(bot.messages, teams.message(officer, "help"))
    assert reply.status in (200, 201)
    calls = teams.calls_to(teams.personal(officer)["id"])
    assert len(calls) == 1
    assert calls[0].cards and calls[0].cards[0]["body"][0]["text"] == "What I can do"
    assert calls[0].authorization.startswith("Bearer ")


async def test_the_bot_token_is_fetched_once_and_reused(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    before = teams.token_requests
    for _ in range(5):
        await teams.send(bot.messages, teams.message(officer, "help"))
    assert len(teams.calls) == 5
    assert teams.token_requests - before <= 1


def _refusals(teams: TeamsStandIn) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "no token": None,
        "signed by another key": teams.token(key=teams.stranger_key),
        "another key with our kid's name": teams.token(key=teams.stranger_key, kid=teams.kid),
        "wrong audience": teams.token(aud="00000000-0000-0000-0000-000000000000"),
        "expired": teams.token(exp=now - 3600, nbf=now - 7200),
        "wrong issuer": teams.token(iss="https://login.example.com"),
        "other service url": teams.token(service_url="http://127.0.0.1:1/"),
        "not a jwt": "not-a-token",
    }


REFUSALS = [
    "no token", "signed by another key", "another key with our kid's name", "wrong audience",
    "expired", "wrong issuer", "other service url", "not a jwt",
]


@pytest.mark.parametrize("case", REFUSALS)
async def test_bad_tokens_are_refused_and_do_nothing(
    case: str, bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    token = _refusals(teams)[case]
    activity = teams.message(officer, "help")
    if token is None:
        reply = await teams.send(bot.messages, activity, authorization="")
    else:
        reply = await teams.send(bot.messages, activity, authorization=f"Bearer {token}")
    assert reply.status == 401, reply.body
    assert reply.body == {"error": "unauthorized"}
    assert teams.calls == []
    # Nothing was recorded either: the same activity with a good token is still new.
    good = await teams.send(bot.messages, activity)
    assert good.status in (200, 201)
    assert len(teams.calls) == 1


async def test_a_card_action_answers_with_the_card_in_the_invoke_response(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    reply = await teams.send(bot.messages, teams.card_action(officer, "help"))
    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"
    assert reply.body["value"]["body"][0]["text"] == "What I can do"
    assert teams.calls == []


async def test_a_retried_activity_is_handled_once(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    activity = teams.message(officer, "help")
    first = await teams.send(bot.messages, activity)
    second = await teams.send(bot.messages, activity)
    assert (first.status, second.status) == (201, 201)
    assert len(teams.calls) == 1


async def test_a_retried_invoke_gets_the_same_answer(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    activity = teams.card_action(officer, "help")
    first = await teams.send(bot.messages, activity)
    second = await teams.send(bot.messages, activity)
    assert first.body == second.body


async def test_installing_the_app_shows_the_welcome_card(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    await teams.send(bot.messages, teams.installed(officer))
    (call,) = teams.calls
    assert call.cards[0]["body"][0]["text"] == "Welcome to Action Learning Sets"


async def test_adding_the_app_to_a_meeting_chat_shows_the_meeting_welcome(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    chat = teams.meeting_chat()
    await teams.send(bot.messages, teams.installed(officer, chat))
    (call,) = teams.calls_to(chat["id"])
    assert "facilitator" in call.cards[0]["body"][1]["text"]


async def test_a_mention_in_a_group_chat_is_understood(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    chat = teams.meeting_chat()
    await teams.send(bot.messages, teams.message(officer, "help", chat, mention=True))
    (call,) = teams.calls_to(chat["id"])
    assert call.cards[0]["body"][0]["text"] == "What I can do"


async def test_unknown_text_gets_a_helpful_answer(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    await teams.send(bot.messages, teams.message(officer, "what is this?"))
    (call,) = teams.calls
    assert "didn't understand" in call.text and "help" in call.text


async def test_an_unknown_verb_gets_a_message_not_an_error(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    reply = await teams.send(bot.messages, teams.card_action(officer, "no-such-verb"))
    assert reply.status == 200
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"


async def test_shutdown_lets_a_turn_in_flight_finish(
    teams: TeamsStandIn, officer: User, tmp_path: Path
) -> None:
    from tests.conftest import start_bot

    running = await start_bot({**teams.bot_env(), "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    await teams.send(running.messages, teams.message(officer, "help"))  # token and keys now cached
    teams.connector_delay = 1.0  # the reply takes a second to send
    turn = asyncio.create_task(teams.send(running.messages, teams.message(officer, "help")))
    await asyncio.sleep(0.3)
    await running.runner.cleanup()  # what SIGTERM does in `als serve`
    reply = await turn
    assert reply.status == 201
    assert len(teams.calls) == 2  # the reply went out before the store closed
