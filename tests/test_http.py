"""The endpoint's answers to bad requests, and the health probes: clean JSON, never a stack trace."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import RunningBot
from tests.standins.teams import TeamsStandIn, User


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """HTTP handling does not depend on the database kind: SQLite only here."""
    return f"sqlite:///{tmp_path / 'als.sqlite3'}"


async def _post(url: str, data: bytes, content_type: str, token: str = "") -> tuple[int, str]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers) as r:
        return r.status, await r.text()


async def test_wrong_content_type_is_415(bot: RunningBot, teams: TeamsStandIn) -> None:
    status, body = await _post(bot.messages, b"type=message", "application/x-www-form-urlencoded",
                               teams.token())
    assert status == 415
    assert json.loads(body) == {"error": "Content-Type must be application/json"}


async def test_a_body_that_is_not_json_is_400(bot: RunningBot, teams: TeamsStandIn) -> None:
    status, body = await _post(bot.messages, b"{not json", "application/json", teams.token())
    assert status == 400
    assert "Traceback" not in body


async def test_json_that_is_not_an_activity_is_400(bot: RunningBot, teams: TeamsStandIn) -> None:
    for payload in (b"[1, 2]", b'{"text": "no type"}', b'{"type": ""}', b'"message"',
                    b'{"type": "message"}'):
        status, _ = await _post(bot.messages, payload, "application/json", teams.token())
        assert status == 400, payload


async def test_a_huge_body_is_413(bot: RunningBot, teams: TeamsStandIn, officer: User) -> None:
    activity = teams.message(officer, "x" * (bot.settings.max_body_bytes + 10))
    status, body = await _post(bot.messages, json.dumps(activity).encode(), "application/json",
                               teams.token())
    assert status == 413
    assert "Traceback" not in body
    assert teams.calls == []


async def test_get_on_messages_is_405(bot: RunningBot) -> None:
    async with aiohttp.ClientSession() as session, session.get(bot.messages) as r:
        assert r.status == 405


async def test_health_probes_need_no_token_and_carry_no_data(bot: RunningBot) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + "/healthz") as r:
            assert (r.status, await r.json()) == (200, {"status": "alive"})
        async with session.get(bot.url + "/readyz") as r:
            assert (r.status, await r.json()) == (200, {"status": "ready"})


async def test_readyz_is_503_when_the_store_is_gone(bot: RunningBot) -> None:
    from bot.adapter.web import STORE

    store = bot.app[STORE]
    await store.close()
    engine = store.engine  # type: ignore[attr-defined]
    # A disposed engine reconnects on demand; point it at a database that cannot be opened.
    from sqlalchemy.ext.asyncio import create_async_engine

    store.engine = create_async_engine("sqlite+aiosqlite:////nonexistent-dir/x.sqlite3")  # type: ignore[attr-defined]
    try:
        async with aiohttp.ClientSession() as session, session.get(bot.url + "/readyz") as r:
            assert (r.status, await r.json()) == (503, {"status": "unavailable"})
    finally:
        await store.engine.dispose()  # type: ignore[attr-defined]
        store.engine = engine  # type: ignore[attr-defined]
