"""What every feature's handlers receive: the services they act through, and the handler shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.store.base import Store
from bot.turns import Outcome, Turn


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Services:
    store: Store
    admins: frozenset[str] = field(default_factory=frozenset)
    # Called after a change that queued notices has been committed, so they go out at once.
    kick: Callable[[], None] = _nothing
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def is_admin(self, turn: Turn) -> bool:
        person = turn.person
        ids = {i.lower() for i in (person.aad_object_id, person.email) if i}
        return bool(ids & self.admins)


# A handler gets the turn and, for a typed command, the words after the command's name.
Handler = Callable[[Services, Turn, str], Awaitable[Outcome]]
