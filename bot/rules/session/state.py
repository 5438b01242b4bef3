"""A session's state in the meeting, its serialisation, and what a decision hands back: the new state,
the effects the caller must carry out once it is saved, or a refusal.

`SessionState` is saved as JSON by compare-and-set on `version`, so a restart or a second instance
continues where the session was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.rules.airtime import AirtimePhase, AirtimeSettings, Plan

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
class Airtime:
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
    turns: tuple[Airtime, ...] = ()
    stage_number: int = 0  # counts stages begun, so that warnings can be keyed per stage
    fired: frozenset[str] = frozenset()
    # The plan made at the start: each presenter's fair share and how many were expected, so that
    # a share can be capped and the time check can compare the session with its plan.
    fair_share: int = 0
    planned_airtimes: int = 0
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
            "fair_share": self.fair_share,
            "planned_airtimes": self.planned_airtimes,
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
            turns=tuple(Airtime(str(t), int(s)) for t, s in data["turns"]),
            stage_number=int(data["stage_number"]),
            fired=frozenset(str(k) for k in data["fired"]),
            # Runs saved before the plan was kept have none: no cap, no time check against it.
            fair_share=int(data.get("fair_share", 0)),
            planned_airtimes=int(data.get("planned_airtimes", 0)),
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


def aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


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


@dataclass(frozen=True)
class Timing:
    """How the session stands against its plan: `behind` seconds (negative: ahead) and the end
    that follows at this rate."""

    behind: int
    ends_at: datetime


@dataclass(frozen=True)
class TellTiming:
    """Tell the room how the session stands against its plan (nothing is saved for it)."""

    timing: Timing


Effect = (
    PostGroundRules | UpdateSessionCard | NotifyNextPresenter | AskForActions | AskForReflections
    | TimeWarning | SessionEnded | TellTiming
)


@dataclass(frozen=True)
class Decision:
    state: SessionState
    effects: tuple[Effect, ...] = ()
    refusal: str | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None
