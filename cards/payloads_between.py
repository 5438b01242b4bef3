"""What the between-sessions cards' buttons carry (see cards.payloads): read once at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.rules.challenge import QUESTIONS
from cards.payloads import Payload, flag_field, input_field, inputs_field

TITLE_ID, TEXT_ID = "challenge_title", "challenge_text"
ANSWER_IDS = tuple(f"suitability_{q.number}" for q in QUESTIONS)
NOTE_IDS = ("worked_well", "worked_less_well", "learning")
TOPIC_ID = "topic"


def _challenge_entries(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    keys = (TITLE_ID, TEXT_ID, *ANSWER_IDS)
    return tuple((k, data[k] if isinstance(data.get(k), str) else "") for k in keys)


def _update_entries(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in data.items()
                 if isinstance(v, str) and (k in NOTE_IDS or k.startswith("status_")))


@dataclass(frozen=True)
class SetOfMine(Payload):
    """Open a between-sessions card for one of the sender's sets (empty: the only one, or ask)."""

    set_key: str = ""


@dataclass(frozen=True)
class ChallengeForm(Payload):
    """A refined challenge: the set from the button, the title, text and six answers from the card."""

    set_key: str
    accept_as_is: bool = flag_field()
    entries: tuple[tuple[str, str], ...] = inputs_field((), _challenge_entries)  # (input id, value)

    @property
    def values(self) -> dict[str, str]:
        return dict(self.entries)


@dataclass(frozen=True)
class ActionsUpdate(Payload):
    """The team's update on the actions set in session `number`: statuses and notes from the card."""

    set_key: str
    number: int
    entries: tuple[tuple[str, str], ...] = inputs_field((), _update_entries)  # (input id, value)

    @property
    def values(self) -> dict[str, str]:
        return dict(self.entries)


@dataclass(frozen=True)
class TopicProposal(Payload):
    set_key: str
    topic: str = input_field()


@dataclass(frozen=True)
class TopicVote(Payload):
    """A vote for a topic, or (`vote` false) taking it back. Its set is the topic's own."""

    topic_id: int
    vote: bool = True
