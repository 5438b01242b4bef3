"""What each card action carries: one frozen dataclass per kind of payload, read once at the edge.

A card writes a payload into its button with `payload.data()`; the router reads the action's data
back with the payload type its verb is routed with (`Payload.parse`), so a handler receives a typed
value, and a malformed action gets a `Refusal` instead of reaching the handler. Fields are read by
name and converted by their type (Starlette's path converters do the same): `str`, `int`, `bool`.

Teams merges a card's inputs into the data of the action pressed, and an input wins over the
button's own value of the same name. A field marked `input_field()` is filled from an input on the
card and is not written into the button; every other field is the button's own, and its name must
differ from every input id on the card (a test checks each card of the catalogue).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self, get_type_hints

from bot.rules import nomination as n
from bot.rules.refusal import Refusal

INPUT = "input"
EMPTY_FORM = n.from_card_data({})
BROKEN = Refusal("That button did not carry what I need. Type **help** to start again.")


def input_field(default: Any = "") -> Any:
    """A field filled from one of the card's inputs rather than written into the button."""
    return field(default=default, metadata={INPUT: True})


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _convert(kind: Any, value: Any) -> Any:
    """The value as `kind`, or `BROKEN` if it cannot be one."""
    if kind is bool:
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")
    if isinstance(value, dict | list) or value is None:
        return BROKEN
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return BROKEN
    return str(value)


@dataclass(frozen=True)
class Payload:
    """The base of every payload: fields are read from the action's data by name and type."""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        values: dict[str, Any] = {}
        hints = _hints(cls)
        for f in dataclasses.fields(cls):
            if f.name not in data:
                if f.default is dataclasses.MISSING:
                    return BROKEN
                continue
            value = _convert(hints[f.name], data[f.name])
            if isinstance(value, Refusal):
                return value
            values[f.name] = value
        return cls(**values)

    def data(self) -> dict[str, Any]:
        """What the button carries: every field that is not filled from an input."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if not f.metadata.get(INPUT)}

    @classmethod
    def button_keys(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls) if not f.metadata.get(INPUT))


@dataclass(frozen=True)
class Nothing(Payload):
    """A button that needs no data (help, my sets, sign up, apologies)."""


@dataclass(frozen=True)
class SetChoice(Payload):
    """A button that names one set (choose it, commit to it, open or close its booking)."""

    set_key: str


@dataclass(frozen=True)
class TeamChoice(Payload):
    """A button that names one council's team (withdraw it). The rules check who may."""

    team_id: str


@dataclass(frozen=True)
class Commitment(Payload):
    """An officer's commitment to a set: the set from the button, the two tick boxes from the card."""

    set_key: str
    commit: bool = input_field(False)
    ground_rules: bool = input_field(False)


@dataclass(frozen=True)
class Nomination(Payload):
    """The sign-up form: the set and submission from the button, every other entry from the card's
    inputs (read by the rules' own reader), and whether to submit it despite the guidance."""

    set_key: str
    submission_id: str = ""
    accept_as_is: bool = False
    form: n.SignUpForm = field(default=EMPTY_FORM, metadata={INPUT: True})

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self | Refusal:
        parsed = super().parse({k: v for k, v in data.items() if k != "form"})
        if isinstance(parsed, Refusal):
            return parsed
        return dataclasses.replace(parsed, form=n.from_card_data(data))

    def data(self) -> dict[str, Any]:
        # Only "Submit as it is" carries the flag; the other buttons leave it out.
        written = super().data()
        if written.pop("accept_as_is"):
            written["accept_as_is"] = "true"
        return written


# The apologies card's own input ids: which session, and why not.
SESSION = "session"  # "<set_key>#<number>"
REASON = "reason"


def session_value(set_key: str, number: int) -> str:
    return f"{set_key}#{number}"


@dataclass(frozen=True)
class ApologiesSent(Payload):
    """Apologies for a session: both chosen on the card. A session that is not "<set>#<n>" reads as
    no session, so the card can ask again with the reason kept."""

    session: str = input_field()
    reason: str = input_field()

    @property
    def set_key(self) -> str:
        return self.session.rpartition("#")[0]

    @property
    def number(self) -> int:
        _, _, number = self.session.rpartition("#")
        return int(number) if number.isdecimal() else 0


@dataclass(frozen=True)
class ApologiesWithdrawn(Payload):
    """Withdraw the apologies for one session. Its keys differ from the card's "Which session?"
    input (`session`), which Teams would otherwise merge over the button's own value."""

    apology_set: str
    apology_session: int


@dataclass(frozen=True)
class RegisterChoice(Payload):
    """Which set's register to show: from the card's choice, or a button that names it."""

    set_key: str = input_field()
