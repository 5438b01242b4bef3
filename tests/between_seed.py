"""A small programme for the between-sessions tests: one set with reminders, two confirmed teams."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bot.rules import booking as b
from bot.rules.programme import Programme, parse_programme
from bot.store.base import BookChange
from bot.store.sql import SqlStore

YEAR = datetime.now(UTC).year + 2
SET = "adapt-tue"
# Tuesdays at 10:30 London time in March, before British Summer Time (GMT): 10:30 UTC.
_FIRST_TUESDAY = 1 + (1 - datetime(YEAR, 3, 1).weekday()) % 7
SESSION_1 = datetime(YEAR, 3, _FIRST_TUESDAY, 10, 30, tzinfo=UTC)
SESSION_2 = SESSION_1 + timedelta(days=7)
SESSION_3 = SESSION_1 + timedelta(days=14)
JOINED = SESSION_1 - timedelta(days=30)


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def programme_text(series_reminders: str = '["3 days", "1 hour"]', set_reminders: str | None = None,
                   session_1: str = f"{_day(SESSION_1)} 10:30-12:00", few: str | None = None) -> str:
    own = f"\n    reminders: {set_reminders}" if set_reminders is not None else ""
    fmt = f"\n    format: few\n    presenters_per_session: {few}" if few else ""
    return f"""
series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
    reminders: {series_reminders}{fmt}
sets:
  - key: {SET}
    series: adaptation
    name: Tuesday set
    booking: open
    facilitators: [facilitator@lga.gov.uk]{own}
    sessions:
      - {session_1}
      - {_day(SESSION_2)} 10:30-12:00
      - {_day(SESSION_3)} 10:30-12:00
"""


def programme(**kwargs: str | None) -> Programme:
    return parse_programme(programme_text(**kwargs))  # type: ignore[arg-type]


ALEX = b.Officer("alex@leeds.gov.uk", "Alex Officer", "sustainability", "0a1b2c3d-0000-4000-8000-000000000001",
                 JOINED)
SAM = b.Officer("sam@york.gov.uk", "Sam Partner", "other", None, None)


async def nominate(store: SqlStore, council: str, officers: tuple[b.Officer, ...],
                   at: datetime = JOINED) -> str:
    team_id = uuid.uuid4().hex
    event = b.Nominate(set_key=SET, team_id=team_id, council=council, council_name=council.title() + " Council",
                       officers=officers, idempotency_key=team_id, by=b.Who(officers[0].aad_object_id,
                                                                            officers[0].email), at=at)

    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        return BookChange(after, effects)

    await store.change_book("adaptation", change, at)
    return team_id


async def seed(store: SqlStore, **kwargs: str | None) -> tuple[str, str]:
    await store.save_programme(programme(**kwargs), JOINED - timedelta(days=1))
    leeds = await nominate(store, "leeds", (ALEX,))
    york = await nominate(store, "york", (SAM,))
    return leeds, york
