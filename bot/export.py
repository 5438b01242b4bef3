"""`als export SET`: the set's register, attendance, actions and anonymised reflections, as CSV files
and one XLSX workbook for the programme team's records.

Times are Europe/London. Text that people typed is written so that no spreadsheet program takes it
for a formula (a cell starting with `=`, `+`, `-` or `@` gets a leading apostrophe).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.features import attendance as feature
from bot.features.base import Services
from bot.rules.programme import SetDef
from bot.store.base import Store
from cards.format import LONDON

STATES = {"attended": "attended", "apologies": "apologies", "absent": "absent without notice",
          "coming": "", "pending": "not read yet", "not_in_set": "not in the set"}


@dataclass(frozen=True)
class Sheet:
    name: str  # the CSV file's stem and the worksheet's title
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def local(moment: datetime | None) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if moment else ""


def safe(value: Any) -> Any:
    """A value as a cell: user text never starts a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def register_sheets(store: Store, set_def: SetDef, now: datetime) -> list[Sheet]:
    register = await feature.build_register(Services(store=store), set_def, now)
    sessions = register.sessions
    wide = Sheet(
        "register",
        ("officer", "email", "council", *(f"session {s.number} ({local(s.start)})" for s in sessions),
         "missed without notice"),
        [(r.name, r.email, r.council_name,
          *(STATES[c.state] + (f" ({c.minutes} min)" if c.minutes else "") for c in r.cells),
          "yes" if r.flagged else "")
         for r in register.rows],
    )
    collected = await store.attendance(set_def.key)
    detail: list[tuple[Any, ...]] = []
    for number, taken in collected.items():
        for o in taken.officers:
            detail.append((number, "officer", o.name, o.email, o.council_name, STATES[o.status], o.minutes,
                           local(o.first_join), local(o.last_leave), o.reason or ""))
        for other in taken.others:
            kind = "facilitator" if other.facilitator else "not an officer of the set"
            detail.append((number, kind, other.name, other.email or "", "", "", other.minutes,
                           local(other.first_join), local(other.last_leave), ""))
    long = Sheet("attendance", ("session", "kind", "name", "email", "council", "status", "minutes",
                                "first join", "last leave", "apologies reason"), detail)
    return [wide, long]


async def actions_and_reflections(store: Store, set_def: SetDef) -> list[Sheet]:
    """Actions per team and session, and reflections without their authors (issue 5's records)."""
    members = await store.set_members(set_def.key)
    councils = {m.team_id: m.council_name for m in members}
    actions: list[tuple[Any, ...]] = []
    reflections: list[tuple[Any, ...]] = []
    for number in range(1, len(set_def.sessions) + 1):
        for team_id, council in councils.items():
            for item in await store.actions_of(set_def.key, team_id, number):
                actions.append((number, council, item.position, item.text, item.status or ""))
        for reflection in await store.reflections(set_def.key, number):
            reflections.append((number, reflection.kind, reflection.text))
    return [
        Sheet("actions", ("session", "council", "number", "action", "review"), actions),
        Sheet("reflections", ("session", "kind", "reflection"), reflections),
    ]


async def export_sheets(store: Store, set_def: SetDef, now: datetime) -> list[Sheet]:
    return [*await register_sheets(store, set_def, now), *await actions_and_reflections(store, set_def)]


def write(sheets: Sequence[Sheet], out: Path, set_key: str) -> list[Path]:
    """`<set>-<sheet>.csv` for each sheet and `<set>.xlsx` holding them all; returns the paths."""
    from openpyxl import Workbook

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for sheet in sheets:
        path = out / f"{set_key}-{sheet.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
            writer = csv.writer(handle)
            writer.writerow(sheet.header)
            writer.writerows([safe(v) for v in row] for row in sheet.rows)
        written.append(path)
        page = book.create_sheet(sheet.name)
        page.append(list(sheet.header))
        for row in sheet.rows:
            page.append([safe(v) for v in row])
    path = out / f"{set_key}.xlsx"
    book.save(path)
    written.append(path)
    return written
