"""Builds the Teams app package (manifest.json and two icons in a zip) and checks existing ones."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bot.commands import Scope, by_scope
from manifest import icons
from manifest.config import GUID, PackageConfig
from manifest.schemas import MANIFEST_VERSION, manifest_validator, path_of, problems, short

HERE = Path(__file__).parent
TEMPLATE = HERE / "template.json"
PACKAGE_NAME = "appPackage.zip"
ICONS: dict[str, icons.Role] = {"color.png": "color", "outline.png": "outline"}
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Teams' own limits for the command menu, tighter than the schema's (128 and 4000).
COMMAND_TITLE_MAX = 32
COMMAND_DESCRIPTION_MAX = 128
# A fixed timestamp keeps the zip the same for the same input.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ManifestError(Exception):
    """The manifest or package breaks a rule; `problems` names each field and rule."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("The app package is not valid:\n" +
                         "\n".join(f"  - {p}" for p in self.problems))


def command_lists() -> list[dict[str, Any]]:
    """One command list per scope, from `bot.commands`; a scope without commands gets none."""
    lists = []
    for scope in (Scope.PERSONAL, Scope.GROUP_CHAT, Scope.TEAM):
        commands = by_scope(scope)
        if commands:
            lists.append({
                "scopes": [str(scope)],
                "commands": [{"title": c.title, "description": c.description} for c in commands],
            })
    return lists


def values(config: PackageConfig) -> dict[str, Any]:
    return {
        "app_id": config.app_id,
        "bot_id": config.bot_id,
        "version": config.version,
        "short_name": config.name,
        "full_name": config.full_name or config.name,
        "developer_name": config.developer_name,
        "developer_url": config.developer_url,
        "privacy_url": config.privacy_url,
        "terms_url": config.terms_url,
        "accent_colour": config.accent_colour,
        "valid_domains": list(config.domains),
        "public_url": config.public_url,
        "public_host": config.public_host,
        "command_lists": command_lists(),
    }


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return template


def fill(node: Any, fields: Mapping[str, Any], path: tuple[str | int, ...] = ()) -> Any:
    """Replace `{{name}}` placeholders: a whole-string placeholder may become any JSON value."""
    if isinstance(node, dict):
        return {k: fill(v, fields, (*path, k)) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, fields, (*path, i)) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    for name in PLACEHOLDER.findall(node):
        if name not in fields:
            raise ManifestError([f"{path_of(path)}: unknown placeholder {{{{{name}}}}} "
                                 f"(known: {', '.join(sorted(fields))})"])
    whole = PLACEHOLDER.fullmatch(node)
    if whole:
        return fields[whole.group(1)]
    return PLACEHOLDER.sub(lambda m: str(fields[m.group(1)]), node)


def render(config: PackageConfig, template: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The manifest for `config`, checked against the 1.30 schema and Teams' own rules."""
    manifest: dict[str, Any] = fill(dict(template if template is not None else load_template()),
                                    values(config))
    found = check_manifest(manifest)
    if found:
        raise ManifestError(found)
    return manifest


def check_manifest(manifest: Any) -> list[str]:
    """Schema violations, then the rules Teams applies that the schema does not state."""
    found = problems(manifest_validator(), manifest)
    if not isinstance(manifest, dict):
        return found
    if manifest.get("manifestVersion") != MANIFEST_VERSION:
        found.append(f"manifestVersion: {short(manifest.get('manifestVersion'))} is not "
                     f"{MANIFEST_VERSION!r}, the version this tool checks against")
    bots = manifest.get("bots")
    if not isinstance(bots, list) or not bots or not isinstance(bots[0], dict):
        found.append("bots: the app needs its bot (bots[0]) (required)")
        return found
    bot = bots[0]
    bot_id = bot.get("botId")
    if not (isinstance(bot_id, str) and GUID.match(bot_id)):
        found.append(f"bots[0].botId: {short(bot_id)} is not a GUID (the bot's app id)")
    web = manifest.get("webApplicationInfo")
    rsc = _dig(manifest, "authorization", "permissions", "resourceSpecific")
    if rsc and not isinstance(web, dict):
        found.append("webApplicationInfo: is required when resource-specific permissions are "
                     "declared (id = the bot's app id, resource = any string)")
    elif isinstance(web, dict):
        if web.get("id") != bot_id:
            found.append(f"webApplicationInfo.id: {short(web.get('id'))} must equal "
                         f"bots[0].botId {short(bot_id)} "
                         "(the Entra app that receives the RSC grant)")
        if rsc and not web.get("resource"):
            found.append("webApplicationInfo.resource: must be set when resource-specific "
                         "permissions are declared (any string)")
    for i, lst in enumerate(bot.get("commandLists") or []):
        commands = (lst.get("commands") or []) if isinstance(lst, dict) else []
        for j, command in enumerate(commands):
            if not isinstance(command, dict):
                continue
            where = f"bots[0].commandLists[{i}].commands[{j}]"
            for key, limit in (("title", COMMAND_TITLE_MAX),
                               ("description", COMMAND_DESCRIPTION_MAX)):
                text = command.get(key)
                if isinstance(text, str) and len(text) > limit:
                    found.append(f"{where}.{key}: {short(text)} is too long "
                                 f"(Teams shows at most {limit} characters)")
    domains = {d.lower() for d in manifest.get("validDomains") or [] if isinstance(d, str)}
    for i, tab in enumerate(manifest.get("configurableTabs") or []):
        url = tab.get("configurationUrl") if isinstance(tab, dict) else None
        host = urlsplit(url).netloc.lower() if isinstance(url, str) else ""
        if host and host not in domains:
            found.append(f"configurableTabs[{i}].configurationUrl: {short(url)} is on {host}, "
                         "which validDomains must list (Teams opens no other page)")
    icon_files = manifest.get("icons")
    if isinstance(icon_files, dict):
        for role in ("color", "outline"):
            name = icon_files.get(role)
            if isinstance(name, str) and "/" in name:
                found.append(f"icons.{role}: {short(name)} must be a file at the package root")
    return found


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _zip(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
                   .encode("utf-8"), **files}
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build(config: PackageConfig, out: Path, *, template: Mapping[str, Any] | None = None,
          icon_dir: Path = HERE) -> Path:
    """Write `appPackage.zip` into the directory `out` (or to `out` itself if it ends in .zip)."""
    manifest = render(config, template)
    files = {name: (icon_dir / name).read_bytes() for name in ICONS}
    found = [p for name, role in ICONS.items() for p in icons.problems(name, files[name], role)]
    if found:
        raise ManifestError(found)
    data = _zip(manifest, files)
    found = problems_in_zip(data)
    if found:
        raise ManifestError(found)
    target = out if out.suffix == ".zip" else out / PACKAGE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def validate_package(path: Path) -> list[str]:
    """What is wrong with an existing package: layout, manifest, icons. Empty means fine."""
    if not path.is_file():
        return [f"{path}: no such file"]
    return problems_in_zip(path.read_bytes())


def problems_in_zip(data: bytes) -> list[str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["the file is not a zip archive"]
    with archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        found: list[str] = []
        if "manifest.json" not in names:
            nested = [n for n in names if PurePosixPath(n).name == "manifest.json"]
            if nested:
                found.append(f"manifest.json is at {nested[0]!r}: it must be at the root of the "
                             "zip (zip the files, not the folder that holds them)")
            else:
                found.append("manifest.json: missing from the root of the zip")
            return found
        try:
            manifest = json.loads(archive.read("manifest.json").decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return [f"manifest.json: not valid JSON ({error})"]
        found.extend(check_manifest(manifest))
        icon_files = manifest.get("icons") if isinstance(manifest, dict) else None
        if isinstance(icon_files, dict):
            for role in ("color", "outline"):
                name = icon_files.get(role)
                if not isinstance(name, str):
                    continue
                if name not in names:
                    found.append(f"icons.{role}: {name!r} is not in the zip")
                    continue
                found.extend(icons.problems(name, archive.read(name), role))
    return found
