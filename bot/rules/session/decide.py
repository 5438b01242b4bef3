"""Deciding what a facilitator's command, or a team joining or leaving, does to the session: a new
state and the effects to carry out once it is saved, or a refusal that leaves it as it was."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rules import airtime
from bot.rules.airtime import AirtimeSettings
from bot.rules.session.clock import airtime_cap, elapsed, pending, pool_after, timing
from bot.rules.session.state import (
    ALREADY_HAD_AIRTIME,
    ALREADY_PAUSED,
    ALREADY_REFLECTING,
    ALREADY_SKIPPED,
    ALREADY_STARTED,
    BAD_EXTENSION,
    BAD_ORDER,
    ENDED,
    IN_REFLECTION,
    MAX_EXTENSION_MINUTES,
    NO_TIME_LEFT,
    NOBODY_PRESENTING,
    NOBODY_TO_GO_BACK_TO,
    NOT_IN_ORDER,
    NOT_PAUSED,
    NOT_STARTED,
    ROUNDS_OVER,
    RUNNING,
    Airtime,
    AskForActions,
    AskForReflections,
    Decision,
    Effect,
    PostGroundRules,
    SessionEnded,
    SessionState,
    Stage,
    TellTiming,
    UpdateSessionCard,
    aware,
)

NO_PLAN = "This session began without a plan to compare it with."


# Commands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Open the session. `order` comes from rotation.running_order (or presenters_for_session);
    `ends_at` is the meeting's scheduled end (at most the series' session length from now);
    `reviews` defaults to every team from session 2 on; `away` are teams not yet in the meeting."""

    order: tuple[str, ...]
    session_number: int = 1
    ends_at: datetime | None = None
    reviews: frozenset[str] | None = None
    away: frozenset[str] = frozenset()
    updates: tuple[str, ...] = ()
    settings: AirtimeSettings = field(default_factory=AirtimeSettings)


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Pass:
    pass


@dataclass(frozen=True)
class Extend:
    minutes: int


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Skip:
    team: str


@dataclass(frozen=True)
class Reorder:
    """Put these teams next, in this order; teams still to come that are not named follow."""

    teams: tuple[str, ...]


@dataclass(frozen=True)
class Reflect:
    pass


@dataclass(frozen=True)
class End:
    pass


@dataclass(frozen=True)
class TimeCheck:
    """How far the session is behind or ahead of its plan: told to the room, nothing changes."""


@dataclass(frozen=True)
class Joined:
    team: str


@dataclass(frozen=True)
class Left:
    team: str


Command = (
    Start | Next | Back | Pass | Extend | Pause | Resume | Skip | Reorder | Reflect | End
    | TimeCheck | Joined | Left
)


def may_control(user: str, facilitators: Collection[str], admins: Collection[str]) -> bool:
    """Whether `user` (the identity Teams signed, never an id from card data) runs the session."""
    return user in facilitators or user in admins




# Transitions ------------------------------------------------------------------------------------


def _bump(state: SessionState, **changes: Any) -> SessionState:
    return replace(state, version=state.version + 1, **changes)


def _new_stage(state: SessionState, stage: Stage, now: datetime, allotted: int) -> SessionState:
    return replace(
        state,
        stage=stage,
        stage_started_at=now,
        allotted=allotted,
        plan=(),
        extended=0,
        paused_at=None,
        paused_seconds=0,
        stage_number=state.stage_number + 1,
        fired=frozenset(),
    )


def _begin_airtime(state: SessionState, team: str, now: datetime) -> SessionState:
    others = [t for t in pending(state) if t not in state.away and t != team]
    pool = pool_after(state, now)
    share = airtime.allotments(pool, 1 + len(others), airtime_cap(state))[0]
    taken = {turn.team for turn in state.turns}
    review = team in state.reviews and team not in taken
    plan = airtime.phase_plan(share, state.settings.shares, review=review)
    state = _new_stage(state, Stage.AIRTIME, now, share)
    return replace(state, current=team, plan=plan)


def _begin_reflection(state: SessionState, now: datetime) -> SessionState:
    left = 0 if state.ends_at is None else max(0, airtime.seconds_between(now, state.ends_at))
    return replace(_new_stage(state, Stage.REFLECTION, now, left), current=None)


def _finish_current(state: SessionState, now: datetime) -> tuple[SessionState, tuple[Effect, ...]]:
    """Close the current presenter's airtime as taken: record it and ask for their actions."""
    if state.stage is not Stage.AIRTIME or state.current is None:
        return state, ()
    team = state.current
    state = replace(
        state,
        done=(*state.done, team),
        turns=(*state.turns, Airtime(team, elapsed(state, now))),
        current=None,
    )
    return state, (AskForActions(team),)


def _advance(state: SessionState, now: datetime) -> tuple[SessionState, tuple[Effect, ...]]:
    """Cue the next presenter in the meeting, moving those not yet joined to the end; with nobody
    left, begin the reflection round."""
    waiting = pending(state)
    team = next((t for t in waiting if t not in state.away), None)
    if team is None:
        return _begin_reflection(state, now), (AskForReflections(),)
    bypassed = waiting[: waiting.index(team)]
    order = tuple(t for t in state.order if t not in bypassed) + tuple(bypassed)
    return _begin_airtime(replace(state, order=order), team, now), ()


def _start(state: SessionState, command: Start, now: datetime) -> Decision:
    if state.stage is Stage.ENDED:
        return Decision(state, refusal=ENDED)
    if state.stage is not Stage.NOT_STARTED:
        return Decision(state, refusal=ALREADY_STARTED)
    if len(set(command.order)) != len(command.order):
        raise ValueError("a team appears twice in the running order")
    if command.session_number < 1:
        raise ValueError("sessions are numbered from 1")
    settings = command.settings
    latest = now + timedelta(seconds=settings.session_seconds)
    ends_at = command.ends_at
    if ends_at is not None:
        aware(ends_at)
    if ends_at is None or ends_at <= now or ends_at > latest:
        # A meeting started after its scheduled end still gets a full session; none runs longer.
        ends_at = latest
    if command.session_number < 2:
        reviews: frozenset[str] = frozenset()
    elif command.reviews is None:
        reviews = frozenset(command.order)
    else:
        reviews = command.reviews
    fresh = SessionState(
        session_number=command.session_number,
        settings=settings,
        order=tuple(command.order),
        reviews=reviews,
        updates=tuple(command.updates),
        started_at=now,
        ends_at=ends_at.astimezone(UTC),
        away=frozenset(command.away),
        stage_number=state.stage_number,
        version=state.version,
    )
    present = [t for t in fresh.order if t not in fresh.away]
    opening_end = now + timedelta(seconds=settings.opening_seconds)
    fair = airtime.split(pool_after(fresh, opening_end), len(present))
    fresh = replace(fresh, fair_share=fair[0] if fair else 0, planned_airtimes=len(present))
    fresh = _new_stage(fresh, Stage.OPENING, now, settings.opening_seconds)
    return Decision(_bump(fresh), (PostGroundRules(), UpdateSessionCard()))


def _running_refusal(state: SessionState) -> str | None:
    if state.stage is Stage.NOT_STARTED:
        return NOT_STARTED
    if state.stage is Stage.ENDED:
        return ENDED
    return None


def _next(state: SessionState, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.stage is Stage.REFLECTION:
        return Decision(state, refusal=IN_REFLECTION)
    state, asked = _finish_current(state, now)
    state, more = _advance(state, now)
    return Decision(_bump(state), (*asked, *more, UpdateSessionCard()))


def _pass(state: SessionState, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.stage is not Stage.AIRTIME or state.current is None:
        return Decision(state, refusal=NOBODY_PRESENTING)
    state = replace(state, passed=(*state.passed, state.current), current=None)
    state, more = _advance(state, now)
    return Decision(_bump(state), (*more, UpdateSessionCard()))


def _back(state: SessionState, now: datetime) -> Decision:
    """Return to the latest presenter who passed or, if none did, to the previous presenter. The
    presenter interrupted, if any, has not had their airtime and comes next."""
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.passed:
        target = state.passed[-1]
        state = replace(state, passed=state.passed[:-1])
    elif state.done:
        target = state.done[-1]
        state = replace(state, done=state.done[:-1])
    else:
        return Decision(state, refusal=NOBODY_TO_GO_BACK_TO)
    state = replace(state, current=None, away=state.away - {target})
    return Decision(_bump(_begin_airtime(state, target, now)), (UpdateSessionCard(),))


def _extend(state: SessionState, minutes: int, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        return Decision(state, refusal=BAD_EXTENSION)
    left = state.allotted - elapsed(state, now)
    room = 0 if state.ends_at is None else airtime.seconds_between(now, state.ends_at)
    wanted = min(max(left, 0) + minutes * 60, room)
    if wanted <= max(left, 0):
        return Decision(state, refusal=NO_TIME_LEFT)
    added = wanted - left
    plan = airtime.extend_plan(state.plan, elapsed(state, now), added) if state.plan else ()
    state = _bump(
        state, allotted=state.allotted + added, plan=plan, extended=state.extended + added
    )
    return Decision(state, (UpdateSessionCard(),))


def _pause(state: SessionState, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.paused:
        return Decision(state, refusal=ALREADY_PAUSED)
    return Decision(_bump(state, paused_at=now), (UpdateSessionCard(),))


def _resume(state: SessionState, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.paused_at is None:
        return Decision(state, refusal=NOT_PAUSED)
    paused = max(0, airtime.seconds_between(state.paused_at, now))
    state = _bump(state, paused_at=None, paused_seconds=state.paused_seconds + paused)
    return Decision(state, (UpdateSessionCard(),))


def _skip(state: SessionState, team: str, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.stage is Stage.REFLECTION:
        return Decision(state, refusal=ROUNDS_OVER)
    if team not in state.order:
        return Decision(state, refusal=NOT_IN_ORDER)
    if team in state.done:
        return Decision(state, refusal=ALREADY_HAD_AIRTIME)
    if team in state.skipped:
        return Decision(state, refusal=ALREADY_SKIPPED)
    passed = tuple(t for t in state.passed if t != team)
    state = replace(state, skipped=(*state.skipped, team), passed=passed)
    effects: tuple[Effect, ...] = ()
    if team == state.current:
        state, effects = _advance(replace(state, current=None), now)
    return Decision(_bump(state), (*effects, UpdateSessionCard()))


def _reorder(state: SessionState, teams: tuple[str, ...]) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if state.stage is Stage.REFLECTION:
        return Decision(state, refusal=ROUNDS_OVER)
    named = set(teams)
    if (
        not teams
        or len(named) != len(teams)
        or not named <= set(state.order)
        or named & set(state.done)
        or state.current in named
    ):
        return Decision(state, refusal=BAD_ORDER)
    head = [t for t in state.order if t in state.done or t == state.current]
    rest = [t for t in state.order if t not in head and t not in named]
    state = _bump(
        state,
        order=(*head, *teams, *rest),
        passed=tuple(t for t in state.passed if t not in named),
        skipped=tuple(t for t in state.skipped if t not in named),
    )
    return Decision(state, (UpdateSessionCard(),))


def _end_stage(state: SessionState, now: datetime, target: Stage) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    if target is Stage.REFLECTION and state.stage is Stage.REFLECTION:
        return Decision(state, refusal=ALREADY_REFLECTING)
    state, asked = _finish_current(state, now)
    if target is Stage.REFLECTION:
        state = _begin_reflection(state, now)
        return Decision(_bump(state), (*asked, AskForReflections(), UpdateSessionCard()))
    state = replace(_new_stage(state, Stage.ENDED, now, 0), current=None)
    return Decision(_bump(state), (*asked, UpdateSessionCard(), SessionEnded()))


def _time_check(state: SessionState, now: datetime) -> Decision:
    if (refusal := _running_refusal(state)) is not None:
        return Decision(state, refusal=refusal)
    found = timing(state, now)
    if found is None:
        return Decision(state, refusal=NO_PLAN)
    return Decision(state, (TellTiming(found),))


def _joined(state: SessionState, team: str) -> Decision:
    if state.stage not in RUNNING:
        return Decision(state)
    if team not in state.order:
        # A late arrival not expected today (e.g. apologies sent, then came): airtime at the end.
        state = _bump(state, order=(*state.order, team), away=state.away - {team})
    elif team in state.away:
        state = _bump(state, away=state.away - {team})
    else:
        return Decision(state)
    return Decision(state, (UpdateSessionCard(),))


def _left(state: SessionState, team: str) -> Decision:
    if state.stage not in RUNNING or team not in state.order or team in state.away:
        return Decision(state)
    return Decision(_bump(state, away=state.away | {team}), (UpdateSessionCard(),))


def apply(state: SessionState, command: Command, now: datetime) -> Decision:
    """Decide what a facilitator's command (or a join or leave) does at `now`.

    A refused command leaves the state as it was and carries the reason to show privately."""
    aware(now)
    match command:
        case Start():
            return _start(state, command, now)
        case Next():
            return _next(state, now)
        case Back():
            return _back(state, now)
        case Pass():
            return _pass(state, now)
        case Extend(minutes=minutes):
            return _extend(state, minutes, now)
        case Pause():
            return _pause(state, now)
        case Resume():
            return _resume(state, now)
        case Skip(team=team):
            return _skip(state, team, now)
        case Reorder(teams=teams):
            return _reorder(state, tuple(teams))
        case Reflect():
            return _end_stage(state, now, Stage.REFLECTION)
        case End():
            return _end_stage(state, now, Stage.ENDED)
        case TimeCheck():
            return _time_check(state, now)
        case Joined(team=team):
            return _joined(state, team)
        case Left(team=team):
            return _left(state, team)


