"""Routes a turn to its handler: typed commands by name, card actions by verb, through tables."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.commands import Scope, parse
from bot.features import actions_update, attendance, challenge, meeting, signup, topics, welcome
from bot.features.base import Handler, Services
from bot.turns import Kind, Outcome, Turn

log = logging.getLogger(__name__)

FEATURES = (welcome, signup, attendance, meeting, challenge, actions_update, topics)

HANDLED: Mapping[str, Handler] = {k: v for f in FEATURES for k, v in f.COMMANDS.items()}
VERBS: Mapping[str, Handler] = {k: v for f in FEATURES for k, v in f.VERBS.items()}
EVENTS: Mapping[str, Handler] = {k: v for f in FEATURES for k, v in getattr(f, "EVENTS", {}).items()}


async def route(services: Services, turn: Turn) -> Outcome:
    if turn.kind is Kind.ADDED:
        return await welcome.welcome(services, turn, "")
    if turn.kind is Kind.ACTION:
        handler = VERBS.get(turn.verb)
        if handler is None:
            log.info("unknown card verb", extra={"verb": turn.verb[:40]})
            return Outcome.say("That button no longer works. Type **help** to see what I can do.")
        return await handler(services, turn, "")
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
