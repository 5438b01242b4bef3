"""Teams single sign-on for the meeting page: checks the token that `authentication.getAuthToken` gave
the page, against Entra's OpenID document and signing keys.

A token is accepted only if it is RS256 with a known key id, signed by that key, unexpired, issued
by Entra for a tenant that is allowed (`ALS_SSO_TENANTS`), and meant for this app: its audience is
the manifest's `webApplicationInfo.resource` (`api://<host>/botid-<appId>`, as v1 tokens carry it)
or the app id itself (as v2 tokens do). Anything else is refused, and the page answers 401.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

from bot.adapter.auth import SigningKeys
from bot.config import LiveSettings

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60
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


class SsoValidator:
    def __init__(self, live: LiveSettings, session: Callable[[], aiohttp.ClientSession],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._live = live
        # The same key cache as the channel's: an unknown kid is answered from keys fetched after
        # the request arrived, so a forged kid cannot delay a real rotation.
        self._keys = SigningKeys(live.sso_openid_url, session, clock)

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
        try:
            jwk = await self._keys.get(kid)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as error:
            log.warning("single sign-on keys not fetched", extra={"error": type(error).__name__})
            raise SsoRejected("signing keys unavailable") from error
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
        issuers = {template.replace("{tenantid}", tenant) for template in (self._keys.issuer, V1_ISSUER)}
        if str(claims["iss"]).lower() not in {i.lower() for i in issuers}:
            raise SsoRejected("wrong issuer")
        email = claims.get("preferred_username") or claims.get("upn") or claims.get("email")
        return SignedIn(str(claims["oid"]).lower(), tenant, str(email).lower() if email else None,
                        str(claims.get("name") or ""))
