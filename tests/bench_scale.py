"""`als bench` / `make bench`: the real endpoint driven over loopback, beside the stock bot.

Every scenario runs against real processes: `als serve` (the bot under test, authentication on)
and `tests.stock_bot` (the stock Bot Framework bot on the same authentication settings, the
baseline), measured alternately A, B, A, B in the same run. Tokens are signed as the Teams
stand-in signs them; replies go to the stand-in's connector. Printed per scenario: requests per
second, p50/p95/p99 latency, errors, and the ratio to the baseline.

Scenarios: card actions (`invoke` `adaptiveCard/action`, the `help` verb, answered in the HTTP
response) at 64 concurrent on SQLite and on PostgreSQL; messages that need a reply through the
connector at 16 and 64 concurrent; the booking rush (officers of different councils submitting
within one second for two sets of 6: every one answered, exactly 12 confirmed, the waiting
lists in arrival order without gaps) on SQLite and on PostgreSQL with two bot processes;
start-up to `/readyz`; idle resident memory.

`--smoke` runs every scenario for a fraction of a second (the test suite does, so that the
benchmark cannot rot); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.rules import nomination as n
from tests.standins.teams import TeamsStandIn, User

YEAR = datetime.now(UTC).year + 2
RUSH_PROGRAMME = f"""
allowed_domains: []
series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
sets:
  - key: rush-wed
    series: adaptation
    name: Sustainable Adaptation – Wednesday set
    capacity: 6
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-05-05 10:30-12:00
  - key: rush-fri
    series: adaptation
    name: Sustainable Adaptation – Friday set
    capacity: 6
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-05-07 10:30-12:00
"""
RUSH_SETS = ("rush-wed", "rush-fri")
MARK = "__activity_id__"


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the bot process(es) used: the figure that sharing a machine spoils least

    def add(self, other: Figures) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu += other.cpu

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not become ready")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU time of the processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Process:
    url: str
    process: subprocess.Popen[bytes]
    ready_seconds: float


@contextmanager
def started(command: Sequence[str], env: dict[str, str], folder: str) -> Iterator[Process]:
    port = _free_port()
    began = time.perf_counter()
    process = subprocess.Popen([*command, str(port)], cwd=folder, env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        yield Process(f"http://127.0.0.1:{port}/api/messages", process, time.perf_counter() - began)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def bot_env(teams: TeamsStandIn, database_url: str) -> dict[str, str]:
    # The processes run in a scratch folder; the stock bot is imported from this checkout.
    root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, **teams.bot_env(), "DATABASE_URL": database_url, "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING", "PYTHONPATH": root}


OURS = [sys.executable, "-m", "bot.cli", "serve", "--port"]
STOCK = [sys.executable, "-m", "tests.stock_bot"]


async def closed_loop(urls: Sequence[str], template: str, token: str, concurrency: int,
                      seconds: float, pids: Sequence[int] = ()) -> Figures:
    """`concurrency` clients, each sending its next request when the last is answered."""
    figures = Figures()
    cpu_before = cpu_seconds(pids)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    counter = iter(range(10**9))
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(k: int) -> None:
            url = urls[k % len(urls)]
            while time.perf_counter() < stop:
                body = template.replace(MARK, f"bench-{k}-{next(counter)}")
                sent = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        ok = response.status < 300
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    figures.latencies.append(time.perf_counter() - sent)
                else:
                    figures.errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(concurrency)))
        figures.seconds = time.perf_counter() - began
    figures.cpu = cpu_seconds(pids) - cpu_before
    return figures


def _template(activity: dict[str, Any]) -> str:
    activity["id"] = MARK
    return json.dumps(activity)


async def alternate(label: str, ours: Process, stock: Process | None, template: str,
                    token: str, concurrency: int, seconds: float, rounds: int) -> None:
    a, b = Figures(), Figures()
    # A warm-up for each, so that neither pays for its first connections and caches in the figure.
    await closed_loop([ours.url], template, token, concurrency, min(0.5, seconds))
    if stock:
        await closed_loop([stock.url], template, token, concurrency, min(0.5, seconds))
    for _ in range(rounds):
        a.add(await closed_loop([ours.url], template, token, concurrency, seconds, [ours.process.pid]))
        if stock:
            b.add(await closed_loop([stock.url], template, token, concurrency, seconds, [stock.process.pid]))
    report(label, a, b if stock else None)


def report(label: str, a: Figures, b: Figures | None) -> None:
    ratio = f"{a.rate / b.rate:6.1f}x" if b and b.rate else "     -"
    cpu_ratio = f" ({b.cpu_ms / a.cpu_ms:.1f}x less CPU)" if b and b.latencies and a.cpu else ""
    print(f"{label:<48} {a.rate:6.0f}/s p50 {a.percentile(50):6.1f} p95 {a.percentile(95):6.1f} "
          f"p99 {a.percentile(99):6.1f} ms err {a.errors:<3} CPU {a.cpu_ms:5.2f} ms/req ratio {ratio}"
          f"{cpu_ratio}", flush=True)
    if b is not None:
        print(f"{'  B: stock CloudAdapter bot':<48} {b.rate:6.0f}/s p50 {b.percentile(50):6.1f} "
              f"p95 {b.percentile(95):6.1f} p99 {b.percentile(99):6.1f} ms err {b.errors:<3} "
              f"CPU {b.cpu_ms:5.2f} ms/req", flush=True)


def officer(i: int) -> User:
    return User(f"c0000000-0000-4000-8000-{i:012d}", f"Officer {i}", f"officer{i}@council{i}.gov.uk")


def submission(user: User, i: int) -> dict[str, Any]:
    return {
        n.SET_KEY: RUSH_SETS[i % 2], n.SUBMISSION_ID: f"rush-{i}", n.COUNCIL: f"Council {i}",
        n.OFFICER_NAME: user.name, n.OFFICER_EMAIL: user.email, n.OFFICER_ROLE: "sustainability",
        n.CHALLENGE_TITLE: "A challenge", n.CHALLENGE_TEXT: "A few lines about it.",
        n.COMMIT: "true", n.GROUND_RULES: "true", **{q: "yes" for q in n.SUITABILITY},
    }


async def load_rush_programme(database_url: str) -> None:
    from bot.features.booking import save_programme
    from bot.rules.programme import parse_programme
    from bot.store.sql import SqlStore

    store = await SqlStore.open(database_url)
    try:
        await save_programme(store, parse_programme(RUSH_PROGRAMME), datetime.now(UTC))
    finally:
        await store.close()


async def check_rush(database_url: str, cards: list[str]) -> list[str]:
    """What is wrong with the booking after the rush (nothing: an empty list)."""
    from bot.store.sql import SqlStore

    problems: list[str] = []
    store = await SqlStore.open(database_url)
    try:
        book = await store.book("adaptation")
    finally:
        await store.close()
    confirmed = sum(len(book.confirmed(k)) for k in RUSH_SETS)
    if confirmed != 2 * 6:
        problems.append(f"{confirmed} confirmed, not 12")
    for set_key in RUSH_SETS:
        ordered = sorted((t for t in book.teams if t.set_key == set_key), key=lambda t: t.accepted_seq)
        if [t.team_id for t in ordered[:6]] != [t.team_id for t in book.confirmed(set_key)]:
            problems.append(f"{set_key}: the confirmed teams are not the first to arrive")
        positions = [book.position(t) for t in book.waitlist(set_key)]
        if positions != list(range(1, len(positions) + 1)):
            problems.append(f"{set_key}: the waiting list has gaps or is out of order")
    if len(book.teams) != len(cards):
        problems.append(f"{len(book.teams)} teams for {len(cards)} answers")
    by_council = {t.council_name: t for t in book.teams}
    for i, card in enumerate(cards):
        team = by_council.get(f"Council {i}")
        position = book.position(team) if team else None
        if team is None or (position is not None and f"number {position} " not in card.lower()):
            problems.append(f"officer {i}'s answer does not say where the team stands")
            break
    return problems


async def rush(teams: TeamsStandIn, urls: Sequence[str], count: int, spread: float) -> tuple[Figures, list[str], float]:
    """`count` officers submit within `spread` seconds; returns the figures, the answers and the
    time from the first submission to the last answer."""
    users = [officer(i) for i in range(count)]
    bodies = [json.dumps(teams.card_action(u, "signup.submit", submission(u, i))) for i, u in enumerate(users)]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {teams.token()}"}
    figures = Figures()
    cards = [""] * count
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        began = time.perf_counter()

        async def one(i: int) -> None:
            await asyncio.sleep(spread * i / count)
            sent = time.perf_counter()
            try:
                async with session.post(urls[i % len(urls)], data=bodies[i], headers=headers) as r:
                    cards[i] = await r.text()
                    ok = r.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                figures.latencies.append(time.perf_counter() - sent)
            else:
                figures.errors += 1

        await asyncio.gather(*(one(i) for i in range(count)))
        figures.seconds = time.perf_counter() - began
    return figures, cards, figures.seconds


async def rush_scenario(label: str, teams: TeamsStandIn, database_url: str, processes: int,
                        count: int, spread: float, folder: str) -> None:
    from tests.conftest import reset_postgres

    if database_url.startswith("postgres"):
        await reset_postgres(database_url)
    env = bot_env(teams, database_url)
    # Migrate once before the instances start, as a deployment does.
    subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], env=env, cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    await load_rush_programme(database_url)
    with _several(OURS, env, folder, processes) as bots:
        pids = [b.process.pid for b in bots]
        cpu_before = cpu_seconds(pids)
        figures, cards, last = await rush(teams, [b.url for b in bots], count, spread)
        figures.cpu = cpu_seconds(pids) - cpu_before
    problems = await check_rush(database_url, cards)
    report(f"{label} ({count} in {spread:g} s)", figures, None)
    verdict = "correct" if not problems else "WRONG: " + "; ".join(problems[:3])
    print(f"{'  last answer after':<46} {last:9.2f} s   booking {verdict}", flush=True)


@contextmanager
def _several(command: Sequence[str], env: dict[str, str], folder: str, count: int) -> Iterator[list[Process]]:
    if count == 1:
        with started(command, env, folder) as one:
            yield [one]
        return
    with started(command, env, folder) as first, _several(command, env, folder, count - 1) as rest:
        yield [first, *rest]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="als bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a second or two: checks the benchmark runs")
    parser.add_argument("--seconds", type=float, default=3.0, help="per round of a scenario")
    parser.add_argument("--only", default="invoke,message,postgres,rush",
                        help="comma-separated scenarios: invoke, message, postgres, rush")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    seconds, rounds = (0.3, 1) if args.smoke else (args.seconds, 2)
    rush_count, spread = (40, 0.2) if args.smoke else (1000, 1.0)
    postgres = os.environ.get("TEST_DATABASE_URL", "")
    teams = TeamsStandIn().start()
    print(f"als bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"authentication on, loopback; A = this bot, B = stock CloudAdapter bot, alternating", flush=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite:///{folder}/bench.sqlite3"
            user = User("d0000000-0000-4000-8000-000000000001", "Bench Officer", "bench@leeds.gov.uk")
            token = teams.token()
            invoke = _template(teams.card_action(user, "help"))
            message = _template(teams.message(user, "help"))
            startup = Figures()
            with started(OURS, bot_env(teams, sqlite_url), folder) as ours, \
                    started(STOCK, bot_env(teams, sqlite_url), folder) as stock:
                startup.latencies.append(ours.ready_seconds)
                await asyncio.sleep(0.5 if args.smoke else 2.0)
                idle_ours, idle_stock = rss_mb(ours.process.pid), rss_mb(stock.process.pid)
                if "invoke" in only:
                    await alternate("card actions (help), 64 concurrent, SQLite", ours, stock,
                                    invoke, token, 64, seconds, rounds)
                if "message" in only:
                    await alternate("messages needing a reply, 16 concurrent", ours, stock,
                                    message, token, 16, seconds, rounds)
                    await alternate("messages needing a reply, 64 concurrent", ours, stock,
                                    message, token, 64, seconds, rounds)
                busy_ours = rss_mb(ours.process.pid)
            if postgres and "postgres" in only:
                from tests.conftest import reset_postgres

                await reset_postgres(postgres)
                with started(OURS, bot_env(teams, postgres), folder) as ours_pg:
                    await alternate("card actions (help), 64 concurrent, PostgreSQL", ours_pg, None,
                                    invoke, token, 64, seconds, rounds)
            if "rush" in only:
                await rush_scenario("booking rush, SQLite, 1 process", teams,
                                    f"sqlite:///{folder}/rush.sqlite3", 1, rush_count, spread, folder)
            if postgres and "rush" in only:
                await rush_scenario("booking rush, PostgreSQL, 2 processes", teams, postgres, 2,
                                    rush_count, spread, folder)
            print(f"{'start-up to /readyz (fresh SQLite, migrations)':<46} {startup.latencies[0]:9.2f} s",
                  flush=True)
            print(f"{'idle resident memory':<46} {idle_ours:9.0f} MB (stock bot {idle_stock:.0f} MB; "
                  f"after the load {busy_ours:.0f} MB)", flush=True)
    finally:
        teams.stop()
    return 0


def run(argv: Sequence[str] | None = None, *, out: Callable[[str], None] | None = None) -> int:
    return asyncio.run(main(argv))


if __name__ == "__main__":
    sys.exit(run())
