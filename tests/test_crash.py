"""Crashes: a real `als serve` process is SIGKILLed in the middle of a sign-up burst and of a running
session, restarted, and Teams' re-sends are replayed.

Every nomination that was answered is stored exactly once where its answer said; every one that was
re-sent after the crash is done; none is half-written (a team without its officer or challenge);
the session carries on with the same presenter and clock, and a re-sent cue is not done twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapter.teams import DONE_BEFORE
from bot.rules.booking import Who
from bot.store.sql import SqlStore
from tests.burst import SET_KEY, officer, submission
from tests.invariants import booking_problems
from tests.programmes import programme
from tests.serve import Bot, one_database
from tests.sessions import start_session
from tests.standins.teams import TeamsStandIn, User
from tests.test_cli import _free_port

pytestmark = pytest.mark.slow
NOMINATIONS = int(os.environ.get("ALS_CRASH_NOMINATIONS", "60"))
KILL_AFTER = NOMINATIONS // 3
FACILITATOR = User("c0000000-0000-4000-8000-000000000001", "Fay Facilitator", "facilitator@lga.gov.uk")


database_url = one_database


@pytest.fixture
async def crashing(teams: TeamsStandIn, database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Bot, SqlStore]]:
    store = await SqlStore.open(database_url)
    await store.save_programme(programme(), datetime.now(UTC))
    env = {**os.environ, **teams.bot_env(), "DATABASE_URL": database_url, "HOST": "127.0.0.1",
           "ALS_SESSION_TICK_SECONDS": "3600"}
    bot = Bot(env, tmp_path, _free_port())
    await bot.start()
    try:
        yield bot, store
    finally:
        bot.stop()
        await store.close()


async def _send_all(teams: TeamsStandIn, url: str, activities: list[dict[str, Any]],
                    on_answer: Callable[[int], None] = lambda n: None) -> dict[int, str]:
    """Send every activity at once; the answers that arrived, by index (a killed bot answers none)."""
    answers: dict[int, str] = {}
    tokens = [teams.token() for _ in activities]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(i: int) -> None:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[i]}"}
            try:
                async with session.post(url, data=json.dumps(activities[i]), headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=60)) as r:
                    body = await r.text()
                    if r.status == 200:
                        answers[i] = body
                        on_answer(len(answers))
            except (aiohttp.ClientError, TimeoutError):
                pass  # the process died with the request in flight: Teams will re-send it

        await asyncio.gather(*(one(i) for i in range(len(activities))))
    return answers


def _value(answer: str) -> str:
    body = json.loads(answer)
    value = body.get("value") if isinstance(body, dict) else None
    return value if isinstance(value, str) else json.dumps(value)[:200]


def _said(answer: str) -> str:
    """What an answer told the officer: "placed", "waiting", "done" (a re-send of work already
    committed) or "other" (a refusal or a request to try again, after which they press again)."""
    text = answer.lower()
    if "your council has a place in" in text:
        return "placed"
    if "on the waiting list for" in text:
        return "waiting"
    return "done" if DONE_BEFORE.lower() in text else "other"


async def test_a_sigkill_mid_burst_loses_no_nomination(
    crashing: tuple[Bot, SqlStore], teams: TeamsStandIn
) -> None:
    bot, store = crashing
    users = [officer(i) for i in range(NOMINATIONS)]
    activities = [teams.card_action(u, "signup.submit", submission(u, i)) for i, u in enumerate(users)]

    def kill_midway(answered: int) -> None:
        if answered == KILL_AFTER:
            bot.kill()

    before = await _send_all(teams, bot.messages, activities, kill_midway)
    assert KILL_AFTER <= len(before) < NOMINATIONS, len(before)
    await bot.start()
    after = await _send_all(teams, bot.messages, activities)  # Teams re-sends; answered ones too
    assert len(after) == NOMINATIONS, f"{NOMINATIONS - len(after)} re-sends got no answer"
    others = {i: a for i, a in after.items() if _said(a) == "other"}
    refusals = sorted({_value(a)[:90] for a in others.values()})
    pressed_again = 0
    for _ in range(3):  # told to try again (or refused for a passing reason): they press again
        if not others:
            break
        pressed_again += len(others)
        which = list(others)
        again = await _send_all(teams, bot.messages, [activities[i] for i in which])
        others = {i: again.get(j, "") for j, i in enumerate(which) if _said(again.get(j, "")) == "other"}

    book = await store.book("adaptation")
    lost, doubled, half = [], [], []
    for i, user in enumerate(users):
        mine = [t for t in book.teams if t.officer(Who(None, user.email)) is not None]
        if not mine:
            lost.append(i)
            continue
        if len(mine) > 1:
            doubled.append(i)
        (team,) = mine[:1]
        if await store.latest_challenge(SET_KEY, user.email) is None:
            half.append(i)
        said = _said(before.get(i, ""))
        if said in ("placed", "waiting"):  # answered before the crash: stored where it said
            assert said == ("waiting" if team.status == "waitlisted" else "placed"), i
            position = book.position(team)
            if position is not None:
                assert f"number {position} " in before[i].lower(), (i, position)
    print(f"\ncrash mid-burst: {len(before)} answered before SIGKILL, {NOMINATIONS - len(before)} "
          f"re-sent after restart ({pressed_again} pressed again after a refusal); lost {len(lost)}, "
          f"doubled {len(doubled)}, half-written {len(half)}; refusals: {refusals or 'none'}")
    assert (lost, doubled, half) == ([], [], []), ([after[i][:300] for i in lost[:3]], bot.warnings()[:10])
    assert await booking_problems(store) == []
    assert len(book.confirmed(SET_KEY)) == 6


async def test_a_sigkill_mid_session_keeps_the_presenter_and_the_clock(
    crashing: tuple[Bot, SqlStore], teams: TeamsStandIn
) -> None:
    bot, store = crashing
    users = [officer(i) for i in range(4)]
    signups = [teams.card_action(u, "signup.submit", submission(u, i)) for i, u in enumerate(users)]
    assert len(await _send_all(teams, bot.messages, signups)) == 4
    chat = teams.meeting_chat("crash")
    await store.link_chat(chat["id"], SET_KEY, FACILITATOR.email, datetime.now(UTC))
    await start_session(bot.messages, teams, FACILITATOR, chat, store)
    nxt = teams.message(FACILITATOR, "next", chat)
    assert (await teams.send(bot.messages, nxt)).status == 201
    running = await store.session_run_in_chat(chat["id"])
    assert running is not None and running.state.current is not None
    bot.kill()
    await bot.start()
    assert (await teams.send(bot.messages, nxt)).status == 201  # Teams re-sends the cue
    resumed = await store.session_run_in_chat(chat["id"])
    assert resumed is not None and resumed.state == running.state  # same presenter, same clock
    again = teams.message(FACILITATOR, "next", chat)
    assert (await teams.send(bot.messages, again)).status == 201
    moved = await store.session_run_in_chat(chat["id"])
    assert moved is not None and moved.state.version > running.state.version
    print(f"\ncrash mid-session: presenter {running.state.current} kept across SIGKILL and restart")
