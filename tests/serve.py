"""`als serve` in a process of its own, for the crash and soak suites: started, killed, restarted."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, reset_postgres
from tests.test_cli import _wait_ready


@pytest.fixture
async def one_database(tmp_path: Path) -> str:
    """PostgreSQL where CI has it (the production database), else SQLite: one kind per run, since
    these suites start `als serve` processes and take seconds each."""
    if POSTGRES_URL:
        await reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'als.sqlite3'}"


@dataclass
class Bot:
    """`als serve` in its own process, restartable on the same port and database."""

    env: dict[str, str]
    cwd: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def warnings(self) -> list[str]:
        """The log lines at WARNING or above of every start, for a failing test to show."""
        lines: list[str] = []
        for n in range(1, self.starts + 1):
            text = (self.cwd / f"serve-{n}.log").read_text(errors="replace")
            lines += [f"start {n}: {line}" for line in text.splitlines()
                      if "WARNING" in line or "ERROR" in line]
        return lines

    @property
    def messages(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self) -> None:
        self.starts += 1
        log = (self.cwd / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port)],
                                        cwd=self.cwd, env=self.env, stderr=log)
        log.close()
        await asyncio.to_thread(_wait_ready, f"http://127.0.0.1:{self.port}/readyz", self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def rss_kib(self) -> int:
        """The process's resident memory, from /proc (Linux)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0
