"""The HTTP side: `/api/messages` through CloudAdapter, health probes, clean answers to bad requests."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.adapter.auth import ChannelAuthentication
from bot.adapter.chats import ConnectorChats
from bot.adapter.courier import Courier
from bot.adapter.live_web import add_live_routes
from bot.adapter.meetings import GraphMeetings
from bot.adapter.teams import TeamsBot
from bot.adapter.ticker import Ticker
from bot.adapter.warm import warm_graph
from bot.attendance_collect import AttendanceConfigError, AttendanceSettings, GraphAttendance
from bot.config import ALLOW_UNAUTHENTICATED, ConfigError, Settings, load_environment
from bot.features import evaluation, meeting, reminders, signup
from bot.features.base import Services
from bot.store.base import Store
from graph.mail import GraphOutreach

log = logging.getLogger(__name__)

ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", TeamsBot)
STORE = web.AppKey("store", Store)
AUTH = web.AppKey("auth", ChannelAuthentication)
COURIER = web.AppKey("courier", Courier)
TICKER = web.AppKey("ticker", Ticker)
SESSION_TICKER = web.AppKey("session_ticker", Ticker)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def messages(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    try:
        body: Any = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "request body too large")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "body is not an activity")
    try:
        activity = Activity().deserialize(body)
    except Exception:
        return _problem(400, "body is not an activity")
    if activity.conversation is None or not activity.service_url:
        return _problem(400, "activity has no conversation or serviceUrl")
    auth_header = request.headers.get("Authorization", "")
    app = request.app
    try:
        response = await app[ADAPTER].process_activity(auth_header, activity, app[BOT].on_turn)
    except PermissionError as refused:
        log.info("request refused", extra={"reason": str(refused)})
        return _problem(401, "unauthorized")
    if response is None:
        return web.Response(status=201)
    return web.json_response(response.body, status=int(response.status))


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


def create_app(settings: Settings, store: Store, env: Mapping[str, str] | None = None, *,
               clock: Callable[[], datetime] | None = None) -> web.Application:
    """The bot's web app; `clock` (default: the system's UTC time) lets a test run sessions fast."""
    now = clock or _utc_now
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[no_stack_traces])
    auth = ChannelAuthentication(settings.auth)
    adapter = CloudAdapter(auth)
    environment = load_environment() if env is None else env
    outreach = _graph_outreach(environment)
    courier = Courier(adapter, store, settings.auth.app_id, interval=settings.courier_interval, clock=now,
                      outreach=outreach, admins=settings.admins,
                      tenant_id=settings.auth.tenant_id or environment.get("AZURE_TENANT_ID", ""))
    meetings = _graph_meetings(store, courier.kick, environment)
    chats = ConnectorChats(adapter, store, settings.auth.app_id)
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
    app[TICKER].sweeps.append(("reminders", lambda at: reminders.sweep(services, at)))  # issue 12
    app[TICKER].sweeps.extend(evaluation.sweeps(services, load_environment() if env is None else env))
    if meetings is not None:
        app[TICKER].sweeps.append(("meetings", meetings.sweep))
    attendance = _graph_attendance(store, courier.kick, load_environment() if env is None else env)
    if attendance is not None:
        app[TICKER].sweeps.append(("attendance", attendance.sweep))

    async def on_error(context: Any, error: Exception) -> None:
        log.error("turn error", extra={"error": type(error).__name__})

    adapter.on_turn_error = on_error
    app[ADAPTER], app[BOT], app[STORE], app[AUTH], app[COURIER] = adapter, bot, store, auth, courier
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_live_routes(app, settings.live, services, courier=courier, token=auth.token)

    async def start(app: web.Application) -> None:
        app[COURIER].start()
        app[TICKER].start()
        app[SESSION_TICKER].start()
        if meetings is not None or attendance is not None:
            warm_graph()  # the first Graph call in a request then pays no import

    async def close(app: web.Application) -> None:
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


def _graph_meetings(store: Store, kick: Callable[[], None], env: Mapping[str, str]) -> GraphMeetings | None:
    from graph.settings import GraphNotConfigured, GraphSettings

    try:
        graph = GraphSettings.from_env(env)
    except GraphNotConfigured as missing:
        log.info("Microsoft Graph is off: %s", missing)
        return None
    seconds = float(env.get("ALS_MEETINGS_SYNC_SECONDS", "") or 300)
    return GraphMeetings(graph, store, kick, lambda: datetime.now(UTC), sync_seconds=seconds)


def _graph_outreach(env: Mapping[str, str]) -> GraphOutreach | None:
    """E-mail and chat-starting for the courier (issue 12), when Graph is configured."""
    from graph.settings import GraphNotConfigured, GraphSettings

    try:
        return GraphOutreach(GraphSettings.from_env(env))
    except GraphNotConfigured:
        return None  # _graph_meetings has said so in the log


def _graph_attendance(
    store: Store, kick: Callable[[], None], env: Mapping[str, str]
) -> GraphAttendance | None:
    """The attendance sweep (bot.attendance_collect), when Graph is configured."""
    from graph.settings import GraphNotConfigured, GraphSettings

    try:
        graph = GraphSettings.from_env(env)
    except GraphNotConfigured:
        return None  # _graph_meetings has said so in the log
    try:
        rules = AttendanceSettings.from_env(env)
    except AttendanceConfigError as wrong:
        raise ConfigError(str(wrong)) from wrong
    return GraphAttendance(graph, rules, store, kick)


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
    app = create_app(settings, store)
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("ready at http://%s:%d/api/messages", settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await runner.cleanup()
