"""The `als` command: run the bot and the programme team's tasks from the command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence

from bot import logs
from bot.config import ConfigError, Settings, load_environment, load_settings

Command = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapter.web import serve
    from bot.store.sql import SqlStore

    async def main() -> None:
        store = await SqlStore.open(settings.database_url)
        await serve(settings, store)

    asyncio.run(main())
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.sql import make_engine, migrate

    async def main() -> str | None:
        engine = make_engine(settings.database_url)
        try:
            return await migrate(engine)
        finally:
            await engine.dispose()

    print(f"schema at revision {asyncio.run(main())}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="als", description="Action Learning Sets for Microsoft Teams")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the bot (applies database migrations first)")
    serve.add_argument("--host", help="address to listen on (default: HOST or localhost)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3978)")
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="apply database migrations and exit").set_defaults(run=_migrate)
    # Other packages add their own subcommands (they set `func`).
    for module in ("manifest.cli",):
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not hasattr(args, "run"):
        # Subcommands registered by other packages read only the configuration they need.
        logs.configure()
        return int(args.func(args))
    env = load_environment()
    if getattr(args, "host", None):
        env["HOST"] = args.host
    if getattr(args, "port", None) is not None:
        env["PORT"] = str(args.port)
    try:
        settings = load_settings(env)
    except ConfigError as error:
        print(f"als: configuration error: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_format, settings.log_level)
    run: Command = args.run
    return run(args, settings)

if __name__ == "__main__":
    sys.exit(main())
