"""Attendance cards: an officer's apologies, the facilitator's notices, and the set's register."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.rules.attendance import REASON_MAX, Cell, OtherAttendee, Register, RegisterRow
from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import london, london_slot, person, plain
from cards.inputs import action_set, choice_set, container, error_text, text_input
from cards.payloads import REASON, SESSION, ApologiesWithdrawn, RegisterChoice, session_value
from cards.verbs import Verb

REGISTER_SET = "set_key"  # the register choice's input, read by `RegisterChoice`
NAMED_OTHERS = 10  # others in the meeting named on the register; more are counted (cards.budget)
STAYED_SECONDS = 30 * 60


@dataclass(frozen=True)
class ComingSession:
    """A session an officer may send apologies for, and their apology if one stands."""

    set_key: str
    set_title: str
    number: int
    start: datetime
    end: datetime
    reason: str | None = None


def apologies_card(sessions: Sequence[ComingSession], *, chosen: str = "", reason: str = "",
                   error: str | None = None, done: str | None = None) -> Json:
    body: list[Json] = [heading("Apologies")]
    if done:
        body.append(text(done, colour="Good"))
    if not sessions:
        if error:
            body.append(text(error, colour="Attention"))
        body.append(text("You have no coming sessions. Apologies can be sent for a session of a set "
                         "in which your council has a confirmed place, before it starts."))
        return card(body)
    standing = [s for s in sessions if s.reason is not None]
    if standing:
        items: list[Json] = [text("Apologies you have sent", weight="Bolder")]
        for s in standing:
            items.append(facts([
                ("Session", f"{plain(s.set_title)}, session {s.number}"),
                ("When", london_slot(s.start, s.end)),
                ("Reason", plain(s.reason or "")),
            ]))
            items.append(action_set([execute(
                "Withdraw these apologies: I can come", Verb.APOLOGIES_WITHDRAW,
                ApologiesWithdrawn(s.set_key, s.number).data())]))
        body.append(container(items, separator=True))
    choices = [(f"{s.set_title}, session {s.number}: {london_slot(s.start, s.end)}",
                session_value(s.set_key, s.number)) for s in sessions]
    form: list[Json] = [
        text("If you cannot attend a session, tell the facilitator why. You will be left out of that "
             "session's running order; you can withdraw the apologies until the session starts."),
        choice_set(SESSION, "Which session?", choices, chosen or choices[0][1]),
        text_input(REASON, "Why can you not attend? (required)", reason, multiline=True,
                   max_length=REASON_MAX),
    ]
    if error:
        form.append(error_text(REASON, error))
    body.append(container(form, separator=True))
    return card(body, [execute("Send apologies", Verb.APOLOGIES_SEND, style="positive")])


def apology_notice_card(*, officer: str, council: str, set_title: str, number: int, start: datetime,
                        end: datetime, reason: str | None) -> Json:
    """To the set's facilitators: an officer has sent apologies (or, without a reason, withdrawn them)."""
    where = f"{plain(set_title)}, session {number} ({london_slot(start, end)})"
    if reason is None:
        return card([
            heading("Apologies withdrawn"),
            text(f"{person(officer, council)} has withdrawn their apologies and expects to "
                 f"attend {where}."),
        ])
    return card([
        heading("Apologies"),
        text(f"{person(officer, council)} cannot attend {where}."),
        facts([("Reason", plain(reason))]),
        text("They are left out of that session's running order unless they withdraw the apologies.",
             subtle=True),
    ])


_MARKS = {
    "attended": "✓",
    "apologies": "Apologies",
    "absent": "✗ Absent",
    "coming": "–",
    "pending": "…",
    "not_in_set": "",
}


def _cell_text(cell: Cell) -> str:
    if cell.state == "attended":
        return f"✓ {cell.minutes} min"
    if cell.state == "absent" and cell.minutes:
        return f"✗ Absent ({cell.minutes} min)"
    return _MARKS[cell.state]


def _table_cell(value: str, *, colour: str | None = None, bold: bool = False) -> Json:
    return {"type": "TableCell",
            "items": [text(value or " ", colour=colour, weight="Bolder" if bold else None)]}


def _row(row: RegisterRow) -> Json:
    name = f"{'⚑ ' if row.flagged else ''}{plain(row.name)}"
    cells = [_table_cell(name, colour="Attention" if row.flagged else None, bold=row.flagged)]
    for cell in row.cells:
        # No colour for apologies: the warning yellow is too faint on a light theme, and the word says it.
        colour = {"attended": "Good", "absent": "Attention"}.get(cell.state)
        cells.append(_table_cell(_cell_text(cell), colour=colour))
    return {"type": "TableRow", "cells": cells}


def _other_line(other: OtherAttendee) -> str:
    detail = other.email if other.email else "guest, no e-mail address"
    label = ", facilitator" if other.facilitator else ""
    return f"{person(other.name or 'Unnamed', None, detail + label)}: {other.minutes} min"


def register_card(register: Register, *, set_title: str, note: str | None = None) -> Json:
    """One row per officer, one column per session; ⚑ marks a session missed without a reason.

    For the set's facilitators and the programme admins only: reasons are personal information.
    """
    body: list[Json] = [heading(f"Register: {plain(set_title)}")]
    if note:
        body.append(text(note, weight="Bolder"))
    if not register.rows:
        body.append(text("No council has a confirmed place in this set yet."))
    else:
        header = {"type": "TableRow", "style": "accent", "cells": [_table_cell("Officer", bold=True)] + [
            _table_cell(f"{s.number}: {london(s.start).split(',')[0]}", bold=True)
            for s in register.sessions]}
        body.append({
            "type": "Table",
            "firstRowAsHeader": True,
            "showGridLines": True,
            "columns": [{"width": 3}] + [{"width": 2} for _ in register.sessions],
            "rows": [header, *(_row(r) for r in register.rows)],
        })
        body.append(text("✓ attended (minutes present) · Apologies: absence notified with a reason · "
                         "✗ absent without notice · – coming · … attendance not read yet",
                         subtle=True))
    flagged = register.flagged
    if flagged:
        body.append(text("Missed a session without giving a reason", weight="Bolder", colour="Attention"))
        body.append(bullets(
            f"{person(r.name, r.council_name)}: session "
            + ", ".join(str(s.number) for s, c in zip(register.sessions, r.cells, strict=True)
                        if c.state == "absent")
            for r in flagged))
    reasons = [(r, s, c) for r in register.rows for s, c in zip(register.sessions, r.cells, strict=True)
               if c.state == "apologies" and c.reason]
    if reasons:
        body.append(text("Apologies", weight="Bolder"))
        body.append(bullets(f"Session {s.number}, {plain(r.name)}: {plain(c.reason or '')}"
                            for r, s, c in reasons))
    for number, others in register.others.items():
        if others:
            body.append(text(f"Also in the meeting for session {number} (not officers of this set)",
                             weight="Bolder"))
            body += _others(register.set_key, others)
    return card(body)


def _others(set_key: str, others: Sequence[OtherAttendee]) -> list[Json]:
    """Everyone else who joined, by name while they are few; beyond that the facilitators by name
    and the rest counted, so that a large meeting's register stays within Teams' message size."""
    if len(others) <= NAMED_OTHERS:
        return [bullets(_other_line(o) for o in others)]
    facilitators = [o for o in others if o.facilitator]
    rest = [o for o in others if not o.facilitator]
    guests = sum(1 for o in rest if not o.email)
    stayed = sum(1 for o in rest if o.seconds >= STAYED_SECONDS)
    lines = [_other_line(o) for o in facilitators[:NAMED_OTHERS]]
    lines.append(f"{len(rest)} others joined: {len(rest) - guests} with an e-mail address, {guests} "
                 f"{'guest' if guests == 1 else 'guests'} without one; {stayed} stayed "
                 f"{STAYED_SECONDS // 60} minutes or more")
    return [bullets(lines),
            text(f"Their names and minutes are in the export: run **als export {plain(set_key)}**.",
                 subtle=True)]


def register_choice_card(sets: Sequence[tuple[str, str]]) -> Json:
    """`sets` are (key, title) pairs of the sets whose register the person may see."""
    if not sets:
        return card([heading("Register"),
                     text("Only a set's facilitators and the programme admins can see its register, and "
                          "you are not a facilitator of any set.")])
    # A choice, not a button per set: Teams shows only the first few buttons of a card.
    return card(
        [heading("Register"),
         choice_set(REGISTER_SET, "Which set's register would you like to see?",
                    [(title, key) for key, title in sets], sets[0][0])],
        [execute("Show the register", Verb.REGISTER_SHOW, RegisterChoice().data())],
    )
