"""What the app package is built from (ids, names, URLs), read from environment variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import ConfigError, load_environment

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_NAME = "Action Learning Sets"
DEFAULT_ACCENT = "#1F6F5C"
REQUIRED = ("MicrosoftAppId", "ALS_DEVELOPER_NAME", "ALS_DEVELOPER_URL", "ALS_PRIVACY_URL",
            "ALS_TERMS_URL", "ALS_PUBLIC_URL")


def package_version() -> str:
    try:
        return metadata.version("action-learning-sets")
    except metadata.PackageNotFoundError:
        return "0.1.0"


@dataclass(frozen=True)
class PackageConfig:
    bot_id: str  # MicrosoftAppId: the bot's Entra app (client) id
    app_id: str  # the Teams app id in the manifest; the bot id unless TEAMS_APP_ID is set
    developer_name: str
    developer_url: str
    privacy_url: str
    terms_url: str
    name: str = DEFAULT_NAME  # name.short, at most 30 characters
    full_name: str = ""  # name.full; the short name when empty
    version: str = "0.1.0"
    valid_domains: tuple[str, ...] = ()
    accent_colour: str = DEFAULT_ACCENT
    # The bot's public base URL: the meeting tab's pages, its single sign-on resource, validDomains.
    public_url: str = "https://als.example.gov.uk"

    @property
    def public_host(self) -> str:
        return urlsplit(self.public_url).netloc.lower()

    @property
    def domains(self) -> tuple[str, ...]:
        """validDomains: the public URL's host first, then ALS_VALID_DOMAINS."""
        return (self.public_host, *(d for d in self.valid_domains if d != self.public_host))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PackageConfig:
        """Read the ALS_* and Bot Framework variables; errors name the variable at fault."""
        values = {key: env.get(key, "").strip() for key in REQUIRED}
        missing = [key for key, value in values.items() if not value]
        if missing:
            raise ConfigError(
                "Set these environment variables (or put them in .env) to build the app "
                f"package: {', '.join(missing)}"
            )
        bot_id = _guid(values["MicrosoftAppId"], "MicrosoftAppId")
        app_id = _guid(env.get("TEAMS_APP_ID", "").strip() or bot_id, "TEAMS_APP_ID")
        version = env.get("ALS_APP_VERSION", "").strip() or package_version()
        if not SEMVER.match(version):
            raise ConfigError(f"ALS_APP_VERSION must be MAJOR.MINOR.PATCH, not {version!r}")
        accent = env.get("ALS_ACCENT_COLOUR", "").strip() or DEFAULT_ACCENT
        if not HEX_COLOUR.match(accent):
            raise ConfigError(f"ALS_ACCENT_COLOUR must look like #1F6F5C, not {accent!r}")
        return cls(
            bot_id=bot_id.lower(),
            app_id=app_id.lower(),
            developer_name=values["ALS_DEVELOPER_NAME"],
            developer_url=_https(values["ALS_DEVELOPER_URL"], "ALS_DEVELOPER_URL"),
            privacy_url=_https(values["ALS_PRIVACY_URL"], "ALS_PRIVACY_URL"),
            terms_url=_https(values["ALS_TERMS_URL"], "ALS_TERMS_URL"),
            name=env.get("ALS_APP_NAME", "").strip() or DEFAULT_NAME,
            full_name=env.get("ALS_APP_FULL_NAME", "").strip(),
            version=version,
            valid_domains=_domains(env.get("ALS_VALID_DOMAINS", "")),
            accent_colour=accent,
            public_url=_base_url(values["ALS_PUBLIC_URL"], "ALS_PUBLIC_URL"),
        )


def load_config(environ: Mapping[str, str] | None = None,
                dotenv: Path | None = None) -> PackageConfig:
    """The package configuration from the process environment over `.env`."""
    return PackageConfig.from_env(load_environment(environ, dotenv))


def _guid(value: str, name: str) -> str:
    if not GUID.match(value):
        raise ConfigError(f"{name} must be a GUID such as 00000000-0000-0000-0000-000000000000, "
                          f"not {value!r}")
    return value


def _https(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{name} must be an https URL, not {value!r}")
    return value


def _base_url(value: str, name: str) -> str:
    url = _https(value, name).rstrip("/")
    if urlsplit(url).path or urlsplit(url).query:
        raise ConfigError(f"{name} must be the bot's base URL with no path, not {value!r}")
    return url


def _domains(raw: str) -> tuple[str, ...]:
    domains = tuple(d.strip().lower() for d in raw.split(",") if d.strip())
    for domain in domains:
        # Teams wants bare host names here (wildcards allowed), never a scheme or a path.
        if "/" in domain or ":" in domain or " " in domain:
            raise ConfigError(
                f"ALS_VALID_DOMAINS holds host names such as als.example.gov.uk, not {domain!r}"
            )
    if len(domains) > 16:
        raise ConfigError(f"ALS_VALID_DOMAINS may list at most 16 domains, not {len(domains)}")
    return domains
