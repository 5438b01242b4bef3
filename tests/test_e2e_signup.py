"""Sign-up end to end through the Teams stand-in, authentication on: the officer's journey."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapter.web import STORE
from bot.rules import nomination as n
from bot.rules.booking import Who
from tests.conftest import RunningBot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn, User


@pytest.fixture
async def booked_bot(bot: RunningBot) -> AsyncIterator[RunningBot]:
    await bot.app[STORE].save_programme(programme(), datetime.now(UTC))
    yield bot


def officer_of(i: int) -> User:
    return User(f"00000000-0000-4000-8000-{i:012d}", f"Officer {i}", f"officer{i}@council{i}.gov.uk")


def form(user: User, council: str, *, set_key: str = "adaptation-wed", submission: str = "s1",
         **overrides: str) -> dict[str, Any]:
    data = {
        n.SET_KEY: set_key, n.SUBMISSION_ID: submission, n.COUNCIL: council,
        n.OFFICER_NAME: user.name, n.OFFICER_EMAIL: user.email, n.OFFICER_ROLE: "sustainability",
        n.CHALLENGE_TITLE: "Flood resilience in the Aire valley",
        n.CHALLENGE_TEXT: "Getting three services to plan flood resilience together.",
        n.COMMIT: "true", n.GROUND_RULES: "true",
        **{q: "yes" for q in n.SUITABILITY},
    }
    data.update(overrides)
    return data


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


async def eventually(condition: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def act(bot: RunningBot, teams: TeamsStandIn, user: User, verb: str,
              data: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await teams.send(bot.messages, teams.card_action(user, verb, data or {}))
    assert reply.status == 200, reply.body
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive", reply.body
    card: dict[str, Any] = reply.body["value"]
    return card


async def test_an_officer_signs_up_and_is_confirmed(booked_bot: RunningBot, teams: TeamsStandIn) -> None:
    alex = officer_of(1)
    await teams.send(booked_bot.messages, teams.message(alex, "sign up"))
    sets_card = teams.calls[-1].cards[0]
    assert "Sustainable Adaptation – Wednesday set" in card_text(sets_card)
    form_card = await act(booked_bot, teams, alex, "signup.choose", {"set_key": "adaptation-wed"})
    assert alex.email in card_text(form_card)  # prefilled from the Teams profile
    placed = await act(booked_bot, teams, alex, "signup.submit", form(alex, "Leeds City Council"))
    text = card_text(placed)
    assert "place" in text and "Leeds City Council" in text
    assert "waiting list" not in text.lower() or "number" not in text.lower()
    await teams.send(booked_bot.messages, teams.message(alex, "my sets"))
    assert "Sustainable Adaptation – Wednesday set" in card_text(teams.calls[-1].cards[0])


async def test_a_card_with_mistakes_comes_back_with_the_entries_kept(
    booked_bot: RunningBot, teams: TeamsStandIn
) -> None:
    alex = officer_of(1)
    data = form(alex, "Leeds City Council", **{n.OFFICER_EMAIL: "not-an-address", n.COMMIT: "false"})
    card = await act(booked_bot, teams, alex, "signup.submit", data)
    text = card_text(card)
    assert "Flood resilience in the Aire valley" in text and "not-an-address" in text
    assert "Leeds City Council" in text
    assert "every session" in text  # the message beside the commitment toggle
    assert await booked_bot.app[STORE].teams_of(Who(alex.aad_object_id, alex.email)) == []


async def test_a_no_to_a_suitability_question_guides_and_does_not_block(
    booked_bot: RunningBot, teams: TeamsStandIn
) -> None:
    alex = officer_of(1)
    data = form(alex, "Leeds City Council", **{n.SUITABILITY[4]: "no"})
    guided = await act(booked_bot, teams, alex, "signup.submit", data)
    assert "signup.refine" in card_text(guided) and "accept_as_is" in card_text(guided)
    placed = await act(booked_bot, teams, alex, "signup.submit", {**data, "accept_as_is": "true"})
    assert "Leeds City Council" in card_text(placed)


async def test_the_seventh_team_waits_and_is_promoted_when_one_withdraws(
    booked_bot: RunningBot, teams: TeamsStandIn
) -> None:
    officers = [officer_of(i) for i in range(1, 8)]
    for i, user in enumerate(officers, start=1):
        await teams.send(booked_bot.messages, teams.message(user, "help"))  # opens their personal chat
        card = await act(booked_bot, teams, user, "signup.submit", form(user, f"Council {i}"))
        if i == 7:
            assert "number 1" in card_text(card).lower()
    first = officers[0]
    mine = await booked_bot.app[STORE].teams_of(Who(first.aad_object_id, first.email))
    confirm = await act(booked_bot, teams, first, "withdraw.ask", {"team_id": mine[0].team_id})
    assert "withdraw.confirm" in card_text(confirm)
    done = await act(booked_bot, teams, first, "withdraw.confirm", {"team_id": mine[0].team_id})
    assert "withdrawn" in card_text(done).lower()
    chat = teams.personal(officers[6])["id"]
    # The courier was kicked when the withdrawal committed; the notice arrives on its own.
    await eventually(lambda: any("Council 7" in card_text(c) for call in teams.calls_to(chat)
                                 for c in call.cards))


async def test_a_crafted_invoke_cannot_withdraw_another_councils_team(
    booked_bot: RunningBot, teams: TeamsStandIn
) -> None:
    victim, attacker = officer_of(1), officer_of(2)
    await act(booked_bot, teams, victim, "signup.submit", form(victim, "Leeds City Council"))
    await act(booked_bot, teams, attacker, "signup.submit", form(attacker, "Bristol City Council"))
    (team,) = await booked_bot.app[STORE].teams_of(Who(victim.aad_object_id, victim.email))
    for verb in ("withdraw.ask", "withdraw.confirm"):
        card = await act(booked_bot, teams, attacker, verb, {"team_id": team.team_id})
        assert "withdraw.confirm" not in card_text(card)
    book = await booked_bot.app[STORE].book("adaptation")
    assert book.team(team.team_id).status == "confirmed"  # type: ignore[union-attr]


async def test_the_same_card_submitted_twice_books_once(booked_bot: RunningBot, teams: TeamsStandIn) -> None:
    alex = officer_of(1)
    data = form(alex, "Leeds City Council")
    first = await act(booked_bot, teams, alex, "signup.submit", data)
    second = await act(booked_bot, teams, alex, "signup.submit", data)
    assert card_text(first) == card_text(second)
    book = await booked_bot.app[STORE].book("adaptation")
    assert len(book.teams) == 1


async def test_a_role_pair_partner_is_told_and_commits(booked_bot: RunningBot, teams: TeamsStandIn) -> None:
    sam, kim = officer_of(1), officer_of(11)
    kim = User(kim.aad_object_id, "Kim Procurement", "kim@council1.gov.uk")
    await teams.send(booked_bot.messages, teams.message(kim, "help"))  # the partner has the app
    data = form(sam, "Leeds City Council", set_key="procurement-tue", **{
        n.PARTNER_NAME: kim.name, n.PARTNER_EMAIL: kim.email, n.PARTNER_ROLE: "procurement"})
    await act(booked_bot, teams, sam, "signup.submit", data)
    chat = teams.personal(kim)["id"]
    await eventually(lambda: any("signup.commit" in card_text(c) for call in teams.calls_to(chat)
                                 for c in call.cards))
    refused = await act(booked_bot, teams, kim, "signup.commit", {"set_key": "procurement-tue"})
    assert "every session" in card_text(refused)
    done = await act(booked_bot, teams, kim, "signup.commit",
                     {"set_key": "procurement-tue", n.COMMIT: "true", n.GROUND_RULES: "true"})
    assert "Leeds City Council" in card_text(done)
    book = await booked_bot.app[STORE].book("procurement")
    assert book.teams[0].fully_committed


async def test_only_admins_see_and_change_booking(booked_bot: RunningBot, teams: TeamsStandIn) -> None:
    alex = officer_of(1)
    await teams.send(booked_bot.messages, teams.message(alex, "sets"))
    assert "Only programme admins" in teams.calls[-1].text
    reply = await teams.send(booked_bot.messages, teams.card_action(alex, "booking.close",
                                                                    {"set_key": "adaptation-wed"}))
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    book = await booked_bot.app[STORE].book("adaptation")
    assert book.set_state("adaptation-wed").booking == "open"  # type: ignore[union-attr]
