"""The facilitator's session controls, one entry each: what is typed, the card verb, the menu line,
the button on the session card, what it takes and the rule it applies.

The command menu (`bot.commands`), the typed-text parser (`parse`), the meeting feature's verb
table and the session card's buttons all read this table, so a new control is one entry here, its
rule in `decide`, and (only if the generic one will not do) a handler in the feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.rules.session import decide as d
from bot.rules.session.state import BAD_EXTENSION, Stage
from cards.verbs import Verb


class Takes(StrEnum):
    """What a control needs besides its name: typed after it, or chosen on the card."""

    NOTHING = "nothing"
    MINUTES = "minutes"  # a whole number of minutes
    TEAM = "team"  # one team, by name when typed, from the card's team picker when pressed
    TEAMS = "teams"  # teams in a new order


class Place(StrEnum):
    """Where a control's button sits on the session card."""

    CUES = "cues"  # the first row: cueing presenters
    STAGE = "stage"  # the second row: the clock and the session's stages
    TEAM = "team"  # under the team picker


LIVE = frozenset({Stage.OPENING, Stage.AIRTIME})
RUNNING = frozenset({*LIVE, Stage.REFLECTION})


@dataclass(frozen=True)
class Button:
    label: str
    place: Place
    style: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    stages: frozenset[Stage] = LIVE
    paused: bool | None = None  # shown only while paused (True) or running (False); None: always


@dataclass(frozen=True)
class Control:
    name: str  # what is typed, lower case
    verb: Verb
    title: str  # Teams' command menu (at most 32 characters)
    description: str  # at most 128 characters
    rule: Callable[..., d.Command] | None  # None: the control has a handler of its own
    takes: Takes = Takes.NOTHING
    menu: bool = True  # on Teams' command menu, which holds at most 12 commands per scope
    typed: bool = True  # may be typed in the meeting chat, not only pressed
    button: Button | None = None
    needs: str = ""  # the answer when what it takes is missing or wrong


CONTROLS: tuple[Control, ...] = (
    Control("start", Verb.MEETING_START, "start",
            "Facilitators: start the session, with the ground rules and running order", None),
    Control("next", Verb.MEETING_NEXT, "next",
            "Facilitators: the next presenter (or the next part of the session)", d.Next,
            button=Button("Next", Place.CUES, "positive")),
    Control("pass", Verb.MEETING_PASS, "pass",
            "Facilitators: the presenter passes; you can go back to them later", d.Pass,
            button=Button("Pass", Place.CUES)),
    Control("back", Verb.MEETING_BACK, "back",
            "Facilitators: go back to the presenter who passed, or the one before", d.Back,
            button=Button("Back", Place.CUES)),
    Control("extend", Verb.MEETING_EXTEND, "extend N",
            "Facilitators: give the presenter N more minutes, e.g. extend 3", d.Extend, Takes.MINUTES,
            button=Button("+2 minutes", Place.CUES, data={"minutes": 2}, stages=RUNNING),
            needs=BAD_EXTENSION),
    Control("pause", Verb.MEETING_PAUSE, "pause",
            "Facilitators: pause the clock (type resume to carry on)", d.Pause,
            button=Button("Pause", Place.STAGE, stages=RUNNING, paused=False)),
    Control("skip", Verb.MEETING_SKIP, "skip NAME", "Facilitators: skip a team today, e.g. skip Leeds",
            d.Skip, Takes.TEAM, button=Button("Skip", Place.TEAM)),
    Control("order", Verb.MEETING_ORDER, "order",
            "Facilitators: change the running order of the teams still to come", d.Reorder, Takes.TEAMS,
            button=Button("Change order", Place.STAGE)),
    Control("reflect", Verb.MEETING_REFLECT, "reflect", "Facilitators: start the closing reflection round",
            d.Reflect, button=Button("Reflection round", Place.STAGE)),
    Control("end", Verb.MEETING_END, "end", "Facilitators: end the session", d.End,
            button=Button("End the session", Place.STAGE, "destructive", stages=RUNNING)),
    # Off the menu, which is full: typed, or pressed on the session card.
    Control("resume", Verb.MEETING_RESUME, "resume", "Facilitators: start the clock again", d.Resume,
            menu=False, button=Button("Resume", Place.STAGE, stages=RUNNING, paused=True)),
    Control("timecheck", Verb.MEETING_TIMECHECK, "timecheck",
            "Facilitators: tell the room how far the session is behind or ahead of plan", d.TimeCheck,
            menu=False, button=Button("Time check", Place.CUES, stages=RUNNING)),
    Control("here", Verb.MEETING_HERE, "here", "Facilitators: a team has joined", d.Joined, Takes.TEAM,
            menu=False, typed=False, button=Button("Has joined", Place.TEAM)),
    Control("away", Verb.MEETING_AWAY, "away", "Facilitators: a team has left", d.Left, Takes.TEAM,
            menu=False, typed=False, button=Button("Has left", Place.TEAM)),
)

BY_NAME: Mapping[str, Control] = {c.name: c for c in CONTROLS if c.typed}
BY_VERB: Mapping[Verb, Control] = {c.verb: c for c in CONTROLS}
