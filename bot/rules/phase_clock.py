"""When the session card must change though no warning is due: an airtime moving into its next phase
(presenting, questions, actions), so that the card recalls the rule of the phase the group is in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.rules.session import SessionState, Stage, next_due


def _key(state: SessionState, index: int) -> str:
    # Not keyed by the allotment: an extension lengthens the phase running, and the phases already
    # reached stay reached.
    return f"{state.stage_number}:phase:{index}"


def phase_changes(state: SessionState) -> list[tuple[datetime, str]]:
    """When each later phase of the current airtime begins, with its key, if the clock runs on."""
    if state.stage is not Stage.AIRTIME or state.paused or state.stage_started_at is None:
        return []
    start = state.stage_started_at + timedelta(seconds=state.paused_seconds)
    changes: list[tuple[datetime, str]] = []
    offset = 0
    for index, (_, length) in enumerate(state.plan[:-1], start=1):
        offset += length
        changes.append((start + timedelta(seconds=offset), _key(state, index)))
    return changes


def card_due(state: SessionState) -> datetime | None:
    """The next moment the card needs the clock: a warning or heads-up (`next_due`), or a phase change."""
    moments = [at for at, key in phase_changes(state) if key not in state.fired]
    due = next_due(state)
    if due is not None:
        moments.append(due)
    return min(moments, default=None)


def phase_tick(state: SessionState, now: datetime) -> SessionState | None:
    """The state with the phase changes reached by `now` recorded (so that one save, on one instance,
    updates the card for them), or None when no phase has begun since the last."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    reached = {key for at, key in phase_changes(state) if at <= now and key not in state.fired}
    if not reached:
        return None
    return replace(state, fired=state.fired | reached, version=state.version + 1)
