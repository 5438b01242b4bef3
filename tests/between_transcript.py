"""One officer's weeks between sessions, end to end through the Teams and Graph stand-ins, as text.

`python -m tests.between_transcript` signs Alex (Leeds, who has a personal chat with the bot) up to a
set, then steps the clock from session to session: the reminders three days and one hour before
each, refining the challenge, updating the actions before sessions 2 and 3, proposing a deep-dive
topic. Sam (York, another council's tenant, known to the bot only by e-mail) is in the same set, and
a third officer, Kim (Bradford), has blocked the bot: their notices go by e-mail through Graph. It
ends with how every notice went out. Authentication is on; SQLite in a temporary folder.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.adapter.web import BOT, COURIER, SESSION_TICKER, STORE, TICKER
from bot.features import reminders
from bot.rules import booking as b
from bot.rules import nomination as n
from bot.store.sql import SqlStore
from cards.format import LONDON
from tests.between_seed import JOINED, SESSION_1, SESSION_2, SESSION_3, SET, nominate, programme
from tests.conftest import start_bot
from tests.standins.graph import GraphStandin
from tests.standins.teams import TENANT, TeamsStandIn, User
from tests.transcript import card_text

ALEX = User("0a1b2c3d-0000-4000-8000-000000000001", "Alex Officer", "alex.officer@leeds.gov.uk")
SAM = b.Officer("sam@york.gov.uk", "Sam Partner", "other", None, JOINED)
KIM = b.Officer("kim@bradford.gov.uk", "Kim Officer", "sustainability", "0a1b2c3d-0000-4000-8000-0000000000c1",
                JOINED)
KIM_USER = User(KIM.aad_object_id or "", KIM.name, KIM.email)
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_between%40thread.v2/0"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


def when(at: datetime) -> str:
    return f"{at.astimezone(LONDON):%a %d %b %H:%M}"


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


async def main() -> None:
    logging.disable(logging.WARNING)  # the refusals are expected here, and shown in the summary
    teams = TeamsStandIn().start()
    with tempfile.TemporaryDirectory() as folder:
        async with GraphStandin(tls=True) as graph:
            clock = Clock(JOINED - timedelta(hours=1))
            env = {**teams.bot_env(), **graph.env(), "MicrosoftAppTenantId": TENANT,
                   "DATABASE_URL": f"sqlite:///{Path(folder) / 'als.sqlite3'}"}
            bot = await start_bot(env, clock=clock)
            for loop in (COURIER, TICKER, SESSION_TICKER):  # this script moves the clock and the loops
                await bot.app[loop].stop()
            try:
                await run(bot, teams, graph, clock)
            finally:
                await bot.runner.cleanup()
    teams.stop()


async def run(bot: Any, teams: TeamsStandIn, graph: GraphStandin, clock: Clock) -> None:
    store: SqlStore = bot.app[STORE]
    services = bot.app[BOT].services
    personal = teams.personal(ALEX)["id"]
    seen = 0
    mailed = 0

    def show(title: str) -> None:
        nonlocal seen, mailed
        print(f"\n== {when(clock.now)}  {title}")
        for call in teams.calls[seen:]:
            if call.conversation_id != personal:
                continue
            for card in call.cards:
                print(indent(card_text(card)))
            if call.text:
                print(indent(call.text))
        seen = len(teams.calls)
        for mail in graph.mails[mailed:]:
            print(f"    (e-mail to {mail.to[0]}: {mail.subject!r})")
        mailed = len(graph.mails)

    async def press(verb: str, data: dict[str, Any]) -> None:
        reply = await teams.send(bot.messages, teams.card_action(ALEX, verb, data))
        value = reply.body["value"]
        print(indent(card_text(value) if isinstance(value, dict) else str(value)))

    async def tick(at: datetime, title: str) -> None:
        clock.now = at
        await reminders.sweep(services, at)
        while await bot.app[COURIER].deliver_due():
            pass
        show(title)

    await store.save_programme(programme(), JOINED - timedelta(days=1))
    await nominate(store, "york", (SAM,))
    await nominate(store, "bradford", (KIM,))
    await teams.send(bot.messages, teams.message(KIM_USER, "help"))
    teams.refused.add(KIM.aad_object_id or "")  # Kim has blocked the bot since
    seen = len(teams.calls)

    clock.now = JOINED
    print("Alex signs up (personal chat)")
    await teams.send(bot.messages, teams.message(ALEX, "sign up"))
    show("sign up")
    form = {n.SET_KEY: SET, n.SUBMISSION_ID: "alex-1", n.COUNCIL: "Leeds City Council",
            n.OFFICER_NAME: ALEX.name, n.OFFICER_EMAIL: ALEX.email, n.OFFICER_ROLE: "sustainability",
            n.CHALLENGE_TITLE: "Retrofit council homes", n.CHALLENGE_TEXT: "All 4,000 homes by 2030.",
            **{q: "yes" for q in n.SUITABILITY}, n.COMMIT: "true", n.GROUND_RULES: "true"}
    await press("signup.submit", form)
    await store.record_meeting(SET, 1, {"join_url": JOIN})
    await store.record_meeting(SET, 2, {"join_url": JOIN.replace("between", "between-2")})
    await store.record_meeting(SET, 3, {"join_url": JOIN.replace("between", "between-3")})
    await tick(JOINED + timedelta(minutes=1), "the scheduler sees the set's reminders")

    for number, start in ((1, SESSION_1), (2, SESSION_2), (3, SESSION_3)):
        await tick(start - timedelta(days=3) + timedelta(seconds=30), f"three days before session {number}")
        if number == 1:
            print("\nAlex presses Refine my challenge")
            await press("challenge.show", {"set_key": SET})
            print("Alex narrows the scope and saves")
            await press("challenge.save", {"set_key": SET, "challenge_title": "Retrofit 200 homes on one estate",
                                           "challenge_text": "One estate first, as a pilot.",
                                           **{q: "yes" for q in n.SUITABILITY}})
        else:
            print("\nAlex presses Update my actions")
            await press("actions.show", {"set_key": SET})
            print("Alex marks them and saves")
            await press("actions.save", {"set_key": SET, "number": str(number - 1), "status_1": "done",
                                         "status_2": "partly", "worked_well": "Briefing early",
                                         "learning": "Ask finance sooner"})
        await tick(start - timedelta(hours=1) + timedelta(seconds=30), f"one hour before session {number}")
        if number < 3:
            clock.now = start + timedelta(minutes=75)
            team = next(t for t in await store.teams_of(b.Who(ALEX.aad_object_id, ALEX.email)) if t.set_key == SET)
            print(f"\n== {when(clock.now)}  session {number}: Alex records actions from the actions card")
            await press("meeting.actions", {"set_key": SET, "team_id": team.team_id, "number": str(number),
                                            "action_1": f"Brief the portfolio holder (session {number})",
                                            "action_2": "Cost the pilot with finance"})
    clock.now = SESSION_3 - timedelta(minutes=30)
    print(f"\n== {when(clock.now)}  Alex proposes a deep-dive topic")
    await press("topics.propose", {"set_key": SET, "topic": "Retrofitting: funding routes"})

    print("\nHow every notice went out")
    for status in sorted(await store.notice_statuses(SET, everything=True), key=lambda s: s.id):
        how = {"teams": "Teams", "email": "e-mail", "failed": "FAILED", "pending": "waiting"}[status.status]
        reason = f"  ({status.reason})" if status.status != "teams" and status.reason else ""
        print(f"  {when(status.at)}  {status.person:28} {status.kind:18} {how}{reason}")
    confidential = ("Retrofit council homes", "Retrofit 200 homes", "Brief the portfolio holder")
    leaked = [m for m in graph.mails if any(c in m.content or c in m.subject for c in confidential)]
    print(f"\n{len(graph.mails)} e-mails sent through Graph; with confidential text: {len(leaked)}")


if __name__ == "__main__":
    asyncio.run(main())
