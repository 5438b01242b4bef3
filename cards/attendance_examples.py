"""Catalogue examples of the attendance cards (see cards.catalogue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rules import attendance as a
from cards import attendance as c

_START = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
_SESSIONS = tuple(a.SessionTime(n, _START + timedelta(weeks=2 * (n - 1)),
                                _START + timedelta(weeks=2 * (n - 1), minutes=90)) for n in (1, 2, 3))
_MEMBERS = (
    a.Member("alex.smith@leeds.gov.uk", "Alex Smith", "t1", "Leeds City Council"),
    a.Member("sam.jones@leeds.gov.uk", "Sam Jones", "t1", "Leeds City Council"),
    a.Member("kim.lee@wigan.gov.uk", "Kim Lee", "t2", "Wigan Council"),
)


def _register() -> a.Register:
    first = a.SessionAttendance(
        (a.OfficerAttendance("alex.smith@leeds.gov.uk", "Alex Smith", "t1", "Leeds City Council",
                             "attended", 85 * 60, _START, _START + timedelta(minutes=88)),
         a.OfficerAttendance("sam.jones@leeds.gov.uk", "Sam Jones", "t1", "Leeds City Council",
                             "apologies", 0, None, None, "Planning committee the same morning"),
         a.OfficerAttendance("kim.lee@wigan.gov.uk", "Kim Lee", "t2", "Wigan Council", "absent",
                             20 * 60, _START, _START + timedelta(minutes=20))),
        (a.OtherAttendee("id:f1", "Pat Facilitator", "pat@lga.gov.uk", None, "Organizer", 90 * 60, _START,
                         _START + timedelta(minutes=90), facilitator=True),
         a.OtherAttendee("name:Guest", "Guest 1", None, None, "Attendee", 30 * 60, _START,
                         _START + timedelta(minutes=30))),
    )
    apology = a.Apology("proc-tue", 2, "kim.lee@wigan.gov.uk", "t2", "Annual leave", _START)
    return a.build_register("proc-tue", _SESSIONS, _MEMBERS, {1: first}, [apology],
                            _START + timedelta(days=1))


def examples() -> list[tuple[str, dict[str, Any]]]:
    coming = [c.ComingSession("proc-tue", "Sustainable Procurement: Tuesday set", 2, _SESSIONS[1].start,
                              _SESSIONS[1].end),
              c.ComingSession("proc-tue", "Sustainable Procurement: Tuesday set", 3, _SESSIONS[2].start,
                              _SESSIONS[2].end, reason="Annual leave")]
    return [
        ("attendance.apologies_card", c.apologies_card(coming)),
        ("attendance.apologies_card (error)", c.apologies_card(
            coming, chosen="proc-tue#2", reason="", error="Please give a reason.")),
        ("attendance.apologies_card (sent)", c.apologies_card(coming, done="Your apologies were sent.")),
        ("attendance.apologies_card (no sessions)", c.apologies_card([])),
        ("attendance.apology_notice_card", c.apology_notice_card(
            officer="Kim Lee", council="Wigan Council", set_title="Sustainable Procurement: Tuesday set",
            number=2, start=_SESSIONS[1].start, end=_SESSIONS[1].end, reason="Annual leave")),
        ("attendance.apology_notice_card (withdrawn)", c.apology_notice_card(
            officer="Kim Lee", council="Wigan Council", set_title="Sustainable Procurement: Tuesday set",
            number=2, start=_SESSIONS[1].start, end=_SESSIONS[1].end, reason=None)),
        ("attendance.register_card", c.register_card(
            _register(), set_title="Sustainable Procurement: Tuesday set", note="Session 1 was read.")),
        ("attendance.register_card (empty)", c.register_card(
            a.build_register("proc-tue", _SESSIONS, (), {}, (), _START),
            set_title="Sustainable Procurement: Tuesday set")),
        ("attendance.register_choice_card", c.register_choice_card(
            [("proc-tue", "Sustainable Procurement: Tuesday set"),
             ("adapt-wed", "Sustainable Adaptation: Wednesday set")])),
        ("attendance.register_choice_card (none)", c.register_choice_card([])),
    ]
