"""The welcome card, shown when the app is installed for someone or added to a chat."""

from __future__ import annotations

from cards.elements import Json, bullets, card, execute, heading, text
from cards.verbs import Verb


def welcome_card(*, in_meeting_chat: bool) -> Json:
    if in_meeting_chat:
        lines = [
            "I help the facilitator run this Action Learning Set: one presenter at a time, "
            "fair airtime for everyone, actions recorded and reviewed next time.",
            "What is said in the set stays in the set.",
        ]
    else:
        lines = [
            "I help councils take part in Action Learning Sets: small peer groups of council "
            "project teams that meet three times in Teams.",
            "Here you can sign up with a challenge, see where you stand and send apologies.",
        ]
    return card(
        [heading("Welcome to Action Learning Sets"), *(text(line) for line in lines),
         bullets(["Type **help** at any time to see what I can do."])],
        [execute("Help", Verb.HELP)],
    )
