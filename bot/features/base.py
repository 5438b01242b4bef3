"""What every feature's handlers receive: the services they act through, and the handler shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from bot.features.people import identities
from bot.rules.refusal import Refusal
from bot.store.base import Store
from bot.turns import Outcome, Turn
from cards.payloads import Nothing, Payload


def _nothing() -> None:
    return None


class MeetingsPort(Protocol):
    """Creates a set's Teams meetings in the background, telling `notify` (a recipient key) after."""

    def create(self, set_key: str, notify: str) -> None: ...


class ChatPort(Protocol):
    """Posts and updates cards in a chat outside a turn (the session card, also from the ticker).
    `conversation_key` is a stored conversation reference, e.g. "chat:<conversationId>"."""

    async def post(self, conversation_key: str, card: dict[str, Any]) -> str | None:
        """The new message's activity id, or None if it could not be sent."""

    async def update(self, conversation_key: str, activity_id: str, card: dict[str, Any]) -> bool: ...


class NoChats:
    """The chat port of a bot without a channel (tests of features alone): sends nothing."""

    async def post(self, conversation_key: str, card: dict[str, Any]) -> str | None:
        return None

    async def update(self, conversation_key: str, activity_id: str, card: dict[str, Any]) -> bool:
        return False


@dataclass(frozen=True)
class Services:
    store: Store
    admins: frozenset[str] = field(default_factory=frozenset)
    # Called after a change that queued notices has been committed, so they go out at once.
    kick: Callable[[], None] = _nothing
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    meetings: MeetingsPort | None = None  # None: Microsoft Graph is not configured
    chats: ChatPort = field(default_factory=NoChats)

    def is_admin(self, turn: Turn) -> bool:
        return bool(identities(turn.person) & self.admins)


# A typed command's handler gets the turn and the words after the command's name.
Handler = Callable[[Services, Turn, str], Awaitable[Outcome]]

P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Action(Generic[P]):
    """A card verb's route: the payload type its data is read into, and the handler that gets it.

    The data is parsed once, here at the edge; a handler sees only a typed payload, and a
    malformed action is answered with the refusal and never reaches it.
    """

    payload: type[P]
    handler: Callable[[Services, Turn, P], Awaitable[Outcome]]

    async def run(self, services: Services, turn: Turn) -> Outcome:
        parsed = self.payload.parse(turn.data)
        if isinstance(parsed, Refusal):
            return Outcome.say(parsed.message)
        return await self.handler(services, turn, parsed)


def as_action(command: Handler) -> Action[Nothing]:
    """A button that does what a typed command does with no words after it."""

    async def handler(services: Services, turn: Turn, payload: Nothing) -> Outcome:
        return await command(services, turn, "")

    return Action(Nothing, handler)
