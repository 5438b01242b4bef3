"""Routes a turn to its handler: typed commands by name, card actions by verb, through tables.

A card action's data is parsed here, once, into its verb's payload type (`Action.run`); a verb
that no table routes, or data that does not parse, is answered without reaching a handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.commands import Scope, parse
from bot.features import actions_update, attendance, challenge, evaluation, meeting, signup, topics, welcome
from bot.features.base import Action, Handler, Services
from bot.turns import Kind, Outcome, Reply, Turn
from cards.budget import fits, utf16_size
from cards.payloads import Nothing
from cards.verbs import Verb

log = logging.getLogger(__name__)

FEATURES = (welcome, signup, attendance, meeting, evaluation, challenge, actions_update, topics)
NO_LONGER_WORKS = "That button no longer works. Type **help** to see what I can do."
TOO_LARGE = ("That is too much for one Teams message, so I cannot show it here. A programme admin "
             "can see all of it with **als export**.")


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


def within_budget(outcome: Outcome) -> Outcome:
    """The outcome with any card that Teams would refuse as too large replaced by a short answer:
    the cards keep to `cards.budget` themselves, and this is the net beneath them."""
    def checked(card: dict[str, Any]) -> bool:
        if fits(card):
            return True
        log.warning("card over budget", extra={"bytes": utf16_size(card)})
        return False

    replies = [r if r.card is None or checked(r.card) else Reply(text=TOO_LARGE) for r in outcome.replies]
    card = outcome.card
    if card is not None and not checked(card):
        card = None
        replies = [Reply(text=TOO_LARGE), *replies]  # the button's answer is then this text
    return Outcome(replies=replies, card=card)


async def route(services: Services, turn: Turn) -> Outcome:
    return within_budget(await _route(services, turn))


async def _route(services: Services, turn: Turn) -> Outcome:
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
