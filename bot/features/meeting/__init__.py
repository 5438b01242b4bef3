"""The session in the meeting chat: the facilitator cues airtime, the clock warns, presenters record
actions and review them, members reflect.

Deciding is `bot.rules.session`; this package loads a run, lets the rules decide, saves the result
by compare-and-set with the private messages it calls for (`bot.features.change`), and only then
acts: posts or updates the cards in the chat. `context` holds the set and who may run it, `start`
starting a session, `control` the facilitator's controls and the clock's sweep, `effects` what a
decision makes happen, `forms` the officers' private forms, `presence` participant events.
"""

from typing import Any

from bot.features.base import Action, Handler
from bot.features.meeting import forms
from bot.features.meeting.context import SetContext, load_context
from bot.features.meeting.control import COMMANDS as _CONTROL_COMMANDS
from bot.features.meeting.control import DONE, sweep, unparsed
from bot.features.meeting.control import VERBS as _CONTROL_VERBS
from bot.features.meeting.presence import EVENTS as _PRESENCE_EVENTS
from cards.session_payloads import ActionsForm, ReflectionForm, ReviewForm
from cards.verbs import Verb

COMMANDS: dict[str, Handler] = dict(_CONTROL_COMMANDS)
VERBS: dict[Verb, Action[Any]] = {
    **_CONTROL_VERBS,
    Verb.MEETING_ACTIONS: Action(ActionsForm, forms.save_actions),
    Verb.MEETING_REVIEW: Action(ReviewForm, forms.save_review),
    Verb.MEETING_REFLECTION: Action(ReflectionForm, forms.save_reflection),
}
EVENTS: dict[str, Handler] = dict(_PRESENCE_EVENTS)

__all__ = ["COMMANDS", "DONE", "EVENTS", "VERBS", "SetContext", "load_context", "sweep", "unparsed"]
