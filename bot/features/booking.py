"""Booking decisions through the one concurrency pattern, in batches: load, decide, save if unchanged.

A rush (hundreds of officers pressing the button in the same second) is the normal case at the
published opening time. Each process therefore gathers the booking events of a series that
arrive while a save is in flight into one batch: one `load_book` of only what those events need
(their councils', officers' and cards' teams, the sets counted), the rules applied to each event
in arrival order in memory, and one `save_book`. The store guarantees capacity, order and one
team per council under concurrency (see `Store.save_book`), so two processes on one PostgreSQL
simply race their batches: the loser decides again on fresh data. No rule runs inside a
transaction, and a batch of a hundred nominations costs about one database round trip more than
one nomination.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.features.change import Decided, Lost, change
from bot.rules import booking as b
from bot.rules.booking import Resize
from bot.rules.programme import Programme
from bot.store.base import BookChange, BookScope, BookSlice, ChallengeRecord, Notice, ProgrammeSaved, Store

log = logging.getLogger(__name__)

MAX_BATCH = 250  # events decided and saved together; bounds a transaction and its IN lists
GATHER_SECONDS = 0.005  # how long a batch waits for company; well under what a person notices
TRIES = 50  # a batch loses only to another instance's batch, each loss being someone's progress

Tell = Callable[[b.Book, Sequence[b.Effect]], tuple[Notice, ...]]
Record = Callable[[Sequence[b.Effect]], tuple[ChallengeRecord, ...]]


def _nobody(book: b.Book, effects: Sequence[b.Effect]) -> tuple[Notice, ...]:
    return ()


def _nothing(effects: Sequence[b.Effect]) -> tuple[ChallengeRecord, ...]:
    return ()


@dataclass
class _Pending:
    event: b.Event
    tell: Tell
    record: Record
    now: datetime
    answer: asyncio.Future[BookChange | Lost | Exception] = field(repr=False)


def scope_of(events: Sequence[b.Event]) -> BookScope | None:
    """What the events need loaded: a nomination or a commitment only its people's teams; anything
    that can promote from a waiting list (or sweeps every set) the whole book (None)."""
    councils: set[str] = set()
    emails: set[str] = set()
    aad_ids: set[str] = set()
    keys: set[str] = set()
    for event in events:
        match event:
            case b.Nominate():
                councils.add(event.council)
                emails.update(o.email for o in event.officers)
                keys.add(event.idempotency_key)
                who = event.by
            case b.Commit():
                who = event.by
            case _:
                return None
        if who.email:
            emails.add(who.email.strip().lower())
        if who.aad_object_id:
            aad_ids.add(who.aad_object_id)
    return BookScope(frozenset(councils), frozenset(emails), frozenset(aad_ids), frozenset(keys))


Answer = BookChange | Lost | Exception


def decide_all(before: BookSlice, pending: Sequence[_Pending]) -> Decided[BookSlice, list[Answer]]:
    """The rules applied to each event in arrival order, each seeing the ones before it (pure)."""
    book = before.book
    notices: list[Notice] = []
    records: list[ChallengeRecord] = []
    results: list[Answer] = []
    for item in pending:
        try:
            after, effects = b.decide(book, item.event)
            told = item.tell(after, effects)
            kept = item.record(effects)
        except Exception as error:  # one bad event must not sink its batch
            results.append(error)
            continue
        results.append(BookChange(after, effects, told, kept))
        book = after
        notices.extend(told)
        records.extend(kept)
    if book == before.book and not notices and not records:
        return Decided(None, results)
    return Decided(BookSlice(book, before.versions, tuple(records)), results, tuple(notices))


class Booking:
    """Decides a store's booking events, batched per series (one instance per store and process)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queues: dict[str, list[_Pending]] = {}
        self._draining: dict[str, asyncio.Task[None]] = {}
        self.batches = 0  # how many batches were saved or refused (the benchmark reports it)

    async def decide(self, series_key: str, event: b.Event, now: datetime, *, tell: Tell = _nobody,
                     record: Record = _nothing) -> BookChange | Lost:
        """Decide `event` with the others arriving now; `tell` gives the notices of its effects and
        `record` the challenge versions to keep, both pure. Returns once the decision is saved."""
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(series_key, []).append(_Pending(event, tell, record, now, answer))
        if series_key not in self._draining:
            self._draining[series_key] = asyncio.create_task(self._drain(series_key))
        # Shielded: a client that hangs up must not cancel a decision that others share.
        result = await asyncio.shield(answer)
        if isinstance(result, Exception):
            raise result
        return result

    async def _drain(self, series_key: str) -> None:
        try:
            while True:
                if len(self._queues.get(series_key, ())) < MAX_BATCH:
                    # A moment for the others arriving now: in a rush the first submission after
                    # a batch would otherwise be decided alone, and those behind it wait for both.
                    await asyncio.sleep(GATHER_SECONDS)
                queue = self._queues.pop(series_key, [])
                if not queue:
                    break
                for start in range(0, len(queue), MAX_BATCH):
                    await self._batch(series_key, queue[start:start + MAX_BATCH])
        finally:
            del self._draining[series_key]

    async def _batch(self, series_key: str, pending: list[_Pending]) -> None:
        scope = scope_of([p.event for p in pending])
        outcome: list[Answer] | Lost
        try:
            outcome = await change(
                lambda: self.store.load_book(series_key, scope),
                lambda before: decide_all(before, pending),
                lambda before, after, notices: self.store.save_book(before, after, notices, pending[-1].now),
                tries=TRIES,
                what="booking",
            )
        except Exception as error:
            log.exception("booking batch failed", extra={"events": len(pending)})
            outcome = [error] * len(pending)
        self.batches += 1
        for i, item in enumerate(pending):
            if not item.answer.done():
                item.answer.set_result(outcome if isinstance(outcome, Lost) else outcome[i])


_bookings: weakref.WeakKeyDictionary[Store, Booking] = weakref.WeakKeyDictionary()


def booking_of(store: Store) -> Booking:
    """The one batching decider of a store in this process."""
    found = _bookings.get(store)
    if found is None:
        found = _bookings[store] = Booking(store)
    return found


async def save_programme(store: Store, programme: Programme, now: datetime) -> ProgrammeSaved:
    """Load a programme: the store keeps the series and sets; a changed capacity goes through the
    rules (it may promote from the waiting list, or be refused below the confirmed teams)."""
    saved = await store.save_programme(programme, now)
    effects: list[b.Effect] = list(saved.effects)
    for series_key, set_key, capacity in saved.resizes:
        result = await booking_of(store).decide(series_key, Resize(set_key, capacity, now), now)
        if isinstance(result, BookChange):
            effects.extend(result.effects)
    return ProgrammeSaved(saved.created, saved.updated, tuple(effects), saved.resizes)
