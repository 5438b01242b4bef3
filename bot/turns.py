"""What the router sees of an incoming activity, and what it answers: plain data, no SDK types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.commands import Scope


class Kind(StrEnum):
    MESSAGE = "message"  # typed text
    ACTION = "action"  # a card button (Action.Execute invoke, or Action.Submit fallback)
    ADDED = "added"  # the bot was added to a chat or installed for a person
    EVENT = "event"  # a meeting event, e.g. a participant joined or left (`verb` names it)
    OTHER = "other"


@dataclass(frozen=True)
class Person:
    """Who sent the activity, as the channel signed it: `aad_object_id` is the identity to trust."""

    channel_user_id: str
    aad_object_id: str | None
    name: str
    email: str | None = None  # from the person's Teams profile, as the channel reports it


@dataclass(frozen=True)
class Chat:
    id: str
    scope: Scope
    tenant_id: str
    is_meeting: bool = False


@dataclass(frozen=True)
class Turn:
    kind: Kind
    activity_id: str
    person: Person
    chat: Chat
    now: datetime
    text: str = ""
    verb: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    mentioned: bool = False  # the bot was @mentioned (in a group chat, it also hears the rest)


@dataclass(frozen=True)
class Reply:
    text: str | None = None
    card: dict[str, Any] | None = None


@dataclass
class Outcome:
    """Messages to post in the chat, and for a card action the card that replaces the clicked one."""

    replies: list[Reply] = field(default_factory=list)
    card: dict[str, Any] | None = None

    @classmethod
    def say(cls, text: str) -> Outcome:
        return cls(replies=[Reply(text=text)])

    @classmethod
    def show(cls, card: dict[str, Any]) -> Outcome:
        return cls(replies=[Reply(card=card)])
