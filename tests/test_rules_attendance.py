"""Attendance rules: matching across tenants, apologies versus absence, the threshold, the register."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules import attendance as a

START = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
END = START + timedelta(minutes=90)
HOME = "home-tenant"

ALEX = a.Member("alex@leeds.gov.uk", "Alex Smith", "t1", "Leeds City Council", "aad-alex")
SAM = a.Member("sam@leeds.gov.uk", "Sam Jones", "t1", "Leeds City Council", None)
KIM = a.Member("kim@wigan.gov.uk", "Kim Lee", "t2", "Wigan Council", "aad-kim")
MEMBERS = (ALEX, SAM, KIM)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def present(identity: str | None, email: str | None, *spans: tuple[float, float],
            name: str = "Someone", tenant: str | None = HOME) -> a.Presence:
    parts = tuple(a.Span(at(x), at(y), int((y - x) * 60)) for x, y in spans)
    return a.Presence(identity, email, tenant, name, "Attendee", sum(p.seconds for p in parts), parts)


def apology(member: a.Member, number: int = 1, reason: str = "Planning committee") -> a.Apology:
    return a.Apology("set", number, member.email, member.team_id, reason, at(-60 * 24))


def statuses(taken: a.SessionAttendance) -> dict[str, a.Status]:
    return {o.email: o.status for o in taken.officers}


def test_officers_are_matched_by_object_id_then_email_across_tenants() -> None:
    presences = [
        # Alex's home-tenant identity matches the object id Teams gave the bot.
        present("AAD-ALEX", "alex.smith.alias@leeds.gov.uk", (0, 90), tenant="leeds-tenant"),
        # Sam has no object id on record, and joins from Leeds's tenant with their own identity.
        present("sams-leeds-id", "Sam@Leeds.GOV.uk", (0, 90), tenant="leeds-tenant"),
        # Kim joins as a guest account of the programme's tenant: a different object id, a guest UPN.
        present("guest-id-of-kim", "kim_wigan.gov.uk#EXT#@lga.onmicrosoft.com", (0, 90)),
    ]
    taken = a.take_attendance(MEMBERS, [], presences, START, END)
    assert statuses(taken) == {ALEX.email: "attended", SAM.email: "attended", KIM.email: "attended"}
    assert taken.others == ()


def test_a_display_name_alone_never_matches() -> None:
    taken = a.take_attendance(MEMBERS, [], [present(None, None, (0, 90), name="Alex Smith")], START, END)
    assert statuses(taken)[ALEX.email] == "absent"
    (other,) = taken.others
    assert other.name == "Alex Smith" and other.email is None and other.minutes == 90


def test_unmatched_attendees_are_kept_with_facilitators_first() -> None:
    presences = [
        present("colleague", "jo@leeds.gov.uk", (0, 80), name="Jo Deputy"),
        present(None, None, (10, 40), name="Guest 1", tenant=None),
        present("fac-id", "Pat@LGA.gov.uk", (-10, 95), name="Pat Facilitator"),
    ]
    taken = a.take_attendance(MEMBERS, [], presences, START, END, facilitators=("pat@lga.gov.uk",))
    assert [(o.name, o.facilitator) for o in taken.others] == [
        ("Pat Facilitator", True), ("Guest 1", False), ("Jo Deputy", False)]
    assert [o.minutes for o in taken.others] == [90, 30, 80]  # counted within the session's time


def test_apologies_versus_absence() -> None:
    withdrawn = replace(apology(KIM), withdrawn_at=at(-60))
    taken = a.take_attendance(MEMBERS, [apology(SAM), withdrawn], [present("aad-alex", None, (0, 90))],
                              START, END)
    by = {o.email: o for o in taken.officers}
    assert (by[SAM.email].status, by[SAM.email].reason) == ("apologies", "Planning committee")
    assert (by[KIM.email].status, by[KIM.email].reason) == ("absent", None)  # withdrawn: no notice stands
    assert by[ALEX.email].reason is None


def test_someone_who_sent_apologies_and_came_anyway_attended() -> None:
    taken = a.take_attendance(MEMBERS, [apology(ALEX)], [present("aad-alex", None, (0, 90))], START, END)
    alex = taken.officers[0]
    assert (alex.status, alex.reason) == ("attended", None)


@pytest.mark.parametrize(("minutes", "threshold", "status"), [
    (45, 0.5, "attended"), (44.9, 0.5, "absent"), (60, 0.75, "absent"), (68, 0.75, "attended"),
    (1, 0.01, "attended"),
])
def test_the_threshold(minutes: float, threshold: float, status: a.Status) -> None:
    taken = a.take_attendance(MEMBERS, [], [present("aad-alex", None, (10, 10 + minutes))], START, END,
                              threshold=threshold)
    alex = taken.officers[0]
    assert alex.status == status
    assert alex.minutes == int(minutes)  # too briefly present still keeps the minutes


def test_time_outside_the_session_and_a_second_device_do_not_count_twice() -> None:
    # Joined 40 minutes early, left 20 minutes in; a phone joined too, overlapping.
    taken = a.take_attendance(MEMBERS, [], [
        present("aad-alex", None, (-40, 20)),
        present("aad-alex-phone", "alex@leeds.gov.uk", (10, 30)),
    ], START, END)
    alex = taken.officers[0]
    assert (alex.status, alex.minutes) == ("absent", 30)
    assert (alex.first_join, alex.last_leave) == (at(-40), at(30))


def test_a_restarted_meeting_adds_up_across_the_runs() -> None:
    # The meeting ended by mistake at 35 minutes and restarted at 37: each run gave one span.
    taken = a.take_attendance(MEMBERS, [], [present("aad-alex", None, (0, 35), (37, 90))], START, END)
    alex = taken.officers[0]
    assert (alex.status, alex.minutes, alex.last_leave) == ("attended", 88, at(90))


def test_a_threshold_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        a.take_attendance(MEMBERS, [], [], START, END, threshold=0)


def test_guest_upn_is_decoded_and_plain_addresses_lowered() -> None:
    assert a.normal_email("jo.bloggs_leeds.gov.uk#EXT#@lga.onmicrosoft.com") == "jo.bloggs@leeds.gov.uk"
    assert a.normal_email("first_last_wigan.gov.uk#EXT#@x.onmicrosoft.com") == "first_last@wigan.gov.uk"
    assert a.normal_email(" Jo@Leeds.gov.UK ") == "jo@leeds.gov.uk"
    assert a.normal_email(None) is None and a.normal_email("") is None


def test_apology_rules() -> None:
    assert a.apology_problem("Ill", at(0), at(-1)) is None
    assert "reason" in (a.apology_problem("   ", at(0), at(-1)) or "")
    assert "started" in (a.apology_problem("Ill", at(0), at(0)) or "")
    assert "500" in (a.apology_problem("x" * 501, at(0), at(-1)) or "")
    standing = apology(ALEX)
    assert a.withdrawal_problem(standing, at(0), at(-1)) is None
    assert a.withdrawal_problem(standing, at(0), at(1)) is not None
    assert a.withdrawal_problem(None, at(0), at(-1)) is not None


def test_a_team_is_left_out_only_when_every_officer_sent_apologies() -> None:
    teams = {"t1": [ALEX.email, SAM.email], "t2": [KIM.email]}
    assert a.teams_left_out(teams, [ALEX.email]) == frozenset()
    assert a.teams_left_out(teams, [ALEX.email, "SAM@leeds.gov.uk", KIM.email]) == {"t1", "t2"}
    assert a.teams_left_out({"empty": []}, []) == frozenset()


def test_the_register_flags_absence_without_notice() -> None:
    sessions = tuple(a.SessionTime(n, at((n - 1) * 20160), at((n - 1) * 20160 + 90)) for n in (1, 2, 3))
    first = a.take_attendance(MEMBERS, [apology(SAM)], [present("aad-alex", None, (0, 90))], START, END)
    left = a.OfficerAttendance("gone@bury.gov.uk", "Gone Officer", "t3", "Bury Council", "attended", 5400)
    first = a.SessionAttendance((*first.officers, left), first.others)
    register = a.build_register("set", sessions, MEMBERS, {1: first}, [apology(KIM, 3, "Leave")], at(200))
    rows = {r.email: r for r in register.rows}
    assert [c.state for c in rows[ALEX.email].cells] == ["attended", "coming", "coming"]
    assert [c.state for c in rows[SAM.email].cells] == ["apologies", "coming", "coming"]
    assert [c.state for c in rows[KIM.email].cells] == ["absent", "coming", "apologies"]
    assert [c.state for c in rows["gone@bury.gov.uk"].cells] == ["attended", "not_in_set", "not_in_set"]
    assert [r.email for r in register.flagged] == [KIM.email]
    assert register.rows[-1].email == "gone@bury.gov.uk"  # those who left come last
    later = a.build_register("set", sessions, MEMBERS, {1: first}, [], at(20160 + 100))
    assert [c.state for c in {r.email: r for r in later.rows}[ALEX.email].cells] == [
        "attended", "pending", "coming"]


@given(st.lists(st.tuples(st.integers(-200, 200), st.integers(0, 200)), max_size=8))
def test_presence_never_exceeds_the_session(spans: list[tuple[int, int]]) -> None:
    parts = [a.Span(at(x), at(x + d), d * 60) for x, d in spans]
    seconds = a.seconds_within(parts, START, END)
    assert 0 <= seconds <= 90 * 60
    assert seconds <= sum(p.seconds for p in parts)
