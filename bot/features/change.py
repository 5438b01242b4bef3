"""One way to change shared state: load, decide (pure), save only if unchanged with the notices the
change causes, then act once the save has committed.

This is the BotBuilder scale-out pattern. The store only stores: it saves `after` in place of
`before` and queues the notices in the same transaction, or reports that someone else saved
first. Deciding never happens inside a write transaction, so no rule runs under a database lock.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.store.base import Notice

log = logging.getLogger(__name__)

S = TypeVar("S")  # the state that is loaded and saved
R = TypeVar("R")  # what the decision tells the caller

TRIES = 5
RETRY_PAUSE = 0.01  # seconds, times the attempt: the longest pause before a retry (jittered)
MAX_RETRY_PAUSE = 0.1


@dataclass(frozen=True)
class Decided(Generic[S, R]):
    """A decision: the state to save (None: nothing changed), its result, and its notices."""

    after: S | None
    result: R
    notices: Sequence[Notice] = field(default_factory=tuple)


@dataclass(frozen=True)
class Lost:
    """Every attempt lost its race to another turn or instance: the person is asked to retry."""

    message: str = "Others changed this at the same moment: please try again."


async def change(
    load: Callable[[], Awaitable[S]],
    decide: Callable[[S], Decided[S, R] | Awaitable[Decided[S, R]]],
    save: Callable[[S, S, Sequence[Notice]], Awaitable[bool]],
    act: Callable[[S, R, bool], Awaitable[None]] | None = None,
    *,
    tries: int = TRIES,
    what: str = "change",
) -> R | Lost:
    """Load, decide and save-if-unchanged, retrying a lost race; `act(after, result, queued)` runs
    only after a save committed (`queued`: it queued notices, so the courier should be kicked).
    `decide` may be a coroutine where building the notices needs reads (never writes)."""
    for attempt in range(tries):
        if attempt:
            # Lost to another instance: a moment's pause, different on each side, so that the two
            # do not collide again on the next try (and more of the rush joins the next batch).
            await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE * attempt, MAX_RETRY_PAUSE)))  # noqa: S311
        before = await load()
        made = decide(before)
        decided = await made if inspect.isawaitable(made) else made
        if decided.after is None:
            return decided.result
        if await save(before, decided.after, decided.notices):
            if act is not None:
                await act(decided.after, decided.result, bool(decided.notices))
            return decided.result
    log.warning("change lost every race", extra={"what": what, "tries": tries})
    return Lost()
