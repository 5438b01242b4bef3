"""Private cues to the presenter's team during a session: "you are next" (the heads-up) and
"2 minutes left".

Each is a notice per officer, queued with the session's save like every other private message. Its
body carries `meeting_cue`, so that the courier first tries Teams' targeted in-meeting notification
(shown to those officers alone, on the meeting stage) and, where the meeting is unknown or Teams
refuses, sends the text as the personal message it is today. A courier that knows nothing of
`meeting_cue` simply sends the text.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.rules.booking import Officer, Team
from bot.rules.records import SessionRun
from bot.store.base import Notice


def _cue(run: SessionRun, kind: str, title: str) -> dict[str, str]:
    return {"chat": run.chat_id, "kind": kind, "title": title}


def next_up(team: Team | None, run: SessionRun, set_title: str, minutes: int,
            recipient: Callable[[Officer], str]) -> list[Notice]:
    """The heads-up to the team that presents next, about `minutes` before its airtime."""
    if team is None:
        return []
    text = (f"You are next in {set_title}: your airtime starts in about {minutes} minutes. "
            "Everyone has a right to their time, and nobody has to take it.")
    return [Notice(recipient(o), {"text": text, "meeting_cue": _cue(run, "next", "You are next")},
                   f"next:{run.set_key}:{run.number}:{team.team_id}:{run.state.stage_number}:{o.email}")
            for o in team.officers]


def two_minutes_left(team: Team | None, run: SessionRun, set_title: str,
                     recipient: Callable[[Officer], str]) -> list[Notice]:
    """The presenter's own warning: two minutes of their airtime left (again after an extension)."""
    if team is None:
        return []
    text = f"Two minutes of your airtime left in {set_title}."
    stage = f"{run.state.stage_number}:{run.state.allotted}"
    return [Notice(recipient(o), {"text": text, "meeting_cue": _cue(run, "two_minutes", "2 minutes left")},
                   f"left2:{run.set_key}:{run.number}:{team.team_id}:{stage}:{o.email}")
            for o in team.officers]
