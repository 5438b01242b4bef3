"""Phase changes within an airtime wake the session card once each, pauses and extensions included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.rules import session as s
from bot.rules.airtime import AirtimePhase
from bot.rules.session import card_due, phase_changes, phase_tick

T0 = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)


def airtime() -> s.SessionState:
    state = s.apply(s.SessionState(), s.Start(("a", "b", "c"), ends_at=T0 + timedelta(minutes=90)), T0).state
    return s.apply(state, s.Next(), T0 + timedelta(minutes=5)).state


def test_each_phase_change_is_due_once_in_order() -> None:
    state = airtime()
    begun = T0 + timedelta(minutes=5)
    lengths = [length for _, length in state.plan]
    assert [phase for phase, _ in state.plan] == [AirtimePhase.PRESENTING, AirtimePhase.QUESTIONS,
                                                  AirtimePhase.ACTIONS]
    questions = begun + timedelta(seconds=lengths[0])
    assert card_due(state) == questions
    assert phase_tick(state, questions - timedelta(seconds=1)) is None
    after = phase_tick(state, questions)
    assert after is not None and after.version == state.version + 1
    assert phase_tick(after, questions) is None
    assert card_due(after) == questions + timedelta(seconds=lengths[1])
    assert s.current_phase(after, questions)[0] is AirtimePhase.QUESTIONS  # type: ignore[index]


def test_a_pause_holds_the_phases_and_other_stages_have_none() -> None:
    state = airtime()
    paused = s.apply(state, s.Pause(), T0 + timedelta(minutes=6)).state
    assert phase_changes(paused) == [] and phase_tick(paused, T0 + timedelta(hours=1)) is None
    resumed = s.apply(paused, s.Resume(), T0 + timedelta(minutes=16)).state
    assert phase_changes(resumed)[0][0] == phase_changes(state)[0][0] + timedelta(minutes=10)
    opening = s.apply(s.SessionState(), s.Start(("a",)), T0).state
    assert phase_changes(opening) == [] and card_due(opening) == s.next_due(opening)


def test_an_extension_moves_later_phases_without_repeating_reached_ones() -> None:
    state = airtime()
    first = phase_changes(state)[0][0]
    reached = phase_tick(state, first)
    assert reached is not None
    extended = s.apply(reached, s.Extend(3), first + timedelta(seconds=10)).state
    assert phase_tick(extended, first + timedelta(seconds=20)) is None
    assert phase_changes(extended)[1][0] == phase_changes(state)[1][0] + timedelta(minutes=3)
