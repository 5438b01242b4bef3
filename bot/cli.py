"""The `als` command: run the bot and the programme team's tasks from the command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import logs
from bot.config import ConfigError, Settings, load_environment, load_settings

if TYPE_CHECKING:
    from bot.store.sql import SqlStore

Subcommand = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # Start-up makes some 180,000 objects and frees few; the collector would walk them over and
    # over while they are made, about a seventh of the time to /readyz. `serve` turns it on again
    # once the bot listens.
    gc.disable()
    from bot.adapter.app import serve
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
        from bot.features.booking import save_programme

        had_domains = bool((await store.programme()).allowed_domains)
        saved = await save_programme(store, programme, datetime.now(UTC))
        created, updated = list(saved.created), list(saved.updated)
        if not had_domains and "allowed_domains" in updated:
            # The first list of domains is new, not a change to one that was there.
            updated.remove("allowed_domains")
            created.append("allowed_domains")
        print(f"loaded {len(programme.series)} series and {len(programme.sets)} sets from {path}")
        print(f"  created: {', '.join(created) or 'nothing'}")
        print(f"  updated: {', '.join(updated) or 'nothing'}")
        for effect in saved.effects:
            message = getattr(effect, "message", None)
            if message:
                print(f"  note: {message}")
        return 0

    return _with_store(settings, work)


def _booking(args: argparse.Namespace, settings: Settings) -> int:
    from bot.features import signup
    from bot.features.base import Services
    from cards.format import set_title

    async def work(store: SqlStore) -> int:
        programme = await store.programme()
        wanted = [s for s in programme.sets if args.set in (None, s.key)]
        if not wanted:
            known = ", ".join(s.key for s in programme.sets) or "none loaded"
            print(f"als: no set {args.set!r} (sets: {known})", file=sys.stderr)
            return 2
        if args.action in ("open", "close"):
            set_def = wanted[0]
            refused = await signup.change_booking(Services(store=store), set_def,
                                                  opening=args.action == "open", now=datetime.now(UTC))
            if refused is not None:
                print(f"als: {refused.message}", file=sys.stderr)
                return 1
        for view in await signup.admin_views(Services(store=store)):
            if view.key not in {s.key for s in wanted}:
                continue
            print(
                f"{view.key}: {set_title(view.series_title, view.name)}, booking {view.booking}, "
                f"{len(view.confirmed)} of {view.capacity} places taken, {len(view.waitlist)} waiting"
            )
            for number, (council, committed) in enumerate(view.confirmed, start=1):
                print(f"  {number}. {council}{'' if committed else ' (not everyone has committed)'}")
            for number, council in enumerate(view.waitlist, start=1):
                print(f"  waiting {number}. {council}")
        return 0

    return _with_store(settings, work)


def _meetings(args: argparse.Namespace, settings: Settings) -> int:
    from bot.features.meetings_sync import sync_set
    from graph.service import open_graph

    graph_settings = settings.graph
    if graph_settings is None:
        print(f"als: {settings.graph_off}", file=sys.stderr)
        return 2

    async def work(store: SqlStore) -> int:
        programme = await store.programme()
        keys = [s.key for s in programme.sets if args.set in (None, s.key)]
        if not keys:
            known = ", ".join(s.key for s in programme.sets) or "none loaded"
            print(f"als: no set {args.set!r} (sets: {known})", file=sys.stderr)
            return 2
        failed = False
        async with open_graph(graph_settings) as graph:
            for key in keys:
                report = await sync_set(store, graph, key, datetime.now(UTC), create=args.action == "create")
                print("\n".join(report.lines()))
                failed = failed or report.error is not None
        return 1 if failed else 0

    return _with_store(settings, work)


def _meetings_show(args: argparse.Namespace, settings: Settings) -> int:
    from cards.format import london_slot

    async def work(store: SqlStore) -> int:
        sessions = await store.session_meetings(args.set)
        if not sessions:
            print(f"als: no set {args.set!r}", file=sys.stderr)
            return 2
        for s in sessions:
            state = "no meeting yet" if not s.event_id else (
                f"meeting {'with' if s.app_installed_at else 'without'} the app in its chat, "
                f"{len(s.attendees or ())} invited")
            print(f"session {s.number}: {london_slot(s.starts_at, s.ends_at)}: {state}")
            if s.join_url:
                print(f"  join: {s.join_url}")
        return 0

    return _with_store(settings, work)


def _attendance_collect(args: argparse.Namespace, settings: Settings) -> int:
    from bot.features.attendance_collect import NotCollected, collect_session
    from bot.features.graph_port import GraphError
    from graph.service import open_graph

    graph_settings = settings.graph
    if graph_settings is None:
        print(f"als: {settings.graph_off}", file=sys.stderr)
        return 2

    async def work(store: SqlStore) -> int:
        now = datetime.now(UTC)
        set_def = (await store.programme()).set_by_key(args.set)
        if set_def is None:
            print(f"als: no set {args.set!r}", file=sys.stderr)
            return 2
        numbers = [args.session] if args.session else [
            n for n, s in enumerate(set_def.sessions, start=1) if s.end_utc <= now]
        if not numbers:
            print(f"als: no session of {args.set} has ended yet; name one to try anyway", file=sys.stderr)
            return 1
        failed = False
        async with open_graph(graph_settings) as graph:
            for number in numbers:
                try:
                    done = await collect_session(store, graph, args.set, number, now,
                                                 settings=settings.attendance)
                except (NotCollected, GraphError) as error:
                    print(f"session {number}: not collected: {error}", file=sys.stderr)
                    failed = True
                    continue
                counts = {k: sum(o.status == k for o in done.taken.officers)
                          for k in ("attended", "apologies", "absent")}
                print(f"session {number}: {counts['attended']} attended, "
                      f"{counts['apologies']} with apologies, {counts['absent']} absent without notice, "
                      f"{len(done.taken.others)} others joined "
                      f"({len(done.reports)} report(s), {done.records} records)")
                for other in done.taken.others:
                    label = "facilitator" if other.facilitator else "not an officer of the set"
                    print(f"  {other.name} <{other.email or 'no e-mail'}>: {other.minutes} min, {label}")
        return 1 if failed else 0

    return _with_store(settings, work)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.export import export_sheets, write

    async def work(store: SqlStore) -> int:
        set_def = (await store.programme()).set_by_key(args.set)
        if set_def is None:
            print(f"als: no set {args.set!r}", file=sys.stderr)
            return 2
        now = datetime.now(UTC)
        sheets = await export_sheets(store, set_def, now)
        # A folder of its own by default: five files loose in the working folder get lost.
        out = Path(args.out) if args.out else Path(
            f"export-{set_def.key}-{now.astimezone(ZoneInfo('Europe/London')).date().isoformat()}")
        written = write(sheets, out, set_def.key)
        print(f"wrote {len(written)} files to {out.resolve()}:")
        for path in written:
            print(f"  {path.name}")
        return 0

    return _with_store(settings, work)


def _bench(args: argparse.Namespace) -> int:
    root = Path(__file__).resolve().parent.parent
    if not (root / "tests" / "bench_scale.py").is_file():
        print("als: bench runs from a source checkout (it needs tests/): `make bench`", file=sys.stderr)
        return 2
    sys.path.insert(0, str(root))
    from tests.bench_scale import run as bench

    return bench(["--seconds", str(args.seconds), "--only", args.only, "--client", args.client,
                  *(["--smoke"] if args.smoke else [])])


# Evaluation report, erasure and retention (issue 13) ------------------------------------------

def _evaluation_settings() -> Any:
    from bot.features.evaluation import EvaluationSettings, configure

    settings = EvaluationSettings.from_env(load_environment())
    configure(settings)
    return settings


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.report.figures import series_report
    from bot.report.render import set_lines, write_report

    try:
        rules = _evaluation_settings()
    except ConfigError as error:
        print(f"als: configuration error: {error}", file=sys.stderr)
        return 2

    async def work(store: SqlStore) -> int:
        try:
            report = await series_report(store, args.series, datetime.now(UTC), min_answers=rules.min_answers)
        except KeyError:
            known = ", ".join(s.key for s in (await store.programme()).series) or "none loaded"
            print(f"als: no series {args.series!r} (series: {known})", file=sys.stderr)
            return 2
        for line in set_lines(report.sets):
            print(line)
        for path in write_report(report, Path(args.out)):
            print(f"wrote {path}")
        return 0

    return _with_store(settings, work)


def _print_scrubbed(scrubbed: Any, *, would: bool) -> None:
    verb = "would go" if would else "erased"
    if not scrubbed.counts:
        print(f"  nothing {'would go' if would else 'to erase'}")
    for what, n in scrubbed.counts:
        print(f"  {what}: {n} {verb}")
    for where in scrubbed.leftovers:
        print(f"  still mentioned in {where} (a table this command does not know: check it by hand)")


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    log = logging.getLogger("bot.erase")
    email = args.email.strip().lower()

    async def preview(store: SqlStore) -> int:
        shown = await store.erase_officer(email, datetime.now(UTC), dry_run=True)
        if not shown.counts:
            print(f"als: nothing is kept about {email}", file=sys.stderr)
            return 1
        print(f"{email}: in {shown.officers} team(s)")
        _print_scrubbed(shown, would=True)
        print("Figures keep their counts: attendance, apologies, actions and evaluation scores stay, "
              "with no name, address or text.")
        return 0

    async def erase(store: SqlStore) -> int:
        done = await store.erase_officer(email, datetime.now(UTC))
        # Counts only: the address erased must not be kept in the log either.
        log.info("officer erased", extra={"officers": done.officers, "kinds": len(done.counts),
                                          "rows": sum(n for _, n in done.counts)})
        print(f"erased {email}:")
        _print_scrubbed(done, would=False)
        print("If they write to the bot again, they are a stranger to it.")
        return 0

    found = _with_store(settings, preview)
    if found != 0:
        return found
    if not args.yes:
        answer = input("Erase this officer's personal data for good? Type yes to go on: ")
        if answer.strip().lower() != "yes":
            print("nothing erased")
            return 1
    return _with_store(settings, erase)


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    from bot.report.figures import last_end, retention_date
    from bot.rules.evaluation import retention_due
    from cards.format import london_date

    try:
        rules = _evaluation_settings()
    except ConfigError as error:
        print(f"als: configuration error: {error}", file=sys.stderr)
        return 2
    log = logging.getLogger("bot.retention")

    async def work(store: SqlStore) -> int:
        now = datetime.now(UTC)
        purged = await store.purged_sets()
        due = []
        for set_def in (await store.programme()).sets:
            end = last_end(set_def)
            if end is None or set_def.key in purged:
                continue
            if retention_due(end, now, rules.retention_days):
                due.append(set_def)
            elif args.dry_run:
                when = retention_date(set_def, rules.retention_days)
                print(f"{set_def.key}: kept until {london_date(when) if when else '?'}")
        for key, at in sorted(purged.items()):
            print(f"{key}: purged on {london_date(at)}")
        if not due:
            print(f"no set is due for purging (ALS_RETENTION_DAYS={rules.retention_days})")
            return 0
        for set_def in due:
            scrubbed = await store.purge_set(set_def.key, now, dry_run=args.dry_run)
            if scrubbed is None:
                print(f"{set_def.key}: purged already (by another instance)")
                continue
            print(f"{set_def.key}: last session {london_date(last_end(set_def) or now)}; "
                  f"{scrubbed.officers} officer(s){' would be' if args.dry_run else ''} purged")
            _print_scrubbed(scrubbed, would=args.dry_run)
            if not args.dry_run:
                log.info("set purged after retention", extra={"set": set_def.key,
                                                              "officers": scrubbed.officers})
        return 0

    return _with_store(settings, work)


def _add_evaluation_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="the programme report of a series: HTML with charts, CSV, XLSX")
    report.add_argument("series", help="the series' key in the programme file")
    report.add_argument("--out", default=".", help="the folder to write to, made if missing (default: here)")
    report.set_defaults(run=_report)
    erase = sub.add_parser("erase", help="erase an officer's personal data and free text everywhere")
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(run=_erase)
    retention = sub.add_parser("retention", help="purge finished sets past ALS_RETENTION_DAYS")
    retention.add_argument("--dry-run", action="store_true", help="list what would go, change nothing")
    retention.set_defaults(run=_retention)


# Between sessions (issue 12): how notices went out, and the sets' deep-dive topics ------------------


def _notices(args: argparse.Namespace, settings: Settings) -> int:
    from cards.format import london

    async def work(store: SqlStore) -> int:
        if args.set and (await store.programme()).set_by_key(args.set) is None:
            print(f"als: no set {args.set!r}", file=sys.stderr)
            return 2
        statuses = await store.notice_statuses(args.set, everything=args.all)
        if not statuses:
            print("every notice went by Teams" if not args.all else "no notices")
            return 0
        for n in statuses:
            how = {"teams": "by Teams", "email": "by e-mail", "failed": "FAILED", "pending": "waiting"}
            where = f" [{n.set_key}]" if n.set_key and not args.set else ""
            reason = f": {n.reason}" if n.reason else ""
            print(f"{n.person}\t{n.kind}{where}\t{how.get(n.status, n.status)}\t{london(n.at)}{reason}")
        return 0

    return _with_store(settings, work)


def _topics(args: argparse.Namespace, settings: Settings) -> int:
    from cards.format import set_title
    from cards.topics import ranked_text

    async def work(store: SqlStore) -> int:
        programme = await store.programme()
        series = programme.series_by_key(args.series)
        if series is None:
            known = ", ".join(s.key for s in programme.series) or "none loaded"
            print(f"als: no series {args.series!r} (known: {known})", file=sys.stderr)
            return 2
        for set_def in programme.sets_of(series.key):
            topics = await store.topics(set_def.key)
            print("\n".join(ranked_text(set_title(series.title, set_def.name), topics)))
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
    meetings = sub.add_parser("meetings", help="the sets' Teams meetings, through Microsoft Graph")
    meetings_sub = meetings.add_subparsers(dest="meetings_command", required=True, metavar="ACTION")
    create = meetings_sub.add_parser(
        "create", help="create a set's meetings, invite, and add the app to the chats (safe to rerun)")
    create.add_argument("set")
    create.set_defaults(run=_meetings, action="create")
    sync = meetings_sub.add_parser("sync", help="bring attendees and times of meetings to come into line")
    sync.add_argument("set", nargs="?")
    sync.set_defaults(run=_meetings, action="sync")
    show = meetings_sub.add_parser("show", help="each session's meeting and join link")
    show.add_argument("set")
    show.set_defaults(run=_meetings_show)
    attendance = sub.add_parser("attendance", help="read the sessions' Teams attendance reports")
    attendance_sub = attendance.add_subparsers(dest="attendance_command", required=True, metavar="ACTION")
    collect = attendance_sub.add_parser(
        "collect", help="read a set's attendance (each ended session, or one); rerun replaces, never doubles")
    collect.add_argument("set")
    collect.add_argument("session", nargs="?", type=int, help="the session's number (default: all ended)")
    collect.set_defaults(run=_attendance_collect)
    export = sub.add_parser("export", help="write a set's register, actions and reflections (CSV and XLSX)")
    export.add_argument("set")
    export.add_argument("--out", help="the folder to write to (default: export-SET-DATE, made here)")
    export.set_defaults(run=_export)
    # The benchmark (issue 15): from a source checkout, since it drives the Teams stand-in in tests/.
    bench = sub.add_parser("bench", help="load the real endpoint beside the stock bot and print the figures")
    bench.add_argument("--smoke", action="store_true", help="a moment per scenario (no figures)")
    bench.add_argument("--seconds", type=float, default=3.0, help="length of each round of a scenario")
    bench.add_argument("--client", choices=("plain", "aiohttp"), default="plain",
                       help="the load generator's HTTP client (plain: the cheaper)")
    bench.add_argument("--only", default="invoke,message,postgres,rush",
                       help="comma-separated scenarios: invoke, message, postgres, rush")
    bench.set_defaults(func=_bench)
    _add_evaluation_commands(sub)
    # Between sessions (issue 12)
    notices = sub.add_parser(
        "notices", help="notices that did not go by Teams: person, kind, channel, time, reason")
    notices.add_argument("set", nargs="?", help="only this set's notices")
    notices.add_argument("--all", action="store_true", help="every notice, those that went by Teams too")
    notices.set_defaults(run=_notices)
    topics = sub.add_parser("topics", help="the deep-dive topics of a series' sets, most votes first")
    topics.add_argument("series")
    topics.set_defaults(run=_topics)
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
    run: Subcommand = args.run
    try:
        return run(args, settings)
    except ConfigError as error:  # a setting read later, e.g. by the app's sweeps at start-up
        print(f"als: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
