"""Fuzzing the real endpoint (authentication on, every request signed): mutated activities and card
payloads for every verb and command, on SQLite and PostgreSQL.

No answer may be a 5xx or carry a traceback, every refusal must say something, no turn may fail
inside the product (a "turn failed" in the log is a bug found), and the booking's invariants must
hold afterwards. CI runs a bounded number of examples; `ALS_FUZZ_EXAMPLES=2000 pytest
tests/test_fuzz.py` runs more.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapter.web import STORE
from bot.commands import COMMANDS
from cards.verbs import Verb
from tests.conftest import RunningBot
from tests.invariants import booking_problems
from tests.programmes import programme
from tests.standins.teams import TeamsStandIn, User
from tests.test_e2e_signup import form

EXAMPLES = int(os.environ.get("ALS_FUZZ_EXAMPLES", "120"))
SETS = ["procurement-tue", "adaptation-wed", "no-such-set", ""]
PEOPLE = [User(f"f0000000-0000-4000-8000-{i:012d}", f"Fuzz Officer {i}", f"fuzz{i}@council{i % 3}.gov.uk")
          for i in range(4)]
EDGE_TEXT = ["", " ", "\x00", "\ud800", "a\udfffb", "\u202e\u0000x", "x" * 20_000, "<at>x</at>",
             "' OR 1=1 --", "%s%n", "{{x}}", "1e309", "-1", "0", "999999999999", "9" * 400,
             "signup.submit", "procurement-tue", "📅", "\r\n\t"]

texts = st.one_of(st.text(max_size=40), st.sampled_from(EDGE_TEXT))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
deep = st.integers(20, 400).map(lambda n: _nest(n))
# Copied: sampled_from hands out the very same object each time, and the mutations below nest.
anything = st.one_of(values, deep, st.sampled_from([[{"a": "x"}], "a string", 7, None, {}, []])).map(copy.deepcopy)

VERBS = [v.value for v in Verb]
UNKNOWN_VERBS = st.one_of(st.text(max_size=30), st.sampled_from(["signup", "Signup.Submit", "meeting.", ".x"]))
COMMAND_TEXTS = [c.title for c in COMMANDS] + [c.name + " x" for c in COMMANDS] + ["extend 999999", "skip \x00"]
PATHS = ["value", "value.action", "value.action.data", "value.action.verb", "value.action.type",
         "value.trigger", "text", "conversation.conversationType", "conversation.tenantId",
         "conversation.isGroup", "channelData", "channelData.tenant", "channelData.meeting",
         "channelData.tenant.id", "from.name", "from.aadObjectId", "entities", "membersAdded",
         "name", "recipient", "recipient.name", "locale", "attachments", "replyToId", "timestamp",
         "conversation.id", "from.id", "id"]
IDENTITY_PATHS = ["channelData.tenant.id", "conversation.tenantId", "conversation.id", "from.id",
                  "from.aadObjectId", "id", "serviceUrl"]
LONG = st.sampled_from(["x" * 101, "x" * 291, "x" * 501, "a:" + "9" * 400, "19:" + "m" * 300 + "@thread.v2"])


def _nest(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _set(activity: dict[str, Any], path: str, value: Any, *, delete: bool = False) -> None:
    *parents, last = path.split(".")
    node: Any = activity
    for name in parents:
        if not isinstance(node, dict):
            return
        node = node.setdefault(name, {}) if not isinstance(node.get(name), dict | list) else node[name]
    if isinstance(node, dict):
        if delete:
            node.pop(last, None)
        else:
            node[last] = value


SECRET = "FUZZ-CONFIDENTIAL-CHALLENGE"


def _data_for(verb: str, user: User, set_key: str) -> dict[str, Any]:
    if verb in (Verb.SIGNUP_SUBMIT, Verb.SIGNUP_REFINE):
        return {**form(user, f"Council {user.name}", set_key=set_key or "adaptation-wed"),
                "submission_id": f"fuzz-{verb}", "challenge_text": f"{SECRET} in a few lines."}
    return {"set_key": set_key, "team_id": "t-1", "session": 1, "number": 2, "team": "t-1",
            "officer": user.email, "order": "a,b", "minutes": 3}


@st.composite
def activities(draw: st.DrawFn, teams: TeamsStandIn) -> dict[str, Any]:
    user = draw(st.sampled_from(PEOPLE))
    chat = draw(st.sampled_from(["personal", "meeting"]))
    conversation = teams.personal(user) if chat == "personal" else teams.meeting_chat("fuzz")
    kind = draw(st.sampled_from(["card", "card", "card", "message", "installed", "submit-fallback"]))
    if kind == "card":
        verb = draw(st.one_of(st.sampled_from(VERBS), UNKNOWN_VERBS))
        data = _data_for(verb, user, draw(st.sampled_from(SETS)))
        for key in draw(st.lists(st.sampled_from([*sorted(data), "extra", "verb"]), max_size=3)):
            data[key] = draw(anything)  # wrong types, huge strings, another set's keys
        activity = teams.card_action(user, verb, data, conversation)
    elif kind == "message":
        text = draw(st.one_of(st.sampled_from(COMMAND_TEXTS), texts))
        activity = teams.message(user, text, conversation, mention=draw(st.booleans()))
    elif kind == "installed":
        activity = teams.installed(user, conversation)
    else:
        activity = teams.message(user, "", conversation)
        activity["value"] = {"verb": draw(st.sampled_from(VERBS)), **_data_for("", user, "procurement-tue")}
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=3)):
        _set(activity, path, draw(anything), delete=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:  # an id longer than the store keeps
        _set(activity, draw(st.sampled_from(IDENTITY_PATHS)), draw(LONG))
    return activity


class Findings(logging.Handler):
    """Keeps every record at ERROR or with a traceback (each one a failure found), and whether a
    person's confidential text reached the log at any level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)
        if SECRET in f"{record.getMessage()} {record.__dict__}":
            self.leaks.append(record.getMessage())


@pytest.fixture
async def fuzzed(bot: RunningBot) -> AsyncIterator[tuple[RunningBot, Findings]]:
    await bot.app[STORE].save_programme(programme(), datetime.now(UTC))
    findings = Findings()
    root = logging.getLogger()
    level, root.level = root.level, logging.DEBUG
    root.addHandler(findings)
    try:
        yield bot, findings
    finally:
        root.removeHandler(findings)
        root.setLevel(level)


def _check(status: int, body: Any, activity: dict[str, Any]) -> None:
    text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    assert status < 500, (status, body, activity.get("type"))
    assert "Traceback" not in text and 'File "' not in text
    assert "went wrong on my side" not in text, activity
    if 400 <= status < 500:
        assert isinstance(body, dict) and body.get("error"), body
    if status == 200 and activity.get("type") == "invoke":
        assert isinstance(body, dict)
        if body:  # an invoke the bot does not handle is answered with an empty body
            assert body.get("statusCode") == 200 and body.get("value"), body


@pytest.mark.slow
async def test_fuzzed_activities_are_answered_cleanly_and_the_booking_holds(
    fuzzed: tuple[RunningBot, Findings], teams: TeamsStandIn
) -> None:
    bot, findings = fuzzed
    sent: list[int] = []
    loop = asyncio.get_running_loop()

    # Hypothesis drives examples synchronously: it runs on a thread, and each example's request
    # is sent from the bot's own loop, which stays free to answer.
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(st.data())
    def one(data: st.DataObject) -> None:
        activity = data.draw(activities(teams))
        reply = asyncio.run_coroutine_threadsafe(teams.send(bot.messages, activity), loop).result(60)
        sent.append(reply.status)
        _check(reply.status, reply.body, activity)

    await loop.run_in_executor(None, one)
    assert not findings.records, [f"{r.getMessage()} {r.exc_info}" for r in findings.records[:3]]
    assert findings.leaks == []
    assert await booking_problems(bot.app[STORE]) == []
    print(f"\nfuzz: {len(sent)} signed activities, answers {sorted(set(sent))}")
