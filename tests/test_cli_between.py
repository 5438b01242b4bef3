"""`als notices` and `als topics` as an admin runs them, on a database the bot wrote."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.store.base import Notice
from bot.store.sql import SqlStore
from tests.between_seed import SESSION_1, SET, seed

ALS = [sys.executable, "-m", "bot.cli"]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "ToBot", "ToChannel"))}
    env = {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'als.sqlite3'}"}
    return subprocess.run([*ALS, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_notices_and_topics_from_the_command_line(tmp_path: Path) -> None:
    async def prepare() -> None:
        store = await SqlStore.open(f"sqlite:///{tmp_path / 'als.sqlite3'}")
        try:
            await seed(store)
            now = SESSION_1 - timedelta(days=2)
            await store.enqueue([Notice("email:sam@york.gov.uk", {"text": "x", "kind": "session-reminder",
                                                                  "set": SET}, "k1"),
                                 Notice("email:kim@bradford.gov.uk", {"text": "y", "set": SET}, "promoted:k2")],
                                now)
            sam, kim = sorted(await store.claim_due(now, 60, 10), key=lambda p: p.recipient, reverse=True)
            assert await store.claim_email(sam.id, now, "Teams refused (403 BotNotInConversationRoster)")
            await store.delivered(sam.id, now, "email")
            await store.notice_failed(kim.id, "no Teams chat with the person; e-mail is off", now, None)
            topic = await store.propose_topic(SET, "Retrofitting homes", "sam@york.gov.uk", now)
            await store.vote_topic(topic, "sam@york.gov.uk", True, now)
        finally:
            await store.close()

    asyncio.run(prepare())
    listed = run(tmp_path, "notices", SET)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("kim@bradford.gov.uk\tpromoted\tFAILED\t") and "e-mail is off" in lines[0]
    assert lines[1].startswith("sam@york.gov.uk\tsession-reminder\tby e-mail\t") and "403" in lines[1]
    assert run(tmp_path, "notices", "nowhere").returncode == 2
    topics = run(tmp_path, "topics", "adaptation")
    assert topics.returncode == 0 and "1. Retrofitting homes (1 vote)" in topics.stdout
    assert "no series" in run(tmp_path, "topics", "nowhere").stderr
