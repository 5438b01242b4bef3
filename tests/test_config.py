"""Configuration: Bot Framework variable names, defaults per cloud, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_environment, load_settings, read_dotenv

APP = {"MicrosoftAppId": "b1", "MicrosoftAppPassword": "secret"}


def test_defaults_need_no_tenant() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port) == ("localhost", 3978)
    assert settings.database_url == "sqlite:///als.sqlite3"
    assert settings.auth.enabled is False


def test_public_cloud_multi_tenant_defaults() -> None:
    auth = load_settings(APP).auth
    assert auth.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert auth.token_issuer == "https://api.botframework.com"
    assert auth.token_endpoint == "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    assert auth.oauth_scope == "https://api.botframework.com"


def test_single_tenant_takes_its_token_from_its_own_tenant() -> None:
    auth = load_settings({**APP, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": "t1"}).auth
    assert auth.token_endpoint == "https://login.microsoftonline.com/t1/oauth2/v2.0/token"


def test_government_cloud() -> None:
    auth = load_settings({**APP, "ChannelService": "https://botframework.azure.us"}).auth
    assert auth.token_issuer == "https://api.botframework.us"
    assert auth.login_url.startswith("https://login.microsoftonline.us/")


def test_private_cloud_endpoints_and_validate_authority() -> None:
    auth = load_settings({
        **APP,
        "ToChannelFromBotLoginUrl": "https://login.private.example/tenant",
        "ToChannelFromBotOAuthScope": "https://api.private.example",
        "ToBotFromChannelTokenIssuer": "https://issuer.private.example",
        "ToBotFromChannelOpenIdMetadataUrl": "http://127.0.0.1:9/openid",
        "ValidateAuthority": "false",
    }).auth
    assert auth.token_endpoint == "https://login.private.example/tenant/oauth2/v2.0/token"
    assert auth.validate_authority is False
    assert auth.openid_metadata_url == "http://127.0.0.1:9/openid"


@pytest.mark.parametrize(("env", "named"), [
    ({"MicrosoftAppId": "b1"}, "MicrosoftAppPassword"),
    ({"MicrosoftAppPassword": "x"}, "MicrosoftAppId"),
    ({**APP, "MicrosoftAppType": "Sideways"}, "MicrosoftAppType"),
    ({**APP, "MicrosoftAppType": "SingleTenant"}, "MicrosoftAppTenantId"),
    ({"MicrosoftAppId": "b1", "MicrosoftAppType": "UserAssignedMSI"}, "MicrosoftAppTenantId"),
    ({**APP, "ToChannelFromBotLoginUrl": "http://login.example.com/t"}, "ToChannelFromBotLoginUrl"),
    ({**APP, "ToChannelFromBotLoginUrl": "ftp://127.0.0.1/t"}, "ToChannelFromBotLoginUrl"),
    ({**APP, "ToBotFromChannelOpenIdMetadataUrl": "http://10.0.0.1/x"}, "ToBotFromChannelOpenIdMetadataUrl"),
    ({**APP, "ChannelService": "https://elsewhere"}, "ChannelService"),
    ({"PORT": "eighty"}, "PORT"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"ValidateAuthority": "maybe", **APP}, "ValidateAuthority"),
    ({"HOST": "0.0.0.0"}, "HOST"),
])
def test_a_mistake_names_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as error:
        load_settings(env)
    assert "\n" not in str(error.value)


def test_no_authentication_off_loopback_only_when_explicitly_allowed() -> None:
    settings = load_settings({"HOST": "0.0.0.0", "ALS_ALLOW_UNAUTHENTICATED": "true"})
    assert settings.auth.enabled is False and settings.allow_unauthenticated_remote is True
    assert load_settings({"HOST": "127.0.0.1"}).is_loopback
    assert load_settings({"HOST": "::1"}).is_loopback


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nMicrosoftAppId=from-file\nexport PORT='4000'\nHOST=\"127.0.0.1\"\n")
    assert read_dotenv(dotenv) == {"MicrosoftAppId": "from-file", "PORT": "4000", "HOST": "127.0.0.1"}
    merged = load_environment({"PORT": "5000"}, dotenv)
    assert merged["PORT"] == "5000" and merged["MicrosoftAppId"] == "from-file"


def test_a_broken_dotenv_line_is_named(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("GOOD=1\nnot a pair\n")
    with pytest.raises(ConfigError, match=r"\.env:2"):
        read_dotenv(dotenv)


GRAPH = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s",
         "GRAPH_ORGANISER": "als@lga.gov.uk", "GRAPH_TEAMS_APP_ID": "app"}


@pytest.mark.parametrize(("env", "named"), [
    ({"ALS_MEETINGS_SYNC_SECONDS": "soon"}, "ALS_MEETINGS_SYNC_SECONDS"),
    ({"ALS_MEETINGS_SYNC_SECONDS": "0"}, "ALS_MEETINGS_SYNC_SECONDS"),
    ({"ALS_ATTENDANCE_THRESHOLD": "half"}, "ALS_ATTENDANCE_THRESHOLD"),
    ({"ALS_ATTENDANCE_RETRY_MINUTES": "0"}, "ALS_ATTENDANCE_RETRY_MINUTES"),
    ({"ALS_ADMINS": "not an email"}, "ALS_ADMINS"),
    ({"ALS_ADMINS": "ada@lga.gov.uk, bob"}, "ALS_ADMINS"),
    # Graph half set up is a mistake, not "Graph off": the missing variable is named.
    ({k: v for k, v in GRAPH.items() if k != "GRAPH_TEAMS_APP_ID"}, "GRAPH_TEAMS_APP_ID"),
    ({**GRAPH, "GRAPH_BASE_URL": "http://graph.example.com"}, "GRAPH_BASE_URL"),
])
def test_every_variable_is_checked_at_start_up(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as error:
        load_settings(env)
    assert "\n" not in str(error.value)


def test_graph_meetings_sync_and_attendance_are_in_the_one_settings() -> None:
    off = load_settings({})
    assert off.graph is None and "GRAPH_ORGANISER" in off.graph_off
    assert (off.meetings_sync_interval, off.attendance.threshold) == (300.0, 0.5)
    on = load_settings({**GRAPH, "ALS_MEETINGS_SYNC_SECONDS": "60", "ALS_ATTENDANCE_THRESHOLD": "75%",
                        "ALS_ADMINS": "Ada@LGA.gov.uk, 00000000-0000-4000-8000-0000000000AD"})
    assert on.graph is not None and on.graph.organiser == "als@lga.gov.uk" and on.graph_off == ""
    assert (on.meetings_sync_interval, on.attendance.threshold) == (60.0, 0.75)
    assert on.admins == {"ada@lga.gov.uk", "00000000-0000-4000-8000-0000000000ad"}
