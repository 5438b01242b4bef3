"""A database outage under load: PostgreSQL's connections are cut and refused (a proxy between the
bot and the database is cut), while officers keep pressing buttons and typing.

While it is down every answer is clean and says to try again in a minute; nothing is half-done;
when it is back the bot answers normally again without a restart, and the re-sent sign-ups are
stored once each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.adapter.teams import TRY_AGAIN
from bot.adapter.web import STORE
from bot.rules.booking import Who
from bot.store.sql import SqlStore
from tests.burst import officer, submission
from tests.conftest import NO_POSTGRES, POSTGRES_URL, RunningBot, reset_postgres, start_bot
from tests.invariants import booking_problems
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn
from tests.tcp_proxy import CuttableProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
async def behind_proxy(teams: TeamsStandIn) -> AsyncIterator[tuple[RunningBot, CuttableProxy]]:
    if not POSTGRES_URL:
        pytest.skip(reason=NO_POSTGRES)
    await reset_postgres(POSTGRES_URL)
    direct = await SqlStore.open(POSTGRES_URL)
    await direct.save_programme(programme(), datetime.now(UTC))
    await direct.close()
    parts = urlsplit(POSTGRES_URL)
    proxy = await CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    netloc = f"{parts.username + '@' if parts.username else ''}127.0.0.1:{proxy.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    bot = await start_bot({**teams.bot_env(), "DATABASE_URL": url})
    try:
        yield bot, proxy
    finally:
        await proxy.restore()
        await bot.runner.cleanup()
        await proxy.close()


async def test_an_outage_gets_clean_answers_and_the_bot_recovers_by_itself(
    behind_proxy: tuple[RunningBot, CuttableProxy], teams: TeamsStandIn
) -> None:
    bot, proxy = behind_proxy
    users = [officer(i) for i in range(60)]
    signups = {i: teams.card_action(u, "signup.submit", submission(u, i)) for i, u in enumerate(users)}
    answers: list[tuple[str, int, str]] = []  # (phase, status, what the person was told)
    phase = "up"

    async def traffic(i: int) -> None:
        user = users[i]
        reply = await teams.send(bot.messages, signups[i])
        answers.append((phase, reply.status, str((reply.body or {}).get("value", ""))[:200]))
        calls = len(teams.calls)
        typed = await teams.send(bot.messages, teams.message(user, "my sets"))
        await asyncio.sleep(0.05)
        said = " ".join(c.text or "card" for c in teams.calls[calls:]) or "nothing"
        answers.append((phase, typed.status, said))

    await asyncio.gather(*(traffic(i) for i in range(0, 10)))
    await proxy.cut()
    phase = "down"
    down_started = time.monotonic()
    await asyncio.gather(*(traffic(i) for i in range(10, 40)))
    down_seconds = time.monotonic() - down_started
    await proxy.restore()
    phase = "back"
    await asyncio.gather(*(traffic(i) for i in range(40, 60)))
    # Teams re-sends the sign-ups that were answered "try again"; people press again.
    await asyncio.gather(*(teams.send(bot.messages, signups[i]) for i in range(10, 40)))

    assert all(status in (200, 201) for _, status, _ in answers), sorted({s for _, s, _ in answers})
    down = [said for p, _, said in answers if p == "down"]
    assert down and all(TRY_AGAIN in said for said in down), down[:4]
    back = [said for p, _, said in answers if p == "back"]
    assert back and not any(TRY_AGAIN in said or said == "nothing" for said in back), back[:4]
    store = bot.app[STORE]
    for i, user in enumerate(users):
        assert len(await store.teams_of(Who(None, user.email))) == 1, i
    assert await booking_problems(store) == []
    print(f"\noutage: {len(down)} answers while down ({down_seconds:.1f} s), all 'try again in a minute'; "
          f"{len(back)} normal answers after, no restart; {proxy.connections} database connections")
