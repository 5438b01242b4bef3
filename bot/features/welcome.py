"""Welcome and help: what a newcomer sees first."""

from __future__ import annotations

from bot.commands import by_scope
from bot.features.base import Handler, Services
from bot.turns import Outcome, Turn
from cards.help import help_card
from cards.welcome import welcome_card


async def welcome(services: Services, turn: Turn, args: str) -> Outcome:
    return Outcome.show(welcome_card(in_meeting_chat=turn.chat.is_meeting))


async def show_help(services: Services, turn: Turn, args: str) -> Outcome:
    card = help_card([(c.name, c.description) for c in by_scope(turn.chat.scope)])
    # A button asks for help in place of the clicked card; typed text gets a new message.
    return Outcome(card=card) if turn.verb else Outcome.show(card)


async def not_understood(services: Services, turn: Turn, args: str) -> Outcome:
    names = ", ".join(f"**{c.name}**" for c in by_scope(turn.chat.scope))
    return Outcome.say(f"Sorry, I didn't understand that. You can type {names}.")


COMMANDS: dict[str, Handler] = {"help": show_help}
VERBS: dict[str, Handler] = {"help": show_help}
