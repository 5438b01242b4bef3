"""The Teams stand-in in a process of its own, for `als bench`: the channel keeps its own GIL.

On a thread of the benchmark's process, the stand-in (taking the bot's replies through the
connector, serving its token and signing keys) would share one interpreter lock with the load
generator, and a scenario of replies would measure the benchmark as much as the bot. Here it runs
alone, with the keys and the bot's credentials the benchmark made, so that the benchmark still
signs the channel's tokens itself and the bot still validates them against the stand-in's
OpenID document and keys: authentication is as on a thread. The connector keeps only a count
(`keep_calls=False`), so thousands of replies a second do not grow its memory.

Run: `python -m tests.standins.teams_process` with one line of JSON on standard input:
`{"port", "app_id", "app_password", "kid", "key"}` (the key in PEM). `TeamsProcess` below does it.
Two endpoints of the benchmark's own sit beside the channel's: `GET /_bench/stats` (counts) and
`POST /_bench/users` (the people whose profiles the connector knows).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.standins.teams import TeamsStandIn, User


class TeamsProcess:
    """The parent's side: starts the stand-in's process for `teams` (whose keys and credentials
    it takes) and points `teams.base_url` at it, so that `teams.token()`, `teams.bot_env()` and the
    activities it builds name the process."""

    def __init__(self, teams: TeamsStandIn, port: int) -> None:
        self.teams = teams
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> TeamsProcess:
        key = self.teams.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode()
        config = {"port": self.port, "app_id": self.teams.app_id, "app_password": self.teams.app_password,
                  "kid": self.teams.kid, "key": key}
        root = Path(__file__).resolve().parent.parent.parent
        self.process = subprocess.Popen([sys.executable, "-m", "tests.standins.teams_process"], cwd=root,
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(config).encode() + b"\n")
        self.process.stdin.close()
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Teams stand-in exited with {self.process.returncode}")
            try:
                self.stats()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("the Teams stand-in did not start") from None
                time.sleep(0.02)
        self.teams.base_url = self.url
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stats(self) -> dict[str, int]:
        """The stand-in's counts so far: connector calls, token requests, profile look-ups."""
        with urllib.request.urlopen(f"{self.url}/_bench/stats", timeout=5) as response:
            return dict(json.loads(response.read()))

    def know(self, users: list[User]) -> None:
        """Tell the connector these people's profiles (a thread stand-in learns them as it builds
        their activities; this process does not build them)."""
        body = json.dumps([[u.aad_object_id, u.name, u.email] for u in users]).encode()
        request = urllib.request.Request(f"{self.url}/_bench/users", body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def standin_from(config: dict[str, Any]) -> TeamsStandIn:
    teams = TeamsStandIn(app_id=config["app_id"], app_password=config["app_password"], keep_calls=False)
    key = serialization.load_pem_private_key(config["key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    teams.key, teams.kid = key, config["kid"]
    teams.base_url = f"http://127.0.0.1:{config['port']}"
    return teams


async def serve(config: dict[str, Any]) -> None:
    teams = standin_from(config)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"connector_calls": teams.connector_calls,
                                  "token_requests": teams.token_requests,
                                  "profile_lookups": teams.profile_lookups})

    async def users(request: web.Request) -> web.Response:
        for aad, name, email in await request.json():
            user = User(aad, name, email)
            teams.users[user.channel_id] = user
        return web.json_response({"users": len(teams.users)})

    app = teams.application()
    app.router.add_get("/_bench/stats", stats)
    app.router.add_post("/_bench/users", users)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", config["port"]).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.stdin.readline())))
