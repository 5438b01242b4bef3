"""Session-reminder sweep benchmark: `python -m tests.bench_reminders`.

A programme of 10 sets of 6 teams of 2 officers, 3 sessions each, default lead times (3 days, 1
hour): 720 reminders. Prints the median time of one sweep with nothing due (what every instance does
every minute), and of a sweep that queues the reminders falling due at once, beside a baseline
measured in the same run: reading the programme and every series' booking, which any sweep must do.
SQLite in a temporary folder, and PostgreSQL too when TEST_DATABASE_URL is set. Figures only.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.features import reminders
from bot.features.base import Services
from bot.rules import booking as b
from bot.rules.programme import parse_programme
from bot.store.base import BookChange
from bot.store.sql import SqlStore
from tests.conftest import reset_postgres

YEAR = datetime.now(UTC).year + 2
SETS = 10
RUNS = 5


def programme_text() -> str:
    sets = "\n".join(f"""  - key: set-{i}
    series: adaptation
    name: Set {i}
    booking: open
    sessions:
      - {YEAR}-03-{2 + i:02d} 10:30-12:00
      - {YEAR}-04-{2 + i:02d} 10:30-12:00
      - {YEAR}-05-{2 + i:02d} 10:30-12:00""" for i in range(SETS))
    return f"""
series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: adaptation
    policy: up_to_two
    one_team_per_series: false
sets:
{sets}
"""


async def seed(store: SqlStore, at: datetime) -> None:
    await store.save_programme(parse_programme(programme_text()), at)
    for i in range(SETS):
        for n in range(6):
            officers = tuple(b.Officer(f"o{k}@c{i}-{n}.gov.uk", f"Officer {k}", "other", None, at) for k in (1, 2))
            event = b.Nominate(set_key=f"set-{i}", team_id=uuid.uuid4().hex, council=f"c{i}-{n}",
                               council_name=f"Council {i}-{n}", officers=officers, idempotency_key=uuid.uuid4().hex,
                               by=b.Who(None, officers[0].email), at=at)

            def change(book: b.Book, event: b.Nominate = event) -> BookChange:
                return BookChange(*b.decide(book, event))

            await store.change_book("adaptation", change, at)


async def timed(work: object) -> float:
    start = time.perf_counter()
    await work  # type: ignore[misc]
    return time.perf_counter() - start


async def bench(label: str, url: str) -> None:
    store = await SqlStore.open(url)
    try:
        joined = datetime(YEAR, 1, 5, tzinfo=UTC)
        await seed(store, joined)
        services = Services(store=store)
        first = datetime(YEAR, 3, 2, 10, 30, tzinfo=UTC)
        quiet = first - timedelta(days=10)
        await reminders.sweep(services, quiet)  # the first sweep keeps the 720 reminders

        async def baseline() -> None:
            programme = await store.programme()
            for series in programme.series:
                await store.book(series.key)

        base = [await timed(baseline()) for _ in range(RUNS)]
        idle = [await timed(reminders.sweep(services, quiet + timedelta(minutes=k))) for k in range(RUNS)]
        # Three days before each set's first session the sets' 12 officers fall due; sweep them all at once.
        due_at = first + timedelta(days=SETS) - timedelta(days=3) + timedelta(seconds=5)
        start = time.perf_counter()
        sent = await reminders.sweep(services, due_at)
        burst = time.perf_counter() - start
        print(f"{label:10} baseline (programme + bookings) {statistics.median(base) * 1000:7.1f} ms | "
              f"sweep, nothing due {statistics.median(idle) * 1000:7.1f} ms | "
              f"sweep queueing {sent} reminders {burst * 1000:7.1f} ms")
    finally:
        await store.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await bench("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        await reset_postgres(url)
        await bench("PostgreSQL", url)


if __name__ == "__main__":
    asyncio.run(main())
