"""The composition root: builds the bot's web app from the settings and a store, and runs it.

Everything is wired here and only here: the channel authentication and adapter, the courier, the
chats, Microsoft Graph (when configured), the features' services and the timed sweeps. The HTTP
handlers it mounts are in `bot.adapter.web`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.adapter.auth import ChannelAuthentication
from bot.adapter.chats import ConnectorChats
from bot.adapter.courier import Courier
from bot.adapter.live_web import add_live_routes
from bot.adapter.proactive import Proactive
from bot.adapter.teams import TeamsBot
from bot.adapter.ticker import Ticker
from bot.adapter.warm import warm_up
from bot.adapter.web import (
    AUTH,
    BOT,
    COURIER,
    SESSION_TICKER,
    STORE,
    TICKER,
    healthz,
    messages,
    no_stack_traces,
    readyz,
)
from bot.config import ALLOW_UNAUTHENTICATED, Settings, integrations
from bot.features import evaluation, meeting, reminders, signup
from bot.features.base import Services
from bot.net import ssl_context
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.adapter.meetings import GraphAttendance, GraphMeetings

# Graph's modules (graph/, bot.adapter.meetings) are imported only when Graph is configured, and
# the SDKs behind them and behind proactive messages only once the bot listens (bot.adapter.warm).

log = logging.getLogger(__name__)
GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)
WARMING = web.AppKey("warming", asyncio.Task[None])

__all__ = ["SESSION_TICKER", "STORE", "TICKER", "create_app", "serve"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, store: Store, env: Mapping[str, str] | None = None, *,
               clock: Callable[[], datetime] | None = None) -> web.Application:
    """The bot's web app; `clock` (default: the system's UTC time) lets a test run sessions fast.

    `env`, when given, supplies the Graph, meeting-sync and attendance settings in place of those
    in `settings` (tests start one bot with a Graph stand-in and one without from one `settings`).
    """
    if env is not None:
        settings = dataclasses.replace(settings, **integrations(env))
    now = clock or _utc_now
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[no_stack_traces])
    auth = ChannelAuthentication(settings.auth)

    async def on_error(context: Any, error: Exception) -> None:
        log.error("turn error", extra={"error": type(error).__name__})

    proactive = Proactive(auth, on_error)
    environment = settings.environment if env is None else env
    outreach = None
    if settings.graph is not None:
        from graph.mail import GraphOutreach

        outreach = GraphOutreach(settings.graph)
    courier = Courier(proactive, store, settings.auth.app_id, interval=settings.courier_interval, clock=now,
                      outreach=outreach, admins=settings.admins,
                      tenant_id=settings.auth.tenant_id or environment.get("AZURE_TENANT_ID", ""))
    meetings = _graph_meetings(settings, store, courier.kick)
    chats = ConnectorChats(proactive, store, settings.auth.app_id)
    services = Services(store=store, admins=settings.admins, kick=courier.kick, meetings=meetings,
                        clock=now, chats=chats)
    bot = TeamsBot(services, now)

    async def deadlines(now: datetime) -> int:
        return await signup.expire_deadlines(services, now)

    async def housekeeping(at: datetime) -> int:
        return await store.forget_before(at - timedelta(days=2), at - timedelta(days=30))

    app[TICKER] = Ticker([("deadlines", deadlines), ("housekeeping", housekeeping)],
                         interval=settings.sweep_interval, clock=now)

    async def sessions(at: datetime) -> int:
        return await meeting.sweep(services, at)

    # Session timers need seconds, not the minute that deadlines can wait.
    app[SESSION_TICKER] = Ticker([("sessions", sessions)], interval=settings.session_tick_interval,
                                 clock=now)
    app[TICKER].sweeps.append(("reminders", lambda at: reminders.sweep(services, at)))
    app[TICKER].sweeps.extend(evaluation.sweeps(services, environment))
    if meetings is not None:
        app[TICKER].sweeps.append(("meetings", meetings.sweep))
    attendance = _graph_attendance(settings, store, courier.kick)
    if attendance is not None:
        app[TICKER].sweeps.append(("attendance", attendance.sweep))

    app[BOT], app[STORE], app[AUTH], app[COURIER] = bot, store, auth, courier
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_live_routes(app, settings.live, services, courier=courier, token=auth.token)

    async def start(app: web.Application) -> None:
        app[WARMING] = asyncio.create_task(_warm(auth))
        app[COURIER].start()
        app[TICKER].start()
        app[SESSION_TICKER].start()

    async def close(app: web.Application) -> None:
        app[WARMING].cancel()
        await app[TICKER].stop()
        await app[SESSION_TICKER].stop()
        if meetings is not None:
            await meetings.close()
        await app[COURIER].stop()
        if outreach is not None:
            await outreach.close()
        await app[AUTH].close()
        await app[STORE].close()

    app.on_startup.append(start)
    app.on_cleanup.append(close)
    return app


async def _warm(auth: ChannelAuthentication) -> None:
    # The trust store first, on a worker thread: loading it takes a tenth of a second, which on
    # the event loop would come before the first answer to /readyz (OpenSSL lets go of the
    # interpreter lock while it reads the file, so the two run side by side).
    await asyncio.to_thread(ssl_context)
    await auth.warm()


def _graph_meetings(settings: Settings, store: Store, kick: Callable[[], None]) -> GraphMeetings | None:
    if settings.graph is None:
        log.info("Microsoft Graph is off: %s", settings.graph_off)
        return None
    from bot.adapter.meetings import GraphMeetings

    return GraphMeetings(settings.graph, store, kick, _utc_now, sync_seconds=settings.meetings_sync_interval)


def _graph_attendance(settings: Settings, store: Store, kick: Callable[[], None]) -> GraphAttendance | None:
    """The attendance sweep, when Graph is configured (`_graph_meetings` logs when it is not)."""
    if settings.graph is None:
        return None
    from bot.adapter.meetings import GraphAttendance

    return GraphAttendance(settings.graph, settings.attendance, store, kick)


def warn_if_unauthenticated(settings: Settings) -> None:
    if not settings.auth.enabled:
        log.warning(
            "AUTHENTICATION IS OFF: MicrosoftAppId is empty, so any request to %s:%d is trusted. "
            "This is for the Agents Playground on this machine only%s.",
            settings.host, settings.port,
            f" ({ALLOW_UNAUTHENTICATED}=true allows a non-loopback address)"
            if settings.allow_unauthenticated_remote else "",
        )


async def serve(settings: Settings, store: Store, *, shutdown_timeout: float = 30.0) -> None:
    """Run until SIGINT or SIGTERM; in-flight turns finish before the store is closed."""
    warn_if_unauthenticated(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = create_app(settings, store)
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        # What start-up made lives as long as the process: kept out of the collector's sweeps, which
        # otherwise walk those objects again and again while turns allocate. (`als serve` turns the
        # collector off for start-up, bot.cli: on again now.) No collection first: it walks all
        # 180,000 objects, a fifth of a second before /readyz can answer, to free some 2,500.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        gc.enable()
        log.info("ready at http://%s:%d/api/messages", settings.host, settings.port)
        # Only now: the imports compete with start-up for the one interpreter lock.
        warm_up(graph=settings.graph is not None)
        await stop.wait()
    finally:
        log.info("stopping")
        await runner.cleanup()
