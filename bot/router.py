"""Routes a turn to its handler: typed commands by name, card actions by verb, through tables.

A card action's data is parsed here, once, into its verb's payload type (`Action.run`); a verb
that no table routes, or data that does not parse, is answered without reaching a handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.commands import Scope, parse
from bot.features import attendance, meeting, signup, welcome
from bot.features.base import Action, Handler, Services
from bot.turns import Kind, Outcome, Turn
from cards.payloads import Nothing
from cards.verbs import Verb

log = logging.getLogger(__name__)

FEATURES = (welcome, signup, attendance, meeting)
NO_LONGER_WORKS = "That button no longer works. Type **help** to see what I can do."


def _untyped(handler: Handler) -> Action[Nothing]:
    """A verb whose handler still reads the turn's data itself (until its feature has payloads)."""

    async def run(services: Services, turn: Turn, payload: Nothing) -> Outcome:
        return await handler(services, turn, "")

    return Action(Nothing, run)


def _action(entry: Action[Any] | Handler) -> Action[Any]:
    return entry if isinstance(entry, Action) else _untyped(entry)


HANDLED: Mapping[str, Handler] = {k: v for f in FEATURES for k, v in f.COMMANDS.items()}
VERBS: Mapping[Verb, Action[Any]] = {
    Verb(k): _action(v) for f in FEATURES for k, v in f.VERBS.items()
}
EVENTS: Mapping[str, Handler] = {k: v for f in FEATURES for k, v in getattr(f, "EVENTS", {}).items()}


def action_for(verb: str) -> Action[Any] | None:
    try:
        return VERBS.get(Verb(verb))
    except ValueError:
        return None


async def route(services: Services, turn: Turn) -> Outcome:
    if turn.kind is Kind.ADDED:
        return await welcome.welcome(services, turn, "")
    if turn.kind is Kind.ACTION:
        action = action_for(turn.verb)
        if action is None:
            log.info("unknown card verb", extra={"verb": turn.verb[:40]})
            return Outcome.say(NO_LONGER_WORKS)
        return await action.run(services, turn)
    if turn.kind is Kind.MESSAGE:
        parsed = parse(turn.text, turn.chat.scope)
        if parsed is None:
            if turn.chat.scope is Scope.GROUP_CHAT:
                # The bot hears all of a meeting chat: conversation gets no answer unless it was
                # addressed to the bot.
                heard = await meeting.unparsed(services, turn, "")
                if heard is not None:
                    return heard
            return await welcome.not_understood(services, turn, "")
        command, args = parsed
        log.info("command", extra={"command": command.name})
        return await HANDLED[command.name](services, turn, args)
    if turn.kind is Kind.EVENT:
        event = EVENTS.get(turn.verb)
        return Outcome() if event is None else await event(services, turn, "")
    return Outcome()
