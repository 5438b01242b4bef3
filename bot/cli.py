"""The `als` command: run the bot and the programme team's tasks from the command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs
from bot.config import ConfigError, Settings, load_environment, load_settings

if TYPE_CHECKING:
    from bot.store.sql import SqlStore

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


def _with_store(settings: Settings, work: Callable[[SqlStore], Awaitable[int]]) -> int:
    from bot.store.sql import SqlStore

    async def main() -> int:
        store = await SqlStore.open(settings.database_url)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _programme_load(args: argparse.Namespace, settings: Settings) -> int:
    from bot.rules.programme import ProgrammeError, parse_programme, syntax_for

    path = Path(args.file)
    try:
        programme = parse_programme(path.read_text(encoding="utf-8"), syntax_for(path.name))
    except OSError as error:
        print(f"als: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    except ProgrammeError as error:
        print(f"als: {path} has {len(error.problems)} problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    async def work(store: SqlStore) -> int:
        saved = await store.save_programme(programme, datetime.now(UTC))
        print(f"loaded {len(programme.series)} series and {len(programme.sets)} sets from {path}")
        print(f"  created: {', '.join(saved.created) or 'nothing'}")
        print(f"  updated: {', '.join(saved.updated) or 'nothing'}")
        for effect in saved.effects:
            message = getattr(effect, "message", None)
            if message:
                print(f"  note: {message}")
        return 0

    return _with_store(settings, work)


def _booking(args: argparse.Namespace, settings: Settings) -> int:
    from bot.features import signup
    from bot.features.base import Services
    from bot.rules import booking as b

    async def work(store: SqlStore) -> int:
        programme = await store.programme()
        wanted = [s for s in programme.sets if args.set in (None, s.key)]
        if not wanted:
            known = ", ".join(s.key for s in programme.sets) or "none loaded"
            print(f"als: no set {args.set!r} (sets: {known})", file=sys.stderr)
            return 2
        if args.action in ("open", "close"):
            set_def = wanted[0]
            book = await store.book(set_def.series_key)
            state = book.set_state(set_def.key)
            event: b.Event = (
                b.Close(set_def.key)
                if args.action == "close"
                else (b.Reopen(set_def.key) if state and state.booking == "closed" else b.Open(set_def.key))
            )
            result = await store.change_book(
                set_def.series_key, signup._deciding(programme, event, None), datetime.now(UTC)
            )
            for effect in result.effects:
                if isinstance(effect, b.Refused):
                    print(f"als: {effect.message}", file=sys.stderr)
                    return 1
        for view in await signup.admin_views(Services(store=store)):
            if view.key not in {s.key for s in wanted}:
                continue
            print(
                f"{view.key}: {view.name} ({view.series_title}), booking {view.booking}, "
                f"{len(view.confirmed)} of {view.capacity} places taken, {len(view.waitlist)} waiting"
            )
            for number, (council, committed) in enumerate(view.confirmed, start=1):
                print(f"  {number}. {council}{'' if committed else ' (not everyone has committed)'}")
            for number, council in enumerate(view.waitlist, start=1):
                print(f"  waiting {number}. {council}")
        return 0

    return _with_store(settings, work)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="als", description="Action Learning Sets for Microsoft Teams")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the bot (applies database migrations first)")
    serve.add_argument("--host", help="address to listen on (default: HOST or localhost)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3978)")
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="apply database migrations and exit").set_defaults(run=_migrate)
    programme = sub.add_parser("programme", help="the programme's series and sets")
    programme_sub = programme.add_subparsers(dest="programme_command", required=True, metavar="ACTION")
    load = programme_sub.add_parser("load", help="create or update series and sets from a YAML or TOML file")
    load.add_argument("file")
    load.set_defaults(run=_programme_load)
    booking = sub.add_parser("booking", help="open, close or list a set's booking")
    booking.add_argument("action", choices=["list", "open", "close"])
    booking.add_argument("set", nargs="?", help="the set's key (all sets for list)")
    booking.set_defaults(run=_booking)
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
