"""The e-mail form of a notice, for people the bot cannot reach in Teams.

Plain words that say what the Teams message would have said, the join link where there is one, and
how to open the app in Teams. Never what anyone wrote in a set (challenges, actions, reflections):
the code that makes a notice may put a ready `email` part in its body, built only from schedule
facts; otherwise the notice's kind chooses one of the fixed texts below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

APP_NAME = "Action Learning Sets"
HOW_TO_OPEN = (
    f"To open the app in Microsoft Teams: choose Apps on the left, search for “{APP_NAME}”, open it "
    "and choose Open (or Add). In its chat, type help to see what you can do there. If you cannot find "
    "the app, reply to this e-mail and the programme team will help."
)
SIGN_OFF = "The Action Learning Sets programme team"

# Fixed texts by kind: none quotes the card, so none can carry confidential text.
TEMPLATES: Mapping[str, tuple[str, str]] = {
    "promoted": ("Your council has a place in an Action Learning Set",
                 "Good news: a place has come free and your council's team now has a confirmed place in "
                 "an Action Learning Set. Please open the app in Teams to see the set's dates and to "
                 "confirm your commitment to every session."),
    "nominated": ("You have been named for an Action Learning Set",
                  "A colleague has named you on your council's team for an Action Learning Set. Please "
                  "open the app in Teams to confirm that you commit to every session and agree to the "
                  "ground rules; the place is kept for a limited time."),
    "reminded": ("Please confirm your commitment to your Action Learning Set",
                 "Your council's place in an Action Learning Set is waiting for your commitment to every "
                 "session. Please open the app in Teams and confirm before the deadline, or the place "
                 "goes to the next council on the waiting list."),
    "lapsed": ("Your council's Action Learning Set place has been released",
               "Not every officer of your council's team committed by the deadline, so the place has "
               "gone to the next council on the waiting list. You can sign up again in the app."),
    "session-reminder": ("Your Action Learning Set session is coming up",
                         "Your next Action Learning Set session is coming up. Open the app in Teams to "
                         "refine your challenge, update your actions or send apologies."),
    "undelivered": ("Some notices could not be delivered",
                    "Some notices of the Action Learning Sets app could not be delivered. Run als "
                    "notices to see them."),
}
DEFAULT = ("A message from the Action Learning Sets app",
           "There is a new message for you from the Action Learning Sets app in Microsoft Teams. Please "
           "open the app in Teams to read it.")


@dataclass(frozen=True)
class MailText:
    subject: str
    text: str


def email_part(subject: str, lines: list[str], join_url: str | None = None) -> dict[str, Any]:
    """The `email` part of a notice's body, for its maker to fill from schedule facts only."""
    return {"subject": subject, "lines": lines, "join_url": join_url}


def render(kind: str, body: Mapping[str, Any], context: Mapping[str, str] | None = None) -> MailText:
    """The e-mail for a notice: its own `email` part, else its kind's fixed text, with the set and
    council it concerns (`context`, schedule facts from the store) where known."""
    part = body.get("email")
    join_url: str | None = None
    if isinstance(part, Mapping) and part.get("subject"):
        subject = str(part["subject"])
        lines = [str(line) for line in part.get("lines") or []]
        join_url = str(part["join_url"]) if part.get("join_url") else None
    else:
        subject, first = TEMPLATES.get(kind, DEFAULT)
        lines = [first]
        known = [f"The set: {context['set']}." if context and context.get("set") else "",
                 f"Your council: {context['council']}." if context and context.get("council") else ""]
        if any(known):
            lines.append(" ".join(k for k in known if k))
    paragraphs = ["Hello,", *lines]
    if join_url:
        paragraphs.append(f"Join the session in Teams: {join_url}")
    paragraphs += [HOW_TO_OPEN, "You receive this by e-mail because the app could not reach you in Teams.",
                   SIGN_OFF]
    return MailText(subject, "\n\n".join(paragraphs))
