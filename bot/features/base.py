"""What every feature's handlers receive: the services they act through, and the handler shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.store.base import Store
from bot.turns import Outcome, Turn


@dataclass(frozen=True)
class Services:
    store: Store
    admins: frozenset[str] = field(default_factory=frozenset)

    def is_admin(self, turn: Turn) -> bool:
        return turn.person.aad_object_id is not None and turn.person.aad_object_id.lower() in self.admins


# A handler gets the turn and, for a typed command, the words after the command's name.
Handler = Callable[[Services, Turn, str], Awaitable[Outcome]]
