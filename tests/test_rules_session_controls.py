"""The facilitator's controls table, the time check against the plan, the cap on an airtime's share
and the card kept up to date once time is up."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from bot.commands import MEETING, Scope, by_scope
from bot.features import meeting
from bot.features.meeting import effects
from bot.rules import session as s
from bot.rules.airtime import AirtimeSettings
from cards import session as cards
from cards.verbs import Verb

T0 = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)  # 10:30 in London (GMT)
END = T0 + timedelta(minutes=90)
TEAMS = ("a", "b", "c", "d", "e", "f")


def at(minutes: float) -> datetime:
    return T0 + timedelta(seconds=round(minutes * 60))


def started(order: tuple[str, ...] = TEAMS, settings: AirtimeSettings | None = None) -> s.SessionState:
    command = s.Start(order, ends_at=END, settings=settings or AirtimeSettings())
    return s.apply(s.SessionState(), command, T0).state


def told(state: s.SessionState, now: datetime) -> str:
    decision = s.apply(state, s.TimeCheck(), now)
    assert decision.refusal is None and decision.state is state  # nothing is saved for it
    [effect] = decision.effects
    assert isinstance(effect, s.TellTiming)
    return cards.timing_text(effect.timing)


def test_the_time_check_compares_the_part_running_with_the_plan() -> None:
    opening = started()
    assert told(opening, at(1)) == "The session is on time: it ends at 12:00."
    # The opening ran 4 minutes over: the first airtime now ends 200 s after its planned end.
    late = s.apply(opening, s.Next(), at(9)).state
    assert told(late, at(10)) == "The session is running 3 minutes behind plan: at this rate it ends at 12:03."
    early = s.apply(opening, s.Next(), at(1)).state
    assert told(early, at(2)) == "The session is running 3 minutes ahead of plan: at this rate it ends at 11:57."
    assert s.apply(s.SessionState(), s.TimeCheck(), T0).refusal == s.NOT_STARTED
    # next at 4 min: 76 min / 6 = 760 s, ending 60 s before the plan's 17 min 30 s
    assert "running 1 minute ahead of plan" in told(s.apply(started(), s.Next(), at(4)).state, at(4))


def test_a_control_is_one_table_entry_that_every_reader_follows() -> None:
    assert s.parse("timecheck", {}) == s.TimeCheck()
    assert s.parse("timecheck now", {}) == s.UNKNOWN_COMMAND
    for control in s.CONTROLS:
        assert control.verb in meeting.VERBS  # the router routes every control's button
        if control.typed and control.menu:
            assert control.name in meeting.COMMANDS
    # The menu is as it was, and full: controls beyond it are typed or pressed.
    names = [c.name for c in by_scope(Scope.GROUP_CHAT)]
    assert names == ["help", "register", "start", "next", "pass", "back", "extend", "pause", "skip",
                     "order", "reflect", "end"]
    assert all(c.scopes == MEETING for c in by_scope(Scope.GROUP_CHAT)[2:])
    # The card shows the time check's button while the session runs.
    card = cards.session_card(cards.SessionCardView("Set", s.view(started(), at(1), {}), 3))
    assert Verb.MEETING_TIMECHECK in str(card)


def test_a_share_is_capped_and_the_spare_time_goes_to_the_reflection_round() -> None:
    state = started(("a", "b", "c"))  # 75 minutes among three: 1500 s each
    assert state.fair_share == 1500
    for _ in range(3):  # a and b finish at once
        state = s.apply(state, s.Next(), at(5)).state
    assert state.current == "c" and state.allotted == 2250  # 1.5 × the fair share, not 75 minutes
    state = s.apply(state, s.Next(), at(5) + timedelta(seconds=2250)).state
    assert state.stage is s.Stage.REFLECTION
    # the reflection round has its 10 minutes and the 37 min 30 s the cap held back
    assert s.time_left(state, at(5) + timedelta(seconds=2250)) == 90 * 60 - 5 * 60 - 2250
    uncapped = started(("a", "b", "c"), AirtimeSettings(max_share=None))
    for _ in range(3):
        uncapped = s.apply(uncapped, s.Next(), at(5)).state
    assert uncapped.allotted == 75 * 60
    assert AirtimeSettings.from_dict({**AirtimeSettings().to_dict(), "max_share": 2.0}).max_share == 2.0


def test_once_time_is_up_the_card_is_redrawn_each_minute_over() -> None:
    state = s.apply(started(), s.Next(), at(5)).state  # 750 s
    end = at(5) + timedelta(seconds=750)
    state = s.run_clock(state, end).state  # time up
    assert s.card_due(state) == end + timedelta(minutes=1)
    over = s.run_clock(state, end + timedelta(seconds=70))
    assert s.UpdateSessionCard() in over.effects and over.state.version == state.version + 1
    assert s.run_clock(over.state, end + timedelta(seconds=80)).effects == ()
    view = s.view(over.state, end + timedelta(seconds=130), {})
    card = cards.session_card(cards.SessionCardView("Set", view, 3))
    assert "2 min 10 s over" in str(card)
    # The next presenter's forecast follows the overrun: b's share shrinks with it.
    assert s.expected(over.state, end + timedelta(seconds=130))["b"] < s.expected(state, end)["b"]


def test_forecasts_are_rounded_to_the_minute() -> None:
    assert cards.rough_duration(74 * 60 + 59) == "75 min"
    assert cards.rough_duration(45) == "45 s"


def test_card_locks_do_not_outlive_their_use() -> None:
    lock = effects._card_lock("set", 1)
    assert effects._card_lock("set", 1) is lock
    del lock
    gc.collect()
    assert len(effects._card_locks) == 0
