"""What the between-sessions cards' buttons carry (see cards.payloads): read once at the edge."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from bot.rules.challenge import QUESTIONS
from bot.rules.refusal import Refusal
from cards.payloads import Payload, input_field

TITLE_ID, TEXT_ID = "challenge_title", "challenge_text"
ANSWER_IDS = tuple(f"suitability_{q.number}" for q in QUESTIONS)
NOTE_IDS = ("worked_well", "worked_less_well", "learning")
TOPIC_ID = "topic"


@dataclass(frozen=True)
class SetOfMine(Payload):
    """Open a between-sessions card for one of the sender's sets (empty: the only one, or ask)."""

    set_key: str = ""


@dataclass(frozen=True)
class ChallengeForm(Payload):
    """A refined challenge: the set from the button, the title, text and six answers from the card."""

    set_key: str
    accept_as_is: bool = False
    entries: tuple[tuple[str, str], ...] = input_field(())  # (input id, value)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        parsed = super().parse({k: v for k, v in data.items() if k != "entries"})
        if isinstance(parsed, Refusal):
            return parsed
        keys = (TITLE_ID, TEXT_ID, *ANSWER_IDS)
        entries = tuple((k, data[k] if isinstance(data.get(k), str) else "") for k in keys)
        return dataclasses.replace(parsed, entries=entries)

    @property
    def values(self) -> dict[str, str]:
        return dict(self.entries)

    def data(self) -> dict[str, Any]:
        written = super().data()
        if not written.pop("accept_as_is"):
            return written
        return {**written, "accept_as_is": "true"}


@dataclass(frozen=True)
class ActionsUpdate(Payload):
    """The team's update on the actions set in session `number`: statuses and notes from the card."""

    set_key: str
    number: int
    entries: tuple[tuple[str, str], ...] = input_field(())  # (input id, value)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        parsed = super().parse({k: v for k, v in data.items() if k != "entries"})
        if isinstance(parsed, Refusal):
            return parsed
        entries = tuple((k, v) for k, v in data.items()
                        if isinstance(v, str) and (k in NOTE_IDS or k.startswith("status_")))
        return dataclasses.replace(parsed, entries=entries)

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
