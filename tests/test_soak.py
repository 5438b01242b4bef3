"""Soak: a bounded run of mixed traffic against a real `als serve` process, authentication on.

Officers sign up (some twice, some re-sent), press help and my-sets buttons and type commands, at a
steady moderate rate. Every answer must be a clean success; the figures (resident memory at the
start and end, latency per window) are printed, not asserted. CI runs about 12 seconds;
`ALS_SOAK_SECONDS=600 pytest tests/test_soak.py -s` runs ten minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.adapter.teams import SORRY, TRY_AGAIN
from bot.store.sql import SqlStore
from tests.burst import officer, submission
from tests.invariants import booking_problems
from tests.programmes import programme
from tests.serve import Bot, one_database
from tests.standins.teams import TeamsStandIn
from tests.test_cli import _free_port

pytestmark = pytest.mark.slow
SECONDS = float(os.environ.get("ALS_SOAK_SECONDS", "12"))
CLIENTS = 8
WINDOW = 5.0


database_url = one_database


@pytest.fixture
async def served(teams: TeamsStandIn, database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Bot, SqlStore]]:
    store = await SqlStore.open(database_url)
    await store.save_programme(programme(), datetime.now(UTC))
    env = {**os.environ, **teams.bot_env(), "DATABASE_URL": database_url, "HOST": "127.0.0.1"}
    bot = Bot(env, tmp_path, _free_port())
    await bot.start()
    try:
        yield bot, store
    finally:
        bot.stop()
        await store.close()


async def test_mixed_traffic_for_a_while_stays_clean(served: tuple[Bot, SqlStore], teams: TeamsStandIn) -> None:
    bot, store = served
    errors: list[str] = []
    timings: list[tuple[float, float]] = []  # (when, seconds)
    counter = iter(range(10_000_000))
    started = time.monotonic()
    warm = await teams.send(bot.messages, teams.card_action(officer(0), "help"))
    assert warm.status == 200
    rss_start = bot.rss_kib()

    async def client(session: aiohttp.ClientSession, c: int) -> None:
        while time.monotonic() - started < SECONDS:
            i = next(counter)
            user = officer(i % 400)
            kind = i % 5
            if kind == 0:
                activity = teams.card_action(user, "signup.submit", submission(user, i % 400))
            elif kind == 1:
                activity = teams.card_action(user, "mysets")
            elif kind == 2:
                activity = teams.message(user, "help")
            else:
                activity = teams.card_action(user, "help")
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {teams.token()}"}
            body = json.dumps(activity)
            for _ in range(2 if i % 17 == 0 else 1):  # now and then Teams re-sends one
                t0 = time.monotonic()
                async with session.post(bot.messages, data=body, headers=headers) as r:
                    text = await r.text()
                timings.append((t0 - started, time.monotonic() - t0))
                if r.status not in (200, 201) or SORRY in text or TRY_AGAIN in text:
                    errors.append(f"{r.status} {text[:120]}")
            await asyncio.sleep(0.02)  # moderate, steady: about half the machine

    rss: dict[int, int] = {}

    async def sample() -> None:
        while time.monotonic() - started < SECONDS:
            rss[int((time.monotonic() - started) // WINDOW)] = bot.rss_kib()
            await asyncio.sleep(WINDOW / 2)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(sample(), *(client(session, c) for c in range(CLIENTS)))
    rss_end = bot.rss_kib()
    windows: dict[int, list[float]] = {}
    for when, seconds in timings:
        windows.setdefault(int(when // WINDOW), []).append(seconds)
    lines = [f"  {w * WINDOW:>4.0f}-{(w + 1) * WINDOW:<4.0f}s  {len(v):>5} answers  "
             f"p50 {statistics.median(v) * 1000:6.1f} ms  p95 {sorted(v)[int(len(v) * 0.95)] * 1000:6.1f} ms  "
             f"RSS {rss.get(w, rss_end) / 1024:6.1f} MiB"
             for w, v in sorted(windows.items())]
    print(f"\nsoak: {len(timings)} requests in {SECONDS:.0f} s, {len(errors)} error answers; "
          f"RSS {rss_start / 1024:.1f} MiB at start, {rss_end / 1024:.1f} MiB at end\n" + "\n".join(lines))
    assert errors == []
    assert await booking_problems(store) == []
