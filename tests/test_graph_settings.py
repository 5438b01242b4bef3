"""Graph settings, the client's proxy and TLS configuration, and a real azure-identity credential."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.config import GraphNotConfigured, graph_settings
from graph.client import (
    GraphRetry,
    RetryPolicy,
    StaticTokenCredential,
    close_client,
    http_client_of,
    make_client,
    make_credential,
    middleware_of,
    open_client,
    ssl_context,
)
from graph.errors import GraphError
from graph.meetings import EventSpec, Invitee, create_session_event, find_online_meeting
from graph.settings import DEFAULT_BASE_URL
from tests.standins.graph import ORGANISER, GraphStandin, tls_files

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=5, connect_timeout=5)
FULL = {
    "AZURE_TENANT_ID": "tenant",
    "AZURE_CLIENT_ID": "client",
    "AZURE_CLIENT_SECRET": "s3cret-value",
    "GRAPH_ORGANISER": "als-admin@lga.example",
    "GRAPH_TEAMS_APP_ID": "app-id",
}


def test_nothing_set_names_everything_missing() -> None:
    with pytest.raises(GraphNotConfigured) as caught:
        graph_settings({})
    message = str(caught.value)
    assert message.startswith("Graph is not configured: set AZURE_TENANT_ID, AZURE_CLIENT_ID, ")
    for name in ("GRAPH_ORGANISER", "GRAPH_TEAMS_APP_ID", "AZURE_CLIENT_SECRET",
                 "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USE_MANAGED_IDENTITY=true"):
        assert name in message


def test_one_missing_piece_is_named_alone() -> None:
    env = dict(FULL)
    del env["GRAPH_ORGANISER"]
    with pytest.raises(GraphNotConfigured, match=r"set GRAPH_ORGANISER\.$"):
        graph_settings(env)


def test_secret_settings_and_defaults() -> None:
    settings = graph_settings(FULL)
    assert settings.credential == "secret"
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.host == "graph.microsoft.com"
    assert settings.scope == "https://graph.microsoft.com/.default"
    assert "s3cret" not in repr(settings)


def test_certificate_and_managed_identity() -> None:
    cert = {k: v for k, v in FULL.items() if k != "AZURE_CLIENT_SECRET"}
    cert["AZURE_CLIENT_CERTIFICATE_PATH"] = "/etc/als/app.pem"
    assert graph_settings(cert).credential == "certificate"
    managed = {k: v for k, v in cert.items()
               if k not in {"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_ID"}}
    managed["AZURE_USE_MANAGED_IDENTITY"] = "true"
    settings = graph_settings(managed)
    assert settings.credential == "managed_identity"
    assert type(make_credential(settings)).__name__ == "ManagedIdentityCredential"


@pytest.mark.parametrize("url", ["http://graph.example.org/v1.0", "ftp://127.0.0.1/v1.0", "x"])
def test_base_url_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(GraphNotConfigured, match="GRAPH_BASE_URL"):
        graph_settings(FULL | {"GRAPH_BASE_URL": url})


def test_national_cloud_base_url_sets_host_and_scope() -> None:
    settings = graph_settings(FULL | {"GRAPH_BASE_URL": "https://graph.microsoft.us/v1.0/"})
    assert settings.base_url == "https://graph.microsoft.us/v1.0"
    assert settings.scope == "https://graph.microsoft.us/.default"
    client = make_client(settings, StaticTokenCredential("t"))
    assert client.request_adapter.base_url == "https://graph.microsoft.us/v1.0"
    provider = client.request_adapter._authentication_provider.access_token_provider
    assert provider.get_allowed_hosts_validator().get_allowed_hosts() == ["graph.microsoft.us"]


async def test_proxy_and_ca_bundle_reach_the_http_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    ca, _, _ = tls_files(tmp_path)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.council.example:8080")
    monkeypatch.setenv("NO_PROXY", "localhost,.internal.council.example")
    settings = graph_settings(FULL | {"REQUESTS_CA_BUNDLE": str(ca)})
    assert settings.ca_bundle == str(ca)

    client = make_client(settings, StaticTokenCredential("t"), FAST)
    http = http_client_of(client)
    try:
        assert http.trust_env
        mounts = {pattern.pattern: transport for pattern, transport in http._mounts.items()}
        proxied = mounts["https://"]
        # Our middleware wraps the proxy transport, so the proxy and the retries both apply.
        inner = getattr(proxied, "transport", None)
        assert isinstance(inner, httpx.AsyncHTTPTransport)
        proxy = inner._pool._proxy_url  # type: ignore[attr-defined]
        assert (proxy.host, proxy.port) == (b"proxy.council.example", 8080)
        assert mounts["all://localhost"] is None
        assert mounts["all://*.internal.council.example"] is None
        context = inner._pool._ssl_context
        assert isinstance(context, ssl.SSLContext)
        subjects = [str(c["subject"]) for c in context.get_ca_certs()]
        assert any("Graph stand-in test CA" in subject for subject in subjects)
        assert middleware_of(client, GraphRetry).policy is FAST
    finally:
        await close_client(client)


def test_ssl_cert_file_is_a_fallback_and_no_bundle_means_default_verification() -> None:
    assert graph_settings(FULL | {"SSL_CERT_FILE": "/x.pem"}).ca_bundle == "/x.pem"
    assert ssl_context(graph_settings(FULL)) is True


async def test_real_client_secret_credential_over_tls_with_the_ca_bundle() -> None:
    """azure-identity insists on an https authority: the stand-in serves TLS with its own CA,
    which reaches both azure-identity and httpx through REQUESTS_CA_BUNDLE."""
    async with GraphStandin(tls=True) as graph:
        settings = graph_settings(graph.env())
        assert settings.base_url.startswith("https://127.0.0.1:")
        start = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
        spec = EventSpec("tls-set", 1, "Session 1", start, start + timedelta(minutes=90),
                         [Invitee("a@b.gov.uk")], "<p>Rules</p>")
        async with open_client(settings, policy=FAST) as client:
            created = await create_session_event(client, ORGANISER, spec)
            info = await find_online_meeting(client, ORGANISER, created.join_url)
        assert graph.count("POST", "/oauth2/v2.0/token") == 1  # the token was cached
        assert info.meeting_id == graph.meeting_by_join_url(created.join_url).id
        assert len(graph.tokens) == 2

        wrong = graph_settings(graph.env(AZURE_CLIENT_SECRET="wrong"))
        async with open_client(wrong, policy=FAST) as client:
            with pytest.raises(GraphError) as caught:
                await find_online_meeting(client, ORGANISER, created.join_url)
        assert (caught.value.status, caught.value.code) == (401, "TokenRequestFailed")
        assert "AZURE_CLIENT_ID" in caught.value.admin_message
        assert "wrong" not in caught.value.admin_message + caught.value.detail
        assert graph.count("GET", "/onlineMeetings") == 1  # nothing sent without a token
