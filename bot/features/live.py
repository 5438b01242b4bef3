"""The live view of a session in the meeting (side panel and shared stage): who may see it, what it
shows, and the facilitator's controls on it.

The page shows the set, the running order, the phase with its ground-rule reminder and the clock:
names, statuses and times only, never a challenge, an action or a reflection. Whoever opens it is
known by the identity Entra signed (`Viewer`); a control goes through the same handler as the
session card's button, so the rules and the checks are the chat's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.commands import Scope
from bot.features import meeting
from bot.features.base import Services
from bot.rules import session as s
from bot.rules.airtime import AirtimePhase
from bot.rules.ground_rules import reminder
from bot.rules.records import SessionRun
from bot.turns import Chat, Kind, Person, Turn
from cards.session import PHASE_TITLES, STAGE_TITLES
from cards.verbs import Verb

Role = Literal["facilitator", "member"]

NOT_LINKED = "This meeting is not linked to a set yet: the facilitator types start in the meeting chat."
NOT_A_MEMBER = "Only the members of this set and its facilitators can see this session."
UNKNOWN_CONTROL = "That control is not known."
CHANGED_MEANWHILE = "The session had just changed, so nothing was done: check the page and press again."

ROW_LABELS = {
    s.RowStatus.DONE: "done",
    s.RowStatus.PRESENTING: "presenting now",
    s.RowStatus.NEXT: "next",
    s.RowStatus.WAITING: "waiting",
    s.RowStatus.PASSED: "passed",
    s.RowStatus.SKIPPED: "skipped",
    s.RowStatus.AWAY: "not joined yet",
}

# The page's controls and the card verbs they stand for (the same handlers as the session card).
CONTROLS: dict[str, Verb] = {
    "next": Verb.MEETING_NEXT,
    "pass": Verb.MEETING_PASS,
    "back": Verb.MEETING_BACK,
    "extend": Verb.MEETING_EXTEND,
    "pause": Verb.MEETING_PAUSE,
    "resume": Verb.MEETING_RESUME,
    "skip": Verb.MEETING_SKIP,
    "reflect": Verb.MEETING_REFLECT,
    "end": Verb.MEETING_END,
}


@dataclass(frozen=True)
class Viewer:
    """Who opened the page, as Entra signed it."""

    object_id: str
    tenant_id: str
    email: str | None
    name: str

    @property
    def identities(self) -> list[str]:
        return [i.lower() for i in (self.object_id, self.email) if i]


@dataclass(frozen=True)
class Access:
    ctx: meeting.SetContext
    role: Role


async def access(services: Services, chat_id: str, viewer: Viewer) -> Access | str:
    """The set of this meeting chat and the viewer's role in it, or the refusal to show."""
    set_key = await services.store.set_of_chat(chat_id)
    ctx = await meeting.load_context(services, set_key) if set_key else None
    if ctx is None:
        return NOT_LINKED
    ids = viewer.identities
    if any(s.may_control(i, ctx.set_def.facilitators, services.admins) for i in ids):
        return Access(ctx, "facilitator")
    members = await services.store.set_members(ctx.set_def.key)
    if any(m.email.lower() in ids or (m.aad_object_id or "").lower() in ids for m in members):
        return Access(ctx, "member")
    return NOT_A_MEMBER


def _phases(state: s.SessionState) -> list[dict[str, Any]]:
    """Each phase of the current airtime, with the seconds left on the airtime's clock at which it
    begins, so that the page moves on at the right second without asking the server."""
    if state.stage is not s.Stage.AIRTIME:
        return []
    out: list[dict[str, Any]] = []
    begun = 0
    for phase, seconds in state.plan:
        hint = reminder(phase.value)
        out.append({"phase": phase.value, "title": PHASE_TITLES[phase], "rule": hint.rule.title,
                    "prompt": hint.prompt, "starts_at_left": state.allotted - begun})
        begun += seconds
    return out


def _phase_title(phase: AirtimePhase | None, stage: s.Stage) -> str:
    return PHASE_TITLES[phase] if phase is not None else STAGE_TITLES[stage]


def page_view(access: Access, run: SessionRun | None, now: datetime) -> dict[str, Any]:
    """What the page shows, as JSON: nothing confidential, whoever asks."""
    ctx = access.ctx
    state = run.state if run is not None else s.SessionState()
    view = s.view(state, now, ctx.names)
    rows = [{"name": r.name, "status": r.status.value, "label": ROW_LABELS[r.status],
             "expected_seconds": r.expected_seconds} for r in view.rows]
    nxt = next((r.name for r in view.rows if r.status is s.RowStatus.NEXT), None)
    body: dict[str, Any] = {
        "set": {"title": ctx.title, "sessions": len(ctx.set_def.sessions)},
        "session": view.session_number if run is not None else None,
        "stage": view.stage.value,
        "stage_title": STAGE_TITLES[view.stage],
        "presenter": view.presenter,
        "next": nxt,
        "phase": view.phase.value if view.phase else None,
        "phase_title": _phase_title(view.phase, view.stage),
        "reminder": {"rule": view.reminder.rule.title, "prompt": view.reminder.prompt},
        "phases": _phases(state),
        "time_left": view.time_left,
        "allotted": state.allotted if view.time_left is not None else None,
        "paused": view.paused,
        "extended_seconds": view.extended_seconds,
        "updates": list(view.updates) if view.stage is s.Stage.OPENING else [],
        "order": rows,
        "version": view.version,
        "role": access.role,
        "controls": _controls(state) if access.role == "facilitator" else [],
        # Who can be skipped: as on the session card, any team that has not had its airtime.
        "teams": ([{"id": t, "name": ctx.names.get(t, t)} for t in state.order
                   if t not in state.done and t not in state.skipped]
                  if access.role == "facilitator" else []),
    }
    return body


def _controls(state: s.SessionState) -> list[str]:
    """The controls that can do something now (the rules still decide when one is pressed)."""
    if state.stage not in s.RUNNING:
        return []
    pause = "resume" if state.paused else "pause"
    if state.stage is s.Stage.REFLECTION:
        return [pause, "extend", "end"]
    return ["next", "pass", "back", "extend", pause, "skip", "reflect", "end"]


def control_turn(chat_id: str, viewer: Viewer, control: str, *, minutes: str | None = None,
                 team: str | None = None, now: datetime) -> Turn | None:
    """The card action a control stands for, as the viewer's own button press in the meeting chat."""
    verb = CONTROLS.get(control)
    if verb is None:
        return None
    data: dict[str, Any] = {}
    if control == "extend":
        data["minutes"] = minutes if minutes is not None else "2"  # the rules check it
    if control == "skip":
        data["team"] = team or ""
    if control == "end":
        # The chat's "End the session" asks first with a card; the page's own button is the
        # facilitator's deliberate press (the page may ask before sending it).
        data["confirmed"] = True
    return Turn(
        kind=Kind.ACTION,
        activity_id=f"live:{uuid.uuid4()}",
        person=Person(channel_user_id="", aad_object_id=viewer.object_id, name=viewer.name,
                      email=viewer.email),
        chat=Chat(id=chat_id, scope=Scope.GROUP_CHAT, tenant_id=viewer.tenant_id, is_meeting=True),
        now=now,
        verb=verb.value,
        data=data,
    )


def answer_text(replies: Sequence[str]) -> tuple[bool, str]:
    """Whether the handler did it (it says "Done.") and what to show."""
    said = next((r for r in replies if r), meeting.DONE)
    return said == meeting.DONE, said
