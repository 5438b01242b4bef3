"""The `als manifest build` and `als manifest validate` commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ConfigError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "manifest", help="build or check the Teams app package (appPackage.zip)",
        description="Build the Teams app package from environment variables (and .env), or "
                    "check an existing package.")
    commands = parser.add_subparsers(dest="manifest_command", required=True, metavar="COMMAND")
    make = commands.add_parser(
        "build", help="write appPackage.zip",
        description="Fill the manifest template from MicrosoftAppId, TEAMS_APP_ID, ALS_APP_NAME, "
                    "ALS_APP_VERSION, ALS_DEVELOPER_NAME, ALS_DEVELOPER_URL, ALS_PRIVACY_URL, "
                    "ALS_TERMS_URL and ALS_VALID_DOMAINS, validate it, and write the zip.")
    make.add_argument("--out", type=Path, default=Path("build"),
                      help="directory for appPackage.zip, or a path ending in .zip "
                           "(default: build/)")
    make.set_defaults(func=run_build)
    check = commands.add_parser("validate", help="check an existing app package",
                                description="Check a package's layout, manifest and icons.")
    check.add_argument("file", type=Path, help="the .zip to check")
    check.set_defaults(func=run_validate)


# The package's modules are imported by the command that uses them: listing the commands, which
# every `als` run does, must not import jsonschema and Pillow.


def run_build(args: argparse.Namespace) -> int:
    from manifest.config import load_config
    from manifest.package import ManifestError, build, command_lists

    try:
        path = build(load_config(), args.out)
    except ConfigError as error:
        print(f"als: {error}", file=sys.stderr)
        return 2
    except ManifestError as error:
        print(f"als: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    for entry in command_lists():
        titles = ", ".join(c["title"] for c in entry["commands"])
        print(f"  commands in {entry['scopes'][0]}: {titles}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from manifest.package import validate_package

    found = validate_package(args.file)
    for problem in found:
        print(f"als: {args.file}: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"{args.file}: OK")
    return 0
