"""The session's one clock: time left, who comes next and what they can expect, when the stage's
time runs out, and what the clock does by itself: warnings, the next presenter's heads-up, phase
changes within an airtime and, once time is up, a card kept up to date with the overrun.

Everything takes the time `now` from the caller; nothing here reads a clock or performs I/O.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.rules import airtime
from bot.rules.airtime import AirtimePhase
from bot.rules.session.state import (
    RUNNING,
    WARNINGS,
    Decision,
    Effect,
    NotifyNextPresenter,
    SessionState,
    Stage,
    TimeWarning,
    Timing,
    UpdateSessionCard,
    WarningKind,
    aware,
)

# Once time is up the card is redrawn each minute over, so that it shows the overrun and the
# shrinking forecasts of those still to come; for at most this many minutes.
OVERRUN_UPDATES = 30


def elapsed(state: SessionState, now: datetime) -> int:
    """Seconds the current stage has run, pauses excluded."""
    if state.stage_started_at is None:
        return 0
    until = state.paused_at if state.paused_at is not None else now
    return max(0, airtime.seconds_between(state.stage_started_at, until) - state.paused_seconds)


def stage_ends_at(state: SessionState) -> datetime | None:
    """When the current stage's time runs out if the clock runs on (None while paused or idle)."""
    if state.stage_started_at is None or state.paused:
        return None
    return state.stage_started_at + timedelta(seconds=state.paused_seconds + state.allotted)


def time_left(state: SessionState, now: datetime) -> int | None:
    """Seconds left in the current stage (negative once over), or None when nothing is running."""
    aware(now)
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


def pool_after(state: SessionState, moment: datetime) -> int:
    """Seconds of airtime left from `moment` until the reflection round."""
    reflection_at = state.reflection_at
    if reflection_at is None:
        return 0
    return max(0, airtime.seconds_between(moment, reflection_at))


def airtime_cap(state: SessionState) -> int | None:
    """The most one airtime may be given: the series' cap, and a multiple of the fair share made
    at the start, so that time re-shared after early finishes goes to the reflection round rather
    than ballooning the last presenters' airtime."""
    caps = [state.settings.max_airtime_seconds]
    if state.settings.max_share is not None and state.fair_share > 0:
        caps.append(int(state.fair_share * state.settings.max_share))
    return min((c for c in caps if c is not None), default=None)


def expected(state: SessionState, now: datetime) -> dict[str, int]:
    """The airtime each team still to come and in the meeting can expect, if nobody overruns."""
    aware(now)
    if state.stage not in (Stage.OPENING, Stage.AIRTIME):
        return {}
    left = max(0, time_left(state, now) or 0)
    to_come = [t for t in pending(state) if t not in state.away]
    pool = pool_after(state, now + timedelta(seconds=left))
    return airtime.forecast(pool, to_come, airtime_cap(state))


# What the clock does by itself ------------------------------------------------------------------


def _warning_key(state: SessionState, kind: WarningKind) -> str:
    # The allotment is part of the key so that an extension re-arms the warnings.
    return f"{state.stage_number}:{state.allotted}:{kind.value}"


def _heads_up_key(state: SessionState, team: str) -> str:
    return f"{state.stage_number}:next:{team}"


def _overrun_key(state: SessionState, minute: int) -> str:
    return f"{state.stage_number}:{state.allotted}:over:{minute}"


def _applies(state: SessionState, kind: WarningKind, threshold: int) -> bool:
    return kind is WarningKind.TIME_UP or threshold < state.allotted


def _overruns(state: SessionState) -> list[tuple[datetime, str]]:
    """The moments, each full minute over time, at which the card is redrawn, with their keys."""
    end = stage_ends_at(state)
    if end is None or state.stage is Stage.REFLECTION:
        return []
    return [(end + timedelta(minutes=m), _overrun_key(state, m)) for m in range(1, OVERRUN_UPDATES + 1)]


def phase_changes(state: SessionState) -> list[tuple[datetime, str]]:
    """When each later phase of the current airtime begins, with its key, if the clock runs on."""
    if state.stage is not Stage.AIRTIME or state.paused or state.stage_started_at is None:
        return []
    start = state.stage_started_at + timedelta(seconds=state.paused_seconds)
    changes: list[tuple[datetime, str]] = []
    offset = 0
    for index, (_, length) in enumerate(state.plan[:-1], start=1):
        offset += length
        # Not keyed by the allotment: an extension lengthens the phase running, and the phases
        # already reached stay reached.
        changes.append((start + timedelta(seconds=offset), f"{state.stage_number}:phase:{index}"))
    return changes


def next_due(state: SessionState) -> datetime | None:
    """When `tick` will next have something to do, so that a timer can be set (None: never)."""
    end = stage_ends_at(state)
    if state.stage not in RUNNING or end is None:
        return None
    moments = [
        end - timedelta(seconds=threshold)
        for kind, threshold in WARNINGS
        if _applies(state, kind, threshold) and _warning_key(state, kind) not in state.fired
    ]
    nxt = upcoming(state) if state.stage is not Stage.REFLECTION else None
    if nxt is not None and _heads_up_key(state, nxt) not in state.fired:
        moments.append(end - timedelta(seconds=state.settings.heads_up_seconds))
    return min(moments, default=None)


def card_due(state: SessionState) -> datetime | None:
    """The next moment the clock has anything to do: a warning or heads-up (`next_due`), a phase
    change, or a minute more over time."""
    if state.stage not in RUNNING:
        return None
    moments = [at for at, key in (*phase_changes(state), *_overruns(state)) if key not in state.fired]
    due = next_due(state)
    if due is not None:
        moments.append(due)
    return min(moments, default=None)


def tick(state: SessionState, now: datetime) -> Decision:
    """The warnings and the heads-up due at `now` that have not fired yet. When several warnings
    are due at once (a late tick), only the most urgent is given; all are recorded as fired."""
    aware(now)
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
    return Decision(replace(state, fired=frozenset(fired), version=state.version + 1), tuple(effects))


def _reached(state: SessionState, moments: list[tuple[datetime, str]], now: datetime) -> set[str]:
    return {key for at, key in moments if at <= now and key not in state.fired}


def phase_tick(state: SessionState, now: datetime) -> SessionState | None:
    """The state with the phase changes reached by `now` recorded (so that one save, on one instance,
    updates the card for them), or None when no phase has begun since the last."""
    aware(now)
    reached = _reached(state, phase_changes(state), now)
    if not reached:
        return None
    return replace(state, fired=state.fired | reached, version=state.version + 1)


def run_clock(state: SessionState, now: datetime) -> Decision:
    """Everything the clock does at `now`: `tick`, phase changes and the overrun's minutes, merged
    into one decision (one save, so one version step) that redraws the card once."""
    decision = tick(state, now)
    after = decision.state
    reached = _reached(after, [*phase_changes(after), *_overruns(after)], now) if not after.paused else set()
    if not reached:
        return decision
    effects = decision.effects
    if not any(isinstance(e, UpdateSessionCard) for e in effects):
        effects = (*effects, UpdateSessionCard())
    version = state.version + 1
    return Decision(replace(after, fired=after.fired | reached, version=version), effects)


def timing(state: SessionState, now: datetime) -> Timing | None:
    """How far the current part of the session is behind (or ahead of) the plan made at its start,
    and when the session ends at this rate; None when it is not running or has no plan."""
    aware(now)
    if state.stage not in RUNNING or state.started_at is None or state.ends_at is None:
        return None
    opening_end = state.started_at + timedelta(seconds=state.settings.opening_seconds)
    if state.stage is Stage.OPENING:
        planned = opening_end
    elif state.stage is Stage.AIRTIME:
        if state.planned_airtimes <= 0:
            return None
        pool = pool_after(state, opening_end)
        share = airtime.allotments(pool, state.planned_airtimes, airtime_cap(state))[0]
        part = min(len(state.turns) + 1, state.planned_airtimes)
        planned = opening_end + timedelta(seconds=part * share)
    else:
        planned = state.ends_at
    left = time_left(state, now) or 0
    forecast = now + timedelta(seconds=max(0, left))
    behind = airtime.seconds_between(planned, forecast)
    return Timing(behind, state.ends_at + timedelta(seconds=behind))
