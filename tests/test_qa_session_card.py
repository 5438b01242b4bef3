"""The session card says each thing once: the time line carries the warning (2 minutes, 30 seconds,
time up and the overrun) in its colour, with no second line repeating it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.rules import session as s
from cards import session as c

NOW = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
NAMES = {"t1": "Leeds City Council", "t2": "Wigan Council"}


def texts(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card["body"] if e.get("type") == "TextBlock"]


def opening_card(seconds_in: float) -> dict[str, Any]:
    start = s.Start(("t1", "t2"), session_number=1, ends_at=NOW + timedelta(minutes=90))
    state = s.apply(s.SessionState(), start, NOW).state
    at = NOW + timedelta(seconds=seconds_in)
    view = c.SessionCardView("Sustainable Procurement – Tuesday set", s.view(state, at, NAMES), 3,
                             stage_ends_at=NOW + timedelta(minutes=5))
    return c.session_card(view)


@pytest.mark.parametrize(("seconds_in", "words", "colour"), [
    (300 - 120, "2 min left", "Warning"),
    (300 - 30, "30 s left", "Warning"),
    (300, "Time is up", "Attention"),
    (300 + 45, "Time is up, 45 s over", "Attention"),
])
def test_the_warning_is_the_time_line_not_a_second_line(seconds_in: float, words: str, colour: str) -> None:
    blocks = texts(opening_card(seconds_in))
    lines = [b["text"] for b in blocks]
    timed = [b for b in blocks if words in b["text"]]
    assert len(timed) == 1, lines
    assert timed[0].get("color") == colour and timed[0].get("weight") == "Bolder"
    for said in ("Time is up", "seconds left", "minutes left", "2 min", "30 s"):
        assert sum(said in line for line in lines) <= 1, lines


def test_with_time_to_spare_the_time_line_is_plain() -> None:
    (line,) = [b for b in texts(opening_card(60)) if "left (until" in b["text"]]
    assert "color" not in line and line["text"] == "4 min left (until 10:35)"
