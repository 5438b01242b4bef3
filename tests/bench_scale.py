"""`als bench` / `make bench`: the real endpoint driven over loopback, beside the stock bot.

Every scenario runs against real processes: `als serve` (the bot under test, authentication on)
and `tests.stock_bot` (the stock Bot Framework bot on the same authentication settings, the
baseline), measured alternately A, B, A, B in the same run. Tokens are signed as the Teams
stand-in signs them; replies go to the stand-in's connector, which runs in a process of its own
(`tests.standins.teams_process`), so that it shares no interpreter lock with the load generator.
Printed per scenario: requests per second, p50/p95/p99 latency, errors, the bot's CPU per request,
the ratio to the baseline, and the load generator's and the stand-in's own CPU per request (with
the share of a core each used: near 100 % means the bench, not the bot, was the limit).

The load generator is a closed loop of aiohttp clients (each sends its next request when the last
is answered) made cheap: one session, headers and URL built once, bodies as bytes cut around the
activity id, so that a request costs one bytes formatting for its unique id (the bot recognises a
repeated id as Teams' re-send and answers it from its memory, which would flatter it).
`--client plain` swaps aiohttp for a minimal HTTP/1.1 client at about a third of its CPU, for a
bot so fast that the aiohttp client nears a core. One client process is enough on 2 cores: the bot
needs the other core, and a second client would take CPU from it. A scenario of replies counts a message as done when its reply has reached the connector:
the time to drain replies still on their way is part of the measured time.

Scenarios: card actions (`invoke` `adaptiveCard/action`, the `help` verb, answered in the HTTP
response) at 64 concurrent on SQLite and on PostgreSQL; messages that need a reply through the
connector at 16 and 64 concurrent; the booking rush (officers of different councils submitting
within one second for two sets of 6: every one answered, exactly 12 confirmed, the waiting
lists in arrival order without gaps) on SQLite and on PostgreSQL with two bot processes;
start-up to `/readyz`; idle resident memory.

`--smoke` runs every scenario for a fraction of a second (the test suite does, so that the
benchmark cannot rot); its figures mean nothing. Any error answer, missing reply or wrong booking
is printed as WRONG and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
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
from yarl import URL

from bot.rules import nomination as n
from tests.standins.teams import TeamsStandIn, User
from tests.standins.teams_process import TeamsProcess

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
# Activity ids: unique across every loop of the run (a round must not repeat the last round's ids)
# and across runs (PostgreSQL keeps its tables between them until the next reset).
RUN = secrets.token_hex(4)
_ids = itertools.count()
PROBLEMS: list[str] = []  # what the run found wrong: printed at the end, and the exit status 1
RUSH_CONNECTIONS = 100  # the channel's pooled connections in the rush (aiohttp's own default)
# The load generator's HTTP client: plain (a third of aiohttp's CPU, so that the bot has its core
# to itself), or aiohttp (`--client aiohttp`). Both bots are always driven by the same one.
CLIENT = "plain"


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the bot process(es) used: the figure that sharing a machine spoils least
    client_cpu: float = 0.0  # CPU seconds of the load generator (this process)
    standin_cpu: float = 0.0  # CPU seconds of the Teams stand-in's process
    missing_replies: int = 0  # messages answered whose reply never reached the connector

    def add(self, other: Figures) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.client_cpu += other.client_cpu
        self.standin_cpu += other.standin_cpu
        self.missing_replies += other.missing_replies

    def _per_request(self, seconds: float) -> float:
        return seconds / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self._per_request(self.cpu)

    @property
    def client_ms(self) -> float:
        return self._per_request(self.client_cpu)

    @property
    def standin_ms(self) -> float:
        return self._per_request(self.standin_cpu)

    def share(self, cpu: float) -> float:
        """The share of one core that `cpu` seconds were over the run, in per cent."""
        return cpu / self.seconds * 100 if self.seconds else 0.0

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


class Template:
    """An activity as bytes, cut around its id: a request's body is one formatting away."""

    def __init__(self, activity: dict[str, Any]) -> None:
        marked = json.dumps({**activity, "id": MARK}).encode()
        head, tail = marked.split(MARK.encode())
        self.head = head + f"bench-{RUN}-".encode()
        self.tail = tail

    def body(self) -> bytes:
        return b"%s%d%s" % (self.head, next(_ids), self.tail)


def _session(token: str, connections: int = 0) -> aiohttp.ClientSession:
    # Everything a request repeats is set once here: the headers (merged per request from the
    # session's), no cookie jar, no User-Agent or Accept-Encoding to add, one timeout that only
    # stops a bot that hangs from hanging the run.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections), cookie_jar=aiohttp.DummyCookieJar(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        skip_auto_headers=("User-Agent", "Accept-Encoding"), auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=60))


class _Wire(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the plain client: a request out, its answer's status back."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the bot closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        size = _answer_size(self.buffer) if self.waiter is not None else None
        if size is None or self.waiter is None:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:size]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result(status)


def _answer_size(buffer: bytearray) -> int | None:
    """The length of the first whole HTTP answer in `buffer`; None while it is not all there."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        line_end = head.find(b"\r\n", at + 2)
        total = end + 4 + int(head[at + 17:line_end if line_end >= 0 else len(head)])
        return total if len(buffer) >= total else None
    if b"\r\ntransfer-encoding: chunked" not in head:
        return end + 4  # no body
    at = end + 4
    while True:  # chunks, then the empty one (aiohttp writes no trailers)
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        at = line_end + 2 + size + 2
        if len(buffer) < at:
            return None
        if size == 0:
            return at


class _Plain:
    """The plain client (`--client plain`): HTTP/1.1 on one keep-alive connection, the request's
    head written once, the answer read only as far as its status and length. A third of the
    aiohttp client's CPU, for a bot fast enough that the aiohttp client nears a core."""

    def __init__(self, url: URL, token: str) -> None:
        self.host, self.port = url.host or "127.0.0.1", url.port or 80
        self.head = (f"POST {url.raw_path_qs} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     f"Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Length: ").encode()
        self.wire: _Wire | None = None

    async def post(self, body: bytes) -> int:
        loop = asyncio.get_running_loop()
        if self.wire is None or self.wire.transport is None:
            _, self.wire = await loop.create_connection(_Wire, self.host, self.port)
        wire = self.wire
        assert wire.transport is not None
        wire.waiter = loop.create_future()
        wire.transport.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        return await wire.waiter

    def close(self) -> None:
        if self.wire is not None and self.wire.transport is not None:
            self.wire.transport.close()


async def closed_loop(urls: Sequence[str], templates: Sequence[Template], token: str, concurrency: int,
                      seconds: float, pids: Sequence[int] = (), standin: TeamsProcess | None = None,
                      replies: bool = False) -> Figures:
    """`concurrency` clients, each sending its next request when the last is answered; with
    `replies`, the loop ends when every answered message's reply has reached the connector."""
    figures = Figures()
    latencies = figures.latencies
    targets = [URL(u) for u in urls]
    watched = [*pids, *([standin.pid] if standin else [])]
    before = {pid: cpu_seconds([pid]) for pid in watched}
    calls_before = standin.stats()["connector_calls"] if standin and replies else 0
    client_before = time.process_time()
    stop = time.perf_counter() + seconds
    async with _session(token) as session:

        async def client(k: int) -> None:
            url, template = targets[k % len(targets)], templates[k % len(templates)]
            clock = time.perf_counter
            while clock() < stop:
                body = template.body()
                sent = clock()
                try:
                    async with session.post(url, data=body) as response:
                        await response.read()
                        ok = response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                if ok:
                    latencies.append(clock() - sent)
                else:
                    figures.errors += 1

        async def plain(k: int) -> None:
            connection = _Plain(targets[k % len(targets)], token)
            template = templates[k % len(templates)]
            clock = time.perf_counter
            try:
                while clock() < stop:
                    body = template.body()
                    sent = clock()
                    try:
                        ok = await connection.post(body) < 300
                    except OSError:
                        ok = False
                    if ok:
                        latencies.append(clock() - sent)
                    else:
                        figures.errors += 1
            finally:
                connection.close()

        began = time.perf_counter()
        # The plain client has no timeout of its own: a bot that hangs fails the run here.
        await asyncio.wait_for(asyncio.gather(*((plain if CLIENT == "plain" else client)(k)
                                                for k in range(concurrency))), seconds + 60)
        if standin and replies:
            figures.missing_replies = await _drain(standin, calls_before + len(latencies))
        figures.seconds = time.perf_counter() - began
    figures.client_cpu = time.process_time() - client_before
    figures.cpu = sum(cpu_seconds([pid]) - before[pid] for pid in pids)
    if standin:
        figures.standin_cpu = cpu_seconds([standin.pid]) - before[standin.pid]
    return figures


async def _drain(standin: TeamsProcess, expected: int, patience: float = 5.0) -> int:
    """Wait until the connector has had `expected` calls, or until none has come for `patience`
    seconds; the number still missing."""
    seen, quiet_since = -1, time.perf_counter()
    while True:
        calls = standin.stats()["connector_calls"]
        if calls >= expected:
            return 0
        if calls != seen:
            seen, quiet_since = calls, time.perf_counter()
        elif time.perf_counter() - quiet_since > patience:
            return expected - calls
        await asyncio.sleep(0.005)


async def alternate(label: str, ours: Process, stock: Process | None, templates: Sequence[Template],
                    token: str, concurrency: int, seconds: float, rounds: int,
                    standin: TeamsProcess, replies: bool = False) -> None:
    a, b = Figures(), Figures()
    # A warm-up for each, so that neither pays for its first connections and caches in the figure.
    await closed_loop([ours.url], templates, token, concurrency, min(0.5, seconds), standin=standin,
                      replies=replies)
    if stock:
        await closed_loop([stock.url], templates, token, concurrency, min(0.5, seconds), standin=standin,
                          replies=replies)
    for _ in range(rounds):
        a.add(await closed_loop([ours.url], templates, token, concurrency, seconds, [ours.process.pid],
                                standin, replies))
        if stock:
            b.add(await closed_loop([stock.url], templates, token, concurrency, seconds,
                                    [stock.process.pid], standin, replies))
    report(label, a, b if stock else None)


def _row(label: str, f: Figures) -> str:
    return (f"{label:<48} {f.rate:6.0f}/s p50 {f.percentile(50):6.1f} p95 {f.percentile(95):6.1f} "
            f"p99 {f.percentile(99):6.1f} ms err {f.errors:<3} CPU {f.cpu_ms:5.2f} ms/req")


def _bench_cost(f: Figures) -> str:
    return (f"\n{'':<4}bench: client {f.client_ms:5.3f} ms/req ({f.share(f.client_cpu):3.0f}% of a core), "
            f"stand-in {f.standin_ms:5.3f} ms/req ({f.share(f.standin_cpu):3.0f}%); "
            f"bot {f.share(f.cpu):3.0f}% of a core")


def report(label: str, a: Figures, b: Figures | None) -> None:
    ratio = f"{a.rate / b.rate:6.1f}x" if b and b.rate else "     -"
    cpu_ratio = f" ({b.cpu_ms / a.cpu_ms:.1f}x less CPU)" if b and b.latencies and a.cpu else ""
    print(f"{_row(label, a)} ratio {ratio}{cpu_ratio}{_bench_cost(a)}", flush=True)
    if b is not None:
        print(f"{_row('  B: stock CloudAdapter bot', b)}{_bench_cost(b)}", flush=True)
    for name, f in (("A", a), ("B", b)):
        if f is None:
            continue
        if not f.latencies:
            PROBLEMS.append(f"{label} ({name}): no request was answered")
        if f.errors:
            PROBLEMS.append(f"{label} ({name}): {f.errors} error answers")
        if f.missing_replies:
            PROBLEMS.append(f"{label} ({name}): {f.missing_replies} replies never reached the connector")


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


async def open_forms(teams: TeamsStandIn, urls: Sequence[str], users: Sequence[User]) -> None:
    """Each officer opens the sign-up form of their set before booking opens (not timed): the
    turn that brings the form, as in Teams, where nobody submits a form they have not been shown.
    It goes to another instance than the submission will, when there are several."""
    targets = [URL(u) for u in urls]
    bodies = [json.dumps(teams.card_action(u, "signup.choose", {"set_key": RUSH_SETS[i % 2]})).encode()
              for i, u in enumerate(users)]
    gate = asyncio.Semaphore(32)
    async with _session(teams.token()) as session:

        async def one(i: int) -> None:
            async with gate, session.post(targets[(i + 1) % len(targets)], data=bodies[i]) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"opening the form answered {r.status}")

        await asyncio.gather(*(one(i) for i in range(len(users))))


async def rush(teams: TeamsStandIn, standin: TeamsProcess, urls: Sequence[str], count: int,
               spread: float, *, connections: int = 0) -> tuple[Figures, list[str], float]:
    """`count` officers submit within `spread` seconds; returns the figures, the answers and the
    time from the first submission to the last answer. `connections`: the submissions share this
    many connections, as the channel's do (0: one each, as if every officer reached the bot
    directly)."""
    users = [officer(i) for i in range(count)]
    bodies = [json.dumps(teams.card_action(u, "signup.submit", submission(u, i))).encode()
              for i, u in enumerate(users)]
    standin.know(users)
    figures = Figures()
    cards = [""] * count
    targets = [URL(u) for u in urls]
    standin_before, client_before = cpu_seconds([standin.pid]), time.process_time()
    async with _session(teams.token(), connections) as session:
        began = time.perf_counter()

        async def one(i: int) -> None:
            await asyncio.sleep(spread * i / count)
            sent = time.perf_counter()
            try:
                async with session.post(targets[i % len(targets)], data=bodies[i]) as r:
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
    figures.client_cpu = time.process_time() - client_before
    figures.standin_cpu = cpu_seconds([standin.pid]) - standin_before
    return figures, cards, figures.seconds


async def rush_scenario(label: str, teams: TeamsStandIn, standin: TeamsProcess, database_url: str,
                        processes: int, count: int, spread: float, folder: str, *,
                        opened: bool = False, connections: int = 0) -> None:
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
        if opened:
            users = [officer(i) for i in range(count)]
            standin.know(users)  # their Teams profiles, as the channel has them
            await open_forms(teams, [b.url for b in bots], users)
        cpu_before = cpu_seconds(pids)
        figures, cards, last = await rush(teams, standin, [b.url for b in bots], count, spread,
                                          connections=connections)
        figures.cpu = cpu_seconds(pids) - cpu_before
    problems = await check_rush(database_url, cards)
    report(f"{label} ({count} in {spread:g} s)", figures, None)
    verdict = "correct" if not problems else "WRONG: " + "; ".join(problems[:3])
    PROBLEMS.extend(f"{label}: {problem}" for problem in problems)
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
    parser.add_argument("--client", choices=("aiohttp", "plain"), default=CLIENT,
                        help="the load generator's HTTP client (plain: a minimal HTTP/1.1 one, cheaper)")
    args = parser.parse_args(argv)
    global CLIENT
    CLIENT = args.client
    postgres = os.environ.get("TEST_DATABASE_URL", "")
    # The stand-in's keys and the bot's credentials are made here, so that this process signs
    # the channel's tokens and builds the activities; the stand-in serves them from its own process.
    teams = TeamsStandIn(keep_calls=False)
    with TeamsProcess(teams, _free_port()) as standin:
        print(f"als bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}; authentication on, "
              f"loopback, the Teams stand-in in a process of its own, the {CLIENT} client; A = this bot, "
              f"B = stock CloudAdapter bot, alternating", flush=True)
        await _scenarios(args, teams, standin, postgres)
    for problem in PROBLEMS:
        print(f"WRONG: {problem}", flush=True)
    return 1 if PROBLEMS else 0


async def _scenarios(args: argparse.Namespace, teams: TeamsStandIn, standin: TeamsProcess,
                     postgres: str) -> None:
    only = set(args.only.split(","))
    seconds, rounds = (0.3, 1) if args.smoke else (args.seconds, 2)
    rush_count, spread = (40, 0.2) if args.smoke else (1000, 1.0)
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{folder}/bench.sqlite3"
        # One person (and personal chat) per client, as Teams' traffic comes: one chat sent a
        # thousand messages a second would be refused by Teams itself (7 a second per chat).
        users = [User(f"d0000000-0000-4000-8000-{k:012d}", f"Bench Officer {k}", f"bench{k}@leeds.gov.uk")
                 for k in range(64)]
        token = teams.token()
        invoke = [Template(teams.card_action(user, "help")) for user in users]
        message = [Template(teams.message(user, "help")) for user in users]
        standin.know(users)
        startup = Figures()
        with started(OURS, bot_env(teams, sqlite_url), folder) as ours, \
                started(STOCK, bot_env(teams, sqlite_url), folder) as stock:
            startup.latencies.append(ours.ready_seconds)
            await asyncio.sleep(0.5 if args.smoke else 2.0)
            idle_ours, idle_stock = rss_mb(ours.process.pid), rss_mb(stock.process.pid)
            if "invoke" in only:
                await alternate("card actions (help), 64 concurrent, SQLite", ours, stock,
                                invoke, token, 64, seconds, rounds, standin)
            if "message" in only:
                await alternate("messages needing a reply, 16 concurrent", ours, stock,
                                message, token, 16, seconds, rounds, standin, replies=True)
                await alternate("messages needing a reply, 64 concurrent", ours, stock,
                                message, token, 64, seconds, rounds, standin, replies=True)
            busy_ours = rss_mb(ours.process.pid)
        if postgres and "postgres" in only:
            from tests.conftest import reset_postgres

            await reset_postgres(postgres)
            with started(OURS, bot_env(teams, postgres), folder) as ours_pg:
                await alternate("card actions (help), 64 concurrent, PostgreSQL", ours_pg, None,
                                invoke, token, 64, seconds, rounds, standin)
        # Two kinds of rush: officers who opened the form first, their submissions arriving over
        # the channel's pooled connections (as in Teams), and a cold one, where each officer is
        # new to the bot (its profile looked up) and comes on a connection of their own.
        rushes = [("", True, RUSH_CONNECTIONS), (", cold", False, 0)]
        if "rush" in only:
            for kind, opened, connections in rushes:
                await rush_scenario(f"booking rush{kind}, SQLite, 1 process", teams, standin,
                                    f"sqlite:///{folder}/rush{kind.strip(', ')}.sqlite3", 1,
                                    rush_count, spread, folder, opened=opened, connections=connections)
        if postgres and "rush" in only:
            for kind, opened, connections in rushes:
                await rush_scenario(f"booking rush{kind}, PostgreSQL, 2 processes", teams, standin,
                                    postgres, 2, rush_count, spread, folder, opened=opened,
                                    connections=connections)
        print(f"{'start-up to /readyz (fresh SQLite, migrations)':<46} {startup.latencies[0]:9.2f} s",
              flush=True)
        print(f"{'idle resident memory':<46} {idle_ours:9.0f} MB (stock bot {idle_stock:.0f} MB; "
              f"after the load {busy_ours:.0f} MB; the Teams stand-in {rss_mb(standin.pid):.0f} MB)",
              flush=True)


def run(argv: Sequence[str] | None = None, *, out: Callable[[str], None] | None = None) -> int:
    return asyncio.run(main(argv))


if __name__ == "__main__":
    sys.exit(run())
