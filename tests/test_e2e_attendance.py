"""Apologies and the register end to end through the Teams stand-in, authentication on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapter.web import STORE
from bot.rules import attendance as a
from bot.rules.booking import Who
from bot.store.sql import SqlStore
from cards.payloads import ApologiesWithdrawn
from tests.conftest import RunningBot, start_bot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn, User
from tests.test_e2e_signup import act, eventually, form

SET = "adaptation-wed"
ALEX = User("00000000-0000-4000-8000-00000000a1e0", "Alex Smith", "alex@leeds.gov.uk")
KIM = User("00000000-0000-4000-8000-0000000000c1", "Kim Lee", "kim@wigan.gov.uk")
STRANGER = User("00000000-0000-4000-8000-0000000000f0", "Sid Stranger", "sid@bolton.gov.uk")
FACILITATOR = User("00000000-0000-4000-8000-0000000000fa", "Pat Facilitator", "facilitator@lga.gov.uk")
ADMIN = User("00000000-0000-4000-8000-0000000000ad", "Ada Admin", "ada@lga.gov.uk")


@pytest.fixture
async def set_bot(teams: TeamsStandIn, database_url: str) -> AsyncIterator[RunningBot]:
    running = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url,
                               "ALS_ADMINS": ADMIN.aad_object_id})
    await running.app[STORE].save_programme(programme(), datetime.now(UTC))
    for user, council in ((ALEX, "Leeds City Council"), (KIM, "Wigan Council")):
        await act(running, teams, user, "signup.submit", form(user, council))
    yield running
    await running.runner.cleanup()


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def cards_in(teams: TeamsStandIn, conversation_id: str) -> list[dict[str, Any]]:
    return [c for call in teams.calls_to(conversation_id) for c in call.cards]


async def say(bot: RunningBot, teams: TeamsStandIn, user: User, text: str,
              conversation: dict[str, Any] | None = None) -> None:
    reply = await teams.send(bot.messages, teams.message(user, text, conversation,
                                                         mention=conversation is not None))
    assert reply.status in (200, 201), reply.body


def withdrawal(number: int) -> dict[str, Any]:
    """The data of the "Withdraw these apologies" button for a session of the set."""
    return ApologiesWithdrawn(SET, number).data()


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    """Every input's current value on a card, as Teams submits them."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input."):
                found[node["id"]] = node.get("value", "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def pressed(card: dict[str, Any], title: str) -> tuple[str, dict[str, Any]]:
    """The verb and data Teams sends for the button `title`: its data with the inputs merged over it."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("title") == title:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    assert found, f"no button {title!r}"
    return found[0]["verb"], {**found[0].get("data", {}), **inputs(card)}


async def test_apologies_are_withdrawn_with_the_button_as_teams_sends_it(
    set_bot: RunningBot, teams: TeamsStandIn
) -> None:
    # Teams merges the card's inputs into the button's data: the "Which session?" picker (on
    # session 1) must not replace the session that the button names (session 2).
    store: SqlStore = set_bot.app[STORE]
    sent = await act(set_bot, teams, ALEX, "apologies.send",
                     {"session": f"{SET}#2", "reason": "Planning committee that morning"})
    # The set is named after its series: its title shows the series once.
    assert "Sustainable Adaptation – Wednesday set, session 2" in text_of(sent)
    assert "Sustainable Adaptation: Sustainable Adaptation" not in text_of(sent)
    verb, data = pressed(sent, "Withdraw these apologies: I can come")
    assert data["session"] == f"{SET}#1"
    withdrawn = await act(set_bot, teams, ALEX, verb, data)
    assert "are withdrawn" in text_of(withdrawn)
    assert await store.teams_with_apologies(SET, 2) == frozenset()


async def test_an_officer_sends_and_withdraws_apologies(set_bot: RunningBot, teams: TeamsStandIn) -> None:
    store: SqlStore = set_bot.app[STORE]
    await say(set_bot, teams, FACILITATOR, "help")  # the facilitator has a personal chat with the bot
    await say(set_bot, teams, ALEX, "apologies")
    listing = text_of(teams.calls[-1].cards[0])
    assert "session 1" in listing and "session 3" in listing and "apologies.send" in listing

    refused = await act(set_bot, teams, ALEX, "apologies.send", {"session": f"{SET}#2", "reason": "  "})
    assert "Please give a reason" in text_of(refused)
    assert await store.apologies(SET) == []

    sent = await act(set_bot, teams, ALEX, "apologies.send",
                     {"session": f"{SET}#2", "reason": "Planning committee that morning"})
    assert "have been sent" in text_of(sent) and "apologies.withdraw" in text_of(sent)
    (team,) = await store.teams_of(Who(ALEX.aad_object_id, ALEX.email))
    assert await store.teams_with_apologies(SET, 2) == {team.team_id}  # left out of the running order
    facilitator_chat = teams.personal(FACILITATOR)["id"]
    await eventually(lambda: "Planning committee" in text_of(cards_in(teams, facilitator_chat)))

    withdrawn = await act(set_bot, teams, ALEX, "apologies.withdraw", withdrawal(2))
    assert "withdrawn" in text_of(withdrawn)
    assert await store.teams_with_apologies(SET, 2) == frozenset()
    await eventually(lambda: "Apologies withdrawn" in text_of(cards_in(teams, facilitator_chat)))
    # A second click changes nothing and says so.
    again = await act(set_bot, teams, ALEX, "apologies.withdraw", withdrawal(2))
    assert "no apologies standing" in text_of(again)


async def test_apologies_are_only_for_your_own_coming_sessions(
    set_bot: RunningBot, teams: TeamsStandIn
) -> None:
    store: SqlStore = set_bot.app[STORE]
    card = await act(set_bot, teams, STRANGER, "apologies.send", {"session": f"{SET}#1", "reason": "Ill"})
    assert "Choose one of your coming sessions" in text_of(card)
    card = await act(set_bot, teams, ALEX, "apologies.send", {"session": f"{SET}#9", "reason": "Ill"})
    assert "Choose one of your coming sessions" in text_of(card)
    # Kim cannot withdraw Alex's apologies by naming Alex's session in crafted card data.
    await act(set_bot, teams, ALEX, "apologies.send", {"session": f"{SET}#1", "reason": "Ill"})
    await act(set_bot, teams, KIM, "apologies.withdraw", withdrawal(1))
    assert [ap.standing for ap in await store.apologies(SET)] == [True]


async def collected(store: SqlStore) -> None:
    members = await store.set_members(SET)
    start = (await store.programme()).set_by_key(SET).sessions[0].start_utc  # type: ignore[union-attr]
    taken = a.take_attendance(members, [], [
        a.Presence(ALEX.aad_object_id, None, None, "Alex Smith", "Attendee", 5400,
                   (a.Span(start, start + timedelta(minutes=90), 5400),)),
        a.Presence("x", "deputy@wigan.gov.uk", None, "Jo Deputy", "Attendee", 5400,
                   (a.Span(start, start + timedelta(minutes=90), 5400),)),
    ], start, start + timedelta(minutes=90))
    await store.save_attendance(SET, 1, taken, ["r1"], [], datetime.now(UTC))


async def test_the_register_is_for_facilitators_and_admins_only(
    set_bot: RunningBot, teams: TeamsStandIn
) -> None:
    await collected(set_bot.app[STORE])
    # An officer asks in personal chat, and with a crafted card action: no names come back.
    await say(set_bot, teams, ALEX, "register")
    assert "Kim Lee" not in text_of(teams.calls[-1].body)
    crafted = await teams.send(set_bot.messages, teams.card_action(ALEX, "register.show", {"set_key": SET}))
    assert crafted.body["value"] == "Only this set's facilitators and the programme admins can see its register."

    # The facilitator of two sets chooses one; the admin facilitates none but sees every set.
    await say(set_bot, teams, FACILITATOR, "register")
    assert "register.show" in text_of(teams.calls[-1].cards[0])
    for user in (FACILITATOR, ADMIN):
        card = text_of(await act(set_bot, teams, user, "register.show", {"set_key": SET}))
        assert "Kim Lee" in card and "⚑" in card and "Alex Smith" in card
        assert "Jo Deputy" in card  # someone who joined instead is shown, not dropped
    await say(set_bot, teams, ADMIN, f"register {SET}")
    assert "Kim Lee" in text_of(teams.calls[-1].cards[0])


async def test_in_the_meeting_chat_the_register_goes_to_the_asker_alone(
    set_bot: RunningBot, teams: TeamsStandIn
) -> None:
    store: SqlStore = set_bot.app[STORE]
    await collected(store)
    chat = teams.meeting_chat("adaptation")
    await store.link_chat(chat["id"], SET, "test", datetime.now(UTC))
    await say(set_bot, teams, FACILITATOR, "help")  # a personal chat to receive it
    await say(set_bot, teams, ALEX, "register", chat)
    assert teams.calls_to(chat["id"]) == []  # the refusal is not for the room (and Alex has no personal chat)
    await say(set_bot, teams, FACILITATOR, "register", chat)
    assert "sent you the register" in teams.calls[-1].text
    personal = teams.personal(FACILITATOR)["id"]
    await eventually(lambda: "Kim Lee" in text_of(cards_in(teams, personal)))
    assert "Kim Lee" not in text_of([c.body for c in teams.calls_to(chat["id"])])
