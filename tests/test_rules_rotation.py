"""The running order rotates over a set's sessions; apologies, late joiners, a few each session."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.rules.rotation import (
    presenters_for_session,
    rotate,
    running_order,
    stride,
    updating_at_opening,
)

TEAMS = ["a", "b", "c", "d", "e", "f"]


def test_six_teams_over_three_sessions_each_take_a_different_position() -> None:
    orders = [running_order(TEAMS, k) for k in range(3)]
    for team in TEAMS:
        positions = [order.index(team) for order in orders]
        assert len(set(positions)) == 3, (team, positions)
    firsts = [order[0] for order in orders]
    lasts = [order[-1] for order in orders]
    assert len(set(firsts)) == 3
    assert len(set(lasts)) == 3
    # and nobody who has gone first also has to go last
    assert not set(firsts) & set(lasts)
    assert all(sorted(order) == TEAMS for order in orders)


def test_the_first_session_keeps_the_given_order() -> None:
    assert running_order(TEAMS, 0) == TEAMS
    assert stride(6, 3) == 2
    assert running_order(TEAMS, 1) == ["c", "d", "e", "f", "a", "b"]


@given(st.integers(2, 8), st.integers(2, 5))
def test_nobody_goes_first_twice_while_there_are_enough_teams(teams: int, sessions: int) -> None:
    names = [f"t{n}" for n in range(teams)]
    orders = [rotate(names, k, sessions=sessions) for k in range(min(teams, sessions))]
    assert len({order[0] for order in orders}) == len(orders)
    assert len({order[-1] for order in orders}) == len(orders)


def test_apologies_are_left_out_and_late_joiners_go_to_the_end() -> None:
    order = running_order(TEAMS, 1, apologies={"d"}, not_joined={"c", "f"})
    assert order == ["e", "a", "b", "c", "f"]


def test_a_few_each_session_everyone_presents_once_before_anyone_twice() -> None:
    history: list[list[str]] = []
    for _ in range(3):
        history.append(presenters_for_session(TEAMS, 2, history))
    assert sorted(t for session in history for t in session) == TEAMS
    fourth = presenters_for_session(TEAMS, 2, history)
    assert fourth == ["a", "b"]


def test_a_few_each_session_with_apologies_catches_up_later() -> None:
    first = presenters_for_session(TEAMS, 2, [])
    second = presenters_for_session(TEAMS, 2, [first], apologies={"c"})
    third = presenters_for_session(TEAMS, 2, [first, second])
    assert first == ["a", "b"]
    assert second == ["d", "e"]
    assert third == ["c", "f"]
    assert updating_at_opening(TEAMS, third, apologies={"a"}) == ["b", "d", "e"]


@given(st.lists(st.sampled_from(TEAMS), max_size=6, unique=True), st.integers(1, 3))
def test_nobody_presents_twice_before_everyone_available_has_once(
    away: list[str], per_session: int
) -> None:
    history: list[list[str]] = []
    for session in range(6):
        apologies = set(away) if session == 1 else set()
        chosen = presenters_for_session(TEAMS, per_session, history, apologies=apologies)
        counts = {t: sum(t in h for h in history) for t in TEAMS if t not in apologies}
        left_out = [t for t in counts if t not in chosen]
        for team in chosen:
            assert all(counts[team] <= counts[other] for other in left_out)
        history.append(chosen)
