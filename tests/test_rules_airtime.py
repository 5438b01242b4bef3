"""Fair-airtime arithmetic: whole seconds, nothing lost to rounding, phases in proportion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.airtime import (
    AirtimePhase,
    AirtimeSettings,
    PhaseShares,
    allotments,
    extend_plan,
    forecast,
    phase_at,
    phase_plan,
    plan_seconds,
    seconds_between,
    split,
)


def test_split_gives_the_remainder_to_the_last_share() -> None:
    assert split(4500, 6) == [750] * 6
    assert split(1001, 3) == [333, 333, 335]
    assert split(100, 0) == []
    assert split(-5, 2) == [0, 0]


@given(st.integers(-100, 10_000), st.integers(1, 12), st.none() | st.integers(1, 3600))
def test_allotments_never_exceed_the_pool(pool: int, people: int, cap: int | None) -> None:
    shares = allotments(pool, people, cap)
    assert len(shares) == people
    assert sum(shares) <= max(0, pool)
    assert all(s >= 0 for s in shares)
    if cap is None:
        assert sum(shares) == max(0, pool)
    else:
        assert max(shares) <= cap


def test_a_few_each_session_caps_each_share() -> None:
    assert allotments(4500, 2, cap=1800) == [1800, 1800]


def test_first_session_has_no_review_phase() -> None:
    plan = phase_plan(720, PhaseShares(), review=False)
    assert [p for p, _ in plan] == [
        AirtimePhase.PRESENTING,
        AirtimePhase.QUESTIONS,
        AirtimePhase.ACTIONS,
    ]
    # 0.25 : 0.4 : 0.15 of 12 minutes
    assert plan == (
        (AirtimePhase.PRESENTING, 225),
        (AirtimePhase.QUESTIONS, 360),
        (AirtimePhase.ACTIONS, 135),
    )


def test_later_sessions_open_with_the_review() -> None:
    plan = phase_plan(600, PhaseShares(), review=True)
    assert plan[0] == (AirtimePhase.REVIEW, 120)
    assert plan_seconds(plan) == 600


@given(
    st.integers(0, 6000),
    st.booleans(),
    st.tuples(*[st.floats(0, 10, allow_nan=False)] * 4).filter(lambda w: sum(w[1:]) > 0),
)
def test_phases_always_sum_to_the_airtime(seconds: int, review: bool, w: tuple[float, ...]) -> None:
    shares = PhaseShares(*w)
    plan = phase_plan(seconds, shares, review=review)
    assert plan_seconds(plan) == seconds
    assert all(length >= 0 for _, length in plan)


def test_phase_at_counts_down_within_each_phase_and_stays_on_the_last() -> None:
    plan = phase_plan(720, PhaseShares(), review=False)
    assert phase_at(plan, 0) == (AirtimePhase.PRESENTING, 225)
    assert phase_at(plan, 225) == (AirtimePhase.QUESTIONS, 360)
    assert phase_at(plan, 700) == (AirtimePhase.ACTIONS, 20)
    assert phase_at(plan, 800) == (AirtimePhase.ACTIONS, -80)


def test_an_extension_lengthens_the_phase_that_is_running() -> None:
    plan = phase_plan(720, PhaseShares(), review=False)
    longer = extend_plan(plan, 300, 180)
    assert longer[1] == (AirtimePhase.QUESTIONS, 540)
    assert plan_seconds(longer) == 900


def test_forecast_shares_the_pool_among_those_to_come() -> None:
    assert forecast(1500, ["b", "c"]) == {"b": 750, "c": 750}


def test_seconds_between_rounds_down_and_may_be_negative() -> None:
    start = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    assert seconds_between(start, start + timedelta(seconds=90.9)) == 90
    assert seconds_between(start, start - timedelta(seconds=0.5)) == -1


def test_settings_are_checked_and_round_trip() -> None:
    settings = AirtimeSettings(max_airtime_seconds=1800, shares=PhaseShares(0.1, 0.3, 0.4, 0.2))
    assert AirtimeSettings.from_dict(settings.to_dict()) == settings
    with pytest.raises(ValueError, match="90 minutes"):
        AirtimeSettings(session_seconds=91 * 60)
    with pytest.raises(ValueError, match="no airtime"):
        AirtimeSettings(opening_seconds=3000, reflection_seconds=2400)
    with pytest.raises(ValueError, match="negative"):
        PhaseShares(review=-0.1)
