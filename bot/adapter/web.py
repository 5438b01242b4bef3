"""The HTTP handlers: `/api/messages` (bot.adapter.teams), health probes, clean answers to bad requests.

The app that wires them to the store, the courier and the tickers is built in `bot.adapter.app`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.adapter import inbound, wire
from bot.adapter.auth import ChannelAuthentication
from bot.adapter.courier import Courier
from bot.adapter.teams import Exchange, TeamsBot
from bot.adapter.ticker import Ticker
from bot.adapter.wire import Incoming
from bot.store.base import Store

log = logging.getLogger(__name__)

BOT = web.AppKey("bot", TeamsBot)
STORE = web.AppKey("store", Store)
AUTH = web.AppKey("auth", ChannelAuthentication)
COURIER = web.AppKey("courier", Courier)
TICKER = web.AppKey("ticker", Ticker)
SESSION_TICKER = web.AppKey("session_ticker", Ticker)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _refuse_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Answer, then close the connection rather than drain the rest of the body: draining would
    inflate it anyway, and fail inside aiohttp with a traceback when it is not really gzip."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


async def messages(request: web.Request) -> web.Response:
    # Every refusal here is cheap, happens before authentication, and logs one line at most:
    # anyone can send these, so none may cost a traceback or a look at the store.
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        # The channel never compresses; a compressed body would be inflated before its size is
        # known, and a body that only claims to be gzip fails deep inside the HTTP parser.
        return await _refuse_and_close(
            request, _problem(415, "Content-Encoding is not supported: send the body uncompressed"))
    try:
        text = await request.read()
        body: Any = _loads(text)
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "request body too large")
    except HttpProcessingError as broken:
        log.info("request refused", extra={"reason": type(broken).__name__})
        return _problem(400, "the request body could not be read")
    except RecursionError:
        log.info("request refused", extra={"reason": "JSON nested too deeply"})
        return _problem(400, "body is nested too deeply")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "body is not an activity")
    try:
        incoming = Incoming(inbound.check(body, walk=not inbound.plain(text)))
    except inbound.Refused as refused:
        log.info("request refused", extra={"reason": str(refused)})
        return _problem(400, f"body is not an activity: {refused}")
    app = request.app
    auth = app[AUTH]
    try:
        connector = await auth.connector_for(request.headers.get("Authorization", ""), incoming)
    except PermissionError as refused:
        log.info("request refused", extra={"reason": str(refused)})
        return _problem(401, "unauthorized")
    exchange = Exchange(incoming, connector)
    await app[BOT].on_turn(exchange)
    if incoming.type != wire.INVOKE:
        return web.Response(status=201)
    # An invoke the bot does not answer gets 501, as from the SDK; ours always have an answer.
    if exchange.answer is None:
        return web.Response(status=501)
    return web.Response(body=exchange.encoded(), content_type="application/json")


def _loads(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # What orjson refuses, json may still read (a lone surrogate, which the edge repairs) or
        # refuse with its own error, answered below.
        return json.loads(text)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(request.app[STORE].ping(), timeout=5)
    except Exception:
        log.warning("store not reachable")
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ready"})


@web.middleware
async def no_stack_traces(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as http:
        if http.status >= 400:
            return _problem(http.status, http.reason)
        raise
    except Exception:
        log.exception("request failed", extra={"path": request.path})
        return _problem(500, "internal error")


if TYPE_CHECKING:
    from bot.adapter.app import create_app as create_app
    from bot.adapter.app import serve as serve


def __getattr__(name: str) -> Any:
    # `create_app` and `serve` moved to the composition root (bot.adapter.app); imports from
    # here still find them (importing it at the top would be circular: it mounts these handlers).
    if name in ("create_app", "serve"):
        from bot.adapter import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
