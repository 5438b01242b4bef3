"""The baseline for `als bench`: the stock Bot Framework bot, as Microsoft's samples write it.

A `CloudAdapter` with `ConfigurationBotFrameworkAuthentication` on the same authentication settings
as the bot under test (the Teams stand-in's keys, issuer and token endpoint), an echo for
messages, and an `Action.Execute` answer built in `on_invoke_activity` (the SDK's own adaptive-card
path answers 500, and so does `CloudAdapter.process` for any invoke body). One change from the samples: the SDK hands a non-https login URL to MSAL, which
refuses it, so the bot's token is taken once from the stand-in and given to the SDK's own
`MicrosoftAppCredentials`; every other per-turn cost of the SDK is kept.

Run: `python -m tests.stock_bot PORT` with the stand-in's `bot_env()` in the environment.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import MicrosoftAppCredentials, ServiceClientCredentialsFactory


class _Config:
    def __init__(self, env: dict[str, str]) -> None:
        self.APP_ID = env["MicrosoftAppId"]
        self.APP_PASSWORD = env["MicrosoftAppPassword"]
        self.APP_TYPE = env.get("MicrosoftAppType", "MultiTenant")
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = env["ToBotFromChannelOpenIdMetadataUrl"]
        self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = env["ToBotFromChannelTokenIssuer"]
        self.TO_CHANNEL_FROM_BOT_LOGIN_URL = env["ToChannelFromBotLoginUrl"]
        self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = env["ToChannelFromBotOAuthScope"]


class _FixedToken(MicrosoftAppCredentials):  # type: ignore[misc]
    token = ""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.token


class _Credentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, config: _Config) -> None:
        self.config = config

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(app_id == self.config.APP_ID)

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> Any:
        return _FixedToken(app_id, self.config.APP_PASSWORD, oauth_scope=oauth_scope)


def _fetch_token(config: _Config) -> str:
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": config.APP_ID,
        "client_secret": config.APP_PASSWORD, "scope": config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE + "/.default",
    }).encode()
    url = config.TO_CHANNEL_FROM_BOT_LOGIN_URL.rstrip("/") + "/oauth2/v2.0/token"
    with urllib.request.urlopen(url, form, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


class EchoBot(ActivityHandler):  # type: ignore[misc]
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"You said: {turn_context.activity.text}")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        body = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "Help"}
        return InvokeResponse(status=200, body=body)


def app(env: dict[str, str]) -> web.Application:
    config = _Config(env)
    _FixedToken.token = _fetch_token(config)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(
        config, credentials_factory=_Credentials(config)))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        # `adapter.process(request, bot)` would be the sample's one line, but it answers every
        # invoke with 500 (it serialises the dict body with msrest); the samples' older form:
        activity = Activity().deserialize(await request.json())
        response = await adapter.process_activity(
            request.headers.get("Authorization", ""), activity, bot.on_turn)
        if response is None:
            return web.Response(status=201)
        return web.json_response(response.body, status=int(response.status))

    async def readyz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    application = web.Application()
    application.router.add_post("/api/messages", messages)
    application.router.add_get("/readyz", readyz)
    return application


if __name__ == "__main__":
    web.run_app(app(dict(os.environ)), host="127.0.0.1", port=int(sys.argv[1]), access_log=None,
                print=None)
