"""Seed a finished programme and write its report: `python -m tests.report_demo OUT`.

Two sets of the adaptation series whose sessions ran in the last weeks (tests/report_seed.py): the
bot runs on loopback against the Teams stand-in, officers answer the pulse and the evaluation through
the cards, and then the report is written to OUT as `als report adaptation --out OUT` would.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bot.adapter.web import STORE
from bot.features.evaluation import SETTINGS
from bot.report.figures import series_report
from bot.report.render import set_lines, write_report
from tests.conftest import start_bot
from tests.report_seed import SERIES, answer_through_cards, seed_records, today
from tests.standins.teams import TeamsStandIn


async def main(out: Path) -> None:
    teams = TeamsStandIn().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bot = await start_bot({**teams.bot_env(), "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3"})
            try:
                store = bot.app[STORE]
                await seed_records(store, today())
                await answer_through_cards(teams.send, teams, bot.messages)
                report = await series_report(store, SERIES, today(), min_answers=SETTINGS.min_answers)
                print("\n".join(set_lines(report.sets)))
                for path in write_report(report, out):
                    print(f"wrote {path}")
            finally:
                await bot.runner.cleanup()
    finally:
        teams.stop()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.report_demo OUT")
    asyncio.run(main(Path(sys.argv[1])))
