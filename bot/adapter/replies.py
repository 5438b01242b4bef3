"""Replies within a turn: what happens when the connector refuses one, so that none is lost silently.

The connector answers a reply with 429 (slow down, with `Retry-After`), a 5xx (after the transport
has retried), 403 (the person blocked the bot, or it was removed from the chat) or 413 (the message
is larger than Teams accepts). Each has one treatment:

- 413: the person is told, in a short text, that the answer was too large, and what to do
  instead (the router keeps cards within `cards.budget` already: this is for what slips past);
- 429 with a short `Retry-After`: waited for once within the turn; longer, or a 5xx or a broken
  connection: the reply is re-routed to the outbox, which the courier delivers with back-off
  (the turn's work is committed; the person gets the answer a little later, not never);
- 403: recorded in the log as a refusal by the chat, and the turn's remaining replies to that chat
  are not attempted (they would be refused too); nothing is queued, since it cannot arrive;
- anything else: logged with its status, never raised: a failed reply never fails the turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.router import TOO_LARGE
from bot.store.base import Notice, Store
from bot.store.outage import unreachable
from bot.turns import Reply

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_IN_TURN = 2.0


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a failed send, from msrest's or aiohttp's exception; None: no answer."""
    response = getattr(error, "response", None)
    for value in (getattr(response, "status_code", None), getattr(response, "status", None),
                  getattr(error, "status", None)):
        if isinstance(value, int):
            return value
    return None


def retry_after(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or getattr(error, "headers", None) or {}
    try:
        value = headers.get("Retry-After")
        return None if value is None else max(0.0, float(value))
    except (TypeError, ValueError, AttributeError):
        return None  # an HTTP date, or nothing readable: treated as a long wait


@dataclass
class Sent:
    delivered: int = 0
    rerouted: int = 0
    refused: int = 0
    too_large: int = 0


async def send_all(
    replies: Sequence[Reply],
    send: Callable[[Reply], Awaitable[Any]],
    *,
    store: Store,
    recipient: str | None,
    now: datetime,
    kick: Callable[[], None] = lambda: None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> Sent:
    """Send `replies` in order through `send`; `recipient` is the chat's outbox address (None: a
    chat the courier cannot reach, e.g. a stranger's without a saved conversation)."""
    sent = Sent()
    for index, reply in enumerate(replies):
        outcome = await _send_one(reply, send, sleep)
        if outcome == "too large" and reply.text != TOO_LARGE:
            sent.too_large += 1
            outcome = await _send_one(Reply(text=TOO_LARGE), send, sleep)
        if outcome == "sent":
            sent.delivered += 1
        elif outcome == "refused":
            sent.refused += len(replies) - index
            break
        elif outcome == "later":
            # The rest follow it to the outbox, so that the person reads them in order.
            sent.rerouted = await _reroute([reply, *replies[index + 1:]], store, recipient, now, kick)
            break
    return sent


async def _send_one(reply: Reply, send: Callable[[Reply], Awaitable[Any]],
                    sleep: Callable[[float], Awaitable[Any]]) -> str:
    for attempt in (1, 2):
        try:
            await send(reply)
            return "sent"
        except asyncio.CancelledError:
            raise
        except Exception as error:
            status = status_of(error)
            log.warning("reply not sent", extra={"status": status, "error": type(error).__name__,
                                                 "attempt": attempt})
            if status == 413:
                return "too large"
            if status == 403:
                log.warning("the chat refuses the bot (blocked or removed): replies dropped")
                return "refused"
            if status == 429:
                wait = retry_after(error)
                if attempt == 1 and wait is not None and wait <= MAX_RETRY_AFTER_IN_TURN:
                    await sleep(wait)
                    continue
                return "later"
            if status is None or status >= 500:
                return "later"
            return "dropped"
    return "later"


async def _reroute(replies: list[Reply], store: Store, recipient: str | None, now: datetime,
                   kick: Callable[[], None]) -> int:
    if recipient is None:
        log.warning("replies not delivered and no way to deliver them later", extra={"count": len(replies)})
        return 0
    notices = [Notice(recipient, {"card": r.card} if r.card is not None else {"text": r.text or ""})
               for r in replies]
    try:
        await store.enqueue(notices, now)
    except Exception as error:
        log.warning("replies not delivered, and not queued either", extra={
            "count": len(replies), "error": type(error).__name__, "store_unreachable": unreachable(error)})
        return 0
    log.info("replies re-routed to the outbox", extra={"count": len(replies)})
    kick()
    return len(replies)
