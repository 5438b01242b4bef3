"""A set with confirmed teams from several councils, for the attendance tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bot.rules import booking as b
from bot.store.base import BookChange, Store
from tests.programmes import programme
from tests.standins.graph import EXTERNAL_TENANTS, HOME_TENANT, graph_time

SET, SERIES = "adaptation-wed", "adaptation"
FACILITATOR = "facilitator@lga.gov.uk"

# (council, officers as (e-mail, name, object id the bot knows them by))
TEAMS: tuple[tuple[str, tuple[tuple[str, str, str | None], ...]], ...] = (
    ("Leeds City Council", (("alex@leeds.gov.uk", "Alex Smith", "00000000-0000-4000-8000-00000000a1e0"),
                            ("sam@leeds.gov.uk", "Sam Jones", None))),
    ("Wigan Council", (("kim@wigan.gov.uk", "Kim Lee", "00000000-0000-4000-8000-0000000000c1"),)),
    ("Bury Council", (("lee@bury.gov.uk", "Lee Brown", "00000000-0000-4000-8000-0000000000b1"),)),
)


async def seed(store: Store, now: datetime) -> dict[str, str]:
    """Load the programme and book the teams; returns each officer's team id by e-mail."""
    await store.save_programme(programme(), now)
    team_of: dict[str, str] = {}
    for council, people in TEAMS:
        officers = tuple(b.Officer(email, name, "other", aad, now) for email, name, aad in people)
        event = b.Nominate(SET, uuid.uuid4().hex, council.lower(), council, officers,
                           f"seed:{council}", b.Who(people[0][2], people[0][0]), now)

        def change(book: b.Book, event: b.Nominate = event) -> BookChange:
            after, effects = b.decide(book, event)
            return BookChange(after, effects)

        await store.change_book(SERIES, change, now)
    for team in (await store.book(SERIES)).confirmed(SET):
        for officer in team.officers:
            team_of[officer.email] = team.team_id
    return team_of


def record(identity: str | None, email: str | None, name: str, spans: list[tuple[datetime, datetime]],
           *, tenant: str | None = HOME_TENANT, role: str = "Attendee") -> dict[str, Any]:
    """One attendance record as Graph sends it."""
    seconds = [int((y - x).total_seconds()) for x, y in spans]
    return {
        "id": str(uuid.uuid4()), "emailAddress": email, "totalAttendanceInSeconds": sum(seconds),
        "role": role, "identity": {"id": identity, "displayName": name, "tenantId": tenant},
        "attendanceIntervals": [{"joinDateTime": graph_time(x), "leaveDateTime": graph_time(y),
                                 "durationInSeconds": n} for (x, y), n in zip(spans, seconds, strict=True)],
    }


LEEDS_TENANT, WIGAN_TENANT = EXTERNAL_TENANTS[0], EXTERNAL_TENANTS[1]
