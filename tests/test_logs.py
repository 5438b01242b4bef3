"""Logs: one JSON object a line on request, and no tokens or secrets in them."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs


def test_json_lines_carry_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("json", "INFO")
    logging.getLogger("als.test").info("command", extra={"command": "help"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "command" and entry["command"] == "help" and entry["level"] == "INFO"


def test_tokens_and_secrets_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("json", "INFO")
    token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
    logging.getLogger("als.test").warning("Authorization: Bearer %s client_secret=hunter2", token)
    out = capsys.readouterr().err
    assert token not in out and "hunter2" not in out and "[redacted]" in out


def test_noisy_libraries_are_quiet_below_warning() -> None:
    logs.configure("text", "DEBUG")
    assert logging.getLogger("msrest").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("botbuilder").getEffectiveLevel() == logging.WARNING
    # SQL drivers log statement parameters, which can hold a challenge or an action.
    for name in ("aiosqlite", "sqlalchemy.engine", "asyncpg"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
