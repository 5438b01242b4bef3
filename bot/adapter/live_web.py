"""The meeting page's HTTP side, under `/meeting/`: the static page (side panel, stage, the tab's
configuration), its state by long polling, and the facilitator's controls.

Every API call carries the Teams single sign-on token (`Authorization: Bearer`); without a valid one
the answer is 401. The state is read from the store, polled four times a second per open request, so a
cue given through any instance reaches every page within a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapter.auth import BotToken
from bot.adapter.courier import Courier
from bot.adapter.meeting_cues import MeetingCues
from bot.adapter.sso import SignedIn, SsoRejected, SsoValidator
from bot.config import LiveSettings
from bot.features import live
from bot.features.base import Services
from bot.net import client_session
from bot.router import route
from bot.rules.session import NOT_ALLOWED

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static" / "meeting"
POLL_SECONDS = 0.25  # how often an open request looks at the store (one indexed read) for a change
WAIT_SECONDS = 25.0  # how long a request waits for a change before answering "no change"
MAX_CHAT_ID = 400

# Teams (and the other Microsoft 365 hosts of tabs) may frame the page; nobody else.
FRAME_ANCESTORS = ("https://teams.microsoft.com https://*.teams.microsoft.com https://teams.microsoft.us "
                   "https://*.teams.microsoft.us https://teams.cloud.microsoft https://*.cloud.microsoft "
                   "https://*.office.com https://teams.live.com")
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; "
                                f"frame-ancestors 'self' {FRAME_ANCESTORS}"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
HOW_TO_OPEN = ("Open this page in Microsoft Teams: in the set's meeting, choose Apps, then Action Learning "
               "Sets, to see it in the side panel.")


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=API_HEADERS)


class LiveRoutes:
    def __init__(self, live_settings: LiveSettings, services: Services) -> None:
        self.settings = live_settings
        self.services = services
        self._http: aiohttp.ClientSession | None = None  # made on first use, inside the event loop
        self.sso = SsoValidator(live_settings, self._session)
        self.closing = asyncio.Event()

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = client_session(timeout=aiohttp.ClientTimeout(total=15))
        return self._http

    async def close(self) -> None:
        self.closing.set()
        if self._http is not None:
            await self._http.close()

    # ---- who is asking ----------------------------------------------------------------------

    async def _viewer(self, request: web.Request) -> live.Viewer | web.Response:
        try:
            person: SignedIn = await self.sso.validate(request.headers.get("Authorization", ""))
        except SsoRejected as refused:
            log.info("meeting page refused", extra={"reason": str(refused)})
            return _json({"error": "unauthorized", "message": HOW_TO_OPEN}, 401)
        return live.Viewer(person.object_id, person.tenant_id, person.email, person.name)

    @staticmethod
    def _chat_id(value: object) -> str | None:
        if not isinstance(value, str):
            return None
        chat = value.strip()
        return chat if 0 < len(chat) <= MAX_CHAT_ID and chat.isprintable() else None

    async def _access(self, request: web.Request, chat_id: str | None
                      ) -> tuple[live.Viewer, live.Access] | web.Response:
        viewer = await self._viewer(request)
        if isinstance(viewer, web.Response):
            return viewer
        if chat_id is None:
            return _json({"error": "bad_request", "message": "Open this page from a meeting."}, 400)
        found = await live.access(self.services, chat_id, viewer)
        if isinstance(found, str):
            return _json({"error": "forbidden", "message": found}, 403)
        return viewer, found

    # ---- the state ----------------------------------------------------------------------------

    async def _body(self, access: live.Access, chat_id: str) -> tuple[str, dict[str, Any]]:
        run = await self.services.store.session_run_in_chat(chat_id)
        if run is not None and run.set_key != access.ctx.set_def.key:
            run = None
        body = live.page_view(access, run, self.services.clock())
        tag = "none" if run is None else f"{run.number}:{run.state.version}"
        body["tag"] = tag
        return tag, body

    async def state(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request.query.get("chat"))
        found = await self._access(request, chat_id)
        if isinstance(found, web.Response):
            return found
        assert chat_id is not None
        _, access = found
        since = request.query.get("since", "")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        tag, body = await self._body(access, chat_id)
        while since and tag == since and loop.time() < deadline and not self.closing.is_set():
            try:
                await asyncio.wait_for(self.closing.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                pass
            tag, body = await self._body(access, chat_id)
        return _json(body)

    async def control(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _json({"error": "bad_request", "message": "The body must be a JSON object."}, 400)
        chat_id = self._chat_id(data.get("chat"))
        found = await self._access(request, chat_id)
        if isinstance(found, web.Response):
            return found
        assert chat_id is not None
        viewer, access = found
        if access.role != "facilitator":
            return _json({"error": "forbidden", "message": NOT_ALLOWED}, 403)
        minutes = data.get("minutes")
        turn = live.control_turn(
            chat_id, viewer, str(data.get("control", ""))[:40],
            minutes=None if minutes is None else str(minutes)[:10],
            team=str(data["team"])[:100] if isinstance(data.get("team"), str) else None,
            now=self.services.clock())
        if turn is None:
            return _json({"error": "bad_request", "message": live.UNKNOWN_CONTROL}, 400)
        seen = data.get("tag")
        if isinstance(seen, str) and seen:
            # Pressed on a page that had not shown the latest change (a double click, or another
            # facilitator first): nothing is done, and the page is brought up to date.
            tag, body = await self._body(access, chat_id)
            if tag != seen:
                return _json({"done": False, "message": live.CHANGED_MEANWHILE, "state": body}, 409)
        outcome = await route(self.services, turn)
        done, message = live.answer_text([r.text or "" for r in outcome.replies])
        log.info("meeting page control", extra={"control": turn.verb, "done": done})
        _, body = await self._body(access, chat_id)
        return _json({"done": done, "message": message, "state": body}, 200 if done else 409)

    # ---- the page --------------------------------------------------------------------------------

    @staticmethod
    def _file(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def page(request: web.Request) -> web.StreamResponse:
            return web.FileResponse(STATIC / name, headers=PAGE_HEADERS)

        return page

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (STATIC / name).resolve()
        if path.parent != STATIC or not path.is_file() or name.startswith("."):
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=PAGE_HEADERS)


LIVE = web.AppKey("live", LiveRoutes)


def add_live_routes(app: web.Application, live_settings: LiveSettings, services: Services, *,
                    courier: Courier | None = None, token: BotToken | None = None) -> None:
    """Mount the meeting page under /meeting/ and, where the page has a public address, send the
    presenter's cues as targeted in-meeting notifications that open it (called once from create_app)."""
    routes = LiveRoutes(live_settings, services)
    app[LIVE] = routes
    cues: MeetingCues | None = None
    if courier is not None and live_settings.public_url:
        cues = MeetingCues(services.store, token, f"{live_settings.public_url}/meeting/", services.clock)
        courier.cues = cues
    app.router.add_get("/meeting/", routes._file("index.html"))
    app.router.add_get("/meeting/config", routes._file("config.html"))
    app.router.add_get("/meeting/static/{name}", routes.static)
    app.router.add_get("/meeting/api/state", routes.state)
    app.router.add_post("/meeting/api/control", routes.control)

    async def shutdown(app: web.Application) -> None:
        await routes.close()
        if cues is not None:
            await cues.close()

    app.on_shutdown.append(shutdown)
