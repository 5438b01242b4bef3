"""Between sessions in personal chat, end to end with authentication ON: refine a challenge (every
version kept, the officer sees what they saved), update actions before session 2 (read back through
`review_of`, as the meeting's review does), propose and vote on deep-dive topics (only inside the set)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.adapter.web import COURIER, SESSION_TICKER, STORE, TICKER
from bot.rules import booking as b
from bot.store.base import ChallengeRecord
from bot.store.sql import SqlStore
from tests.between_seed import ALEX, SESSION_1, SESSION_2, SET, nominate, programme
from tests.conftest import RunningBot, start_bot
from tests.standins.teams import TeamsStandIn, User
from tests.test_e2e_between import Clock

ALEX_USER = User(ALEX.aad_object_id or "", ALEX.name, ALEX.email)
KIM = b.Officer("kim@bradford.gov.uk", "Kim Officer", "sustainability", "0a1b2c3d-0000-4000-8000-0000000000c1",
                SESSION_1 - timedelta(days=30))
KIM_USER = User(KIM.aad_object_id or "", KIM.name, KIM.email)
OUTSIDER = User("0a1b2c3d-0000-4000-8000-0000000000e1", "Eve Elsewhere", "eve@wigan.gov.uk")
FACILITATOR = User("0a1b2c3d-0000-4000-8000-0000000000f1", "Fran Facilitator", "facilitator@lga.gov.uk")


@pytest.fixture
async def chat(teams: TeamsStandIn, database_url: str) -> AsyncIterator[tuple[RunningBot, Clock]]:
    clock = Clock(SESSION_1 - timedelta(days=7))
    running = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url}, clock=clock)
    for loop in (COURIER, TICKER, SESSION_TICKER):
        await running.app[loop].stop()
    store: SqlStore = running.app[STORE]
    await store.save_programme(programme(), SESSION_1 - timedelta(days=31))
    for officer in (ALEX, KIM):
        await nominate(store, officer.email.split("@")[1].split(".")[0], (officer,))
    await store.save_challenge(ChallengeRecord(SET, ALEX.email, "Retrofit the estate", "Housing retrofit.",
                                               (True,) * 6), SESSION_1 - timedelta(days=30))
    try:
        yield running, clock
    finally:
        await running.runner.cleanup()


async def act(bot: RunningBot, teams: TeamsStandIn, user: User, verb: str, data: dict[str, Any]) -> Any:
    reply = await teams.send(bot.messages, teams.card_action(user, verb, data))
    assert reply.status == 200, reply.body
    return reply.body["value"]


async def typed(bot: RunningBot, teams: TeamsStandIn, user: User, text: str) -> list[Any]:
    before = len(teams.calls)
    reply = await teams.send(bot.messages, teams.message(user, text))
    assert reply.status in (200, 201)
    return [card for c in teams.calls[before:] for card in c.cards] or [c.text for c in teams.calls[before:]]


def answers(*values: str) -> dict[str, str]:
    return {f"suitability_{i}": v for i, v in enumerate(values, 1)}


async def test_refining_a_challenge_keeps_every_version_and_shows_what_was_saved(
        chat: tuple[RunningBot, Clock], teams: TeamsStandIn) -> None:
    bot, _ = chat
    store: SqlStore = bot.app[STORE]
    (card,) = await typed(bot, teams, ALEX_USER, "challenge")
    assert "Refine your challenge" in str(card) and "Retrofit the estate" in str(card)
    assert str(card).count("suitability_") == 6
    # A "no" brings guidance and the entries back, not a rejection.
    data = {"set_key": SET, "challenge_title": "Retrofit 200 homes on one estate",
            "challenge_text": "Narrowed to one estate.", **answers("yes", "yes", "yes", "yes", "yes", "no")}
    guided = await act(bot, teams, ALEX_USER, "challenge.save", data)
    assert "not a rejection" in str(guided) and "Retrofit 200 homes on one estate" in str(guided)
    assert await store.challenge_versions(SET, ALEX.email) == 1
    saved = await act(bot, teams, ALEX_USER, "challenge.save", {**data, "accept_as_is": "true"})
    assert "Challenge saved" in str(saved) and "version 2" in str(saved)
    assert "Retrofit 200 homes on one estate" in str(saved)
    again = await act(bot, teams, ALEX_USER, "challenge.save", {**data, "accept_as_is": "true"})
    assert "No change to save" in str(again)  # a double click adds no version
    current = await store.latest_challenge(SET, ALEX.email)
    assert current is not None and current.title == "Retrofit 200 homes on one estate"
    assert await store.challenge_versions(SET, ALEX.email) == 2
    # A missing title comes back beside the field, with the other entries kept.
    wrong = await act(bot, teams, ALEX_USER, "challenge.save", {**data, "challenge_title": " "})
    assert "challenge_title__error" in str(wrong) and "Narrowed to one estate." in str(wrong)
    # Nobody else can save into Alex's set, whatever the card says.
    refused = await act(bot, teams, OUTSIDER, "challenge.save", data)
    assert "Only the officers" in str(refused)


async def test_actions_updated_before_session_two_fill_the_review(
        chat: tuple[RunningBot, Clock], teams: TeamsStandIn) -> None:
    bot, clock = chat
    store: SqlStore = bot.app[STORE]
    (early,) = await typed(bot, teams, ALEX_USER, "actions")
    assert "start from session 2" in str(early)
    team = next(t for t in await store.teams_of(b.Who(ALEX.aad_object_id, ALEX.email)) if t.set_key == SET)
    await store.save_actions(SET, team.team_id, 1, ALEX.email, ["Brief the portfolio holder", "Cost it"],
                             SESSION_1 + timedelta(minutes=80))
    clock.now = SESSION_2 - timedelta(days=2)
    (card,) = await typed(bot, teams, ALEX_USER, "actions")
    assert "Brief the portfolio holder" in str(card) and "status_1" in str(card)
    saved = await act(bot, teams, ALEX_USER, "actions.save", {
        "set_key": SET, "number": "1", "status_1": "done", "status_2": "partly",
        "worked_well": "Early briefing", "worked_less_well": "", "learning": "Ask sooner"})
    assert "Your actions saved" in str(saved) and "partly done" in str(saved)
    review = await store.review_of(SET, team.team_id, 1)
    assert review is not None and review.statuses == ((1, "done"), (2, "partly"))
    assert review.worked_well == "Early briefing" and review.learning == "Ask sooner"
    # Kim's team set no actions: nothing to update, said plainly.
    (none,) = await typed(bot, teams, KIM_USER, "actions")
    assert "no actions recorded" in str(none)


async def test_members_propose_and_vote_and_the_facilitator_sees_the_ranking(
        chat: tuple[RunningBot, Clock], teams: TeamsStandIn) -> None:
    bot, _ = chat
    store: SqlStore = bot.app[STORE]
    (card,) = await typed(bot, teams, ALEX_USER, "topics")
    assert "No topics yet" in str(card)
    await act(bot, teams, ALEX_USER, "topics.propose", {"set_key": SET, "topic": "Retrofitting homes"})
    await act(bot, teams, ALEX_USER, "topics.propose", {"set_key": SET, "topic": "retrofitting  homes"})
    await act(bot, teams, KIM_USER, "topics.propose", {"set_key": SET, "topic": "Change and influencing"})
    ranked = await store.topics(SET)
    assert [(t.title, t.votes) for t in ranked] == [("Retrofitting homes", 1), ("Change and influencing", 1)]
    retrofit = ranked[0].id
    await act(bot, teams, KIM_USER, "topics.vote", {"topic_id": retrofit, "vote": "true"})
    await act(bot, teams, KIM_USER, "topics.vote", {"topic_id": retrofit, "vote": "true"})  # one vote each
    assert [t.votes for t in await store.topics(SET)] == [2, 1]
    taken = await act(bot, teams, KIM_USER, "topics.vote", {"topic_id": retrofit, "vote": "false"})
    assert "taken back" in str(taken)
    await act(bot, teams, KIM_USER, "topics.vote", {"topic_id": retrofit, "vote": "true"})
    (fac,) = await typed(bot, teams, FACILITATOR, "topics")
    assert "1. Retrofitting homes (2 votes)" in str(fac) and "Propose it" not in str(fac)
    # Outside the set: nothing to see, and no vote counts.
    (outside,) = await typed(bot, teams, OUTSIDER, "topics")
    assert "Retrofitting" not in str(outside)
    refused = await act(bot, teams, OUTSIDER, "topics.vote", {"topic_id": retrofit, "vote": "true"})
    assert "Only the officers" in str(refused)
    assert [t.votes for t in await store.topics(SET)] == [2, 1]


async def test_these_cards_answer_only_in_the_personal_chat(
        chat: tuple[RunningBot, Clock], teams: TeamsStandIn) -> None:
    bot, _ = chat
    meeting = teams.meeting_chat("between")
    for verb in ("challenge.show", "actions.show", "topics.show", "topics.vote"):
        reply = await teams.send(bot.messages, teams.card_action(ALEX_USER, verb, {"set_key": SET, "topic_id": 1},
                                                                 conversation=meeting))
        assert reply.status == 200 and "personal chat" in str(reply.body["value"]), verb
        assert "Retrofit the estate" not in str(reply.body)
    # A button whose data is not what its verb carries is refused before any handler.
    broken = await teams.send(bot.messages, teams.card_action(ALEX_USER, "topics.vote", {"topic_id": "x"}))
    assert "did not carry what I need" in str(broken.body["value"])


async def test_refine_my_challenge_at_sign_up_says_what_to_do_and_then_goes_through(
        chat: tuple[RunningBot, Clock], teams: TeamsStandIn) -> None:
    from bot.rules import nomination as n

    bot, _ = chat
    jo = User("0a1b2c3d-0000-4000-8000-0000000000b1", "Jo Bury", "jo@bury.gov.uk")
    await teams.send(bot.messages, teams.message(jo, "help"))  # the profile, with the e-mail address
    form = {n.SET_KEY: SET, n.SUBMISSION_ID: "jo-1", n.COUNCIL: "Bury Council", n.OFFICER_NAME: jo.name,
            n.OFFICER_EMAIL: jo.email, n.OFFICER_ROLE: "sustainability", n.CHALLENGE_TITLE: "Net zero by 2030",
            n.CHALLENGE_TEXT: "The whole borough.", **{q: "yes" for q in n.SUITABILITY},
            n.SUITABILITY[5]: "no", n.COMMIT: "true", n.GROUND_RULES: "true"}
    guided = await act(bot, teams, jo, "signup.submit", form)
    assert "Refine my challenge" in str(guided)
    refining = await act(bot, teams, jo, "signup.refine", form)
    assert "Refine your challenge below" in str(refining) and "Nothing has been sent yet" in str(refining)
    assert "Net zero by 2030" in str(refining)  # the entries are kept
    narrowed = {**form, n.CHALLENGE_TITLE: "Net zero council fleet by 2030", n.SUITABILITY[5]: "yes"}
    placed = await act(bot, teams, jo, "signup.refine", narrowed)
    assert "You have a place" in str(placed)
    current = await bot.app[STORE].latest_challenge(SET, jo.email)
    assert current is not None and current.title == "Net zero council fleet by 2030"
