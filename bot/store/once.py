"""Exactly once for a re-sent activity: its marker is written in the same transaction as its work.

Teams re-sends an activity (same id, same chat) when the bot was slow to answer or died before it
answered. Recording the id in a write of its own before the work leaves a window: killed between
the two, the re-send finds the id, is refused as a duplicate, and the work is never done. So the
marker is not written on its own. While a turn runs, `TURN` names its activity; the first write
transaction that the turn commits (`SqlStore.write`) inserts the marker as its first statement:

- the marker commits if and only if the work commits, so a crash before the commit leaves neither,
  and the re-send does the work; a crash after it leaves both, and the re-send is told it is done;
- a turn that writes nothing (help, a card that only shows something) writes no marker and costs
  no database round trip; doing it again for a re-send changes nothing (at worst its reply is
  shown twice, when the re-send reaches another instance);
- two instances given the same re-send: PostgreSQL's unique index makes the second insert wait
  for the first transaction; if that commits, the second finds the marker and rolls its work
  back (`AlreadyDone`), if it rolls back the second goes ahead. SQLite has one writer anyway.

Later writes of the same turn (the "act after commit" step) see `claimed` and skip the insert. A
turn's work is one transaction (bot.features.change: decide, save, then act); what it does after
that commit is bookkeeping that a re-send need not repeat.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime


class AlreadyDone(Exception):
    """The activity's work was committed before (by a crashed process or another instance); the
    transaction that found this has been rolled back."""


@dataclass
class TurnMark:
    key: str  # the activity's key (bot.adapter.teams.activity_key)
    at: datetime
    claimed: bool = False  # a transaction of this turn has committed the marker
    # A task that the turn starts (a Graph job) inherits the context but is not the turn's work.
    task: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)

    def applies(self) -> bool:
        return not self.claimed and asyncio.current_task() is self.task


TURN: ContextVar[TurnMark | None] = ContextVar("als_turn_mark", default=None)
