"""What the session's card actions carry: one payload type per kind of button, read once at the edge
(see `cards.payloads`). The buttons of the facilitator's controls take theirs from what the control
takes (`bot.rules.session.Takes`); the officers' private forms have their own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from bot.rules.records import MAX_ACTIONS
from bot.rules.refusal import Refusal
from cards.payloads import Payload, input_field

MAX_POSITIONS = 20


@dataclass(frozen=True)
class Minutes(Payload):
    """A number of minutes written into the button, e.g. "+2 minutes"; None when what came is not a
    whole number, so that the control can say what it needs."""

    minutes: int | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        raw = data.get("minutes")
        text = str(raw).strip() if isinstance(raw, int | str) else ""
        return cls(int(text) if text.isdecimal() else None)


@dataclass(frozen=True)
class TeamPicked(Payload):
    """A team chosen on the session card's picker (empty: none chosen yet)."""

    team: str = input_field()


@dataclass(frozen=True)
class NewOrder(Payload):
    """The teams chosen for positions 1, 2, ... on the order card, each once, in order."""

    teams: tuple[str, ...] = input_field(())

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        chosen: list[str] = []
        for i in range(1, MAX_POSITIONS):
            value = data.get(f"position_{i}")
            if value is None:
                break
            if isinstance(value, str) and value and value not in chosen:
                chosen.append(value)
        return cls(tuple(chosen))


@dataclass(frozen=True)
class Ending(Payload):
    """The session card's "End the session" (not confirmed), or the confirmation's own button."""

    confirmed: bool = False


@dataclass(frozen=True)
class Starting(Payload):
    """Start a set's session: from the card that links a chat (the set), or from the confirmation of
    a start far from the scheduled time (the set, the session and the confirmation)."""

    set_key: str
    number: int = 0
    confirmed: bool = False


@dataclass(frozen=True)
class FormWanted(Payload):
    """Teams' refresh of a facilitator-only card: which form, and for a start, which session."""

    form: str
    set_key: str = ""
    number: int = 0


@dataclass(frozen=True)
class TeamSession(Payload):
    """A private form of one team for one session: the button names them; the handler checks that
    the sender is one of the team's officers."""

    set_key: str
    number: int
    team_id: str


@dataclass(frozen=True)
class ActionsForm(TeamSession):
    """The actions a presenter sets: up to MAX_ACTIONS texts from the card's inputs."""

    texts: tuple[str, ...] = input_field(())

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        parsed = super().parse(data)
        if isinstance(parsed, Refusal):
            return parsed
        texts = tuple(str(data.get(f"action_{i}", "") or "") for i in range(1, MAX_ACTIONS + 1))
        return cls(parsed.set_key, parsed.number, parsed.team_id, texts)


@dataclass(frozen=True)
class ReviewForm(TeamSession):
    """The review of a team's actions: a status per action position and three notes."""

    statuses: tuple[tuple[int, str], ...] = input_field(())
    worked_well: str = input_field()
    worked_less_well: str = input_field()
    learning: str = input_field()

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        parsed = super().parse({k: v for k, v in data.items() if not k.startswith("status_")})
        if isinstance(parsed, Refusal):
            return parsed
        statuses = tuple((i, str(data[f"status_{i}"])) for i in range(1, MAX_ACTIONS + 1)
                         if isinstance(data.get(f"status_{i}"), str))
        return cls(parsed.set_key, parsed.number, parsed.team_id, statuses, parsed.worked_well,
                   parsed.worked_less_well, parsed.learning)


@dataclass(frozen=True)
class ReflectionForm(Payload):
    """A member's reflections for a session: the button names the set and session."""

    set_key: str
    number: int
    team: str = input_field()
    individual: str = input_field()
