"""One representative instance of every card the project can produce, for schema validation.

Each entry is `(name, card)`; the name starts with `module.function` of the card function that
made it (e.g. `welcome.welcome_card`), optionally followed by a variant in brackets. A test
checks that every public `*_card` function in `cards/` appears here, and that every example
validates against the Adaptive Cards 1.5 schema; a new card registers its examples below.
"""

from __future__ import annotations

from typing import Any

from cards import elements
from cards.help import help_card
from cards.welcome import welcome_card

Example = tuple[str, dict[str, Any]]


def _elements() -> Example:
    """Every helper in `cards.elements` at once, so their output is validated too."""
    return ("elements.card (every helper)", elements.card(
        [
            elements.heading("Sustainable Procurement: set A"),
            elements.text("Session 2 of 3", size="Small", weight="Bolder", subtle=True,
                          colour="Accent", element_id="subtitle"),
            elements.facts([("Date", "Tuesday 14 October 2025"), ("Time", "10:30–12:00")]),
            elements.bullets(["Only one at a time", "Questions, not advice"]),
        ],
        [elements.execute("Send apologies", "apologies.start", {"session": 2},
                          style="positive")],
        refresh={"action": {"type": "Action.Execute", "verb": "refresh", "title": "Refresh"},
                 "userIds": ["29:1a2b3c"]},
    ))


def examples() -> list[Example]:
    return [
        _elements(),
        ("welcome.welcome_card (personal chat)", welcome_card(in_meeting_chat=False)),
        ("welcome.welcome_card (meeting chat)", welcome_card(in_meeting_chat=True)),
        ("help.help_card", help_card([
            ("help", "What I can do here"),
            ("sign up", "Sign up for a set with your challenge"),
            ("apologies", "Tell the facilitator you cannot come, and why"),
        ])),
    ]
