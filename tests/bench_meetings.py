"""Benchmark: create the meetings of 10 sets (3 sessions each) through Graph, with and without
30% injected throttling (Retry-After 0–1 s); the unthrottled run is the baseline.

Run with `python -m tests.bench_meetings`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime

from bot.config import graph_settings
from bot.features.meetings_sync import sync_set
from bot.rules.programme import parse_programme
from bot.store.sql import SqlStore
from graph.client import StaticTokenCredential, open_client
from graph.service import GraphService
from tests.programmes import YEAR
from tests.standins.graph import STATIC_TOKEN, Faults, GraphStandin

SETS = 10


def programme_text() -> str:
    sets = "\n".join(
        f"""  - key: set-{i}
    series: adaptation
    name: Set {i}
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-05-{5 + i:02d} 10:30-12:00
      - {YEAR}-06-{5 + i:02d} 10:30-12:00
      - {YEAR}-07-{5 + i:02d} 10:30-12:00"""
        for i in range(SETS)
    )
    return f"""series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: adaptation
    policy: up_to_two
sets:
{sets}
"""


async def run(faults: Faults) -> tuple[float, int, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        store = await SqlStore.open(f"sqlite:///{folder}/bench.sqlite3")
        await store.save_programme(parse_programme(programme_text()), datetime.now(UTC))
        async with GraphStandin(faults=faults) as graph:
            settings = graph_settings(graph.env())
            async with open_client(settings, StaticTokenCredential(STATIC_TOKEN)) as client:
                started = time.perf_counter()
                reports = await asyncio.gather(*(
                    sync_set(store, GraphService(client, settings), f"set-{i}", datetime.now(UTC)) for i in range(SETS)))
                seconds = time.perf_counter() - started
            assert all(r.error is None and r.created == [1, 2, 3] for r in reports)
            assert len(graph.events) == SETS * 3
            requests = sum(v for k, v in graph.counts.items() if "token" not in k)
        await store.close()
        return seconds, requests, graph.faults_served["throttle"], len(graph.events)


async def main() -> None:
    print(f"{'run':<40} {'seconds':>8} {'requests':>9} {'429s':>5} {'events':>7}")
    for label, faults in (("baseline: no throttling", Faults()),
                          ("30% throttled, Retry-After 0-1 s", Faults(seed=3, throttle_rate=0.3))):
        seconds, requests, throttled, events = await run(faults)
        print(f"{label:<40} {seconds:>8.2f} {requests:>9} {throttled:>5} {events:>7}")


if __name__ == "__main__":
    asyncio.run(main())
