"""Small things people noticed on the cards: the register's colours, people's names in brackets,
and the commitment deadline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from cards import booking, signup
from cards.attendance_examples import examples as attendance_examples
from cards.format import london_deadline, person
from cards.views import OfficerLine, TeamView

TEAM = TeamView(
    team_id="t-1", set_name="Tuesday set", series_title="Sustainable Procurement",
    council_name="Cornwall Council", status="confirmed", position=None, sessions=(),
    officers=(OfficerLine("Jo Bloggs (Cornwall Council)", "procurement", False),),
    deadline=datetime(2027, 3, 5, 17, 37, 12, tzinfo=UTC),
)


def colours(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["color"]] if "color" in node else []) + [c for v in node.values() for c in colours(v)]
    if isinstance(node, list):
        return [c for v in node for c in colours(v)]
    return []


def test_the_register_shows_apologies_in_a_colour_that_reads() -> None:
    (card,) = [c for name, c in attendance_examples() if name == "attendance.register_card"]
    assert "Apologies" in json.dumps(card)
    assert "Warning" not in colours(card)  # yellow on white is too faint


def test_a_guest_s_organisation_is_not_bracketed_twice() -> None:
    assert person("Jo Bloggs (Cornwall Council)", None, "Procurement") == \
        "Jo Bloggs, Cornwall Council (Procurement)"
    assert person("Jo Bloggs (Cornwall Council)", "Cornwall Council") == "Jo Bloggs (Cornwall Council)"
    assert person("Kim Lee", "Wigan Council") == "Kim Lee (Wigan Council)"
    assert person("Kim Lee", "Wigan Council", "Procurement") == "Kim Lee, Wigan Council (Procurement)"
    assert person("A [link](x)") == "A \\[link\\](x)"
    shown = json.dumps(booking.my_sets_card([TEAM]), ensure_ascii=False)
    assert "Jo Bloggs, Cornwall Council (Procurement)" in shown
    assert ") (" not in shown


def test_the_commitment_deadline_is_shown_to_the_hour_in_london() -> None:
    assert london_deadline(datetime(2027, 3, 5, 17, 37, tzinfo=UTC)) == "Friday 5 March 2027, 17:00"
    assert london_deadline(datetime(2027, 6, 4, 16, 5, tzinfo=UTC)) == "Friday 4 June 2027, 17:00"  # BST
    for card in (booking.my_sets_card([TEAM]), booking.reminder_card(TEAM, set_key="s"),
                 signup.commit_card(TEAM, set_key="s"), booking.lapsed_card(replace(TEAM, status="lapsed"))):
        shown = json.dumps(card, ensure_ascii=False)
        assert "Friday 5 March 2027, 17:00" in shown and "17:37" not in shown
