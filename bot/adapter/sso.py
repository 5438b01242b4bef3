"""Teams single sign-on for the meeting page: checks the token that `authentication.getAuthToken` gave
the page, against Entra's OpenID document and signing keys.

A token is accepted only if it is RS256 with a known key id, signed by that key, unexpired, issued
by Entra for a tenant that is allowed (`ALS_SSO_TENANTS`), and meant for this app: its audience is
the manifest's `webApplicationInfo.resource` (`api://<host>/botid-<appId>`, as v1 tokens carry it)
or the app id itself (as v2 tokens do). Anything else is refused, and the page answers 401.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

from bot.config import LiveSettings

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60
KEYS_MAX_AGE = 24 * 3600
KEYS_MIN_REFRESH_INTERVAL = 60.0
V1_ISSUER = "https://sts.windows.net/{tenantid}/"


class SsoRejected(Exception):
    """A request to the meeting page whose token does not prove who is asking (answer 401)."""


@dataclass(frozen=True)
class SignedIn:
    """The person the token names, as Entra signed it."""

    object_id: str
    tenant_id: str
    email: str | None  # preferred_username or upn, lower case
    name: str

    @property
    def identities(self) -> tuple[str, ...]:
        return tuple(i for i in (self.object_id.lower(), self.email) if i)


@dataclass
class _Metadata:
    issuer: str  # a template with {tenantid}, as Entra's multi-tenant document gives it
    keys: dict[str, dict[str, Any]]
    fetched_at: float


class SsoValidator:
    def __init__(self, live: LiveSettings, session: Callable[[], aiohttp.ClientSession],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._live = live
        self._session = session
        self._clock = clock
        self._metadata: _Metadata | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self) -> _Metadata:
        session = self._session()
        async with session.get(self._live.sso_openid_url, raise_for_status=True) as response:
            document = await response.json(content_type=None)
        async with session.get(str(document["jwks_uri"]), raise_for_status=True) as response:
            jwks = await response.json(content_type=None)
        keys = {str(k["kid"]): dict(k) for k in jwks.get("keys", []) if "kid" in k}
        return _Metadata(str(document.get("issuer", "")), keys, self._clock())

    async def _key(self, kid: str) -> tuple[_Metadata, dict[str, Any] | None]:
        known = self._metadata
        stale = known is None or self._clock() - known.fetched_at > KEYS_MAX_AGE
        if stale or (known is not None and kid not in known.keys):
            async with self._lock:
                known = self._metadata
                # An unknown kid refreshes at most once a minute: forged kids cannot flood Entra.
                recent = known is not None and self._clock() - known.fetched_at < KEYS_MIN_REFRESH_INTERVAL
                if known is None or self._clock() - known.fetched_at > KEYS_MAX_AGE or (
                    kid not in known.keys and not recent
                ):
                    try:
                        self._metadata = known = await self._fetch()
                    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as error:
                        log.warning("single sign-on keys not fetched", extra={"error": type(error).__name__})
                        if known is None:
                            raise SsoRejected("signing keys unavailable") from error
        assert known is not None
        return known, known.keys.get(kid)

    async def validate(self, authorization: str) -> SignedIn:
        if not self._live.enabled:
            raise SsoRejected("single sign-on is not configured")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SsoRejected("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise SsoRejected("malformed token") from error
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise SsoRejected("token is not RS256 with a key id")
        metadata, jwk = await self._key(kid)
        if jwk is None:
            raise SsoRejected("unknown signing key")
        try:
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=["RS256"],  # type: ignore[arg-type]
                audience=[self._live.resource, self._live.app_id], leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "tid", "oid"], "verify_iss": False},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise SsoRejected(f"token refused: {type(error).__name__}") from error
        if not str(claims.get("scp") or "").strip():
            raise SsoRejected("not a token on a person's behalf")  # an app-only token has no scp
        tenant = str(claims["tid"]).lower()
        if tenant not in self._live.sso_tenants:
            raise SsoRejected("tenant not allowed")
        issuers = {template.replace("{tenantid}", tenant) for template in (metadata.issuer, V1_ISSUER)}
        if str(claims["iss"]).lower() not in {i.lower() for i in issuers}:
            raise SsoRejected("wrong issuer")
        email = claims.get("preferred_username") or claims.get("upn") or claims.get("email")
        return SignedIn(str(claims["oid"]).lower(), tenant, str(email).lower() if email else None,
                        str(claims.get("name") or ""))
