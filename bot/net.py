"""Outbound HTTP that works on council networks: proxies from the environment and a custom CA bundle."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp


def ca_bundle(env: Mapping[str, str] | None = None) -> str | None:
    """The CA bundle named by REQUESTS_CA_BUNDLE or SSL_CERT_FILE, if any."""
    env = os.environ if env is None else env
    return env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE") or None


def ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle(env))


def client_session(**kwargs: Any) -> aiohttp.ClientSession:
    """An aiohttp session that honours HTTPS_PROXY/NO_PROXY (trust_env) and the CA bundle."""
    connector = aiohttp.TCPConnector(ssl=ssl_context())
    return aiohttp.ClientSession(trust_env=True, connector=connector, **kwargs)
