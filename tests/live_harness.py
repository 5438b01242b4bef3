"""The meeting page's test harness: the bot's real server with authentication and single sign-on on
(Entra played by the Teams stand-in), a meeting with three teams booked, and the page's API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.conftest import RunningBot, start_bot
from tests.standins.teams import TeamsStandIn, User
from tests.transcript import Clock, Meeting, open_meeting

PUBLIC_URL = "https://als.example.gov.uk"
STRANGER = User("5a5a5a5a-0000-4000-8000-000000000009", "Pat Stranger", "pat@elsewhere.gov.uk")


def live_env(teams: TeamsStandIn, database_url: str, *, tick: str = "3600") -> dict[str, str]:
    return {**teams.bot_env(), **teams.sso_env(PUBLIC_URL), "DATABASE_URL": database_url,
            "ALS_SESSION_TICK_SECONDS": tick}


def resource(teams: TeamsStandIn) -> str:
    return f"api://als.example.gov.uk/botid-{teams.app_id}"


@dataclass
class Page:
    """The page's side of the API, as one person's browser would call it."""

    bot: RunningBot
    teams: TeamsStandIn
    chat_id: str

    def token(self, user: User, **kwargs: Any) -> str:
        return self.teams.sso_token(user, kwargs.pop("audience", resource(self.teams)), **kwargs)

    async def state(self, user: User | None, *, since: str = "", token: str | None = None,
                    chat: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {}
        if token is not None or user is not None:
            headers["Authorization"] = f"Bearer {token if token is not None else self.token(user)}"  # type: ignore[arg-type]
        params = {"chat": chat if chat is not None else self.chat_id, "since": since}
        async with aiohttp.ClientSession() as session, session.get(
                f"{self.bot.url}/meeting/api/state", params=params, headers=headers) as response:
            return response.status, json.loads(await response.text())

    async def control(self, user: User, control: str, **extra: Any) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        body = {"chat": self.chat_id, "control": control, **extra}
        async with aiohttp.ClientSession() as session, session.post(
                f"{self.bot.url}/meeting/api/control", json=body, headers=headers) as response:
            return response.status, json.loads(await response.text())


async def live_meeting(teams: TeamsStandIn, database_url: str, clock: Clock | None = None,
                       *, tick: str = "3600") -> tuple[RunningBot, Meeting, Page]:
    from tests.transcript import first_session_start

    clock = clock or Clock(first_session_start())
    bot = await start_bot(live_env(teams, database_url, tick=tick), clock=clock)
    m = await open_meeting(bot, teams, clock)
    return bot, m, Page(bot, teams, m.chat_id)
