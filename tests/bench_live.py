"""How fast a cue in the meeting chat reaches open meeting pages, and what open pages cost the bot.

`python -m tests.bench_live [PAGES]` runs the bot's real server (authentication and single sign-on
on, SQLite) with a session running, opens PAGES long-polling page requests (default 100) and gives
20 cues (pause, resume) from the chat, measuring from the moment the cue's turn was answered to the
moment each page's request returned with the change. Beside it, the baseline of one open page, and
the bot's `/healthz` answer time with and without the pages open.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.live_harness import Page, live_meeting
from tests.standins.teams import TeamsStandIn
from tests.transcript import FACILITATOR, MEMBER, Meeting

CUES = 20


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


async def healthz(url: str, times: int = 50) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as session:
        for _ in range(times):
            started = time.monotonic()
            async with session.get(f"{url}/healthz") as r:
                await r.read()
            out.append(time.monotonic() - started)
    return out


async def run(m: Meeting, page: Page, pages: int) -> tuple[list[float], list[float]]:
    token = page.token(MEMBER)
    latencies: list[float] = []
    health: list[float] = []
    for n in range(CUES):
        _, body = await page.state(None, token=token)
        waiting = [asyncio.create_task(page.state(None, token=token, since=body["tag"])) for _ in range(pages)]
        await asyncio.sleep(0.3)  # every request is open and waiting
        if n == CUES // 2:
            health = await healthz(page.bot.url)
        await m.say(FACILITATOR, "pause" if n % 2 == 0 else "resume")
        cued = time.monotonic()
        for done in asyncio.as_completed(waiting):
            status, after = await done
            assert status == 200 and after["tag"] != body["tag"]
            latencies.append(time.monotonic() - cued)
    return latencies, health


async def main(pages: int) -> None:
    teams = TeamsStandIn().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bot, m, page = await live_meeting(teams, f"sqlite:///{Path(folder) / 'als.sqlite3'}")
            try:
                await m.say(FACILITATOR, "start")
                idle = await healthz(bot.url)
                one, _ = await run(m, page, 1)
                many, loaded = await run(m, page, pages)
            finally:
                await bot.runner.cleanup()
    finally:
        teams.stop()
    print(f"cue to page, 1 open page (baseline):   {quantiles(one)}  ({len(one)} updates)")
    print(f"cue to page, {pages} open pages:        {quantiles(many)}  ({len(many)} updates)")
    print(f"/healthz, no page open (baseline):     {quantiles(idle)}")
    print(f"/healthz, {pages} open pages:           {quantiles(loaded)}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
