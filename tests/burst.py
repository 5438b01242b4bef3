"""The 200-nomination burst: many officers submit the sign-up card for one set at the same moment."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.rules import nomination as n
from tests.standins.teams import TeamsStandIn, User

SET_KEY = "adaptation-wed"


def officer(i: int) -> User:
    return User(f"b0000000-0000-4000-8000-{i:012d}", f"Officer {i}", f"officer{i}@council{i}.gov.uk")


def submission(user: User, i: int) -> dict[str, Any]:
    return {
        n.SET_KEY: SET_KEY, n.SUBMISSION_ID: f"burst-{i}", n.COUNCIL: f"Council {i}",
        n.OFFICER_NAME: user.name, n.OFFICER_EMAIL: user.email, n.OFFICER_ROLE: "sustainability",
        n.CHALLENGE_TITLE: "A challenge", n.CHALLENGE_TEXT: "A few lines about it.",
        n.COMMIT: "true", n.GROUND_RULES: "true", **{q: "yes" for q in n.SUITABILITY},
    }


@dataclass
class Burst:
    statuses: list[int]
    cards: list[str]
    seconds: float


async def burst(teams: TeamsStandIn, urls: list[str], count: int = 200, *,
                verb: str = "signup.submit") -> Burst:
    """Send `count` card actions at once, spread over the bot URLs; return answers in send order."""
    users = [officer(i) for i in range(count)]
    activities = [teams.card_action(u, verb, submission(u, i)) for i, u in enumerate(users)]
    bodies = [json.dumps(a) for a in activities]
    tokens = [teams.token() for _ in activities]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> tuple[int, str]:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[i]}"}
            async with session.post(urls[i % len(urls)], data=bodies[i], headers=headers) as r:
                return r.status, await r.text()

        started = time.perf_counter()
        answers = await asyncio.gather(*(one(i) for i in range(count)))
        seconds = time.perf_counter() - started
    return Burst([s for s, _ in answers], [b for _, b in answers], seconds)
