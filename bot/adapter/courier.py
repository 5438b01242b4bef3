"""Delivers queued notices proactively, after the change they report has been committed.

Every instance runs a courier; the store's lease keeps two couriers from taking the same notice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference

from bot.adapter.background import Background
from bot.adapter.meeting_cues import MeetingCues
from bot.store.base import ConversationRef, Pending, Store

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 3600.0


def retry_delay(attempts: int) -> float:
    """Exponential, jittered, capped at an hour: a notice is retried until it is delivered."""
    base: float = min(MAX_RETRY_SECONDS, 15.0 * 2 ** min(attempts, 12))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


class Courier(Background):
    name = "courier"

    def __init__(self, adapter: CloudAdapter, store: Store, app_id: str, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 interval: float = 5.0, lease_seconds: float = 60.0, batch: int = 20) -> None:
        self.adapter = adapter
        self.store = store
        self.app_id = app_id
        self.clock = clock
        self.interval = interval
        self.lease_seconds = lease_seconds
        self.batch = batch
        self._wake = asyncio.Event()
        self.cues: MeetingCues | None = None  # set by the meeting page (bot.adapter.live_web)

    def kick(self) -> None:
        """Deliver now rather than at the next interval (after a turn queued notices)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due() == self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("courier round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _resolve(self, recipient: str) -> ConversationRef | None:
        kind, _, value = recipient.partition(":")
        if kind == "email":
            return await self.store.conversation_by_email(value)
        return await self.store.conversation(recipient)

    async def deliver_due(self) -> int:
        """One round: returns how many notices it took."""
        pending = await self.store.claim_due(self.clock(), self.lease_seconds, self.batch)
        claimed = len(pending)
        if self.cues is not None:
            pending = await self.cues.deliver(pending)  # in-meeting cues; the rest as messages
        for notice in pending:
            await self._deliver(notice)
        return claimed

    async def _deliver(self, notice: Pending) -> None:
        ref = await self._resolve(notice.recipient)
        if ref is None:
            # The person has not opened a chat with the bot yet; it is kept until they do.
            retry = self.clock() + timedelta(seconds=retry_delay(notice.attempts))
            await self.store.not_delivered(notice.id, "no conversation with the recipient yet", retry)
            return
        reference = ConversationReference().deserialize(ref.reference)
        body = notice.body

        failures: list[BaseException] = []

        async def send(context: TurnContext) -> None:
            # Caught here: the adapter's turn-error handler would otherwise swallow it.
            try:
                if body.get("card") is not None:
                    card = CardFactory.adaptive_card(body["card"])
                    await context.send_activity(MessageFactory.attachment(card))
                else:
                    await context.send_activity(MessageFactory.text(str(body.get("text", ""))))
            except Exception as error:
                failures.append(error)

        try:
            await self.adapter.continue_conversation(reference, send, self.app_id)
        except Exception as error:
            failures.append(error)
        if failures:
            retry = self.clock() + timedelta(seconds=retry_delay(notice.attempts))
            error_name = type(failures[0]).__name__
            log.warning("notice not delivered", extra={"notice": notice.id, "error": error_name})
            await self.store.not_delivered(notice.id, error_name, retry)
        else:
            await self.store.delivered(notice.id, self.clock())
            log.info("notice delivered", extra={"notice": notice.id})
