"""A stand-in for the Teams channel on loopback: signs activities as the Bot Framework does, plays the
connector the bot replies to, and the login endpoint the bot takes its own token from.

It runs on its own thread and event loop, as the real service is another process: the bot under test
may block its loop, and the stand-in must still answer.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT = "11111111-2222-3333-4444-555555555555"
SCOPE = "https://api.botframework.com"
ISSUER = "https://api.botframework.com"


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class User:
    aad_object_id: str
    name: str
    email: str = ""

    @property
    def channel_id(self) -> str:
        return f"29:{self.aad_object_id}"


@dataclass
class Call:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"] for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class TeamsStandIn:
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    issuer: str = ISSUER
    channel: str = "msteams"
    calls: list[Call] = field(default_factory=list)
    # False keeps only the count of connector calls, not the calls: a benchmark sends thousands a
    # second for minutes, and keeping each would grow the stand-in's memory and CPU with the run.
    keep_calls: bool = True
    connector_calls: int = 0
    token_requests: int = 0
    fail_connector: bool = False
    connector_delay: float = 0.0  # seconds the connector takes to answer (a slow channel)
    # Answers the connector gives to the next sends, in order: (status, headers), e.g.
    # (429, {"Retry-After": "1"}), (503, {}), (403, {}) or (413, {}) for MessageSizeTooBig.
    connector_faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Targeted meeting notifications: what the bot sent, and a status to refuse them with.
    notifications: list[Call] = field(default_factory=list)
    refuse_notifications: int | None = None
    unreachable: set[str] = field(default_factory=set)  # recipients a notification fails for (207)

    # Users the connector refuses as Teams does for someone of another tenant, or who blocked the bot:
    # 403 BotNotInConversationRoster on their personal chat and on creating one (by Entra object id).
    refused: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "standin-" + secrets.token_hex(4)
        self.stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Entra's side of Teams single sign-on: its own signing key, OpenID document and JWKS.
        self.sso_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sso_kid = "sso-" + secrets.token_hex(4)
        self._issued: set[str] = set()
        self._ids = itertools.count(1)
        self.users: dict[str, User] = {}
        self.profile_lookups = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- life cycle -------------------------------------------------------------------------

    def start(self) -> TeamsStandIn:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._start_server())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=run, name="teams-standin", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Teams stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _start_server(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    def application(self) -> web.Application:
        """The channel's endpoints (`tests.standins.teams_process` serves them in a process of its own)."""
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/keys", self._keys)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        app.router.add_post("/v3/conversations/{cid}/activities", self._activity)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_post("/v1/meetings/{mid}/notification", self._meeting_notification)
        app.router.add_get("/sso/v2.0/.well-known/openid-configuration", self._sso_openid)
        app.router.add_get("/sso/discovery/v2.0/keys", self._sso_keys)
        return app

    # ---- what the bot is configured with --------------------------------------------------

    @property
    def service_url(self) -> str:
        return self.base_url + "/"

    def bot_env(self) -> dict[str, str]:
        return {
            "MicrosoftAppId": self.app_id,
            "MicrosoftAppPassword": self.app_password,
            "MicrosoftAppType": "MultiTenant",
            "ToBotFromChannelOpenIdMetadataUrl": f"{self.base_url}/v1/.well-known/openidconfiguration",
            "ToBotFromChannelTokenIssuer": self.issuer,
            "ToChannelFromBotLoginUrl": f"{self.base_url}/botframework.com",
            "ToChannelFromBotOAuthScope": SCOPE,
        }

    # ---- the channel's side of authentication -----------------------------------------------

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/v1/authorize",
            "jwks_uri": f"{self.base_url}/v1/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _keys(self, request: web.Request) -> web.Response:
        public = self.key.public_key().public_numbers()
        return web.json_response({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "n": _b64(public.n), "e": _b64(public.e),
            "endorsements": [self.channel],
        }]})

    def token(self, *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None,
              service_url: str | None = None, **claims: Any) -> str:
        """A channel token as the Bot Framework signs it; keyword arguments override claims."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": self.app_id, "exp": now + 3600, "nbf": now - 5,
            "serviceurl": service_url if service_url is not None else self.service_url,
        }
        body.update(claims)
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.app_id \
                or form.get("client_secret") != self.app_password or form.get("scope") != f"{SCOPE}/.default":
            return web.json_response({"error": "invalid_client"}, status=401)
        access = secrets.token_urlsafe(32)
        self._issued.add(access)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": access})

    # ---- the connector --------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and token in self._issued

    async def _activity(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        body = await request.json() if request.can_read_body else {}
        if self.connector_delay:
            await asyncio.sleep(self.connector_delay)
        call = Call(request.method, request.path, request.match_info["cid"],
                    request.match_info.get("aid"), body, request.headers["Authorization"])
        self.connector_calls += 1
        if self.keep_calls:
            self.calls.append(call)
        if any(call.conversation_id == f"a:personal-{aad}" for aad in self.refused):
            return self._roster_refusal()
        if self.fail_connector:
            return web.json_response({"error": {"code": "ServiceError"}}, status=503)
        if self.connector_faults:
            status, headers = self.connector_faults.pop(0)
            code = {403: "BotDisabledByAdmin", 413: "MessageSizeTooBig", 429: "TooManyRequests"}
            return web.json_response({"error": {"code": code.get(status, "ServiceError")}},
                                     status=status, headers=headers)
        new_id = call.activity_id if request.method == "PUT" else f"m{next(self._ids)}"
        return web.json_response({"id": new_id})

    async def _member(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        self.profile_lookups += 1
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response({
            "id": user.channel_id, "name": user.name, "aadObjectId": user.aad_object_id,
            "email": user.email or None, "userPrincipalName": user.email or None, "tenantId": TENANT,
            "userRole": "user",
        })

    async def _create_conversation(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        body = await request.json()
        member = (body.get("members") or [{}])[0]
        aad = str(member.get("aadObjectId") or member.get("id", "")).removeprefix("29:")
        conversation_id = f"a:personal-{aad}"
        self.calls.append(Call("POST", request.path, conversation_id, None, body,
                               request.headers["Authorization"]))
        # The Python SDK writes "tenantID"; the service reads JSON names case-insensitively.
        tenant = body.get("tenantId") or body.get("tenantID") or ((body.get("channelData") or {}).get(
            "tenant") or {}).get("id")
        if not tenant or body.get("isGroup"):
            return web.json_response({"error": {"code": "BadSyntax", "message": "Incorrect conversation "
                                                 "creation parameters"}}, status=400)
        if aad in self.refused:
            return self._roster_refusal()
        return web.json_response({"id": conversation_id}, status=201)

    @staticmethod
    def _roster_refusal() -> web.Response:
        return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                            "message": "The bot is not part of the conversation roster."}},
                                 status=403)

    async def _meeting_notification(self, request: web.Request) -> web.Response:
        """Teams' targeted in-meeting notification (POST /v1/meetings/{id}/notification)."""
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        body = await request.json()
        call = Call("POST", request.path, f"meeting:{request.match_info['mid']}", None, body,
                    request.headers["Authorization"])
        self.notifications.append(call)
        if self.refuse_notifications is not None:
            return web.json_response({"error": {"code": "Forbidden", "message": "refused by the stand-in"}},
                                     status=self.refuse_notifications)
        failed = [r for r in body.get("value", {}).get("recipients", []) if r in self.unreachable]
        if failed:
            return web.json_response({"recipientsFailureInfo": [
                {"recipientMri": r, "errorCode": "RecipientNotInMeeting", "failureReason": "not in the meeting"}
                for r in failed]}, status=207)
        return web.Response(status=202)

    # ---- Entra's side of single sign-on (the meeting page's getAuthToken) ---------------------

    @property
    def sso_issuer_template(self) -> str:
        return f"{self.base_url}/sso/{{tenantid}}/v2.0"

    def sso_env(self, public_url: str, tenants: str = TENANT) -> dict[str, str]:
        return {"ALS_PUBLIC_URL": public_url,
                "ALS_SSO_OPENID_URL": f"{self.base_url}/sso/v2.0/.well-known/openid-configuration",
                "ALS_SSO_TENANTS": tenants}

    async def _sso_openid(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.sso_issuer_template,
            "jwks_uri": f"{self.base_url}/sso/discovery/v2.0/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    async def _sso_keys(self, request: web.Request) -> web.Response:
        public = self.sso_key.public_key().public_numbers()
        return web.json_response({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.sso_kid, "n": _b64(public.n), "e": _b64(public.e),
        }]})

    def sso_token(self, user: User, audience: str, *, tenant: str = TENANT,
                  key: rsa.RSAPrivateKey | None = None, kid: str | None = None, expires_in: int = 3600,
                  **claims: Any) -> str:
        """A Teams single sign-on token as Entra signs it (v1 shape: audience is the resource)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.sso_issuer_template.replace("{tenantid}", tenant), "aud": audience,
            "tid": tenant, "oid": user.aad_object_id, "name": user.name, "scp": "access_as_user",
            "preferred_username": user.email, "iat": now - 5, "nbf": now - 5, "exp": now + expires_in,
        }
        body.update(claims)
        return jwt.encode(body, key or self.sso_key, algorithm="RS256", headers={"kid": kid or self.sso_kid})

    # ---- what the tests read -------------------------------------------------------------

    def created_conversations(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/v3/conversations"]

    def calls_to(self, conversation_id: str) -> list[Call]:
        return [c for c in self.calls if c.conversation_id == conversation_id]

    async def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return list(self.calls)

    # ---- activities as Teams sends them ----------------------------------------------------

    def _base(self, kind: str, conversation: dict[str, Any], sender: User,
              channel_data: dict[str, Any] | None = None) -> dict[str, Any]:
        self.users[sender.channel_id] = sender
        return {
            "type": kind,
            "id": f"f:{uuid.uuid4()}",
            "timestamp": datetime.now(UTC).isoformat(),
            "localTimestamp": datetime.now(UTC).isoformat(),
            "serviceUrl": self.service_url,
            "channelId": self.channel,
            "from": {"id": sender.channel_id, "name": sender.name, "aadObjectId": sender.aad_object_id},
            "conversation": conversation,
            "recipient": {"id": f"28:{self.app_id}", "name": "Action Learning Sets"},
            "locale": "en-GB",
            "channelData": {"tenant": {"id": TENANT}, **(channel_data or {})},
        }

    @staticmethod
    def personal(user: User) -> dict[str, Any]:
        return {"id": f"a:personal-{user.aad_object_id}", "conversationType": "personal", "tenantId": TENANT}

    @staticmethod
    def meeting_chat(name: str = "set") -> dict[str, Any]:
        return {"id": f"19:meeting_{name}@thread.v2", "conversationType": "groupChat",
                "isGroup": True, "tenantId": TENANT}

    def message(self, user: User, text: str, conversation: dict[str, Any] | None = None,
                *, mention: bool = False) -> dict[str, Any]:
        conversation = conversation or self.personal(user)
        channel_data: dict[str, Any] = {}
        if conversation.get("conversationType") == "groupChat":
            channel_data["meeting"] = {"id": "MCM" + conversation["id"][:20]}
        activity = self._base("message", conversation, user, channel_data)
        activity["textFormat"] = "plain"
        if mention:
            activity["text"] = f"<at>Action Learning Sets</at> {text}"
            activity["entities"] = [{
                "type": "mention", "text": "<at>Action Learning Sets</at>",
                "mentioned": {"id": f"28:{self.app_id}", "name": "Action Learning Sets"},
            }]
        else:
            activity["text"] = text
        return activity

    def card_action(self, user: User, verb: str, data: dict[str, Any] | None = None,
                    conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = self._base("invoke", conversation or self.personal(user), user)
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {
            "action": {"type": "Action.Execute", "verb": verb, "data": data or {}}, "trigger": "manual",
        }
        return activity

    def installed(self, user: User, conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = self._base("conversationUpdate", conversation or self.personal(user), user)
        activity["membersAdded"] = [{"id": f"28:{self.app_id}"}]
        return activity

    def participants(self, users: list[User], conversation: dict[str, Any], *,
                     joined: bool = True) -> dict[str, Any]:
        """A meeting participant joined or left event, as Teams sends it to a bot with the
        OnlineMeetingParticipant.Read.Chat permission (sent by the meeting, not by a person)."""
        organiser = User("00000000-0000-4000-8000-0000000000ff", "Meeting")
        activity = self._base("event", conversation, organiser,
                              {"meeting": {"id": "MCM" + conversation["id"][:20]}})
        activity["name"] = ("application/vnd.microsoft.meetingParticipantJoin" if joined
                            else "application/vnd.microsoft.meetingParticipantLeave")
        activity["value"] = {"members": [{
            "user": {"id": u.channel_id, "name": u.name, "aadObjectId": u.aad_object_id, "tenantId": TENANT},
            "meeting": {"inMeeting": joined, "role": "Attendee"},
        } for u in users]}
        return activity

    async def send(self, bot_url: str, activity: dict[str, Any], *, token: str | None = None,
                   authorization: str | None = None) -> Reply:
        """Post an activity to the bot as the channel does; `authorization` overrides the header."""
        header = authorization if authorization is not None else f"Bearer {token or self.token()}"
        headers = {"Content-Type": "application/json"}
        if header:
            headers["Authorization"] = header
        async with aiohttp.ClientSession() as session, session.post(
            bot_url, data=json.dumps(activity), headers=headers
        ) as response:
            text = await response.text()
            try:
                body: Any = json.loads(text) if text else None
            except ValueError:
                body = text
            return Reply(response.status, body)
