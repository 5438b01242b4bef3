"""The channel authentication behind the SDK's own `BotFrameworkAuthentication` interface, for the
`CloudAdapter` that sends proactive messages (bot.adapter.proactive); imported with the SDK, after
the bot listens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest.pipeline import SansIOHTTPPolicy

from bot.adapter.auth import PUBLIC_CALLER_ID, BotToken, ChannelAuthentication, TokenRejected


class Bearer(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Puts the cached token on every request that the SDK's connector client sends."""

    def __init__(self, token: BotToken | None) -> None:
        super().__init__()
        self._token = token

    def on_request(self, request: Any, **kwargs: Any) -> None:
        if self._token is not None:
            request.http_request.headers["Authorization"] = f"Bearer {self._token.current}"


class _NoUserTokens(UserTokenClient):
    """This bot signs nobody in through the channel's token service (no OAuth cards)."""

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user sign-in is not used by this bot")


class SdkAuthentication(BotFrameworkAuthentication):
    """What CloudAdapter asks of authentication, answered by the channel authentication."""

    def __init__(self, channel: ChannelAuthentication) -> None:
        self.channel = channel
        self._user_tokens = _NoUserTokens()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        auth = self.channel.auth
        claims: Mapping[str, Any]
        if auth.enabled:
            claims = await self.channel.validator.validate(
                auth_header or "", activity.channel_id or "", activity.service_url or ""
            )
            caller_id: str | None = PUBLIC_CALLER_ID
        else:
            claims, caller_id = {}, None
        result = AuthenticateRequestResult()
        result.claims_identity = ClaimsIdentity(dict(claims), True, "Bearer")
        result.audience = auth.oauth_scope
        result.caller_id = caller_id
        result.connector_factory = self.channel.connectors
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        raise TokenRejected("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.channel.connectors  # duck-typed: the SDK only calls its create()

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return self._user_tokens

    def create_bot_framework_client(self) -> Any:
        raise NotImplementedError("skills are not used by this bot")

    def get_originating_audience(self) -> str:
        return self.channel.auth.oauth_scope

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise TokenRejected("skills are not used by this bot")
