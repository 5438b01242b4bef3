"""The session state machine, driven by a controllable clock: every `now` is passed in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.rules import session as s
from bot.rules.airtime import AirtimePhase, AirtimeSettings, plan_seconds
from bot.rules.ground_rules import COST, GROUND_RULES
from bot.rules.session import (
    AskForActions,
    AskForReflections,
    Decision,
    NotifyNextPresenter,
    PostGroundRules,
    RowStatus,
    SessionEnded,
    SessionState,
    Stage,
    TimeWarning,
    UpdateSessionCard,
    WarningKind,
)

T0 = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)  # 10:30 in London (GMT)
END = T0 + timedelta(minutes=90)
TEAMS = ("a", "b", "c", "d", "e", "f")
NAMES = {t: f"Council {t.upper()}" for t in TEAMS}


def at(minutes: float) -> datetime:
    return T0 + timedelta(seconds=round(minutes * 60))


def ok(decision: Decision) -> SessionState:
    assert decision.refusal is None, decision.refusal
    return decision.state


def started(
    order: tuple[str, ...] = TEAMS,
    *,
    number: int = 1,
    away: frozenset[str] = frozenset(),
    settings: AirtimeSettings | None = None,
) -> SessionState:
    command = s.Start(
        order, session_number=number, ends_at=END, away=away, settings=settings or AirtimeSettings()
    )
    return ok(s.apply(SessionState(), command, T0))


def roundtrip(state: SessionState) -> SessionState:
    return SessionState.from_dict(json.loads(json.dumps(state.to_dict())))


# Opening ----------------------------------------------------------------------------------------


def test_start_posts_the_ground_rules_and_the_session_card() -> None:
    decision = s.apply(SessionState(), s.Start(TEAMS, ends_at=END), T0)
    assert decision.effects == (PostGroundRules(), UpdateSessionCard())
    state = decision.state
    assert state.stage is Stage.OPENING
    assert s.time_left(state, at(1)) == 240
    view = s.view(state, at(1), NAMES)
    assert [r.name for r in view.rows] == [NAMES[t] for t in TEAMS]
    assert view.rows[0].status is RowStatus.NEXT
    # 90 - 5 - 10 = 75 minutes shared by six
    assert view.rows[0].expected_seconds == 750
    assert view.reminder.rule.key == "chatham_house"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (s.Next(), s.NOT_STARTED),
        (s.Pass(), s.NOT_STARTED),
        (s.Resume(), s.NOT_STARTED),
        (s.Reflect(), s.NOT_STARTED),
        (s.Extend(3), s.NOT_STARTED),
    ],
)
def test_commands_before_start_are_refused_and_change_nothing(
    command: s.Command, reason: str
) -> None:
    state = SessionState()
    decision = s.apply(state, command, T0)
    assert decision.refusal == reason
    assert decision.state is state
    assert decision.effects == ()


def test_refusals_in_a_running_session() -> None:
    state = started()
    assert s.apply(state, s.Resume(), at(1)).refusal == s.NOT_PAUSED
    assert s.apply(state, s.Pass(), at(1)).refusal == s.NOBODY_PRESENTING
    assert s.apply(state, s.Back(), at(1)).refusal == s.NOBODY_TO_GO_BACK_TO
    assert s.apply(state, s.Start(TEAMS), at(1)).refusal == s.ALREADY_STARTED
    assert s.apply(state, s.Extend(0), at(1)).refusal == s.BAD_EXTENSION
    assert s.apply(state, s.Extend(31), at(1)).refusal == s.BAD_EXTENSION
    assert s.apply(state, s.Skip("zz"), at(1)).refusal == s.NOT_IN_ORDER
    assert s.apply(state, s.Reorder(("a", "a")), at(1)).refusal == s.BAD_ORDER
    paused = ok(s.apply(state, s.Pause(), at(1)))
    assert s.apply(paused, s.Pause(), at(2)).refusal == s.ALREADY_PAUSED
    ended = ok(s.apply(state, s.End(), at(2)))
    assert s.apply(ended, s.Next(), at(3)).refusal == s.ENDED
    assert s.apply(ended, s.Start(TEAMS), at(3)).refusal == s.ENDED


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        s.apply(SessionState(), s.Start(TEAMS), datetime(2025, 3, 4, 10, 30))


def test_a_session_never_runs_longer_than_ninety_minutes() -> None:
    state = ok(s.apply(SessionState(), s.Start(TEAMS, ends_at=T0 + timedelta(hours=3)), T0))
    assert state.ends_at == END
    late = ok(s.apply(SessionState(), s.Start(TEAMS, ends_at=T0 - timedelta(minutes=1)), T0))
    assert late.ends_at == END


# Fair airtime -----------------------------------------------------------------------------------


def test_six_present_share_the_time_equally() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    assert state.current == "a"
    assert state.allotted == 750  # 75 minutes / 6
    assert plan_seconds(state.plan) == 750


def test_airtime_is_shared_again_after_a_pass_an_overrun_and_a_late_arrival() -> None:
    # Six teams; f has not joined yet, so it goes last and is not counted until it arrives.
    state = started(away=frozenset({"f"}))
    state = ok(s.apply(state, s.Next(), at(5)))
    assert (state.current, state.allotted) == ("a", 900)  # 75 min among the five present

    # a overruns by 3 minutes: the rest is shared again among b, c, d, e
    decision = s.apply(state, s.Next(), at(5 + 15 + 3))
    assert decision.effects[0] == AskForActions("a")
    state = ok(decision)
    assert state.turns[-1] == s.Airtime("a", 18 * 60)
    assert (state.current, state.allotted) == ("b", 855)  # 57 min / 4

    # b passes at once: b's share goes to those still to come
    decision = s.apply(state, s.Pass(), at(23))
    assert AskForActions("b") not in decision.effects
    state = ok(decision)
    assert (state.current, state.allotted) == ("c", 1140)  # 57 min / 3
    assert state.passed == ("b",)

    # f arrives late, during c's airtime: c keeps its time, the rest is shared among d, e, f
    state = ok(s.apply(state, s.Joined("f"), at(30)))
    assert state.allotted == 1140
    assert s.expected(state, at(30)) == {"d": 760, "e": 760, "f": 760}

    state = ok(s.apply(state, s.Next(), at(23 + 19)))
    assert (state.current, state.allotted) == ("d", 760)
    state = ok(s.apply(state, s.Next(), at(42) + timedelta(seconds=760)))
    state = ok(s.apply(state, s.Next(), at(42) + timedelta(seconds=1520)))
    assert (state.current, state.allotted) == ("f", 760)
    # all of the time until the reflection round is used, nothing lost to rounding
    assert at(42) + timedelta(seconds=2280) == END - timedelta(minutes=10)

    # back to b, who passed: no fair share is left, so the facilitator extends
    state = ok(s.apply(state, s.Back(), at(80)))
    assert (state.current, state.allotted) == ("b", 0)
    state = ok(s.apply(state, s.Extend(5), at(80)))
    assert s.time_left(state, at(80)) == 300


def test_a_session_from_two_on_opens_each_airtime_with_the_review() -> None:
    first = ok(s.apply(started(number=1), s.Next(), at(5)))
    assert first.plan[0][0] is AirtimePhase.PRESENTING
    second = ok(s.apply(started(number=2), s.Next(), at(5)))
    assert second.plan[0][0] is AirtimePhase.REVIEW
    view = s.view(second, at(6), NAMES)
    assert view.phase is AirtimePhase.REVIEW
    assert view.reminder.rule.key == "stan"


def test_the_phase_and_its_reminder_follow_the_clock() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))  # 750 s: 234 / 375 / 141
    assert [length for _, length in state.plan] == [234, 375, 141]
    view = s.view(state, at(5) + timedelta(seconds=300), NAMES)
    assert view.phase is AirtimePhase.QUESTIONS
    assert view.reminder.rule == COST
    assert view.reminder.prompt == "Questions, not advice."
    assert view.phase_time_left == 234 + 375 - 300
    assert view.presenter == "Council A"
    assert [r.status for r in view.rows][:2] == [RowStatus.PRESENTING, RowStatus.NEXT]


def test_a_few_each_session_caps_each_airtime() -> None:
    settings = AirtimeSettings(max_airtime_seconds=30 * 60)
    state = ok(s.apply(started(("a", "b"), settings=settings), s.Next(), at(5)))
    assert state.allotted == 1800


# Running order ----------------------------------------------------------------------------------


def test_a_team_not_yet_joined_is_moved_to_the_end_when_its_turn_comes() -> None:
    state = started(away=frozenset({"a"}))
    assert s.upcoming(state) == "b"
    state = ok(s.apply(state, s.Next(), at(5)))
    assert state.current == "b"
    assert state.order == ("b", "c", "d", "e", "f", "a")
    state = ok(s.apply(state, s.Joined("a"), at(6)))
    assert s.pending(state)[-1] == "a"
    assert s.apply(state, s.Joined("a"), at(6)).effects == ()


def test_a_team_that_leaves_is_passed_over_and_next_with_nobody_left_starts_reflection() -> None:
    state = ok(s.apply(started(("a", "b")), s.Next(), at(5)))
    state = ok(s.apply(state, s.Left("b"), at(6)))
    decision = s.apply(state, s.Next(), at(10))
    assert decision.effects == (AskForActions("a"), AskForReflections(), UpdateSessionCard())
    assert decision.state.stage is Stage.REFLECTION
    assert s.time_left(decision.state, at(10)) == 80 * 60


def test_a_late_arrival_not_expected_today_gets_airtime_at_the_end() -> None:
    state = ok(s.apply(started(("a", "b")), s.Joined("g"), at(2)))
    assert state.order == ("a", "b", "g")


def test_skip_a_team_still_to_come_and_the_presenter() -> None:
    state = ok(s.apply(started(), s.Skip("c"), at(1)))
    assert "c" not in s.pending(state)
    assert s.apply(state, s.Skip("c"), at(1)).refusal == s.ALREADY_SKIPPED
    state = ok(s.apply(state, s.Next(), at(5)))
    decision = s.apply(state, s.Skip("a"), at(6))
    assert decision.state.current == "b"
    assert AskForActions("a") not in decision.effects
    state = ok(s.apply(decision.state, s.Next(), at(10)))
    assert state.current == "d"
    assert s.apply(state, s.Skip("b"), at(11)).refusal == s.ALREADY_HAD_AIRTIME


def test_reorder_puts_the_named_teams_next() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    state = ok(s.apply(state, s.Reorder(("e", "c")), at(6)))
    assert state.order == ("a", "e", "c", "b", "d", "f")
    assert s.apply(state, s.Reorder(("a",)), at(6)).refusal == s.BAD_ORDER
    # naming a team that was skipped puts it back in the queue
    state = ok(s.apply(state, s.Skip("f"), at(7)))
    state = ok(s.apply(state, s.Reorder(("f",)), at(7)))
    assert s.pending(state)[0] == "f"


def test_back_without_a_pass_returns_to_the_previous_presenter() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    state = ok(s.apply(state, s.Next(), at(6)))  # pressed too soon
    state = ok(s.apply(state, s.Back(), at(6)))
    assert state.current == "a"
    state = ok(s.apply(state, s.Next(), at(17)))
    assert state.current == "b"


# Pause, extend, warnings ------------------------------------------------------------------------


def test_pause_stops_the_clock_and_resume_continues_it() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    state = ok(s.apply(state, s.Pause(), at(6)))
    assert s.time_left(state, at(6)) == s.time_left(state, at(16)) == 690
    assert s.tick(state, at(40)).effects == ()
    state = ok(s.apply(state, s.Resume(), at(16)))
    assert s.time_left(state, at(17)) == 630


def test_warnings_fire_once_each_even_from_a_second_instance() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))  # 750 s
    assert s.tick(state, at(5) + timedelta(seconds=629)).effects == ()
    decision = s.tick(state, at(5) + timedelta(seconds=630))
    assert decision.effects == (
        TimeWarning(WarningKind.TWO_MINUTES, "a"),
        UpdateSessionCard(),
        NotifyNextPresenter("b"),
    )
    saved = roundtrip(decision.state)
    # the second instance loads the saved state: nothing fires twice
    assert s.tick(saved, at(5) + timedelta(seconds=631)).effects == ()
    assert s.tick(saved, at(5) + timedelta(seconds=720)).effects[0] == TimeWarning(
        WarningKind.THIRTY_SECONDS, "a"
    )
    late = s.tick(saved, at(5) + timedelta(seconds=900))
    # a late tick gives only the most urgent warning, and records both
    assert late.effects == (TimeWarning(WarningKind.TIME_UP, "a"), UpdateSessionCard())
    assert s.tick(late.state, at(30)).effects == ()
    assert s.next_due(late.state) is None


def test_next_due_tells_the_timer_when_to_wake() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    assert s.next_due(state) == at(5) + timedelta(seconds=630)
    state = s.tick(state, at(5) + timedelta(seconds=630)).state
    assert s.next_due(state) == at(5) + timedelta(seconds=720)
    paused = ok(s.apply(state, s.Pause(), at(16)))
    assert s.next_due(paused) is None
    resumed = ok(s.apply(paused, s.Resume(), at(20)))
    assert s.next_due(resumed) == at(9) + timedelta(seconds=720)


def test_the_first_presenter_hears_during_the_opening() -> None:
    state = started()
    assert s.tick(state, at(2)).effects == ()
    assert s.tick(state, at(3)).effects == (
        TimeWarning(WarningKind.TWO_MINUTES, None),
        UpdateSessionCard(),
        NotifyNextPresenter("a"),
    )


def test_an_extension_adds_to_the_running_phase_and_rearms_the_warnings() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    state = s.tick(state, at(5) + timedelta(seconds=750)).state  # time up
    decision = s.apply(state, s.Extend(3), at(5) + timedelta(seconds=800))
    state = ok(decision)
    assert decision.effects == (UpdateSessionCard(),)
    # overran by 50 s, so the 3 minutes count from now
    assert s.time_left(state, at(5) + timedelta(seconds=800)) == 180
    assert plan_seconds(state.plan) == state.allotted == 750 + 50 + 180
    assert state.plan[-1] == (AirtimePhase.ACTIONS, 141 + 230)
    effects = s.tick(state, at(5) + timedelta(seconds=860)).effects
    assert effects[0] == TimeWarning(WarningKind.TWO_MINUTES, "a")


def test_an_extension_stops_at_the_end_of_the_session() -> None:
    state = ok(s.apply(started(("a",)), s.Next(), at(5)))  # 75 minutes, reflection at 80
    state = ok(s.apply(state, s.Extend(30), at(6)))
    assert s.time_left(state, at(6)) == 84 * 60
    assert s.apply(state, s.Extend(1), at(7)).refusal == s.NO_TIME_LEFT


# Closing ----------------------------------------------------------------------------------------


def test_reflect_closes_the_airtime_and_asks_for_reflections() -> None:
    state = ok(s.apply(started(), s.Next(), at(5)))
    decision = s.apply(state, s.Reflect(), at(70))
    assert decision.effects == (AskForActions("a"), AskForReflections(), UpdateSessionCard())
    assert decision.state.stage is Stage.REFLECTION
    assert s.apply(decision.state, s.Reflect(), at(71)).refusal == s.ALREADY_REFLECTING
    assert s.apply(decision.state, s.Next(), at(71)).refusal == s.IN_REFLECTION
    ended = s.apply(decision.state, s.End(), at(89))
    assert ended.effects == (UpdateSessionCard(), SessionEnded())
    assert ended.state.stage is Stage.ENDED
    assert s.time_left(ended.state, at(89)) is None


def test_state_round_trips_through_json_mid_airtime() -> None:
    state = ok(s.apply(started(number=2, away=frozenset({"c"})), s.Next(), at(5)))
    state = ok(s.apply(state, s.Pause(), at(7)))
    state = s.tick(state, at(7)).state
    assert roundtrip(state) == state
    assert roundtrip(SessionState()) == SessionState()
    with pytest.raises(ValueError, match="schema"):
        SessionState.from_dict({**state.to_dict(), "schema": 99})


def test_only_facilitators_and_admins_control_the_session() -> None:
    assert s.may_control("fac", {"fac"}, set())
    assert s.may_control("adm", {"fac"}, {"adm"})
    assert not s.may_control("officer", {"fac"}, {"adm"})


# Typed commands and ground rules ----------------------------------------------------------------


def test_parse_typed_commands() -> None:
    assert s.parse("next", NAMES) == s.Next()
    assert s.parse("  Extend   3 ", NAMES) == s.Extend(3)
    assert s.parse("extend three", NAMES) == s.BAD_EXTENSION
    assert s.parse("skip council c", NAMES) == s.Skip("c")
    assert s.parse("skip council", NAMES) == s.UNKNOWN_TEAM
    assert s.parse("order Council E, council b", NAMES) == s.Reorder(("e", "b"))
    assert s.parse("order", NAMES) == s.ORDER_HELP
    assert s.parse("dance", NAMES) == s.UNKNOWN_COMMAND


def test_the_six_ground_rules_are_there() -> None:
    assert len(GROUND_RULES) == 6
    titles = " ".join(rule.title for rule in GROUND_RULES)
    for word in ("OOAAT", "COST", "STAN", "Chatham House", "Commitment"):
        assert word in titles
    assert all(rule.explanation.endswith(".") for rule in GROUND_RULES)


# Properties over random command sequences -------------------------------------------------------

TICK = "tick"
ANY_TEAM = st.sampled_from((*TEAMS, "g"))
COMMANDS = st.one_of(
    st.just(TICK),
    st.just(TICK),
    st.just(s.Next()),
    st.just(s.Next()),
    st.just(s.Back()),
    st.just(s.Pass()),
    st.builds(s.Extend, st.integers(0, 12)),
    st.just(s.Pause()),
    st.just(s.Resume()),
    st.builds(s.Skip, ANY_TEAM),
    st.builds(s.Reorder, st.lists(ANY_TEAM, max_size=3).map(tuple)),
    st.just(s.Reflect()),
    st.just(s.End()),
    st.builds(s.Joined, ANY_TEAM),
    st.builds(s.Left, ANY_TEAM),
)
STEPS = st.lists(st.tuples(COMMANDS, st.integers(0, 600)), max_size=40)
STARTS = st.builds(
    s.Start,
    order=st.permutations(TEAMS).map(tuple),
    session_number=st.integers(1, 3),
    ends_at=st.just(END),
    away=st.frozensets(st.sampled_from(TEAMS), max_size=3),
)


def _seconds_to(now: datetime, moment: datetime | None) -> int:
    assert moment is not None
    return max(0, int((moment - now).total_seconds()))


@settings(max_examples=300, deadline=None)
@given(STARTS, STEPS)
def test_random_sessions_keep_their_promises(start: s.Start, steps: list[tuple[object, int]]) -> None:
    now = T0
    state = ok(s.apply(SessionState(), start, now))
    warnings: set[tuple[int, int, WarningKind]] = set()
    heads_up: set[tuple[int, str]] = set()
    for command, wait in steps:
        now += timedelta(seconds=wait)
        before = state
        if command == TICK:
            decision = s.tick(state, now)
            for effect in decision.effects:
                if isinstance(effect, TimeWarning):
                    key = (before.stage_number, before.allotted, effect.kind)
                    assert key not in warnings, "a warning fired twice"
                    warnings.add(key)
                if isinstance(effect, NotifyNextPresenter):
                    assert (before.stage_number, effect.team) not in heads_up
                    heads_up.add((before.stage_number, effect.team))
            # a second instance ticking with the saved state emits nothing again
            assert s.tick(roundtrip(decision.state), now).effects == ()
        else:
            assert isinstance(command, s.Next | s.Back | s.Pass | s.Extend | s.Pause | s.Resume
                              | s.Skip | s.Reorder | s.Reflect | s.End | s.Joined | s.Left)
            decision = s.apply(state, command, now)
        state = decision.state
        if decision.refusal is not None:
            assert state is before and decision.effects == ()
        elif decision.effects:
            assert state.version == before.version + 1

        # the state always survives the store
        assert roundtrip(state) == state

        # time allotted never exceeds the time available
        if state.stage is Stage.AIRTIME:
            assert plan_seconds(state.plan) == state.allotted
            if state.stage_number != before.stage_number:
                assert state.allotted <= _seconds_to(now, state.reflection_at)
        if isinstance(command, s.Extend) and decision.refusal is None:
            left = s.time_left(state, now)
            assert left is not None and left <= _seconds_to(now, state.ends_at)
        if state.stage in (Stage.OPENING, Stage.AIRTIME):
            left = max(0, s.time_left(state, now) or 0)
            after = now + timedelta(seconds=left)
            assert sum(s.expected(state, now).values()) <= _seconds_to(after, state.reflection_at)

        # a team is in at most one of done, passed, skipped, and never current at the same time
        groups = [set(state.done), set(state.passed), set(state.skipped)]
        assert sum(len(g) for g in groups) == len(set().union(*groups))
        assert state.current is None or all(state.current not in g for g in groups)


@settings(max_examples=200, deadline=None)
@given(STARTS, st.lists(st.sampled_from((s.Next(), s.Pass())), min_size=1, max_size=5),
       st.integers(0, 900))
def test_pass_then_back_returns_to_the_presenter_who_passed(
    start: s.Start, before: list[s.Next | s.Pass], wait: int
) -> None:
    now = T0
    state = ok(s.apply(SessionState(), start, now))
    for command in [s.Next(), *before]:
        now += timedelta(seconds=wait)
        decision = s.apply(state, command, now)
        state = decision.state
    assume(state.stage is Stage.AIRTIME)
    presenter = state.current
    state = ok(s.apply(state, s.Pass(), now + timedelta(seconds=5)))
    state = ok(s.apply(state, s.Back(), now + timedelta(seconds=65)))
    assert state.stage is Stage.AIRTIME
    assert state.current == presenter
    assert presenter not in state.passed


def test_every_stage_and_phase_has_its_own_reminder() -> None:
    from bot.rules.ground_rules import REMINDERS

    for part in (*Stage, *AirtimePhase):
        assert part.value in REMINDERS
