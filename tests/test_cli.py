"""The `als` command as a newcomer runs it: start, ready, stop cleanly; a bad setting is one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.store.sql import head_revision
from tests.standins.teams import TeamsStandIn, User

ALS = [sys.executable, "-m", "bot.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "ToBot", "ToChannel"))}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'als.sqlite3'}", "HOST": "127.0.0.1", **extra}


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"als serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("als serve did not become ready")


@pytest.mark.slow
def test_serve_becomes_ready_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen([*ALS, "serve", "--port", str(port)], cwd=tmp_path,
                               env=_env(tmp_path), stderr=subprocess.PIPE)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    log = err.decode()
    assert "AUTHENTICATION IS OFF" in log
    assert (tmp_path / "als.sqlite3").exists()


@pytest.mark.slow
def test_serve_with_authentication_logs_no_user_text_or_token(tmp_path: Path) -> None:
    teams = TeamsStandIn().start()
    port = _free_port()
    env = _env(tmp_path, **teams.bot_env(), LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    log_file = (tmp_path / "stderr.log").open("wb")
    # A file, not a pipe: a full pipe would block the server's logging and so the server.
    process = subprocess.Popen([*ALS, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                               stderr=log_file)
    officer = User("0a1b2c3d-0000-4000-8000-000000000009", "Sam Officer")
    secret = "our confidential challenge about the Harehills depot"
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        import asyncio

        url = f"http://127.0.0.1:{port}/api/messages"
        token = teams.token()
        reply = asyncio.run(teams.send(url, teams.message(officer, secret), token=token))
        assert reply.status == 201
        bad = asyncio.run(teams.send(url, teams.message(officer, "help"), authorization="Bearer nonsense"))
        assert bad.status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log_file.close()
        teams.stop()
    log = (tmp_path / "stderr.log").read_text()
    assert process.returncode == 0, log
    assert len(teams.calls) == 1
    assert secret not in log and "Harehills" not in log
    assert token not in log and teams.app_password not in log
    assert "AUTHENTICATION IS OFF" not in log


def test_a_configuration_mistake_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run([*ALS, "serve"], cwd=tmp_path, env=_env(tmp_path, PORT="eighty"),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert lines == ["als: configuration error: PORT must be a number from 0 to 65535, not 'eighty'"]


def test_unauthenticated_on_a_public_address_is_refused(tmp_path: Path) -> None:
    result = subprocess.run([*ALS, "serve"], cwd=tmp_path, env=_env(tmp_path, HOST="0.0.0.0"),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "ALS_ALLOW_UNAUTHENTICATED" in result.stderr.decode()


def test_migrate_reports_the_revision(tmp_path: Path) -> None:
    result = subprocess.run([*ALS, "migrate"], cwd=tmp_path, env=_env(tmp_path),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == f"schema at revision {head_revision()}"


def test_a_bad_meetings_sync_interval_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run([*ALS, "serve"], cwd=tmp_path, env=_env(tmp_path, ALS_MEETINGS_SYNC_SECONDS="soon"),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        "als: configuration error: ALS_MEETINGS_SYNC_SECONDS must be a number of seconds from 0 to 86400, "
        "not 'soon'"]
