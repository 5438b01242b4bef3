"""Shared fixtures: databases (SQLite always, PostgreSQL with TEST_DATABASE_URL), the Teams stand-in,
and the bot's real aiohttp server on loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import create_async_engine

from bot.adapter.app import create_app
from bot.config import Settings, load_settings
from bot.store.sql import SqlStore, engine_url
from tests.standins.teams import TeamsStandIn, User

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
NO_POSTGRES = "TEST_DATABASE_URL is not set; PostgreSQL tests run in CI (.ci/run sets it)"


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(engine_url(url))
    async with engine.begin() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: the same tests run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'als.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip(reason=NO_POSTGRES)
    await reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    s = await SqlStore.open(database_url)
    yield s
    await s.close()


@pytest.fixture(scope="session")
def teams_session() -> Iterator[TeamsStandIn]:
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def teams(teams_session: TeamsStandIn) -> TeamsStandIn:
    teams_session.calls.clear()
    teams_session.fail_connector = False
    teams_session.connector_delay = 0.0
    teams_session.connector_faults.clear()
    teams_session.refused.clear()
    teams_session.notifications.clear()
    teams_session.refuse_notifications = None
    teams_session.unreachable.clear()
    return teams_session


@dataclass
class RunningBot:
    url: str
    settings: Settings
    app: web.Application
    runner: web.AppRunner

    @property
    def messages(self) -> str:
        return self.url + "/api/messages"


async def start_bot(env: dict[str, str], *, clock: Callable[[], datetime] | None = None) -> RunningBot:
    settings = load_settings({"HOST": "127.0.0.1", "PORT": "0", **env})
    store = await SqlStore.open(settings.database_url)
    app = create_app(settings, store, clock=clock)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return RunningBot(f"http://127.0.0.1:{port}", settings, app, runner)


@pytest.fixture
async def bot(teams: TeamsStandIn, database_url: str) -> AsyncIterator[RunningBot]:
    """The bot's real server with authentication ON, pointed at the Teams stand-in."""
    running = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url})
    yield running
    await running.runner.cleanup()


@pytest.fixture
def officer() -> User:
    return User("0a1b2c3d-0000-4000-8000-000000000001", "Alex Officer", "alex.officer@leeds.gov.uk")
