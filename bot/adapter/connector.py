"""The Bot Framework connector on one shared aiohttp session: replies, updates and member look-ups.

The SDK's `ConnectorClient` is msrest: every call goes through synchronous `requests` on a thread
pool, with msrest's pipeline and retry policy objects around it. That is most of the cost of a
turn that answers a message. `CloudAdapter` only asks the object in the turn state for
`conversations.<operation>(...)`, so this class answers the operations a turn uses (reply, send,
update, delete, get a member) itself: the same REST calls and JSON as the SDK's, on the process's
one aiohttp session (proxies and CA bundle from the environment), with the bot's token cached
until near expiry (`BotToken`). Anything else (Teams' own operations, paged members) falls through
to the SDK's client, built once per channel endpoint, so SDK helpers keep working unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from bot.adapter import inbound
from bot.adapter.wire import Incoming

if TYPE_CHECKING:
    from botbuilder.schema import Activity, ConversationParameters, ResourceResponse
    from botframework.connector.aio import ConnectorClient

    from bot.adapter.auth import BotToken
    from bot.net import HotSession

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 5.0  # a longer Retry-After is the courier's business (it retries with backoff)


class _Answer:
    """The refused call's answer, shaped as msrest's `response` (what the courier reads)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        return self._body


class _Code:
    def __init__(self, code: str) -> None:
        self.code = code


class _Error:
    def __init__(self, code: str) -> None:
        self.error = _Code(code)


class ConnectorError(Exception):
    """The channel refused a call; `status` is its HTTP status and `code` the channel's error code
    (BotNotInConversationRoster, ...). Shaped as the SDK's ErrorResponseException (`response`,
    `error.error.code`), so code that reads those keeps working."""

    def __init__(self, status: int, operation: str, body: Any = None) -> None:
        error = (body.get("error") if isinstance(body, dict) else None) or {}
        self.code = str(error.get("code") or "") if isinstance(error, dict) else ""
        super().__init__(f"{operation}: HTTP {status} {self.code}".rstrip())
        self.status = status
        self.response = _Answer(status, body if isinstance(body, dict) else {})
        self.error = _Error(self.code)


def _body(activity: Activity) -> Any:
    return activity.serialize()  # the SDK's own camelCase wire form


class _Conversations:
    """The `conversations` operations of the SDK's client that turns use, on aiohttp."""

    def __init__(self, connector: FastConnector) -> None:
        self._connector = connector

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Activity) -> Any:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return self._resource(await self._connector.call("POST", path, _body(activity), "reply"))

    async def send_to_conversation(self, conversation_id: str, activity: Activity) -> Any:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        return self._resource(await self._connector.call("POST", path, _body(activity), "send"))

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Activity) -> Any:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return self._resource(await self._connector.call("PUT", path, _body(activity), "update"))

    async def delete_activity(self, conversation_id: str, activity_id: str) -> None:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        await self._connector.call("DELETE", path, None, "delete")

    async def get_conversation_member(self, conversation_id: str, member_id: str) -> Any:
        from botbuilder.schema import ChannelAccount

        path = f"v3/conversations/{quote(conversation_id, safe='')}/members/{quote(member_id, safe='')}"
        body = await self._connector.call("GET", path, None, "member")
        return ChannelAccount().deserialize(body or {})

    async def create_conversation(self, parameters: ConversationParameters) -> Any:
        from botbuilder.schema import ConversationResourceResponse

        body = await self._connector.call("POST", "v3/conversations", parameters.serialize(), "create")
        return ConversationResourceResponse().deserialize(body or {})

    @staticmethod
    def _resource(body: Any) -> ResourceResponse:
        from botbuilder.schema import ResourceResponse

        found = body.get("id") if isinstance(body, dict) else None
        return ResourceResponse(id=str(found or ""))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector.sdk().conversations, name)


class FastConnector:
    """What `CloudAdapter` keeps in the turn state as the connector client, for one endpoint."""

    def __init__(self, service_url: str, session: Callable[[], HotSession],
                 token: BotToken | None, sdk: Callable[[], ConnectorClient]) -> None:
        self.base_url = str(URL(service_url.rstrip("/") + "/"))  # in its encoded form
        self._session = session
        self._token = token
        self._sdk = sdk
        self._sdk_client: ConnectorClient | None = None
        self.conversations = _Conversations(self)

    def sdk(self) -> ConnectorClient:
        """The SDK's client for this endpoint (operations this class does not answer), made once."""
        if self._sdk_client is None:
            self._sdk_client = self._sdk()
        return self._sdk_client

    async def call(self, method: str, path: str, body: Any, operation: str) -> Any:
        """`path` is already percent-encoded (each id quoted by the caller), so the URL is not
        parsed and encoded again; the body is JSON, encoded once."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        url = URL(self.base_url + path, encoded=True)
        data = None if body is None else orjson.dumps(body)
        for attempt in (1, 2):
            if self._token is not None:
                headers["Authorization"] = f"Bearer {await self._token.fresh()}"
            async with self._session().request(method, url, data=data, headers=headers) as response:
                if response.status < 300:
                    if response.status == 204 or response.content_length == 0:
                        return None
                    return orjson.loads(await response.read() or b"null")
                wait = _retry_after(response)
                if attempt == 1 and response.status in RETRY_STATUSES and wait is not None:
                    log.info("connector asked to wait", extra={"status": response.status, "wait": wait})
                    await asyncio.sleep(wait)
                    continue
                try:
                    refusal = await response.json(content_type=None)
                except (ValueError, aiohttp.ClientError):
                    refusal = None
                raise ConnectorError(response.status, operation, refusal)
        raise AssertionError("unreachable")

    def __getattr__(self, name: str) -> Any:
        # `config`, `teams`, ...: the SDK's helpers (TeamsInfo's Teams calls) get the SDK's client.
        return getattr(self.sdk(), name)


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    # Only a short wait the channel asks for: a POST is not repeated blindly (it may have been
    # taken), and a failed notice is the courier's to retry with backoff.
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None


class FastConnectors:
    """One `FastConnector` per channel endpoint for the life of the process; nothing is built per turn.
    The SDK's `CloudAdapter` takes it as its `ConnectorFactory` (it only calls `create`)."""

    def __init__(self, token: BotToken | None, session: Callable[[], HotSession]) -> None:
        self._token = token
        self._session = session
        self._clients: dict[str, FastConnector] = {}

    def _sdk(self, service_url: str) -> ConnectorClient:
        from botframework.connector.aio import ConnectorClient

        from bot.adapter.sdk_auth import Bearer

        return ConnectorClient(Bearer(self._token), base_url=service_url)

    async def create(self, service_url: str, audience: str | None = None) -> FastConnector:
        if self._token is not None:
            await self._token.fresh()  # the SDK's client, if used, reads the current token
        client = self._clients.get(service_url)
        if client is None:
            client = FastConnector(service_url, self._session, self._token, lambda: self._sdk(service_url))
            self._clients[service_url] = client
        return client


async def member_email(connector: FastConnector, incoming: Incoming, member_id: str) -> str | None:
    """The e-mail address (or user principal name) on a member's Teams profile, lower case.

    Read as plain JSON from the conversation's members, or the team's in a channel (the call
    that `TeamsInfo.get_member` makes): through the SDK it would be parsed, serialised and parsed
    again by msrest, for every officer new to this process: all of them in a booking rush.
    """
    team = inbound.ident(inbound.obj(incoming.channel_data.get("team")).get("id"), 290)
    where = quote(team or incoming.conversation_id, safe="")
    body = await connector.call("GET", f"v3/conversations/{where}/members/{quote(member_id, safe='')}",
                                None, "member")
    found = body if isinstance(body, dict) else {}
    email = inbound.text(found.get("email")) or inbound.text(found.get("userPrincipalName"))
    return email.lower() or None
