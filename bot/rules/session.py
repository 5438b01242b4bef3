"""A session in the meeting as a state machine: commands and clock ticks in, new state and effects out.

Nothing here performs I/O. The caller loads the state, calls `apply` or `tick` with the time now,
saves the new state only if the stored `version` is still the one it loaded (compare-and-set), and
only then carries out the effects: so a restart or a second instance continues where the session
was, and a warning fires once, not once per instance.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.rules import airtime
from bot.rules.airtime import AirtimePhase, AirtimeSettings, Plan
from bot.rules.ground_rules import Reminder, reminder

SCHEMA = 1
MAX_EXTENSION_MINUTES = 30


class Stage(StrEnum):
    NOT_STARTED = "not_started"
    OPENING = "opening"
    AIRTIME = "airtime"
    REFLECTION = "reflection"
    ENDED = "ended"


RUNNING = frozenset({Stage.OPENING, Stage.AIRTIME, Stage.REFLECTION})


class WarningKind(StrEnum):
    TWO_MINUTES = "two_minutes"
    THIRTY_SECONDS = "thirty_seconds"
    TIME_UP = "time_up"


WARNINGS: tuple[tuple[WarningKind, int], ...] = (
    (WarningKind.TWO_MINUTES, 120),
    (WarningKind.THIRTY_SECONDS, 30),
    (WarningKind.TIME_UP, 0),
)


# Refusals: short, British English, safe to show to the facilitator privately.
NOT_ALLOWED = "Only this set's facilitators can run the session."
NOT_STARTED = "The session has not started yet: type start first."
ENDED = "The session has ended."
ALREADY_STARTED = "The session has already started."
NOBODY_PRESENTING = "Nobody is presenting now."
IN_REFLECTION = "The reflection round has started: type end to close the session."
ALREADY_REFLECTING = "The reflection round has already started."
NOBODY_TO_GO_BACK_TO = "There is nobody to go back to."
BAD_EXTENSION = f"Say how many minutes to add, from 1 to {MAX_EXTENSION_MINUTES}, e.g. extend 3."
NO_TIME_LEFT = "There is no time left before the session ends."
ALREADY_PAUSED = "The session is already paused."
NOT_PAUSED = "The session is not paused."
NOT_IN_ORDER = "That team is not in today's running order."
ALREADY_HAD_AIRTIME = "That team has already had its airtime."
ALREADY_SKIPPED = "That team has already been skipped."
ROUNDS_OVER = "The airtime rounds are over."
BAD_ORDER = "The new order can only name teams still to come, each once."


@dataclass(frozen=True)
class Turn:
    """One stretch of airtime taken, for the record (seconds actually used, pauses excluded)."""

    team: str
    seconds: int


@dataclass(frozen=True)
class SessionState:
    stage: Stage = Stage.NOT_STARTED
    session_number: int = 1
    settings: AirtimeSettings = field(default_factory=AirtimeSettings)
    order: tuple[str, ...] = ()
    reviews: frozenset[str] = frozenset()  # teams whose airtime opens with a review of actions
    updates: tuple[str, ...] = ()  # teams giving a short update at the opening instead
    current: str | None = None
    started_at: datetime | None = None
    ends_at: datetime | None = None
    stage_started_at: datetime | None = None
    allotted: int = 0  # seconds for the current stage (opening, airtime or reflection)
    plan: Plan = ()  # the current airtime's phases; sums to `allotted`
    extended: int = 0
    paused_at: datetime | None = None
    paused_seconds: int = 0  # within the current stage
    done: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()  # most recent last
    skipped: tuple[str, ...] = ()
    away: frozenset[str] = frozenset()
    turns: tuple[Turn, ...] = ()
    stage_number: int = 0  # counts stages begun, so that warnings can be keyed per stage
    fired: frozenset[str] = frozenset()
    version: int = 0

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def reflection_at(self) -> datetime | None:
        if self.ends_at is None:
            return None
        return self.ends_at - timedelta(seconds=self.settings.reflection_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "stage": self.stage.value,
            "session_number": self.session_number,
            "settings": self.settings.to_dict(),
            "order": list(self.order),
            "reviews": sorted(self.reviews),
            "updates": list(self.updates),
            "current": self.current,
            "started_at": _iso(self.started_at),
            "ends_at": _iso(self.ends_at),
            "stage_started_at": _iso(self.stage_started_at),
            "allotted": self.allotted,
            "plan": [[phase.value, seconds] for phase, seconds in self.plan],
            "extended": self.extended,
            "paused_at": _iso(self.paused_at),
            "paused_seconds": self.paused_seconds,
            "done": list(self.done),
            "passed": list(self.passed),
            "skipped": list(self.skipped),
            "away": sorted(self.away),
            "turns": [[turn.team, turn.seconds] for turn in self.turns],
            "stage_number": self.stage_number,
            "fired": sorted(self.fired),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionState:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"unknown session state schema {data.get('schema')!r}")
        current = data["current"]
        return cls(
            stage=Stage(data["stage"]),
            session_number=int(data["session_number"]),
            settings=AirtimeSettings.from_dict(data["settings"]),
            order=tuple(str(t) for t in data["order"]),
            reviews=frozenset(str(t) for t in data["reviews"]),
            updates=tuple(str(t) for t in data["updates"]),
            current=None if current is None else str(current),
            started_at=_time(data["started_at"]),
            ends_at=_time(data["ends_at"]),
            stage_started_at=_time(data["stage_started_at"]),
            allotted=int(data["allotted"]),
            plan=tuple((AirtimePhase(p), int(s)) for p, s in data["plan"]),
            extended=int(data["extended"]),
            paused_at=_time(data["paused_at"]),
            paused_seconds=int(data["paused_seconds"]),
            done=tuple(str(t) for t in data["done"]),
            passed=tuple(str(t) for t in data["passed"]),
            skipped=tuple(str(t) for t in data["skipped"]),
            away=frozenset(str(t) for t in data["away"]),
            turns=tuple(Turn(str(t), int(s)) for t, s in data["turns"]),
            stage_number=int(data["stage_number"]),
            fired=frozenset(str(k) for k in data["fired"]),
            version=int(data["version"]),
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("session times must carry a time zone")
    return moment.astimezone(UTC)


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
class Joined:
    team: str


@dataclass(frozen=True)
class Left:
    team: str


Command = (
    Start | Next | Back | Pass | Extend | Pause | Resume | Skip | Reorder | Reflect | End
    | Joined | Left
)


# Effects: what the caller must do once the new state is saved ------------------------------------


@dataclass(frozen=True)
class PostGroundRules:
    pass


@dataclass(frozen=True)
class UpdateSessionCard:
    pass


@dataclass(frozen=True)
class NotifyNextPresenter:
    team: str


@dataclass(frozen=True)
class AskForActions:
    team: str


@dataclass(frozen=True)
class AskForReflections:
    pass


@dataclass(frozen=True)
class TimeWarning:
    kind: WarningKind
    team: str | None  # the presenter, or None in the opening and the reflection round


@dataclass(frozen=True)
class SessionEnded:
    pass


Effect = (
    PostGroundRules | UpdateSessionCard | NotifyNextPresenter | AskForActions | AskForReflections
    | TimeWarning | SessionEnded
)


@dataclass(frozen=True)
class Decision:
    state: SessionState
    effects: tuple[Effect, ...] = ()
    refusal: str | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def may_control(user: str, facilitators: Collection[str], admins: Collection[str]) -> bool:
    """Whether `user` (the identity Teams signed, never an id from card data) runs the session."""
    return user in facilitators or user in admins


# Reading the clock ------------------------------------------------------------------------------


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def elapsed(state: SessionState, now: datetime) -> int:
    """Seconds the current stage has run, pauses excluded."""
    if state.stage_started_at is None:
        return 0
    until = state.paused_at if state.paused_at is not None else now
    return max(0, airtime.seconds_between(state.stage_started_at, until) - state.paused_seconds)


def time_left(state: SessionState, now: datetime) -> int | None:
    """Seconds left in the current stage (negative once over), or None when nothing is running."""
    _aware(now)
    if state.stage not in RUNNING:
        return None
    return state.allotted - elapsed(state, now)


def current_phase(state: SessionState, now: datetime) -> tuple[AirtimePhase, int] | None:
    """The airtime phase running and the seconds left in it, or None outside an airtime."""
    if state.stage is not Stage.AIRTIME or not state.plan:
        return None
    return airtime.phase_at(state.plan, elapsed(state, now))


def pending(state: SessionState) -> list[str]:
    """Teams still to come, in running order, whether or not they are in the meeting yet."""
    gone = {*state.done, *state.passed, *state.skipped}
    return [t for t in state.order if t not in gone and t != state.current]


def upcoming(state: SessionState) -> str | None:
    """The team that presents next, if any: the first one still to come that is in the meeting."""
    return next((t for t in pending(state) if t not in state.away), None)


def _pool_after(state: SessionState, moment: datetime) -> int:
    reflection_at = state.reflection_at
    if reflection_at is None:
        return 0
    return max(0, airtime.seconds_between(moment, reflection_at))


def expected(state: SessionState, now: datetime) -> dict[str, int]:
    """The airtime each team still to come and in the meeting can expect, if nobody overruns."""
    _aware(now)
    if state.stage not in (Stage.OPENING, Stage.AIRTIME):
        return {}
    left = max(0, time_left(state, now) or 0)
    to_come = [t for t in pending(state) if t not in state.away]
    pool = _pool_after(state, now + timedelta(seconds=left))
    return airtime.forecast(pool, to_come, state.settings.max_airtime_seconds)


def next_due(state: SessionState) -> datetime | None:
    """When `tick` will next have something to do, so that a timer can be set (None: never)."""
    if state.stage not in RUNNING or state.paused or state.stage_started_at is None:
        return None
    end = state.stage_started_at + timedelta(seconds=state.paused_seconds + state.allotted)
    moments = [
        end - timedelta(seconds=threshold)
        for kind, threshold in WARNINGS
        if _applies(state, kind, threshold) and _warning_key(state, kind) not in state.fired
    ]
    nxt = upcoming(state) if state.stage is not Stage.REFLECTION else None
    if nxt is not None and _heads_up_key(state, nxt) not in state.fired:
        moments.append(end - timedelta(seconds=state.settings.heads_up_seconds))
    return min(moments, default=None)


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
    pool = _pool_after(state, now)
    share = airtime.allotments(pool, 1 + len(others), state.settings.max_airtime_seconds)[0]
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
        turns=(*state.turns, Turn(team, elapsed(state, now))),
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
        _aware(ends_at)
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
    _aware(now)
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
        case Joined(team=team):
            return _joined(state, team)
        case Left(team=team):
            return _left(state, team)


# The clock --------------------------------------------------------------------------------------


def _warning_key(state: SessionState, kind: WarningKind) -> str:
    # The allotment is part of the key so that an extension re-arms the warnings.
    return f"{state.stage_number}:{state.allotted}:{kind.value}"


def _heads_up_key(state: SessionState, team: str) -> str:
    return f"{state.stage_number}:next:{team}"


def _applies(state: SessionState, kind: WarningKind, threshold: int) -> bool:
    return kind is WarningKind.TIME_UP or threshold < state.allotted


def tick(state: SessionState, now: datetime) -> Decision:
    """The warnings and the heads-up due at `now` that have not fired yet. When several warnings
    are due at once (a late tick), only the most urgent is given; all are recorded as fired."""
    _aware(now)
    if state.stage not in RUNNING or state.paused:
        return Decision(state)
    left = state.allotted - elapsed(state, now)
    fired = set(state.fired)
    effects: list[Effect] = []
    due = [
        kind
        for kind, threshold in WARNINGS
        if _applies(state, kind, threshold)
        and left <= threshold
        and _warning_key(state, kind) not in fired
    ]
    if due:
        fired.update(_warning_key(state, kind) for kind in due)
        effects += [TimeWarning(due[-1], state.current), UpdateSessionCard()]
    nxt = upcoming(state) if state.stage is not Stage.REFLECTION else None
    if nxt is not None and left <= state.settings.heads_up_seconds:
        key = _heads_up_key(state, nxt)
        if key not in fired:
            fired.add(key)
            effects.append(NotifyNextPresenter(nxt))
    if not effects:
        return Decision(state)
    return Decision(_bump(state, fired=frozenset(fired)), tuple(effects))


# What the session card shows --------------------------------------------------------------------


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
    _aware(now)
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


# Typed commands ---------------------------------------------------------------------------------

UNKNOWN_TEAM = "I could not tell which team you meant: use the name shown on the session card."
UNKNOWN_COMMAND = (
    "Try start, next, back, pass, extend 3, pause, resume, skip NAME, order, reflect or end."
)
ORDER_HELP = "Name the teams to come in the order you want, separated by commas."


def find_team(words: str, names: Mapping[str, str]) -> str | None:
    """The team whose name matches `words`: exactly, or as the only name that starts with them."""
    wanted = " ".join(words.split()).casefold()
    if not wanted:
        return None
    exact = [t for t, n in names.items() if " ".join(n.split()).casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    starts = [t for t, n in names.items() if " ".join(n.split()).casefold().startswith(wanted)]
    return starts[0] if len(starts) == 1 else None


def parse(text: str, names: Mapping[str, str]) -> Command | str:
    """A facilitator's typed command (`start` excepted: it needs the running order), or the
    refusal to show. `names` maps team ids to their names as shown on the session card."""
    word, _, rest = " ".join(text.split()).partition(" ")
    word = word.casefold()
    simple: dict[str, Command] = {
        "next": Next(), "back": Back(), "pass": Pass(), "pause": Pause(), "resume": Resume(),
        "reflect": Reflect(), "end": End(),
    }
    if word in simple and not rest:
        return simple[word]
    if word == "extend":
        return Extend(int(rest)) if rest.isdigit() else BAD_EXTENSION
    if word == "skip":
        team = find_team(rest, names)
        return UNKNOWN_TEAM if team is None else Skip(team)
    if word == "order":
        parts = [p for p in (s.strip() for s in rest.split(",")) if p]
        if not parts:
            return ORDER_HELP
        teams = [find_team(p, names) for p in parts]
        found = [t for t in teams if t is not None]
        return UNKNOWN_TEAM if len(found) != len(teams) else Reorder(tuple(found))
    return UNKNOWN_COMMAND
