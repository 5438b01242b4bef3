"""A msgraph-sdk client built from settings: credential, proxy and CA bundle, retries, mailbox limit."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from azure.core.credentials import AccessToken
from kiota_abstractions.request_option import RequestOption
from kiota_http.middleware import (
    BaseMiddleware,
    BodyInspectionHandler,
    HeadersInspectionHandler,
    ParametersNameDecodingHandler,
    RedirectHandler,
    UrlReplaceHandler,
)
from kiota_http.middleware.middleware import REQUEST_OPTIONS_KEY
from kiota_http.middleware.user_agent_handler import UserAgentHandler

from graph.settings import GraphSettings

MAILBOX_CONCURRENCY = 4  # Outlook's limit of concurrent requests per mailbox
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying. Tests pass a policy with tiny delays."""

    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    # Graph asks for long waits when a tenant is heavily throttled; past this we give up and
    # report, rather than hold a CLI command for minutes.
    max_retry_after: float = 120.0
    timeout: float = 100.0
    connect_timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: spreads retries of many concurrent callers instead of synchronising them."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security


class Replayable(RequestOption):
    """Marks a POST as safe to send again (it carries a `transactionId`, or a repeat is harmless)."""

    KEY = "ALSReplayable"

    @staticmethod
    def get_key() -> str:
        return Replayable.KEY


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class GraphRetry(BaseMiddleware):
    """Retries throttling and transient faults, in place of kiota's RetryHandler.

    kiota's handler retries POST on 503/504 whether or not a repeat is safe, never retries a
    dropped connection or a timeout, and adds a fixed 3 s to every backoff. Here: 429 is always
    retried (Graph rejects a throttled request before doing anything); 503, 502, 504, dropped
    connections and timeouts only for idempotent methods and for POSTs marked `Replayable`.
    `Retry-After` is honoured; without it the delay is exponential with full jitter.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.policy = policy
        self.retries = 0

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        # The last middleware strips the options from the request; keep them for the next attempt.
        options = request.extensions.get(REQUEST_OPTIONS_KEY)
        replayable = request.method in IDEMPOTENT_METHODS or bool(
            options and Replayable.KEY in options
        )
        attempt = 1
        while True:
            if options is not None:
                request.extensions[REQUEST_OPTIONS_KEY] = dict(options)
            try:
                response = await super().send(request, transport)
            except httpx.TransportError:
                if not replayable or attempt >= self.policy.attempts:
                    raise
                delay = self.policy.backoff(attempt)
            else:
                delay_or_none = self._delay(response, attempt, replayable)
                if delay_or_none is None:
                    return response
                delay = delay_or_none
                await response.aclose()
            self.retries += 1
            await asyncio.sleep(delay)
            attempt += 1
            request.headers["Retry-Attempt"] = str(attempt - 1)

    def _delay(self, response: httpx.Response, attempt: int, replayable: bool) -> float | None:
        status = response.status_code
        if status != 429 and not (replayable and status in {502, 503, 504}):
            return None
        if attempt >= self.policy.attempts:
            return None
        wait = retry_after(response)
        if wait is None:
            return self.policy.backoff(attempt)
        if wait > self.policy.max_retry_after:
            return None
        return wait


class MailboxLimit(BaseMiddleware):
    """Keeps requests to one mailbox (`/users/{id}/...`) within Outlook's concurrency limit.

    It sits after `GraphRetry`, so a request waiting out a `Retry-After` holds no slot.
    """

    def __init__(self, limit: int = MAILBOX_CONCURRENCY) -> None:
        super().__init__()
        self.limit = limit
        self._slots: dict[str, asyncio.Semaphore] = {}

    @staticmethod
    def mailbox(path: str) -> str | None:
        parts = path.split("/")
        for index, part in enumerate(parts[:-1]):
            if part == "users" and parts[index + 1]:
                return parts[index + 1].lower()
        return None

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        key = self.mailbox(request.url.path)
        if key is None:
            return await super().send(request, transport)
        slot = self._slots.setdefault(key, asyncio.Semaphore(self.limit))
        async with slot:
            response = await super().send(request, transport)
            # Read the body inside the slot: the request is not over until the answer is.
            await response.aread()
            return response


class StaticTokenCredential:
    """An async token credential that hands out a fixed token (for the local Graph stand-in)."""

    def __init__(self, token: str, lifetime: int = 3600) -> None:
        self._token = token
        self._lifetime = lifetime

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


def ssl_context(settings: GraphSettings) -> ssl.SSLContext | bool:
    """The TLS verification httpx should use: the custom CA bundle when one is set."""
    if settings.ca_bundle:
        return ssl.create_default_context(cafile=settings.ca_bundle)
    return True


def make_credential(settings: GraphSettings) -> Any:
    """The azure-identity async credential the settings describe."""
    from azure.identity.aio import (
        CertificateCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    extra: dict[str, Any] = {}
    if settings.ca_bundle:
        extra["connection_verify"] = settings.ca_bundle
    if settings.credential == "managed_identity":
        return ManagedIdentityCredential(client_id=settings.client_id or None, **extra)
    if settings.credential == "certificate":
        return CertificateCredential(
            settings.tenant_id, settings.client_id, settings.certificate_path,
            authority=settings.authority, **extra,
        )
    return ClientSecretCredential(
        settings.tenant_id, settings.client_id, settings.client_secret,
        authority=settings.authority, **extra,
    )


def make_http_client(settings: GraphSettings, policy: RetryPolicy) -> httpx.AsyncClient:
    """httpx client honouring HTTPS_PROXY/NO_PROXY (trust_env) and the CA bundle, with our
    middleware in place of kiota's default retry handler."""
    from kiota_http.middleware.options import UrlReplaceHandlerOption
    from msgraph.graph_request_adapter import options as sdk_options

    # msgraph_core ships no type information and is not in the repo's mypy overrides.
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware import GraphTelemetryHandler
    from msgraph_core.middleware.options import (
        GraphTelemetryHandlerOption,
    )

    client = httpx.AsyncClient(
        base_url=settings.base_url,
        trust_env=True,
        verify=ssl_context(settings),
        timeout=httpx.Timeout(policy.timeout, connect=policy.connect_timeout),
        http2=True,
    )
    telemetry = sdk_options[GraphTelemetryHandlerOption.get_key()]
    url_replace = sdk_options[UrlReplaceHandlerOption.get_key()]
    middleware: list[BaseMiddleware] = [
        RedirectHandler(),
        GraphRetry(policy),
        MailboxLimit(),
        ParametersNameDecodingHandler(),
        UrlReplaceHandler(options=url_replace),
        UserAgentHandler(),
        HeadersInspectionHandler(),
        BodyInspectionHandler(),
        GraphTelemetryHandler(options=telemetry),
    ]
    result: httpx.AsyncClient = GraphClientFactory.create_with_custom_middleware(
        middleware, client=client
    )
    return result


def make_client(
    settings: GraphSettings,
    credential: Any = None,
    policy: RetryPolicy | None = None,
) -> Any:
    """A `GraphServiceClient` for `settings.base_url`; `credential` defaults to azure-identity's."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient

    policy = policy or RetryPolicy()
    credential = credential if credential is not None else make_credential(settings)
    # Without the host in allowed_hosts kiota silently sends no token at all.
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[settings.scope], allowed_hosts=[settings.host]
    )
    adapter = GraphRequestAdapter(auth, client=make_http_client(settings, policy))
    adapter.base_url = settings.base_url
    return GraphServiceClient(request_adapter=adapter)


def http_client_of(client: Any) -> httpx.AsyncClient:
    http: httpx.AsyncClient = client.request_adapter._http_client
    return http


async def close_client(client: Any) -> None:
    """Close the client's HTTP connections.

    msgraph-core wraps each httpx transport in an `AsyncGraphTransport` that has no `aclose`, so
    `AsyncClient.aclose()` alone leaves the real connection pool (and its sockets) open.
    """
    http = http_client_of(client)
    wrapped = [http._transport, *(t for t in http._mounts.values() if t is not None)]
    await http.aclose()
    for transport in wrapped:
        inner = getattr(transport, "transport", None)
        if isinstance(inner, httpx.AsyncBaseTransport):
            await inner.aclose()


def middleware_of(client: Any, kind: type[BaseMiddleware]) -> Any:
    """The instance of a middleware class in the client's pipeline (counters, settings)."""
    transport = http_client_of(client)._transport
    ware = transport.pipeline._first_middleware  # type: ignore[attr-defined]
    while ware is not None:
        if isinstance(ware, kind):
            return ware
        ware = ware.next
    raise LookupError(kind.__name__)


@asynccontextmanager
async def open_client(
    settings: GraphSettings,
    credential: Any = None,
    policy: RetryPolicy | None = None,
) -> AsyncIterator[Any]:
    """`make_client` as an async context manager that closes the HTTP client and credential."""
    own_credential = credential is None
    credential = credential if credential is not None else make_credential(settings)
    client = make_client(settings, credential, policy)
    try:
        yield client
    finally:
        await close_client(client)
        if own_credential:
            await credential.close()
