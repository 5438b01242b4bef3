"""Microsoft Graph settings as plain values; `bot.config` reads them from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"

CredentialKind = Literal["secret", "certificate", "managed_identity"]


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
