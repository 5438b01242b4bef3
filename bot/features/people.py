"""People and recipients: who is acting (from the signed identity), where to reach someone, and how
to answer the person who acted.

Identities are compared lower-cased, once, here: Entra object ids and e-mail addresses are both
case-insensitive, and the programme file and `ALS_ADMINS` are lower-cased when they are read.
A recipient key names where a notice goes: "user:<aadObjectId>" (their personal chat with the bot)
or "email:<address>" (someone the bot has not met yet in Teams).
"""

from __future__ import annotations

from typing import Any

from bot.rules.booking import Officer, Who
from bot.turns import Outcome, Person, Turn


def identities(person: Person) -> frozenset[str]:
    """The person's Entra object id and profile e-mail address, lower-cased."""
    return frozenset(i.lower() for i in (person.aad_object_id, person.email) if i)


def who(turn: Turn) -> Who:
    """The acting person as the booking rules know them."""
    return Who(turn.person.aad_object_id, turn.person.email)


def user_key(aad_object_id: str) -> str:
    return f"user:{aad_object_id}"


def email_key(email: str) -> str:
    return f"email:{email}"


def sender_key(person: Person) -> str | None:
    """Where to reach the person who acted, privately; None if the channel named neither."""
    if person.aad_object_id:
        return user_key(person.aad_object_id)
    return email_key(person.email) if person.email else None


def officer_key(officer: Officer) -> str:
    return user_key(officer.aad_object_id) if officer.aad_object_id else email_key(officer.email)


def facilitator_key(facilitator: str) -> str:
    """Facilitators are named by e-mail address or by Entra object id in the programme file."""
    return email_key(facilitator) if "@" in facilitator else user_key(facilitator)


def answer(turn: Turn, card: dict[str, Any]) -> Outcome:
    """A button's answer replaces its card; typed text gets a new message."""
    return Outcome(card=card) if turn.verb else Outcome.show(card)
