"""Every card stays within the size Teams accepts; a large meeting's register summarises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.router import TOO_LARGE, within_budget
from bot.rules import attendance as a
from bot.turns import Outcome, Reply
from cards.attendance import register_card
from cards.budget import BUDGET_UTF16_BYTES, fits, utf16_size
from cards.catalogue import examples

EXAMPLES = examples()
START = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
END = START + timedelta(minutes=90)
SESSIONS = tuple(a.SessionTime(n, START + timedelta(weeks=2 * (n - 1)),
                               END + timedelta(weeks=2 * (n - 1))) for n in (1, 2, 3))
MEMBERS = tuple(a.Member(f"officer{i}@council{i // 2}.gov.uk", f"Officer {i}", f"t{i // 2}",
                         f"Council {i // 2}") for i in range(12))


def big_register(records: int = 1000) -> a.Register:
    """About `records` attendance records in session 1, nearly all of people who are not officers."""
    presences = [a.Presence(f"aad-{m.email}", m.email, None, m.name, "Attendee", 5400,
                            (a.Span(START, END, 5400),)) for m in MEMBERS]
    for i in range(records - len(MEMBERS)):
        email = None if i % 7 == 0 else f"viewer.number{i}@some-long-council-name{i % 40}.gov.uk"
        seconds = 60 * (5 + i % 80)
        presences.append(a.Presence(f"aad-viewer-{i:05d}-0000-4000-8000", email, "tenant-elsewhere",
                                    f"Viewer Number {i} (Some Long Council Name {i % 40})", "Attendee",
                                    seconds, (a.Span(START, START + timedelta(seconds=seconds), seconds),)))
    taken = a.take_attendance(MEMBERS, [], presences, START, END, facilitators=("facilitator@lga.gov.uk",))
    return a.build_register("proc-tue", SESSIONS, MEMBERS, {1: taken}, [], START + timedelta(days=1))


def test_utf16_size_is_what_teams_measures() -> None:
    assert utf16_size({"a": "é"}) == len('{"a":"é"}') * 2
    assert utf16_size({"a": "😀"}) == (len('{"a":""}') + 2) * 2  # a surrogate pair
    assert fits({"a": "x"}) and not fits({"a": "x" * BUDGET_UTF16_BYTES})


def test_the_register_of_a_large_meeting_fits_and_counts_the_others() -> None:
    register = big_register()
    assert len(register.others[1]) == 988
    card = register_card(register, set_title="Sustainable Procurement: Tuesday set")
    assert utf16_size(card) <= BUDGET_UTF16_BYTES, utf16_size(card)
    shown = json.dumps(card, ensure_ascii=False)
    assert "988 others joined: 846 with an e-mail address, 142 guests without one" in shown
    assert "als export proc-tue" in shown
    assert "Viewer Number 5" not in shown  # counted, not named
    assert "Officer 3" in shown  # every officer keeps their row


def test_a_small_meeting_names_everyone_who_joined() -> None:
    register = big_register(records=len(MEMBERS) + 3)
    shown = json.dumps(register_card(register, set_title="Tuesday set"), ensure_ascii=False)
    assert "Viewer Number 1, Some Long Council Name 1 (viewer.number1@" in shown  # one pair of brackets
    assert "others joined" not in shown


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_card_of_the_catalogue_fits(name: str, card: dict[str, Any]) -> None:
    assert fits(card), f"{name}: {utf16_size(card)} bytes as UTF-16"


def test_the_router_answers_briefly_rather_than_send_a_card_teams_would_refuse() -> None:
    huge = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "x" * BUDGET_UTF16_BYTES}]}
    small = {"type": "AdaptiveCard", "body": []}
    shown = within_budget(Outcome(replies=[Reply(card=huge), Reply(card=small)]))
    assert [r.text for r in shown.replies] == [TOO_LARGE, None] and shown.replies[1].card == small
    pressed = within_budget(Outcome(card=huge))
    assert pressed.card is None and pressed.replies[0].text == TOO_LARGE
    assert within_budget(Outcome(card=small)).card == small
