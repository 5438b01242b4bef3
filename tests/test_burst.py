"""Capacity holds under a burst: 200 nominations for one set of 6 at once, one or two bot processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapter.web import STORE
from bot.store.sql import SqlStore
from tests.burst import SET_KEY, burst
from tests.conftest import NO_POSTGRES, POSTGRES_URL, RunningBot, reset_postgres
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn
from tests.test_cli import _free_port, _wait_ready

pytestmark = pytest.mark.slow


async def check(store: SqlStore, statuses: list[int], cards: list[str]) -> None:
    assert set(statuses) == {200}, sorted(set(statuses))
    book = await store.book("adaptation")
    confirmed, waiting = book.confirmed(SET_KEY), book.waitlist(SET_KEY)
    assert (len(confirmed), len(waiting)) == (6, 194)
    ordered = sorted(book.teams, key=lambda t: t.accepted_seq)
    assert [t.team_id for t in ordered[:6]] == [t.team_id for t in confirmed]
    assert [t.team_id for t in ordered[6:]] == [t.team_id for t in waiting]
    # Each officer's answer says what the store holds for them.
    by_council = {t.council_name: t for t in book.teams}
    for i, card in enumerate(cards):
        team = by_council[f"Council {i}"]
        position = book.position(team)
        if position is None:
            assert team.status == "confirmed" and "number " not in card.lower(), i
        else:
            assert f"number {position} " in card.lower(), (i, position)


async def test_a_burst_on_one_process(bot: RunningBot, teams: TeamsStandIn) -> None:
    store = bot.app[STORE]
    await store.save_programme(programme(), datetime.now(UTC))
    result = await burst(teams, [bot.messages])
    await check(store, result.statuses, result.cards)


@pytest.fixture
def two_processes(teams: TeamsStandIn, tmp_path: Path) -> Iterator[list[str]]:
    if not POSTGRES_URL:
        pytest.skip(reason=NO_POSTGRES)
    import asyncio

    asyncio.run(reset_postgres(POSTGRES_URL))
    env = {**os.environ, **teams.bot_env(), "DATABASE_URL": POSTGRES_URL, "HOST": "127.0.0.1"}
    ports = [_free_port(), _free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(p)],
                                  cwd=tmp_path, env=env, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        yield [f"http://127.0.0.1:{p}/api/messages" for p in ports]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)


@pytest.mark.postgres
async def test_a_burst_on_two_processes_sharing_postgresql(
    two_processes: list[str], teams: TeamsStandIn
) -> None:
    store = await SqlStore.open(POSTGRES_URL)
    try:
        await store.save_programme(programme(), datetime.now(UTC))
        result = await burst(teams, two_processes)
        await check(store, result.statuses, result.cards)
    finally:
        await store.close()
