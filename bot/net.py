"""Outbound HTTP that works on council networks: proxies from the environment and a custom CA bundle."""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL


def ca_bundle(env: Mapping[str, str] | None = None) -> str | None:
    """The CA bundle named by REQUESTS_CA_BUNDLE or SSL_CERT_FILE, if any."""
    env = os.environ if env is None else env
    return env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE") or None


def ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    return _context(ca_bundle(env))


@functools.lru_cache(maxsize=4)
def _context(cafile: str | None) -> ssl.SSLContext:
    # Loading the trust store takes a tenth of a second or more: once per bundle, not per session.
    return ssl.create_default_context(cafile=cafile)


def client_session(**kwargs: Any) -> aiohttp.ClientSession:
    """An aiohttp session that honours HTTPS_PROXY/NO_PROXY (trust_env) and the CA bundle."""
    connector = aiohttp.TCPConnector(ssl=ssl_context())
    return aiohttp.ClientSession(trust_env=True, connector=connector, **kwargs)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


_Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


class HotSession:
    """A session for the calls of every turn (the channel's connector), on the same environment.

    With `trust_env`, aiohttp looks up the proxy and `.netrc` on a worker thread for every request:
    two thread hops, more than the call itself costs on loopback. Here the proxy that
    HTTPS_PROXY/NO_PROXY name is looked up once per origin, with aiohttp's own rule, and passed
    with each request; `.netrc` is not read, as these calls carry the bot's bearer token (aiohttp
    refuses a request with both).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context()),
                                             json_serialize=_json, **kwargs)
        self._proxies: dict[tuple[str, str | None, int | None], _Proxy] = {}

    def proxy(self, url: URL) -> _Proxy:
        origin = (url.scheme, url.host, url.port)
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(url)
            except LookupError:
                found = (None, None)
            self._proxies[origin] = found
        return found

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        target = url if isinstance(url, URL) else URL(url)
        proxy, proxy_auth = self.proxy(target)
        return self.session.request(method, target, proxy=proxy, proxy_auth=proxy_auth, **kwargs)

    @property
    def closed(self) -> bool:
        return self.session.closed

    async def close(self) -> None:
        await self.session.close()
