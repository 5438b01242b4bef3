"""Configuration from environment variables (Bot Framework names) and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

AppType = Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"]
LogFormat = Literal["text", "json"]

PUBLIC_CLOUD = {
    "openid": "https://login.botframework.com/v1/.well-known/openidconfiguration",
    "issuer": "https://api.botframework.com",
    "login": "https://login.microsoftonline.com",
    "multi_tenant": "botframework.com",
    "scope": "https://api.botframework.com",
}
GOVERNMENT_CHANNEL_SERVICE = "https://botframework.azure.us"
GOVERNMENT_CLOUD = {
    "openid": "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
    "issuer": "https://api.botframework.us",
    "login": "https://login.microsoftonline.us",
    "multi_tenant": "MicrosoftServices.onmicrosoft.com",
    "scope": "https://api.botframework.us",
}
DEFAULT_DATABASE_URL = "sqlite:///als.sqlite3"
ALLOW_UNAUTHENTICATED = "ALS_ALLOW_UNAUTHENTICATED"


class ConfigError(Exception):
    """A wrong or incomplete configuration; the message names the variable."""


@dataclass(frozen=True)
class ChannelAuth:
    """How the bot checks the channel's tokens and obtains its own."""

    app_id: str
    app_password: str
    app_type: AppType
    tenant_id: str
    openid_metadata_url: str
    token_issuer: str
    login_url: str
    oauth_scope: str
    validate_authority: bool

    @property
    def enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def token_endpoint(self) -> str:
        return self.login_url.rstrip("/") + "/oauth2/v2.0/token"


@dataclass(frozen=True)
class Settings:
    auth: ChannelAuth
    host: str = "localhost"
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    allow_unauthenticated_remote: bool = False
    log_format: LogFormat = "text"
    log_level: str = "INFO"
    max_body_bytes: int = 256 * 1024
    admins: frozenset[str] = field(default_factory=frozenset)
    courier_interval: float = 5.0
    sweep_interval: float = 60.0
    session_tick_interval: float = 2.0  # how often session timers are checked (warnings)
    live: LiveSettings = field(default_factory=lambda: LiveSettings())  # the meeting page (issue 16)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; quotes around a value are removed, `#` starts a comment line."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The process environment over the `.env` file: a variable that is set wins."""
    merged = read_dotenv(dotenv if dotenv is not None else Path(".env"))
    merged.update(os.environ if environ is None else environ)
    return merged


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _endpoint(env: Mapping[str, str], name: str, default: str, *, loopback_http: bool) -> str:
    value = env.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if loopback_http and parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return value
    rule = "an https URL, or http on a loopback address" if loopback_http else "an https URL"
    raise ConfigError(f"{name} must be {rule}, not {value!r}")


def channel_auth(env: Mapping[str, str]) -> ChannelAuth:
    app_id = env.get("MicrosoftAppId", "").strip()
    raw_type = env.get("MicrosoftAppType", "").strip() or "MultiTenant"
    types: dict[str, AppType] = {t.lower(): t for t in ("MultiTenant", "SingleTenant", "UserAssignedMSI")}
    if raw_type.lower() not in types:
        raise ConfigError(
            f"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, not {raw_type!r}"
        )
    app_type = types[raw_type.lower()]
    password = env.get("MicrosoftAppPassword", "")
    tenant = env.get("MicrosoftAppTenantId", "").strip()
    service = env.get("ChannelService", "").strip()
    if service and service.rstrip("/") != GOVERNMENT_CHANNEL_SERVICE:
        raise ConfigError(
            f"ChannelService must be empty (public cloud) or {GOVERNMENT_CHANNEL_SERVICE}; "
            "for a private cloud set the ToBotFromChannel*/ToChannelFromBot* variables instead"
        )
    cloud = GOVERNMENT_CLOUD if service else PUBLIC_CLOUD
    if app_id:
        if app_type in ("SingleTenant", "UserAssignedMSI") and not tenant:
            raise ConfigError(f"MicrosoftAppTenantId is required when MicrosoftAppType is {app_type}")
        if app_type != "UserAssignedMSI" and not password:
            raise ConfigError(f"MicrosoftAppPassword is required when MicrosoftAppType is {app_type}")
    elif password:
        raise ConfigError("MicrosoftAppId is required when MicrosoftAppPassword is set")
    authority = tenant if app_type != "MultiTenant" else cloud["multi_tenant"]
    return ChannelAuth(
        app_id=app_id,
        app_password=password,
        app_type=app_type,
        tenant_id=tenant,
        openid_metadata_url=_endpoint(
            env, "ToBotFromChannelOpenIdMetadataUrl", cloud["openid"], loopback_http=True
        ),
        token_issuer=env.get("ToBotFromChannelTokenIssuer", "").strip() or cloud["issuer"],
        login_url=_endpoint(
            env, "ToChannelFromBotLoginUrl", f"{cloud['login']}/{authority}", loopback_http=True
        ),
        oauth_scope=env.get("ToChannelFromBotOAuthScope", "").strip() or cloud["scope"],
        validate_authority=_flag(env, "ValidateAuthority", True),
    )


def database_url(env: Mapping[str, str]) -> str:
    value = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    scheme = value.split(":", 1)[0]
    if scheme not in {"sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg"}:
        raise ConfigError(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {scheme}://")
    return value


SESSION_TICK = "ALS_SESSION_TICK_SECONDS"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} must be a number of seconds from 0 to 3600, not {raw!r}")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    auth = channel_auth(env)
    host = env.get("HOST", "").strip() or "localhost"
    raw_port = env.get("PORT", "").strip() or "3978"
    if not raw_port.isdigit() or not 0 <= int(raw_port) <= 65535:
        raise ConfigError(f"PORT must be a number from 0 to 65535, not {raw_port!r}")
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
    allow_remote = _flag(env, ALLOW_UNAUTHENTICATED, False)
    settings = Settings(
        auth=auth,
        host=host,
        port=int(raw_port),
        database_url=database_url(env),
        allow_unauthenticated_remote=allow_remote,
        log_format="json" if log_format == "json" else "text",
        log_level=log_level,
        admins=frozenset(
            a.strip().lower() for a in env.get("ALS_ADMINS", "").split(",") if a.strip()
        ),
        session_tick_interval=_seconds(env, SESSION_TICK, 2.0),
        live=live_settings(env, auth),
    )
    if not auth.enabled and not settings.is_loopback and not allow_remote:
        raise ConfigError(
            f"MicrosoftAppId is empty, so authentication is off; HOST={host} is not a loopback "
            f"address: set MicrosoftAppId, or HOST=localhost, or {ALLOW_UNAUTHENTICATED}=true"
        )
    return settings


# The live view in the meeting (issue 16): its public address and single sign-on -------------------

PUBLIC_URL = "ALS_PUBLIC_URL"
ENTRA_OPENID = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class LiveSettings:
    """Where Teams reaches the meeting page, and how the page's single sign-on tokens are checked."""

    public_url: str = ""  # e.g. https://als.example.gov.uk; empty: the page is not offered
    sso_openid_url: str = ENTRA_OPENID  # Entra's OpenID document: issuer and signing keys
    sso_tenants: frozenset[str] = frozenset()  # tenants whose people may open the page
    app_id: str = ""  # the bot's app id, also the page's Entra application

    @property
    def host(self) -> str:
        return urlsplit(self.public_url).netloc

    @property
    def resource(self) -> str:
        """The single sign-on resource (the manifest's webApplicationInfo.resource)."""
        return f"api://{self.host}/botid-{self.app_id}"

    @property
    def enabled(self) -> bool:
        return bool(self.public_url and self.app_id and self.sso_tenants)


def live_settings(env: Mapping[str, str], auth: ChannelAuth) -> LiveSettings:
    raw = env.get(PUBLIC_URL, "").strip()
    public_url = ""
    if raw:
        public_url = _endpoint(env, PUBLIC_URL, "", loopback_http=True).rstrip("/")
        if urlsplit(public_url).path or urlsplit(public_url).query:
            raise ConfigError(f"{PUBLIC_URL} must be the bot's base URL with no path, not {raw!r}")
    tenants = frozenset(
        t.strip().lower() for t in (env.get("ALS_SSO_TENANTS", "") or auth.tenant_id).split(",") if t.strip()
    )
    if public_url and auth.enabled and not tenants:
        raise ConfigError("ALS_SSO_TENANTS is required (the tenants whose people may open the meeting page) "
                          "when MicrosoftAppTenantId is empty")
    return LiveSettings(
        public_url=public_url,
        sso_openid_url=_endpoint(env, "ALS_SSO_OPENID_URL", ENTRA_OPENID, loopback_http=True),
        sso_tenants=tenants,
        app_id=auth.app_id,
    )
