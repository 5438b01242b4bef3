"""Benchmarks (run with `make bench`): figures printed beside a baseline measured in the same run.

The burst: 200 sign-up cards for one set of 6 submitted at once through the real endpoint, with
authentication on. The baseline: 200 `help` card actions at once through the same endpoint, which
costs the same HTTP, token checking and deduplication but no booking decision.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime

from bot.adapter.web import STORE
from tests.burst import burst
from tests.conftest import reset_postgres, start_bot
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn


async def measure(teams: TeamsStandIn, database_url: str, verb: str) -> float:
    if database_url.startswith("postgres"):
        await reset_postgres(database_url)
    bot = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url})
    try:
        await bot.app[STORE].save_programme(programme(), datetime.now(UTC))
        result = await burst(teams, [bot.messages], verb=verb)
        assert set(result.statuses) == {200}
        return result.seconds
    finally:
        await bot.runner.cleanup()


async def measure_two_processes(teams: TeamsStandIn, database_url: str) -> float:
    """The same burst spread over two `als serve` processes sharing one PostgreSQL."""
    import subprocess
    import sys

    from bot.store.sql import SqlStore
    from tests.test_cli import _free_port, _wait_ready

    await reset_postgres(database_url)
    store = await SqlStore.open(database_url)
    await store.save_programme(programme(), datetime.now(UTC))
    await store.close()
    env = {**os.environ, **teams.bot_env(), "DATABASE_URL": database_url, "HOST": "127.0.0.1"}
    ports = [_free_port(), _free_port()]
    with tempfile.TemporaryDirectory() as folder:
        processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(p)],
                                      cwd=folder, env=env, stderr=subprocess.DEVNULL) for p in ports]
        try:
            for port, process in zip(ports, processes, strict=True):
                await asyncio.to_thread(_wait_ready, f"http://127.0.0.1:{port}/readyz", process)
            result = await burst(teams, [f"http://127.0.0.1:{p}/api/messages" for p in ports])
            assert set(result.statuses) == {200}
            return result.seconds
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)


async def main() -> None:
    teams = TeamsStandIn().start()
    targets = {"SQLite": lambda d: f"sqlite:///{d}/bench.sqlite3"}
    if os.environ.get("TEST_DATABASE_URL"):
        targets["PostgreSQL"] = lambda d: os.environ["TEST_DATABASE_URL"]
    print(f"{'database':<12} {'what':<34} {'seconds':>8} {'per second':>11}")
    try:
        for name, url in targets.items():
            for label, verb in (("baseline: 200 help actions", "help"), ("burst: 200 nominations", "signup.submit")):
                with tempfile.TemporaryDirectory() as folder:
                    seconds = await measure(teams, url(folder), verb)
                print(f"{name:<12} {label:<34} {seconds:>8.2f} {200 / seconds:>11.1f}")
        if os.environ.get("TEST_DATABASE_URL"):
            seconds = await measure_two_processes(teams, os.environ["TEST_DATABASE_URL"])
            label = "burst: 200 nominations, 2 processes"
            print(f"{'PostgreSQL':<12} {label:<34} {seconds:>8.2f} {200 / seconds:>11.1f}")
    finally:
        teams.stop()


if __name__ == "__main__":
    asyncio.run(main())
