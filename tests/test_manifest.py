"""The Teams app package: manifest against the official 1.30 schema, commands, icons, zip, CLI."""

from __future__ import annotations

import argparse
import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import (  # type: ignore[import-untyped,unused-ignore]
    Draft4Validator,
    Draft6Validator,
)
from PIL import Image

from bot.commands import COMMANDS, Scope, by_scope
from bot.config import ConfigError
from manifest import icons
from manifest.cli import register
from manifest.config import PackageConfig, load_config, package_version
from manifest.package import (
    ManifestError,
    build,
    check_manifest,
    load_template,
    validate_package,
)
from manifest.schemas import OFFLINE

HERE = Path(__file__).resolve().parent.parent / "manifest"
BOT_ID = "0f2c1e4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
APP_ID = "7d3e2f1a-0b9c-4d8e-9f7a-6b5c4d3e2f1a"
RSC = {
    "OnlineMeeting.ReadBasic.Chat",
    "OnlineMeetingParticipant.Read.Chat",
    "ChatMessage.Read.Chat",
    "OnlineMeetingNotification.Send.Chat",
    "MeetingStage.Write.Chat",  # the facilitator shares the meeting page to the stage
}
ENV = {
    "MicrosoftAppId": BOT_ID,
    "ALS_DEVELOPER_NAME": "Local Government Association",
    "ALS_DEVELOPER_URL": "https://www.local.gov.uk",
    "ALS_PRIVACY_URL": "https://www.local.gov.uk/privacy",
    "ALS_TERMS_URL": "https://www.local.gov.uk/terms",
    "ALS_PUBLIC_URL": "https://als.example.gov.uk",
}


def make_config(**changes: Any) -> PackageConfig:
    values: dict[str, Any] = {
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "developer_name": "Local Government Association",
        "developer_url": "https://www.local.gov.uk",
        "privacy_url": "https://www.local.gov.uk/privacy",
        "terms_url": "https://www.local.gov.uk/terms",
        "valid_domains": ("als.example.gov.uk",),
    }
    values.update(changes)
    return PackageConfig(**values)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return build(make_config(), tmp_path)


def read_manifest(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return manifest


def rezip(package: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of `package` with entries replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(package) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    for name, data in change.items():
        if data is None:
            entries.pop(name, None)
        else:
            entries[name] = data
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


# The manifest


def test_built_manifest_validates_against_the_official_schema(package: Path) -> None:
    schema = json.loads((HERE / "schema" / "teams-manifest-1.30.schema.json").read_text("utf-8"))
    errors = list(Draft4Validator(schema, registry=OFFLINE).iter_errors(read_manifest(package)))
    assert [e.message for e in errors] == []


def test_manifest_carries_the_configuration(package: Path) -> None:
    manifest = read_manifest(package)
    assert manifest["manifestVersion"] == "1.30"
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "0.1.0"
    assert manifest["name"] == {"short": "Action Learning Sets", "full": "Action Learning Sets"}
    assert manifest["developer"]["privacyUrl"] == "https://www.local.gov.uk/privacy"
    assert manifest["validDomains"] == ["als.example.gov.uk"]
    assert manifest["webApplicationInfo"] == {"id": BOT_ID,
                                              "resource": f"api://als.example.gov.uk/botid-{BOT_ID}"}
    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID
    # Only scopes where the bot does something: every scope it is installed in has commands.
    assert set(bot["scopes"]) == {"personal", "groupChat"}
    assert all(by_scope(Scope(scope)) for scope in bot["scopes"])
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    assert len(manifest["description"]["short"]) <= 80
    assert "{{" not in json.dumps(manifest)


def test_resource_specific_permissions_are_exactly_what_the_features_need(package: Path) -> None:
    declared = read_manifest(package)["authorization"]["permissions"]["resourceSpecific"]
    assert {p["name"] for p in declared} == RSC
    assert {p["name"]: p["type"] for p in declared if p["type"] != "Application"} == {
        "MeetingStage.Write.Chat": "Delegated"}
    assert len(declared) == len(RSC)


def test_the_meeting_tab_opens_the_live_page_in_the_side_panel_and_on_the_stage(package: Path) -> None:
    manifest = read_manifest(package)
    (tab,) = manifest["configurableTabs"]
    assert tab["configurationUrl"] == "https://als.example.gov.uk/meeting/config"
    assert set(tab["context"]) >= {"meetingSidePanel", "meetingStage"}
    assert set(tab["meetingSurfaces"]) == {"sidePanel", "stage"}
    assert tab["scopes"] == ["groupChat"]
    assert manifest["validDomains"][0] == "als.example.gov.uk"


def test_the_tab_must_be_on_a_valid_domain(package: Path) -> None:
    manifest = read_manifest(package)
    manifest["validDomains"] = ["elsewhere.example.org"]
    assert any(p.startswith("configurableTabs[0].configurationUrl:") for p in check_manifest(manifest))


def test_the_public_url_gives_the_domain_and_the_sign_on_resource() -> None:
    config = PackageConfig.from_env({**ENV, "ALS_PUBLIC_URL": "https://ALS.council.gov.uk/",
                                     "ALS_VALID_DOMAINS": "als.council.gov.uk, other.example.org"})
    assert config.public_url == "https://ALS.council.gov.uk"
    assert config.domains == ("als.council.gov.uk", "other.example.org")
    for bad in ("http://als.council.gov.uk", "https://als.council.gov.uk/bot"):
        with pytest.raises(ConfigError, match="ALS_PUBLIC_URL"):
            PackageConfig.from_env({**ENV, "ALS_PUBLIC_URL": bad})


@pytest.mark.parametrize("scope", list(Scope))
def test_command_lists_equal_the_command_table(package: Path, scope: Scope) -> None:
    lists = read_manifest(package)["bots"][0].get("commandLists", [])
    for_scope = [entry for entry in lists if scope in entry["scopes"]]
    expected = [{"title": c.title, "description": c.description} for c in by_scope(scope)]
    if expected:
        assert [entry["scopes"] for entry in for_scope] == [[scope]]
        assert for_scope[0]["commands"] == expected
    else:
        assert for_scope == []


def test_every_command_has_a_handler() -> None:
    from bot.router import HANDLED

    assert sorted(c.name for c in COMMANDS if c.name not in HANDLED) == []


def test_teams_command_limits_are_checked(package: Path) -> None:
    manifest = read_manifest(package)
    manifest["bots"][0]["commandLists"][0]["commands"][0] = {"title": "x" * 33,
                                                             "description": "d" * 129}
    found = " ".join(check_manifest(manifest))
    assert "bots[0].commandLists[0].commands[0].title: 'xxxxx" in found
    assert "(Teams shows at most 32 characters)" in found
    assert "bots[0].commandLists[0].commands[0].description: 'ddddd" in found


def test_web_application_info_must_name_the_bot(package: Path) -> None:
    manifest = read_manifest(package)
    manifest["webApplicationInfo"]["id"] = APP_ID
    assert any(p.startswith("webApplicationInfo.id:") for p in check_manifest(manifest))
    del manifest["webApplicationInfo"]
    assert any(p.startswith("webApplicationInfo:") for p in check_manifest(manifest))


# Broken templates and configuration fail the build with the field named


def test_too_long_short_name_fails_the_build(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        build(make_config(name="Action Learning Sets for English Councils"), tmp_path)
    assert "name.short: 'Action Learning Sets for English Coun" in str(caught.value)
    assert "is too long (maximum 30 characters)" in str(caught.value)
    assert not (tmp_path / "appPackage.zip").exists()


def test_missing_required_field_fails_the_build(tmp_path: Path) -> None:
    template = load_template()
    del template["developer"]["privacyUrl"]
    with pytest.raises(ManifestError) as caught:
        build(make_config(), tmp_path, template=template)
    assert caught.value.problems == ["developer.privacyUrl: is required but missing (required)"]


def test_bad_value_in_template_names_field_and_rule(tmp_path: Path) -> None:
    template = copy.deepcopy(load_template())
    template["bots"][0]["scopes"].append("meetings")
    template["accentColor"] = "green"
    with pytest.raises(ManifestError) as caught:
        build(make_config(), tmp_path, template=template)
    text = str(caught.value)
    assert "accentColor: 'green' does not match the pattern" in text
    assert "bots[0].scopes[2]: 'meetings' is not allowed" in text


def test_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    template = load_template()
    template["name"]["full"] = "{{long_name}}"
    with pytest.raises(ManifestError, match=r"name.full: unknown placeholder \{\{long_name\}\}"):
        build(make_config(), tmp_path, template=template)


# Icons


@pytest.mark.parametrize(("name", "role", "size"), [("color.png", "color", 192),
                                                   ("outline.png", "outline", 32)])
def test_committed_icons_meet_the_rules(name: str, role: icons.Role, size: int) -> None:
    data = (HERE / name).read_bytes()
    assert icons.problems(name, data, role) == []
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (size, size)


def test_outline_is_white_on_transparent() -> None:
    with Image.open(HERE / "outline.png") as image:
        raw = image.convert("RGBA").tobytes()
    pixels = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    assert all(p[3] == 0 or p[:3] == b"\xff\xff\xff" for p in pixels)
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)


def test_colour_icon_is_opaque() -> None:
    with Image.open(HERE / "color.png") as image:
        assert image.convert("RGBA").getchannel("A").getextrema() == (255, 255)


@pytest.mark.parametrize(("name", "draw"), [("color.png", icons.draw_color),
                                            ("outline.png", icons.draw_outline)])
def test_committed_icons_are_what_the_code_draws(name: str, draw: Any) -> None:
    with Image.open(HERE / name) as committed:
        old = committed.convert("RGBA").tobytes()
    new = draw().convert("RGBA").tobytes()
    # A small tolerance keeps this about the design, not a Pillow resampling detail.
    assert len(old) == len(new)
    assert max(abs(a - b) for a, b in zip(old, new, strict=True)) <= 2, \
        "run `python -m manifest.icons` and commit the PNGs"


def test_icon_check_finds_bad_icons() -> None:
    grey = icons.draw_outline()
    grey.putpixel((16, 2), (128, 128, 128, 255))
    assert "1 pixel(s) are not" in " ".join(icons.problems("outline.png", icons.png(grey),
                                                          "outline"))
    opaque = icons.png(Image.new("RGB", (32, 32), (255, 255, 255)))
    assert any("transparent background" in p for p in icons.problems("o", opaque, "outline"))
    small = icons.png(icons.draw_color().resize((96, 96)))
    assert icons.problems("color.png", small, "color") == [
        "color.png: must be 192×192 pixels, not 96×96"]
    jpeg = io.BytesIO()
    icons.draw_color().save(jpeg, format="JPEG")
    assert icons.problems("color.png", jpeg.getvalue(), "color") == [
        "color.png: must be a PNG, not JPEG"]


# The zip


def test_zip_holds_the_three_files_at_its_root(package: Path) -> None:
    assert package.name == "appPackage.zip"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert archive.read("color.png") == (HERE / "color.png").read_bytes()
        assert archive.read("outline.png") == (HERE / "outline.png").read_bytes()


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = build(make_config(), tmp_path / "a").read_bytes()
    second = build(make_config(), tmp_path / "b.zip").read_bytes()
    assert first == second


def test_validate_package_accepts_a_built_package(package: Path) -> None:
    assert validate_package(package) == []


def _manifest_bytes(package: Path, **changes: Any) -> bytes:
    manifest = read_manifest(package)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node: Any = manifest
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return json.dumps(manifest).encode()


@pytest.mark.parametrize(("change", "expected"), [
    ({"outline.png": None}, "icons.outline: 'outline.png' is not in the zip"),
    ({"color.png": icons.png(Image.new("RGB", (100, 100)))},
     "color.png: must be 192×192 pixels, not 100×100"),
    ({"manifest.json": b"{not json"}, "manifest.json: not valid JSON"),
    ({"manifest.json": None}, "manifest.json: missing from the root of the zip"),
])
def test_validate_package_finds_a_broken_zip(package: Path, tmp_path: Path,
                                             change: dict[str, bytes | None],
                                             expected: str) -> None:
    broken = rezip(package, tmp_path / "broken.zip", change)
    assert any(p.startswith(expected) for p in validate_package(broken)), validate_package(broken)


def test_validate_package_finds_a_bad_bot_id_and_name(package: Path, tmp_path: Path) -> None:
    data = _manifest_bytes(package, bots__0__botId="my-bot", name__short="x" * 31)
    found = validate_package(rezip(package, tmp_path / "b.zip", {"manifest.json": data}))
    assert "bots[0].botId: 'my-bot' is not a GUID (the bot's app id)" in found
    assert any(p.startswith("name.short: ") and "maximum 30" in p for p in found)


def test_validate_package_finds_a_nested_folder(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tmp_path / "n.zip", "w") as target:
        for name in source.namelist():
            target.writestr(f"appPackage/{name}", source.read(name))
    assert validate_package(tmp_path / "n.zip") == [
        "manifest.json is at 'appPackage/manifest.json': it must be at the root of the zip "
        "(zip the files, not the folder that holds them)"]


def test_validate_package_finds_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_text("hello")
    assert validate_package(tmp_path / "x.zip") == ["the file is not a zip archive"]
    missing = tmp_path / "missing.zip"
    assert validate_package(missing) == [f"{missing}: no such file"]


# Offline schemas


def test_schemas_never_fetch_remote_references() -> None:
    validator = Draft6Validator({"$ref": "https://example.invalid/schema.json"}, registry=OFFLINE)
    with pytest.raises(Exception, match=r"Unresolvable: https://example\.invalid/schema\.json"):
        validator.validate({})


def test_bundled_schemas_reference_only_themselves() -> None:
    for name in ("teams-manifest-1.24.schema.json", "teams-manifest-1.30.schema.json",
                 "adaptive-card-1.5.schema.json"):
        text = (HERE / "schema" / name).read_text("utf-8")
        refs = {ref for ref in _refs(json.loads(text))}
        assert refs and all(ref.startswith("#/") for ref in refs), name


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


# Configuration from the environment


def test_config_from_environment_defaults_the_app_id_to_the_bot_id() -> None:
    config = PackageConfig.from_env(ENV)
    assert config.bot_id == config.app_id == BOT_ID
    assert config.name == "Action Learning Sets"
    assert config.version == package_version()
    assert config.valid_domains == ()


def test_config_reads_every_variable() -> None:
    config = PackageConfig.from_env({
        **ENV, "TEAMS_APP_ID": APP_ID.upper(), "ALS_APP_NAME": "ALS (North West)",
        "ALS_APP_VERSION": "1.2.3", "ALS_VALID_DOMAINS": " als.example.gov.uk, *.Example.org ,",
    })
    assert config.app_id == APP_ID
    assert config.name == "ALS (North West)"
    assert config.version == "1.2.3"
    assert config.valid_domains == ("als.example.gov.uk", "*.example.org")


def test_config_names_every_missing_variable() -> None:
    env = {k: v for k, v in ENV.items() if k not in ("MicrosoftAppId", "ALS_TERMS_URL")}
    with pytest.raises(ConfigError, match="MicrosoftAppId, ALS_TERMS_URL"):
        PackageConfig.from_env(env)


@pytest.mark.parametrize(("name", "value"), [
    ("MicrosoftAppId", "not-a-guid"),
    ("TEAMS_APP_ID", "1234"),
    ("ALS_PRIVACY_URL", "http://www.local.gov.uk/privacy"),
    ("ALS_APP_VERSION", "1.0"),
    ("ALS_VALID_DOMAINS", "https://als.example.gov.uk"),
    ("ALS_ACCENT_COLOUR", "teal"),
])
def test_config_rejects_bad_values_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        PackageConfig.from_env({**ENV, name: value})


def test_config_reads_dotenv_under_the_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in ENV.items()) + "ALS_APP_NAME=From file\n")
    config = load_config({"ALS_APP_NAME": "From environment"}, dotenv)
    assert (config.bot_id, config.name) == (BOT_ID, "From environment")


# The command line


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="als")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_cli_builds_and_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working tree
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    assert run("manifest", "build", "--out", "dist") == 0
    assert "commands in personal: help" in capsys.readouterr().out
    assert run("manifest", "validate", "dist/appPackage.zip") == 0
    (tmp_path / "bad.zip").write_text("x")
    assert run("manifest", "validate", "bad.zip") == 1
    assert capsys.readouterr().err.startswith("als: bad.zip: the file is not a zip archive")


def test_cli_build_reports_missing_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    assert run("manifest", "build") == 2
    err = capsys.readouterr().err
    assert "MicrosoftAppId" in err
    assert err.startswith("als: "), err  # as every other CLI message, not "error:"
    assert not (tmp_path / "build").exists()
