"""Attendance collection benchmark against the local Graph stand-in: `python -m tests.bench_attendance`.

Prints the full collection of one session (a 1,000-record report read in pages of 100 through
msgraph-sdk, matched to the set's officers, stored on SQLite replacing the previous run) beside a
baseline measured in the same run: a bare aiohttp client fetching the same pages from the stand-in,
which is the stand-in's own time to serve them. Not a timed test: figures only.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import graph_settings
from bot.features.attendance_collect import collect_session, presence
from bot.rules import attendance as rules
from bot.store.sql import SqlStore
from graph.attendance import read_session
from graph.client import StaticTokenCredential, open_client
from graph.service import GraphService
from tests.attendance_seed import SET, TEAMS, record, seed
from tests.bench_graph import bare_pages
from tests.standins.graph import ORGANISER, STATIC_TOKEN, GraphStandin, people

RUNS = 7


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await SqlStore.open(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        async with GraphStandin(page_size=100) as graph:
            await seed(store, datetime.now(UTC))
            slot = (await store.programme()).set_by_key(SET).sessions[0]  # type: ignore[union-attr]
            start, end = slot.start_utc, slot.end_utc
            meeting = graph.add_meeting()
            await store.record_meeting(SET, 1, {"meeting_id": meeting})
            crowd = people(996, start, guests=5)
            # The set's officers are among the thousand, the last on the last page.
            for email, name, aad in (p for _, team in TEAMS for p in team):
                crowd.append(record(aad, email, name, [(start, end)]))
            report = graph.add_report(meeting, start, end, crowd)
            url = (f"{graph.base_url}/users/{ORGANISER}/onlineMeetings/{meeting}"
                   f"/attendanceReports/{report}/attendanceRecords")
            settings = graph_settings(graph.env())
            async with open_client(settings, StaticTokenCredential(STATIC_TOKEN)) as client:
                began = time.perf_counter()
                first = await collect_session(store, GraphService(client, settings), SET, 1, datetime.now(UTC))
                cold = time.perf_counter() - began
                full, reads, matching, bare = [], [], [], []
                members = await store.set_members(SET)
                for _ in range(RUNS):
                    began = time.perf_counter()
                    done = await collect_session(store, GraphService(client, settings), SET, 1, datetime.now(UTC))
                    full.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    records = (await read_session(client, ORGANISER, meeting, start, end, None)).records
                    reads.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    rules.take_attendance(members, [], [presence(r) for r in records], start, end)
                    matching.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    raw = await bare_pages(url)
                    bare.append(time.perf_counter() - began)
        await store.close()
    assert first.records == done.records == raw == 1000
    assert all(o.status == "attended" for o in done.taken.officers)
    requests = 1 + 10  # the reports list, then ten pages of records
    print(f"Collecting one session: 1,000 attendance records in pages of 100 ({requests} requests), "
          f"median of {RUNS}")
    print(f"  full collection (read, match, store on SQLite)  {ms(full):8.1f} ms")
    print(f"    of which reading through msgraph-sdk          {ms(reads):8.1f} ms")
    print(f"    of which matching (bot.rules.attendance)      {ms(matching):8.1f} ms")
    print(f"  baseline: the stand-in serving the 10 pages     {ms(bare):8.1f} ms  (bare aiohttp client)")
    print(f"  ratio full collection / baseline                {ms(full) / ms(bare):8.1f} x")
    print(f"  first collection in the process                 {cold * 1000:8.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
