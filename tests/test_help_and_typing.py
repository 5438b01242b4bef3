"""`help` shows each person the commands they may use; typed text that is not a command is
answered: a greeting with a greeting, a near miss with the command that was meant."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.commands import Scope
from bot.features.base import Services
from bot.router import route
from bot.store.sql import SqlStore
from bot.turns import Chat, Kind, Outcome, Person, Turn
from tests.programmes import programme

OFFICER = Person("29:o", "aad-officer", "Alex Smith", "alex@leeds.gov.uk")
FACILITATOR = Person("29:f", "aad-facilitator", "Pat Facilitator", "Facilitator@LGA.gov.uk")
ADMIN = Person("29:a", "aad-admin", "Ada Admin", "ada@lga.gov.uk")


def said(text: str, person: Person = OFFICER, scope: Scope = Scope.PERSONAL) -> Turn:
    return Turn(Kind.MESSAGE, "a1", person, Chat("c1", scope, "t1", is_meeting=scope is Scope.GROUP_CHAT),
                datetime.now(UTC), text=text, mentioned=scope is Scope.GROUP_CHAT)


def words(outcome: Outcome) -> str:
    return json.dumps([r.text or r.card for r in outcome.replies], ensure_ascii=False)


def listed(outcome: Outcome) -> set[str]:
    (reply,) = outcome.replies
    assert reply.card is not None
    (facts,) = [b for b in reply.card["body"] if b["type"] == "FactSet"]
    return {f["title"] for f in facts["facts"]}


@pytest.fixture
async def services(store: SqlStore) -> Services:
    await store.save_programme(programme(), datetime.now(UTC))
    return Services(store=store, admins=frozenset({"aad-admin"}))


async def test_help_lists_only_the_commands_the_person_may_use(services: Services) -> None:
    officer = listed(await route(services, said("help")))
    assert {"sign up", "my sets", "apologies"} <= officer
    assert "sets" not in officer and "register" not in officer
    facilitator = listed(await route(services, said("help", FACILITATOR)))
    assert "register" in facilitator and "sets" not in facilitator
    admin = listed(await route(services, said("help", ADMIN)))
    assert {"register", "sets"} <= admin


async def test_in_a_meeting_chat_the_session_controls_are_for_facilitators(services: Services) -> None:
    officer = listed(await route(services, said("help", scope=Scope.GROUP_CHAT)))
    assert "start" not in officer and "next" not in officer and "help" in officer
    facilitator = listed(await route(services, said("help", FACILITATOR, Scope.GROUP_CHAT)))
    assert {"start", "next", "end", "register"} <= facilitator


@pytest.mark.parametrize("text", ["hi", "Hello", "good morning", "Hello!"])
async def test_a_greeting_is_answered(services: Services, text: str) -> None:
    answer = words(await route(services, said(text)))
    assert "Hello Alex" in answer and "help" in answer
    assert "didn't understand" not in answer


@pytest.mark.parametrize(("text", "meant"), [
    ("sing up", "sign up"), ("signup", "sign up"), ("My sets?", "my sets"), ("apology", "apologies"),
    ("withdrw", "withdraw"),
])
async def test_a_near_miss_suggests_the_command(services: Services, text: str, meant: str) -> None:
    assert f"Did you mean **{meant}**?" in words(await route(services, said(text)))


async def test_a_near_miss_suggests_only_what_the_person_may_use(services: Services) -> None:
    assert "Did you mean **register**?" in words(await route(services, said("regster", ADMIN)))
    answer = words(await route(services, said("regster")))
    assert "register" not in answer


async def test_anything_else_is_still_not_understood(services: Services) -> None:
    answer = words(await route(services, said("what is this?")))
    assert "didn't understand" in answer and "**help**" in answer and "**sets**" not in answer
