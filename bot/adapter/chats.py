"""Posts and updates cards in a chat outside a turn (the session card, also from the ticker), paced
to stay within Teams' per-conversation rate limits for bots.

Teams allows a bot, per conversation, 7 messages a second, 8 in 2 seconds, 60 in 30 seconds and
1800 an hour; beyond that it answers 429. The pacer waits for room instead of being refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.adapter.proactive import Proactive
from bot.store.base import Store

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

log = logging.getLogger(__name__)

# (window in seconds, messages allowed in it), per bot and conversation.
TEAMS_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


class Pacer:
    """Waits until one more message to a conversation keeps within every limit."""

    def __init__(self, limits: tuple[tuple[float, int], ...] = TEAMS_LIMITS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def delay(self, key: str) -> float:
        """Seconds to wait before the next message to `key` may go."""
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        now = self.clock()
        longest = max(window for window, _ in self.limits)
        while sent and sent[0] <= now - longest:
            sent.popleft()
        wait = 0.0
        for window, allowed in self.limits:
            recent = [t for t in sent if t > now - window]
            if len(recent) >= allowed:
                wait = max(wait, recent[-allowed] + window - now)
        return wait

    async def slot(self, key: str) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            while (wait := self.delay(key)) > 0:
                log.info("pacing messages to a chat", extra={"wait_seconds": round(wait, 2)})
                await asyncio.sleep(wait)
            self._sent.setdefault(key, deque()).append(self.clock())


class ConnectorChats:
    """The features' ChatPort on the Bot Framework connector, through stored conversation references."""

    def __init__(self, proactive: Proactive, store: Store, app_id: str, pacer: Pacer | None = None) -> None:
        self.proactive = proactive
        self.store = store
        self.app_id = app_id
        self.pacer = pacer or Pacer()

    async def _run(self, conversation_key: str, action: Callable[[TurnContext], Any]) -> bool:
        ref = await self.store.conversation(conversation_key)
        if ref is None:
            log.warning("no conversation reference for the chat")
            return False
        await self.pacer.slot(conversation_key)
        adapter = await self.proactive.adapter()
        from botbuilder.schema import ConversationReference

        failures: list[BaseException] = []

        async def turn(context: TurnContext) -> None:
            # Caught here: the adapter's turn-error handler would otherwise swallow it.
            try:
                await action(context)
            except Exception as error:
                failures.append(error)

        try:
            await adapter.continue_conversation(
                ConversationReference().deserialize(ref.reference), turn, self.app_id)
        except Exception as error:
            failures.append(error)
        if failures:
            log.warning("chat card not sent", extra={"error": type(failures[0]).__name__})
            return False
        return True

    async def post(self, conversation_key: str, card: dict[str, Any]) -> str | None:
        posted: list[str] = []

        async def send(context: TurnContext) -> None:
            from botbuilder.core import CardFactory, MessageFactory  # imported by _run, before this runs

            response = await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))
            if response is not None and response.id:
                posted.append(response.id)

        ok = await self._run(conversation_key, send)
        return posted[0] if ok and posted else None

    async def update(self, conversation_key: str, activity_id: str, card: dict[str, Any]) -> bool:
        async def send(context: TurnContext) -> None:
            from botbuilder.core import CardFactory, MessageFactory

            activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
            activity.id = activity_id
            await context.update_activity(activity)

        return await self._run(conversation_key, send)
