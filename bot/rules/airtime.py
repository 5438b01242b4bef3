"""Fair airtime: sharing the time between opening and reflection, in whole seconds, among presenters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

MINUTE = 60
SESSION_LIMIT = 90 * MINUTE

Plan = tuple[tuple["AirtimePhase", int], ...]


class AirtimePhase(StrEnum):
    REVIEW = "review"
    PRESENTING = "presenting"
    QUESTIONS = "questions"
    ACTIONS = "actions"


@dataclass(frozen=True)
class PhaseShares:
    """How an airtime is divided between its phases; weights, normalised when used."""

    review: float = 0.2
    presenting: float = 0.25
    questions: float = 0.4
    actions: float = 0.15

    def __post_init__(self) -> None:
        weights = (self.review, self.presenting, self.questions, self.actions)
        if any(not math.isfinite(w) or w < 0 for w in weights):
            raise ValueError("phase shares cannot be negative or infinite")
        if self.presenting + self.questions + self.actions <= 0:
            raise ValueError("presenting, questions and actions cannot all be zero")

    def weights(self, *, review: bool) -> tuple[tuple[AirtimePhase, float], ...]:
        phases = (
            (AirtimePhase.PRESENTING, self.presenting),
            (AirtimePhase.QUESTIONS, self.questions),
            (AirtimePhase.ACTIONS, self.actions),
        )
        return ((AirtimePhase.REVIEW, self.review), *phases) if review else phases

    def to_dict(self) -> dict[str, float]:
        return {
            "review": self.review,
            "presenting": self.presenting,
            "questions": self.questions,
            "actions": self.actions,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhaseShares:
        return cls(
            review=float(data["review"]),
            presenting=float(data["presenting"]),
            questions=float(data["questions"]),
            actions=float(data["actions"]),
        )


@dataclass(frozen=True)
class AirtimeSettings:
    """A series' session timings. `max_airtime_seconds` caps a share ("a few each session");
    `max_share` caps it at that multiple of the fair share made at the start (None: no cap)."""

    opening_seconds: int = 5 * MINUTE
    reflection_seconds: int = 10 * MINUTE
    session_seconds: int = SESSION_LIMIT
    heads_up_seconds: int = 2 * MINUTE
    max_airtime_seconds: int | None = None
    max_share: float | None = 1.5
    shares: PhaseShares = field(default_factory=PhaseShares)

    def __post_init__(self) -> None:
        if not 0 < self.session_seconds <= SESSION_LIMIT:
            raise ValueError("a session lasts at most 90 minutes")
        if self.opening_seconds < 0 or self.reflection_seconds < 0 or self.heads_up_seconds < 0:
            raise ValueError("timings cannot be negative")
        if self.opening_seconds + self.reflection_seconds >= self.session_seconds:
            raise ValueError("opening and reflection leave no airtime")
        if self.max_airtime_seconds is not None and self.max_airtime_seconds <= 0:
            raise ValueError("the airtime cap must be positive")
        if self.max_share is not None and not (math.isfinite(self.max_share) and self.max_share >= 1):
            raise ValueError("the cap on a share is at least the fair share (1)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "opening_seconds": self.opening_seconds,
            "reflection_seconds": self.reflection_seconds,
            "session_seconds": self.session_seconds,
            "heads_up_seconds": self.heads_up_seconds,
            "max_airtime_seconds": self.max_airtime_seconds,
            "max_share": self.max_share,
            "shares": self.shares.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AirtimeSettings:
        cap = data.get("max_airtime_seconds")
        # Settings saved before the share cap existed get its default.
        most = data.get("max_share", 1.5)
        return cls(
            opening_seconds=int(data["opening_seconds"]),
            reflection_seconds=int(data["reflection_seconds"]),
            session_seconds=int(data["session_seconds"]),
            heads_up_seconds=int(data["heads_up_seconds"]),
            max_airtime_seconds=None if cap is None else int(cap),
            max_share=None if most is None else float(most),
            shares=PhaseShares.from_dict(data["shares"]),
        )


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end, rounded down (negative if end is earlier)."""
    delta = end - start
    return delta.days * 86400 + delta.seconds


def split(total: int, people: int) -> list[int]:
    """Equal whole-second shares of `total`; the last absorbs the remainder, so nothing is lost."""
    if people <= 0:
        return []
    total = max(0, total)
    base = total // people
    return [base] * (people - 1) + [total - base * (people - 1)]


def allotments(pool: int, people: int, cap: int | None = None) -> list[int]:
    """Each presenter's share of `pool` seconds, at most `cap` each; the sum never exceeds pool."""
    shares = split(pool, people)
    return shares if cap is None else [min(cap, s) for s in shares]


def phase_plan(seconds: int, shares: PhaseShares, *, review: bool) -> Plan:
    """An airtime's phases and their lengths, summing to exactly `seconds`."""
    seconds = max(0, seconds)
    # Decimal fractions, so that 0.4 means two fifths, not the nearest binary float.
    weights = [(phase, Fraction(repr(w))) for phase, w in shares.weights(review=review)]
    total = sum((w for _, w in weights), Fraction(0))
    plan: list[tuple[AirtimePhase, int]] = []
    used = 0
    for number, (phase, weight) in enumerate(weights):
        if number == len(weights) - 1:
            length = seconds - used
        else:
            length = int(seconds * weight / total)
        used += length
        plan.append((phase, length))
    return tuple(plan)


def plan_seconds(plan: Plan) -> int:
    return sum(length for _, length in plan)


def phase_index(plan: Plan, elapsed: int) -> int:
    """The index of the phase running after `elapsed` seconds; the last one once time is up."""
    start = 0
    for number, (_, length) in enumerate(plan):
        if elapsed < start + length:
            return number
        start += length
    return len(plan) - 1


def phase_at(plan: Plan, elapsed: int) -> tuple[AirtimePhase, int]:
    """The phase running after `elapsed` seconds and the seconds left in it (negative if over)."""
    if not plan:
        raise ValueError("an empty plan has no phases")
    number = phase_index(plan, elapsed)
    end = plan_seconds(plan[: number + 1])
    return plan[number][0], end - elapsed


def extend_plan(plan: Plan, elapsed: int, seconds: int) -> Plan:
    """The plan with `seconds` added to the phase that is running, where the group is."""
    number = phase_index(plan, elapsed)
    return tuple(
        (phase, length + seconds if n == number else length)
        for n, (phase, length) in enumerate(plan)
    )


def forecast(pool: int, presenters: Sequence[str], cap: int | None = None) -> dict[str, int]:
    """The shares that presenters still to come can expect, in order, if nobody overruns."""
    return dict(zip(presenters, allotments(pool, len(presenters), cap), strict=True))
