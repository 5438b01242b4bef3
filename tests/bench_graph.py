"""Graph layer benchmark against the local stand-in: `python -m tests.bench_graph`.

Prints figures beside baselines measured in the same run:
- reading a 1,000-record attendance report in pages of 100 through msgraph-sdk, beside a bare
  aiohttp client fetching the same pages (the stand-in's own serving time);
- creating the sessions (3 each) of 10 sets under 30% throttling with Retry-After 0-1 s, beside
  the same with no throttling.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.config import graph_settings
from graph.attendance import attendance_records
from graph.client import GraphRetry, RetryPolicy, StaticTokenCredential, middleware_of, open_client
from graph.meetings import EventSpec, Invitee, create_session_event
from tests.standins.graph import ORGANISER, STATIC_TOKEN, Faults, GraphStandin, people

RUNS = 7
START = datetime(2026, 9, 8, 9, 30, tzinfo=UTC)


async def bare_pages(url: str) -> int:
    count = 0
    headers = {"Authorization": f"Bearer {STATIC_TOKEN}"}
    async with aiohttp.ClientSession() as session:
        next_url: str | None = url
        while next_url:
            async with session.get(next_url, headers=headers) as response:
                page = await response.json()
            count += len(page["value"])
            next_url = page.get("@odata.nextLink")
    return count


async def sdk_models(client: Any, meeting: str, report: str) -> int:
    """The same pages parsed into msgraph-sdk's `AttendanceRecord` models."""
    builder = (client.users.by_user_id(ORGANISER).online_meetings.by_online_meeting_id(meeting)
               .attendance_reports.by_meeting_attendance_report_id(report).attendance_records)
    count, page = 0, await builder.get()
    while page is not None:
        count += len(page.value or ())
        page = await builder.with_url(page.odata_next_link).get() if page.odata_next_link else None
    return count


async def records_bench() -> None:
    async with GraphStandin(page_size=100) as graph:
        meeting = graph.add_meeting()
        report = graph.add_report(meeting, START, START + timedelta(minutes=90),
                                  people(1000, START, guests=5))
        url = (f"{graph.base_url}/users/{ORGANISER}/onlineMeetings/{meeting}"
               f"/attendanceReports/{report}/attendanceRecords")
        settings = graph_settings(graph.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN)) as client:
            began = time.perf_counter()
            first = await attendance_records(client, ORGANISER, meeting, report)
            cold = time.perf_counter() - began
            began = time.perf_counter()
            modelled = await sdk_models(client, meeting, report)
            with_models = time.perf_counter() - began
            sdk, bare = [], []
            for _ in range(RUNS):
                began = time.perf_counter()
                got = await attendance_records(client, ORGANISER, meeting, report)
                sdk.append(time.perf_counter() - began)
                began = time.perf_counter()
                raw = await bare_pages(url)
                bare.append(time.perf_counter() - began)
        assert len(first) == len(got) == raw == modelled == 1000
    sdk_ms, bare_ms = statistics.median(sdk) * 1000, statistics.median(bare) * 1000
    print("Attendance report, 1,000 records in pages of 100 (10 requests), median of", RUNS)
    print(f"  msgraph-sdk (graph.attendance)      {sdk_ms:8.1f} ms   {1000 / sdk_ms * 1000:9.0f} rec/s")
    print(f"  baseline: bare aiohttp, same pages  {bare_ms:8.1f} ms   {1000 / bare_ms * 1000:9.0f} rec/s")
    print(f"  ratio sdk/baseline                  {sdk_ms / bare_ms:8.1f} x")
    print(f"  first call in the process           {cold * 1000:8.1f} ms")
    print(f"  for comparison: msgraph-sdk models  {with_models * 1000:8.1f} ms (one run; "
          "not used, see graph.attendance)")


def set_specs(sets: int = 10, sessions: int = 3) -> list[EventSpec]:
    return [
        EventSpec(f"bench-set-{s}", n, f"Set {s}: session {n}",
                  START + timedelta(weeks=3 * n, hours=s),
                  START + timedelta(weeks=3 * n, hours=s, minutes=90),
                  [Invitee(f"officer{i}@council{s}.gov.uk") for i in range(12)],
                  "<p>Ground rules</p>")
        for s in range(sets) for n in range(1, sessions + 1)
    ]


async def create_all(faults: Faults) -> tuple[float, int, int, int, int]:
    specs = set_specs()
    async with GraphStandin(faults=faults) as graph:
        settings = graph_settings(graph.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN),
                               RetryPolicy()) as client:
            began = time.perf_counter()
            created: list[Any] = await asyncio.gather(
                *(create_session_event(client, ORGANISER, spec) for spec in specs))
            elapsed = time.perf_counter() - began
            retries = middleware_of(client, GraphRetry).retries
        assert len({c.event_id for c in created}) == len(graph.events) == len(specs)
        return (elapsed, sum(graph.counts.values()), graph.faults_served["throttle"], retries,
                len(graph.events))


async def sessions_bench() -> None:
    cold = await create_all(Faults())  # pays the event models' import cost once
    calm = await create_all(Faults())
    busy = await create_all(Faults(seed=42, throttle_rate=0.3, retry_after=(0, 1)))
    print("Creating 10 sets x 3 sessions (30 events, concurrently, 4 per mailbox)")
    for name, (elapsed, requests, throttled, retries, events) in (
        ("baseline: no throttling", calm), ("30% throttled, Retry-After 0-1 s", busy),
    ):
        print(f"  {name:34s} {elapsed * 1000:8.1f} ms  requests {requests:3d}  "
              f"429s {throttled:3d}  retries {retries:3d}  events {events}")
    print(f"  (warm-up run, discarded, no throttling: {cold[0] * 1000:.1f} ms)")


async def main() -> None:
    await records_bench()
    await sessions_bench()


if __name__ == "__main__":
    asyncio.run(main())
