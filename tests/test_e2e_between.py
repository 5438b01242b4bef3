"""End to end, with authentication ON, through the Teams and Graph stand-ins: a session reminder
reaches an officer in their personal chat; for an officer whom Teams refuses (403
BotNotInConversationRoster) and for one the bot knows only by e-mail, Graph sends exactly one
e-mail each, with the join link and no confidential text, and each notice records how it went out.
Without Graph, the admin is told once which notices could not be delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.adapter.web import BOT, COURIER, SESSION_TICKER, STORE, TICKER
from bot.features import reminders
from bot.rules import booking as b
from bot.store.base import ChallengeRecord
from bot.store.sql import SqlStore
from tests.between_seed import ALEX, SAM, SESSION_1, SET, nominate, programme
from tests.conftest import RunningBot, start_bot
from tests.standins.graph import GraphStandin
from tests.standins.teams import TENANT, TeamsStandIn, User

JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_standin%40thread.v2/0"
SECRET = "Retrofit the Holbeck estate without the capital budget"
KIM = b.Officer("kim@bradford.gov.uk", "Kim Officer", "sustainability", "0a1b2c3d-0000-4000-8000-0000000000c1",
                SESSION_1 - timedelta(days=30))
DANA = b.Officer("dana@lga.gov.uk", "Dana Home", "sustainability", None, SESSION_1 - timedelta(days=30))
DANA_ID = "0a1b2c3d-0000-4000-8000-0000000000d1"
ADMIN = User("a0000000-0000-4000-8000-00000000000a", "Pat Admin", "pat.admin@lga.gov.uk")


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    bot: RunningBot
    teams: TeamsStandIn
    graph: GraphStandin | None
    clock: Clock

    @property
    def store(self) -> SqlStore:
        store: SqlStore = self.bot.app[STORE]
        return store

    async def sweep_and_deliver(self, at: datetime) -> int:
        self.clock.now = at
        sent = await reminders.sweep(self.bot.app[BOT].services, at)
        while await self.bot.app[COURIER].deliver_due():
            pass
        return sent


async def seed(world: World, officers: list[b.Officer]) -> None:
    store = world.store
    await store.save_programme(programme(), SESSION_1 - timedelta(days=31))
    for officer in officers:
        await nominate(store, officer.email.split("@")[1].split(".")[0], (officer,))
        await store.save_challenge(ChallengeRecord(SET, officer.email, SECRET, SECRET + " in detail",
                                                   (True,) * 6), SESSION_1 - timedelta(days=30))
    await store.record_meeting(SET, 1, {"join_url": JOIN})


async def world(teams: TeamsStandIn, database_url: str, graph: GraphStandin | None) -> World:
    clock = Clock(SESSION_1 - timedelta(hours=2))
    env = {**teams.bot_env(), "DATABASE_URL": database_url, "ALS_ADMINS": ADMIN.aad_object_id,
           "MicrosoftAppTenantId": TENANT, **(graph.env() if graph else {})}
    running = await start_bot(env, clock=clock)
    # The tests drive the courier and the sweeps by the clock, one round at a time.
    for loop in (COURIER, TICKER, SESSION_TICKER):
        await running.app[loop].stop()
    return World(running, teams, graph, clock)


@pytest.fixture
async def with_graph(teams: TeamsStandIn, database_url: str) -> AsyncIterator[World]:
    async with GraphStandin(tls=True) as graph:
        running = await world(teams, database_url, graph)
        try:
            yield running
        finally:
            await running.bot.runner.cleanup()


@pytest.fixture
async def without_graph(teams: TeamsStandIn, database_url: str) -> AsyncIterator[World]:
    running = await world(teams, database_url, None)
    try:
        yield running
    finally:
        await running.bot.runner.cleanup()


def user(officer: b.Officer) -> User:
    assert officer.aad_object_id
    return User(officer.aad_object_id, officer.name, officer.email)


def texts(calls: list[Any]) -> str:
    return " ".join(str(c.body) for c in calls)


async def test_a_reminder_goes_by_teams_and_else_once_by_email(with_graph: World) -> None:
    w, teams, graph = with_graph, with_graph.teams, with_graph.graph
    assert graph is not None
    await seed(w, [ALEX, KIM, SAM])
    # Alex and Kim have talked to the bot; Kim has since blocked it. Sam is of another tenant.
    await teams.send(w.bot.messages, teams.message(user(ALEX), "help"))
    await teams.send(w.bot.messages, teams.message(user(KIM), "help"))
    teams.refused.add(KIM.aad_object_id or "")
    teams.calls.clear()
    assert await w.sweep_and_deliver(SESSION_1 - timedelta(hours=1, minutes=5)) == 0
    assert await w.sweep_and_deliver(SESSION_1 - timedelta(hours=1) + timedelta(seconds=20)) == 3

    alex = texts(teams.calls_to(teams.personal(user(ALEX))["id"]))
    assert "Session 1 is in 1 hour" in alex and JOIN in alex and "Refine my challenge" in alex
    # (Sam, who has not committed, is also reminded of the commitment deadline: its own e-mail.)
    mails = [m for m in graph.mails if m.subject.startswith("Reminder:")]
    assert sorted(m.to[0] for m in mails) == [KIM.email, SAM.email]
    for mail in mails:
        assert JOIN in mail.content and "session 1" in mail.content and "Apps" in mail.content
        assert SECRET not in mail.content and SECRET not in mail.subject
        assert mail.content_type == "text" and mail.save_to_sent_items

    statuses = {s.person: s for s in await w.store.notice_statuses(SET, everything=True)}
    statuses = {s.person: s for s in await w.store.notice_statuses(SET, everything=True)
                if s.kind == "session-reminder"}
    assert statuses[ALEX.email].status == "teams"
    assert statuses[KIM.email].status == "email" and "BotNotInConversationRoster" in (
        statuses[KIM.email].reason or "")
    assert statuses[SAM.email].status == "email" and "no Teams chat" in (statuses[SAM.email].reason or "")
    assert {s.person for s in await w.store.notice_statuses(SET) if s.kind == "session-reminder"} == {
        KIM.email, SAM.email}

    # The admin sees it on the `sets` card too.
    await teams.send(w.bot.messages, teams.message(ADMIN, "sets"))
    assert f"Notices not sent by Teams: 2 by e-mail (als notices {SET})" in str(teams.calls[-1].cards[0])

    # Later rounds, and a retry of the Teams path, send nothing again.
    assert await w.sweep_and_deliver(SESSION_1 - timedelta(minutes=30)) == 0
    assert len([m for m in graph.mails if m.subject.startswith("Reminder:")]) == 2
    assert not await w.store.claim_email(statuses[KIM.email].id, w.clock.now, "again")


async def test_someone_of_the_bots_tenant_gets_a_chat_started(with_graph: World) -> None:
    w, teams, graph = with_graph, with_graph.teams, with_graph.graph
    assert graph is not None
    graph.directory[DANA.email] = DANA_ID
    await seed(w, [ALEX, DANA])
    await teams.send(w.bot.messages, teams.message(user(ALEX), "help"))  # a service URL to use
    teams.calls.clear()
    await w.sweep_and_deliver(SESSION_1 - timedelta(hours=1) + timedelta(seconds=20))
    (created,) = teams.created_conversations()
    assert created.body["members"][0]["aadObjectId"] == DANA_ID and created.body["tenantID"] == TENANT
    assert "Session 1 is in 1 hour" in texts(teams.calls_to(f"a:personal-{DANA_ID}"))
    assert graph.user_apps[DANA_ID] and graph.mails == []
    assert (await w.store.conversation(f"user:{DANA_ID}")) is not None


async def test_when_graph_refuses_the_email_it_is_kept_and_tried_again(with_graph: World) -> None:
    w, graph = with_graph, with_graph.graph
    assert graph is not None
    await seed(w, [SAM])
    graph.force("/sendMail", 403, "ErrorAccessDenied")
    await w.sweep_and_deliver(SESSION_1 - timedelta(hours=1) + timedelta(seconds=20))
    (failed,) = [s for s in await w.store.notice_statuses(SET) if s.kind == "session-reminder"]
    assert failed.status == "failed" and "403" in (failed.reason or "") and graph.mails == []
    graph.forced.clear()
    w.clock.now = SESSION_1 - timedelta(minutes=20)
    while await w.bot.app[COURIER].deliver_due():
        pass
    (sent,) = [s for s in await w.store.notice_statuses(SET) if s.kind == "session-reminder"]
    assert sent.status == "email"
    assert len([m for m in graph.mails if m.subject.startswith("Reminder:")]) == 1


async def test_without_graph_the_admin_is_told_once(without_graph: World) -> None:
    w, teams = without_graph, without_graph.teams
    await seed(w, [ALEX, SAM])
    await teams.send(w.bot.messages, teams.message(ADMIN, "help"))
    await teams.send(w.bot.messages, teams.message(user(ALEX), "help"))
    await w.sweep_and_deliver(SESSION_1 - timedelta(hours=1) + timedelta(seconds=20))
    (failed,) = [s for s in await w.store.notice_statuses(SET) if s.kind == "session-reminder"]
    assert failed.person == SAM.email and failed.status == "failed" and "e-mail is off" in (failed.reason or "")
    courier = w.bot.app[COURIER]
    await courier.report_failures()  # the running courier may have reported some already
    assert await courier.report_failures() == 0
    w.clock.now += timedelta(hours=2)  # later rounds retry Teams but report nothing again
    while await courier.deliver_due():
        pass
    await courier.report_failures()
    told = "\n".join(c.text for c in teams.calls_to(teams.personal(ADMIN)["id"]) if "could not be" in c.text)
    assert told.count(f"{SAM.email}: session-reminder ({SET})") == 1, told
    assert "e-mail is off" in told and SECRET not in told


async def test_a_promotion_by_email_names_the_set_and_council_only(with_graph: World) -> None:
    from bot.store.base import Notice

    w, graph = with_graph, with_graph.graph
    assert graph is not None
    await seed(w, [SAM])
    team = next(t for t in await w.store.teams_of(b.Who(None, SAM.email)))
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": SECRET}]}
    await w.store.enqueue([Notice(f"email:{SAM.email}", {"card": card}, f"promoted:{team.team_id}:{SAM.email}")],
                          w.clock.now)
    while await w.bot.app[COURIER].deliver_due():
        pass
    (mail,) = graph.mails
    assert mail.subject == "Your council has a place in an Action Learning Set"
    assert "The set: Sustainable Adaptation: Tuesday set." in mail.content
    assert "Your council: York Council." in mail.content and SECRET not in mail.content
