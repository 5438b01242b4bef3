"""Where the time of a card action goes: `python -m tests.profile_turn [COUNT]` profiles the bot's
process (in this one, on its own thread's loop) answering COUNT `help` card actions over loopback."""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import threading

import aiohttp

from tests.conftest import start_bot
from tests.standins.teams import TeamsStandIn, User


def main(count: int = 2000, verb: str = "help", message: bool = False) -> None:
    teams = TeamsStandIn().start()
    user = User("d0000000-0000-4000-8000-000000000001", "Bench Officer", "bench@leeds.gov.uk")
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as folder:
        env = {**teams.bot_env(), "DATABASE_URL": f"sqlite:///{folder}/p.sqlite3", "LOG_LEVEL": "WARNING"}
        holder: dict[str, str] = {}

        def serve() -> None:
            asyncio.set_event_loop(loop)
            bot = loop.run_until_complete(start_bot(env))
            holder["url"] = bot.messages
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait()
        token = teams.token()

        async def drive(n: int) -> None:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession() as session:
                sem = asyncio.Semaphore(16)

                async def one(i: int) -> None:
                    activity = teams.message(user, "help") if message else teams.card_action(user, verb)
                    async with sem, session.post(holder["url"], data=json.dumps(activity), headers=headers) as r:
                        await r.read()

                await asyncio.gather(*(one(i) for i in range(n)))

        asyncio.run(drive(50))  # warm
        loop.call_soon_threadsafe(profile.enable)
        asyncio.run(drive(count))
        loop.call_soon_threadsafe(profile.disable)
    teams.stop()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(r"/(bot|cards)/", 40)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, message="--message" in sys.argv)
