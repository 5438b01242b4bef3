"""The help card: the commands that work in this kind of chat."""

from __future__ import annotations

from collections.abc import Sequence

from cards.elements import Json, card, facts, heading, text


def help_card(commands: Sequence[tuple[str, str]]) -> Json:
    """`commands` are (what to type, what it does) pairs."""
    return card(
        [
            heading("What I can do"),
            text("Type one of these commands:"),
            facts(commands),
        ]
    )
