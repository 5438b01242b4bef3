"""The programme file: parsing, Europe/London to UTC, and errors that name the bad field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.rules.programme import (
    DeadlineRule,
    ProgrammeError,
    email_domain_allowed,
    parse_programme,
    syntax_for,
    to_utc,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "programme.yaml"

MINIMAL = """
series:
  - key: adaptation
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
sets:
  - key: adapt-wed
    series: adaptation
    name: Wednesday set
    sessions:
{sessions}
"""


def minimal(*sessions: str) -> str:
    return MINIMAL.format(sessions="\n".join(f"      - {s}" for s in sessions))


def problems(text: str, syntax: str = "yaml") -> tuple[str, ...]:
    with pytest.raises(ProgrammeError) as caught:
        parse_programme(text, "toml" if syntax == "toml" else "yaml")
    return caught.value.problems


def test_example_has_both_series_with_their_policies() -> None:
    programme = parse_programme(EXAMPLE.read_text(encoding="utf-8"))
    policies = {s.key: s.policy for s in programme.series}
    assert policies == {"procurement": "role_pair", "adaptation": "up_to_two"}
    assert [s.key for s in programme.sets_of("procurement")] == [
        "procurement-tue",
        "procurement-thu",
    ]
    assert all(len(s.sessions) == 3 and s.capacity == 6 for s in programme.sets)
    assert programme.allowed_domains[0] == "leeds.gov.uk"


def test_example_session_times_follow_british_summer_time() -> None:
    programme = parse_programme(EXAMPLE.read_text(encoding="utf-8"))
    tuesday = programme.set_by_key("procurement-tue")
    thursday = programme.set_by_key("procurement-thu")
    assert tuesday is not None and thursday is not None
    # GMT until 28 March 2027, then BST: 10:30 London is 10:30 UTC, later 09:30 UTC.
    assert [s.start_utc for s in tuesday.sessions] == [
        datetime(2027, 3, 2, 10, 30, tzinfo=UTC),
        datetime(2027, 3, 16, 10, 30, tzinfo=UTC),
        datetime(2027, 3, 30, 9, 30, tzinfo=UTC),
    ]
    assert [s.end_utc for s in thursday.sessions] == [
        datetime(2027, 3, 4, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 18, 12, 0, tzinfo=UTC),
        datetime(2027, 4, 1, 11, 0, tzinfo=UTC),
    ]
    assert all(s.minutes == 90 for s in tuesday.sessions + thursday.sessions)


def test_parsing_twice_gives_equal_programmes_so_reloading_updates_by_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert parse_programme(text) == parse_programme(text)


def test_defaults() -> None:
    programme = parse_programme(minimal("2027-05-05 10:30-12:00"))
    series, one = programme.series[0], programme.sets[0]
    assert series.one_team_per_series and series.format == "everyone"
    assert one.capacity == 6 and one.booking == "draft" and one.facilitators == ()
    assert one.deadline == DeadlineRule(48, None, 24)
    assert programme.allowed_domains == ()


def test_toml_reads_the_same_as_yaml() -> None:
    toml = """
allowed_domains = ["@Leeds.gov.uk"]
[[series]]
key = "adaptation"
title = "Sustainable Adaptation"
theme = "adaptation"
policy = "up-to-two"
[[sets]]
key = "adapt-wed"
series = "adaptation"
name = "Wednesday set"
capacity = 5
sessions = [{ date = 2027-05-05, start = 10:30:00, end = 12:00:00 }, "2027-05-19 10:30-12:00"]
[sets.deadline]
commit_within_hours = "none"
commit_days_before_first_session = 7
"""
    programme = parse_programme(toml, syntax_for("programme.TOML"))
    one = programme.sets[0]
    assert programme.allowed_domains == ("leeds.gov.uk",)
    assert programme.series[0].policy == "up_to_two"
    assert one.capacity == 5
    assert one.sessions[0].start_utc == datetime(2027, 5, 5, 9, 30, tzinfo=UTC)
    assert one.deadline == DeadlineRule(None, 7, 24)


def test_end_before_start_names_the_field() -> None:
    found = problems(minimal("2027-05-05 10:30-12:00", "{date: 2027-05-19, start: '12:00', end: '10:30'}"))
    assert "sets[0].sessions[1].end: must be after start" in found


def test_a_session_lasts_at_most_ninety_minutes() -> None:
    found = problems(minimal("2027-05-05 10:30-12:01"))
    assert found == ("sets[0].sessions[0].end: a session lasts at most 90 minutes",)


def test_sessions_must_not_overlap_or_go_backwards() -> None:
    found = problems(minimal("2027-05-19 10:30-12:00", "2027-05-05 10:30-12:00"))
    assert found == ("sets[0].sessions[1]: must start after the previous session ends",)


def test_unknown_series_duplicate_keys_and_typos_are_all_reported() -> None:
    text = """
series:
  - key: adaptation
    title: A
    theme: B
    policy: both
    one_team_per_series: perhaps
sets:
  - key: one
    series: nowhere
    name: One
    capacity: 7
    sessions: [2027-05-05 10:30-12:00]
  - key: one
    series: nowhere
    name: One again
    sesions: []
"""
    found = problems(text)
    assert "series[0].policy: must be one of role-pair, role_pair, up-to-two, up_to_two" in found
    assert "series[0].one_team_per_series: must be true or false" in found
    assert "sets[0].capacity: must be from 1 to 6" in found
    assert any(p.startswith("sets[1].sesions: unknown field") for p in found)
    assert "sets[1].sessions: must be a list" in found


def test_unknown_series_reference() -> None:
    text = minimal("2027-05-05 10:30-12:00").replace("series: adaptation", "series: adapt")
    assert problems(text) == ("sets[0].series: no series has the key 'adapt'",)


def test_bad_values_name_their_path() -> None:
    text = minimal("{date: 5 May, start: '25:00', end: '12:00'}").replace(
        "    name: Wednesday set",
        "    name: Wednesday set\n    booking: maybe\n    facilitators: [bob]",
    )
    found = problems(text)
    assert "sets[0].booking: must be one of closed, draft, open" in found
    assert "sets[0].facilitators[0]: must be an e-mail address or an Entra object id" in found
    assert "sets[0].sessions[0].date: must be a date like 2027-03-02" in found


def test_invalid_yaml_and_empty_file() -> None:
    assert problems("series: [")[0].startswith("the file is not valid YAML")
    assert problems("") == ("the file is empty",)
    assert problems("- 1") == ("(top level): must be a mapping of names to values",)


def test_local_times_the_clocks_skip_or_repeat_are_refused() -> None:
    with pytest.raises(ValueError, match="go forward"):
        to_utc(date(2027, 3, 28), time(1, 30))
    with pytest.raises(ValueError, match="go back"):
        to_utc(date(2027, 10, 31), time(1, 30))
    assert to_utc(date(2027, 10, 31), time(10, 30)) == datetime(2027, 10, 31, 10, 30, tzinfo=UTC)


def test_deadline_rule_takes_the_earlier_limit_and_never_passes_the_first_session() -> None:
    first = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
    rule = DeadlineRule(commit_within_hours=48, commit_days_before_first_session=7)
    early = first - timedelta(days=30)
    assert rule.deadline(early, first) == early + timedelta(hours=48)
    late = first - timedelta(days=8)
    assert rule.deadline(late, first) == first - timedelta(days=7)
    # Placed after the seven-day limit: the 48 hours still apply.
    assert rule.deadline(first - timedelta(days=3), first) == first - timedelta(days=1)
    # Placed hours before the session: the deadline is the session's start.
    assert rule.deadline(first - timedelta(hours=5), first) == first
    assert DeadlineRule(None, None).deadline(early, first) is None
    only_days = DeadlineRule(None, 7)
    assert only_days.deadline(first - timedelta(days=6), first) == first - timedelta(days=5)


def test_email_domain_allow_list() -> None:
    assert email_domain_allowed("a@anywhere.org", ())
    assert email_domain_allowed("a@leeds.gov.uk", ("leeds.gov.uk",))
    assert email_domain_allowed("a@staff.leeds.gov.uk", ("leeds.gov.uk",))
    assert not email_domain_allowed("a@notleeds.gov.uk", ("leeds.gov.uk",))
    assert not email_domain_allowed("a@gmail.com", ("leeds.gov.uk",))
