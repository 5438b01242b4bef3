"""What the session card shows of the state at a moment: the view model, with no card layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.rules.airtime import AirtimePhase
from bot.rules.ground_rules import Reminder, reminder
from bot.rules.session.clock import current_phase, expected, time_left, upcoming
from bot.rules.session.state import SessionState, Stage, aware


class RowStatus(StrEnum):
    DONE = "done"
    PRESENTING = "presenting"
    NEXT = "next"
    WAITING = "waiting"
    PASSED = "passed"
    SKIPPED = "skipped"
    AWAY = "not_joined"


@dataclass(frozen=True)
class Row:
    team_id: str
    name: str
    status: RowStatus
    expected_seconds: int | None  # for teams still to come and in the meeting


@dataclass(frozen=True)
class SessionView:
    stage: Stage
    session_number: int
    rows: tuple[Row, ...]
    presenter_id: str | None
    presenter: str | None
    phase: AirtimePhase | None
    time_left: int | None  # seconds in the stage or airtime; negative once over
    phase_time_left: int | None
    paused: bool
    extended_seconds: int
    reminder: Reminder
    updates: tuple[str, ...]  # names of teams giving a short update at the opening
    version: int


def _status(state: SessionState, team: str, nxt: str | None) -> RowStatus:
    if team == state.current:
        return RowStatus.PRESENTING
    if team in state.done:
        return RowStatus.DONE
    if team in state.skipped:
        return RowStatus.SKIPPED
    if team in state.passed:
        return RowStatus.PASSED
    if team in state.away:
        return RowStatus.AWAY
    return RowStatus.NEXT if team == nxt else RowStatus.WAITING


def view(state: SessionState, now: datetime, names: Mapping[str, str]) -> SessionView:
    """What the session card needs; `names` maps team ids to the names to show."""
    aware(now)
    nxt = upcoming(state) if state.stage in (Stage.OPENING, Stage.AIRTIME) else None
    shares = expected(state, now)
    rows = tuple(
        Row(team, names.get(team, team), _status(state, team, nxt), shares.get(team))
        for team in state.order
    )
    phase = current_phase(state, now)
    part = phase[0].value if phase is not None else state.stage.value
    return SessionView(
        stage=state.stage,
        session_number=state.session_number,
        rows=rows,
        presenter_id=state.current,
        presenter=None if state.current is None else names.get(state.current, state.current),
        phase=None if phase is None else phase[0],
        time_left=time_left(state, now),
        phase_time_left=None if phase is None else phase[1],
        paused=state.paused,
        extended_seconds=state.extended,
        reminder=reminder(part),
        updates=tuple(names.get(t, t) for t in state.updates),
        version=state.version,
    )
