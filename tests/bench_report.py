"""Benchmark: writing the programme report (figures, four charts a set, HTML, CSV, XLSX) for the
seeded programme, beside `als export` of the same sets measured in the same run.

    python -m tests.bench_report        # set TEST_DATABASE_URL to include PostgreSQL
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bot.export import export_sheets, write
from bot.report.figures import series_report
from bot.report.render import write_report
from bot.rules import evaluation as ev
from bot.store.sql import SqlStore
from tests.conftest import reset_postgres
from tests.report_seed import EVALUATIONS, OFFICERS, SERIES, TEAMS, seed_records, today

ROUNDS = 5


async def bench(url: str, label: str, folder: Path) -> None:
    store = await SqlStore.open(url)
    try:
        now = today()
        await seed_records(store, now)
        for email, scores, helped, change, recommend in EVALUATIONS:
            set_key = next(s for s, _, users in TEAMS if OFFICERS[email] in users)
            await store.save_evaluation(set_key, email, "t", ev.Answer(*scores, helped, change, recommend == "yes"),
                                        now)
        sets = [s for s in (await store.programme()).sets if s.series_key == SERIES]
        exports, reports = [], []
        for i in range(ROUNDS):
            start = time.perf_counter()
            for set_def in sets:
                write(await export_sheets(store, set_def, now), folder / f"export-{i}", set_def.key)
            exports.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_report(await series_report(store, SERIES, now, min_answers=3), folder / f"report-{i}")
            reports.append(time.perf_counter() - start)
        print(f"{label:10} als export of {len(sets)} sets (baseline): {statistics.median(exports) * 1000:7.1f} ms"
              f"   als report of the series: {statistics.median(reports) * 1000:7.1f} ms"
              f"   (median of {ROUNDS})")
    finally:
        await store.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await bench(f"sqlite:///{folder}/bench.sqlite3", "SQLite", Path(folder))
        url = os.environ.get("TEST_DATABASE_URL", "")
        if url:
            await reset_postgres(url)
            await bench(url, "PostgreSQL", Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
