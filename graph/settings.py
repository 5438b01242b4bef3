"""Microsoft Graph settings read from environment variables, with messages naming what is missing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.config import is_loopback_host

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"

CredentialKind = Literal["secret", "certificate", "managed_identity"]


class GraphNotConfigured(Exception):
    """Graph settings are missing or wrong; the message names the variables to set."""


@dataclass(frozen=True)
class GraphSettings:
    """Everything needed to call Graph as the app itself (application permissions)."""

    tenant_id: str
    client_id: str
    credential: CredentialKind
    organiser: str
    teams_app_id: str
    client_secret: str = ""
    certificate_path: str = ""
    base_url: str = DEFAULT_BASE_URL
    authority: str = DEFAULT_AUTHORITY
    ca_bundle: str = ""

    def __repr__(self) -> str:
        # The secret must never reach a log line through a stray repr().
        return (
            f"GraphSettings(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"credential={self.credential!r}, base_url={self.base_url!r})"
        )

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def scope(self) -> str:
        """The `.default` scope of the Graph host in use (national clouds have their own)."""
        # Entra ID rejects a port in a `.default` scope; kiota derives it from the host alone too.
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.hostname}/.default"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GraphSettings:
        """Read the settings; raise `GraphNotConfigured` naming every missing variable."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        managed = get("AZURE_USE_MANAGED_IDENTITY").lower() in {"1", "true", "yes"}
        missing = [
            name
            for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "GRAPH_ORGANISER",
                         "GRAPH_TEAMS_APP_ID")
            if not get(name) and not (managed and name == "AZURE_CLIENT_ID")
        ]
        secret, certificate = get("AZURE_CLIENT_SECRET"), get("AZURE_CLIENT_CERTIFICATE_PATH")
        kind: CredentialKind
        if managed:
            kind = "managed_identity"
        elif secret:
            kind = "secret"
        elif certificate:
            kind = "certificate"
        else:
            kind = "secret"
            missing.append(
                "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, "
                "or AZURE_USE_MANAGED_IDENTITY=true)"
            )
        if missing:
            raise GraphNotConfigured("Graph is not configured: set " + ", ".join(missing) + ".")

        base_url = (get("GRAPH_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(base_url)
        loopback_http = parts.scheme == "http" and is_loopback_host(parts.hostname or "")
        if not parts.hostname or not (parts.scheme == "https" or loopback_http):
            raise GraphNotConfigured(
                "GRAPH_BASE_URL must be an https URL (plain http only on a loopback address), "
                f"not {base_url!r}."
            )
        return cls(
            tenant_id=get("AZURE_TENANT_ID"),
            client_id=get("AZURE_CLIENT_ID"),
            credential=kind,
            organiser=get("GRAPH_ORGANISER"),
            teams_app_id=get("GRAPH_TEAMS_APP_ID"),
            client_secret=secret,
            certificate_path=certificate,
            base_url=base_url,
            authority=(get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY).rstrip("/"),
            ca_bundle=get("REQUESTS_CA_BUNDLE") or get("SSL_CERT_FILE"),
        )
