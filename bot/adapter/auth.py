"""Channel authentication: incoming tokens checked, the bot's own token cached.

The SDK's stock path rebuilds credentials and a connector client for every activity, answers 500
to most bad tokens, refuses private-cloud (http loopback) login URLs and fetches signing keys with
blocking calls. This module replaces it with the same checks on cached keys and tokens, and
imports nothing of the SDK: a reactive turn uses it directly (`connector_for`), and the SDK's
`CloudAdapter`, for proactive messages, sees it behind its own interface (bot.adapter.sdk_auth).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from bot.adapter.connector import FastConnector, FastConnectors
from bot.adapter.wire import Incoming
from bot.config import ChannelAuth
from bot.net import HotSession, client_session

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 300
KEYS_MAX_AGE = 24 * 3600
KEYS_MIN_REFRESH_INTERVAL = 1.0
TOKEN_REFRESH_MARGIN = 300.0
VERIFIED_TOKENS = 4096
PUBLIC_CALLER_ID = "urn:botframework:azure"


class TokenRejected(PermissionError):
    """An incoming request whose token does not prove it comes from the channel (CloudAdapter: 401)."""


@dataclass
class _Keys:
    by_kid: dict[str, dict[str, Any]]
    started_at: float  # when the fetch that produced these keys began
    issuer: str = ""  # the OpenID document's issuer (Entra's is a template with {tenantid})


class SigningKeys:
    """The channel's signing keys from its OpenID metadata, refreshed daily and on an unknown `kid`.

    An unknown `kid` cannot be told apart from a real rotation before the signature is checked,
    and the signature cannot be checked without the key. So an unknown kid is answered from keys
    fetched *after* the request arrived, and never refused because of an earlier fetch: a forged
    kid can neither block nor delay a real one for more than `min_interval` plus one fetch. The
    fetches are rate-limited and shared: requests waiting while a fetch runs are served by the
    next one, so a flood of forged kids costs the metadata endpoint one fetch per `min_interval`.
    """

    def __init__(self, metadata_url: str, session: Callable[[], aiohttp.ClientSession],
                 clock: Callable[[], float] = time.monotonic, *,
                 min_interval: float = KEYS_MIN_REFRESH_INTERVAL) -> None:
        self._metadata_url = metadata_url
        self._session = session
        self._clock = clock
        self._min_interval = min_interval
        self._keys: _Keys | None = None
        self._last_start = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def issuer(self) -> str:
        return self._keys.issuer if self._keys is not None else ""

    async def _fetch(self, started: float) -> _Keys:
        session = self._session()
        async with session.get(self._metadata_url, raise_for_status=True) as response:
            metadata = await response.json(content_type=None)
        async with session.get(str(metadata["jwks_uri"]), raise_for_status=True) as response:
            jwks = await response.json(content_type=None)
        keys = {str(k["kid"]): dict(k) for k in jwks.get("keys", []) if "kid" in k}
        return _Keys(keys, started, str(metadata.get("issuer", "")))

    async def _fetched_since(self, moment: float) -> _Keys:
        async with self._lock:
            keys = self._keys
            if keys is not None and keys.started_at >= moment:
                return keys  # a fetch that began after the request arrived has answered it
            wait = self._last_start + self._min_interval - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            started = self._last_start = self._clock()
            self.fetches += 1
            self._keys = keys = await self._fetch(started)
            return keys

    async def get(self, kid: str) -> dict[str, Any] | None:
        keys = self._keys
        now = self._clock()
        if keys is not None and kid in keys.by_kid and now - keys.started_at <= KEYS_MAX_AGE:
            return keys.by_kid[kid]
        try:
            keys = await self._fetched_since(now)
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
            if self._keys is not None and kid in self._keys.by_kid:
                return self._keys.by_kid[kid]  # stale but known: better than refusing the channel
            raise
        return keys.by_kid.get(kid)


class TokenValidator:
    """Checks the JWT that the Bot Framework channel puts on every activity it sends."""

    def __init__(self, auth: ChannelAuth, keys: SigningKeys) -> None:
        self._auth = auth
        self._keys = keys
        # The channel sends the same token on many activities: its signature is checked once
        # (an RSA verification is most of a turn's CPU) and the claims kept until it expires.
        # The per-activity checks (endorsement, serviceurl) still run on every activity.
        self._verified: OrderedDict[str, tuple[dict[str, Any], list[str], float]] = OrderedDict()
        # A burst arrives with one new token: its first request checks it, the rest wait for that.
        self._verifying: dict[str, asyncio.Future[tuple[dict[str, Any], list[str]]]] = {}
        self._jwks: dict[tuple[str, str], jwt.PyJWK] = {}

    async def validate(self, auth_header: str, channel_id: str, service_url: str) -> dict[str, Any]:
        scheme, _, token = auth_header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise TokenRejected("no bearer token")
        known = self._verified.get(token)
        if known is not None and time.time() < known[2]:
            claims, endorsements, _ = known
        else:
            claims, endorsements = await self._verify_once(token)
        if endorsements and channel_id not in endorsements:
            raise TokenRejected("signing key not endorsed for this channel")
        # Exactly as the SDK (ChannelValidation) and the platform require: the channel signs the
        # serviceUrl it puts on the activity, byte for byte, so a difference of even a trailing
        # slash means the token was issued for another activity. Deliberately not looser.
        claimed = claims.get("serviceurl")
        if not isinstance(claimed, str) or not claimed or claimed != service_url:
            raise TokenRejected("serviceurl claim does not match the activity")
        return claims

    async def _verify_once(self, token: str) -> tuple[dict[str, Any], list[str]]:
        running = self._verifying.get(token)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[tuple[dict[str, Any], list[str]]] = asyncio.get_running_loop().create_future()
        self._verifying[token] = future
        try:
            claims, endorsements = await self._verify(token)
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        except BaseException:
            future.cancel()  # the waiters' own requests go on: each checks the token again
            raise
        finally:
            del self._verifying[token]
        future.set_result((claims, endorsements))
        self._verified[token] = (claims, endorsements, float(claims["exp"]) + LEEWAY_SECONDS)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return claims, endorsements

    async def _verify(self, token: str) -> tuple[dict[str, Any], list[str]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected("malformed token") from error
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise TokenRejected("token is not RS256 with a key id")
        try:
            jwk = await self._keys.get(str(header["kid"]))
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
            log.warning("signing keys unavailable", extra={"error": type(error).__name__})
            raise TokenRejected("signing keys unavailable") from error
        if jwk is None:
            raise TokenRejected("unknown signing key")
        endorsements = [str(e) for e in jwk.get("endorsements") or []]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=self._key(jwk),
                algorithms=["RS256"],
                audience=self._auth.app_id,
                issuer=self._auth.token_issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(f"token refused: {type(error).__name__}") from error
        return claims, endorsements

    def _key(self, jwk: dict[str, Any]) -> jwt.PyJWK:
        # Parsing the RSA key costs about as much as checking a signature with it.
        found = (str(jwk.get("kid")), str(jwk.get("n")))
        key = self._jwks.get(found)
        if key is None:
            key = self._jwks[found] = jwt.PyJWK(jwk, algorithm="RS256")
            if len(self._jwks) > 64:
                self._jwks.pop(next(iter(self._jwks)))
        return key


class BotToken:
    """The bot's own access token for calling the channel, fetched once and reused until near expiry."""

    def __init__(self, auth: ChannelAuth, session: Callable[[], aiohttp.ClientSession],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._auth = auth
        self._session = session
        self._clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def current(self) -> str:
        return self._token

    async def fresh(self) -> str:
        if self._token and self._clock() < self._expires_at - TOKEN_REFRESH_MARGIN:
            return self._token
        async with self._lock:
            if not self._token or self._clock() >= self._expires_at - TOKEN_REFRESH_MARGIN:
                token, lifetime = await self._fetch()
                self._token, self._expires_at = token, self._clock() + lifetime
                self.fetches += 1
        return self._token

    async def _fetch(self) -> tuple[str, float]:
        scope = self._auth.oauth_scope.rstrip("/") + "/.default"
        if self._auth.app_type == "UserAssignedMSI":
            from azure.identity.aio import ManagedIdentityCredential

            async with ManagedIdentityCredential(client_id=self._auth.app_id) as credential:
                access = await credential.get_token(scope)
            return access.token, max(60.0, access.expires_on - time.time())
        form = {
            "grant_type": "client_credentials",
            "client_id": self._auth.app_id,
            "client_secret": self._auth.app_password,
            "scope": scope,
        }
        async with self._session().post(self._auth.token_endpoint, data=form) as response:
            body = await response.json(content_type=None)
            if response.status != 200 or "access_token" not in body:
                # The error code helps an admin; the body may echo the request, so it is not logged.
                raise RuntimeError(
                    f"the bot's token request to {self._auth.token_endpoint} failed: "
                    f"HTTP {response.status} {body.get('error', '') if isinstance(body, dict) else ''}"
                )
        return str(body["access_token"]), float(body.get("expires_in", 3600))


class ChannelAuthentication:
    """The channel's side of authentication: incoming tokens checked, the bot's own token and the
    connector on cached keys, tokens and sessions. The SDK sees it through bot.adapter.sdk_auth."""

    def __init__(self, auth: ChannelAuth) -> None:
        self.auth = auth
        self._http: aiohttp.ClientSession | None = None
        self.keys = SigningKeys(auth.openid_metadata_url, self._session)
        self.validator = TokenValidator(auth, self.keys)
        self.token = BotToken(auth, self._session) if auth.enabled else None
        # The connector on the shared session (bot.adapter.connector), not msrest's per-call threads.
        self._hot: HotSession | None = None
        self.connectors = FastConnectors(self.token, self._hot_session)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = client_session(timeout=aiohttp.ClientTimeout(total=20))
        return self._http

    async def warm(self) -> None:
        """Before the first activity: the sessions made and the channel's signing keys fetched, so
        that neither is paid for by the first person to press a button."""
        self._session()
        self._hot_session()
        if self.auth.enabled:
            try:
                await self.keys.get("")
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
                log.warning("signing keys not fetched yet", extra={"error": type(error).__name__})

    def _hot_session(self) -> HotSession:
        if self._hot is None or self._hot.closed:
            self._hot = HotSession(timeout=aiohttp.ClientTimeout(total=20))
        return self._hot

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._hot is not None:
            await self._hot.close()

    async def connector_for(self, auth_header: str, incoming: Incoming) -> FastConnector:
        """The connector a reactive turn replies through, once the request's token is proven to
        come from the channel for this activity (TokenRejected otherwise): the checks the SDK's
        `authenticate_request` makes, without building its claims and connector objects."""
        if self.auth.enabled:
            await self.validator.validate(auth_header or "", incoming.channel_id, incoming.service_url)
        return await self.connectors.create(incoming.service_url)
