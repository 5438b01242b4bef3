"""Capacity holds under a burst: 200 nominations for one set of 6 at once, one or two bot processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapter.web import STORE
from bot.features.booking import booking_of, save_programme
from bot.rules import booking as b
from bot.store.base import BookChange
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


@pytest.fixture
def seeded_then_two_processes(teams: TeamsStandIn, tmp_path: Path) -> Iterator[str]:
    """A team whose commitment deadline passed unreminded, then two bot processes started at once:
    each runs the deadline sweep as it starts."""
    if not POSTGRES_URL:
        pytest.skip(reason=NO_POSTGRES)
    import asyncio

    async def seed() -> None:
        await reset_postgres(POSTGRES_URL)
        store = await SqlStore.open(POSTGRES_URL)
        try:
            placed = datetime.now(UTC) - timedelta(days=10)
            await save_programme(store, programme(), placed)
            officers = (b.Officer("lead@leeds.gov.uk", "Lead", "sustainability", "aad-lead", placed),
                        b.Officer("partner@leeds.gov.uk", "Partner", "other"))
            event = b.Nominate(SET_KEY, "team-late", "leeds", "Leeds", officers, "late|1",
                               b.Who("aad-lead", "lead@leeds.gov.uk"), placed)
            result = await booking_of(store).decide("adaptation", event, placed)
            assert isinstance(result, BookChange) and isinstance(result.effects[0], b.Confirmed)
        finally:
            await store.close()

    asyncio.run(seed())
    env = {**os.environ, **teams.bot_env(), "DATABASE_URL": POSTGRES_URL, "HOST": "127.0.0.1"}
    ports = [_free_port(), _free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(p)],
                                  cwd=tmp_path, env=env, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        yield POSTGRES_URL
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)


@pytest.mark.postgres
async def test_a_timer_fires_once_across_two_processes(seeded_then_two_processes: str) -> None:
    # Each sweep that reminds a late team extends its deadline from its own clock, so two firings
    # would queue two reminders with different keys: the set's version lets only one be saved.
    import asyncio

    import sqlalchemy as sa

    from bot.store import tables as t

    store = await SqlStore.open(seeded_then_two_processes)
    try:
        for _ in range(100):  # both processes have swept once they are ready; allow a moment
            team = (await store.book("adaptation")).team("team-late")
            if team is not None and team.reminded_at is not None:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        async with store.read() as conn:
            keys = (await conn.execute(sa.select(t.outbox.c.dedupe_key))).scalars().all()
    finally:
        await store.close()
    reminders = [k for k in keys if k and k.startswith("reminded:")]
    assert len(reminders) == 1, reminders
