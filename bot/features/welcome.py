"""Welcome and help: what a newcomer sees first, the commands each person may use, and an answer
to anything typed that is not a command (a greeting, or the command that was nearly typed)."""

from __future__ import annotations

import difflib
import re
from typing import Any

from bot.commands import MEETING, Command, by_scope
from bot.features.base import Action, Handler, Services, as_action
from bot.features.people import answer, identities
from bot.turns import Outcome, Turn
from cards.help import help_card
from cards.verbs import Verb
from cards.welcome import welcome_card

# Who may use which command; the rest are for everyone. The meeting controls are the facilitators'.
FOR_ADMINS = frozenset({"sets"})
FOR_FACILITATORS = frozenset({"register", "report"})
GREETINGS = frozenset({
    "hi", "hiya", "hello", "hey", "hi there", "hello there", "good morning", "good afternoon",
    "good evening", "morning", "afternoon", "evening",
})
NEAR_MISS = 0.72  # difflib's similarity ratio: "sing up" and "apology" pass, "what is this" does not
_NOT_WORDS = re.compile(r"[^\w\s]")


async def welcome(services: Services, turn: Turn, args: str) -> Outcome:
    return Outcome.show(welcome_card(in_meeting_chat=turn.chat.is_meeting))


async def commands_for(services: Services, turn: Turn) -> tuple[Command, ...]:
    """The commands of this kind of chat that the person may use."""
    admin = services.is_admin(turn)
    facilitator = admin
    if not facilitator:
        mine = identities(turn.person)
        facilitator = any(mine & set(s.facilitators) for s in (await services.store.programme()).sets)

    def may(command: Command) -> bool:
        if command.name in FOR_ADMINS:
            return admin
        if command.name in FOR_FACILITATORS or command.scopes == MEETING:
            return facilitator
        return True

    return tuple(c for c in by_scope(turn.chat.scope) if may(c))


async def show_help(services: Services, turn: Turn, args: str) -> Outcome:
    card = help_card([(c.name, c.description) for c in await commands_for(services, turn)])
    return answer(turn, card)


def _words(text: str) -> str:
    return " ".join(_NOT_WORDS.sub(" ", text).lower().split())


def nearest(text: str, commands: tuple[Command, ...]) -> Command | None:
    """The command that `text` nearly is: "sing up", "signup", "My sets?", "apology"."""
    words = _words(text)
    if not words or len(words.split()) > 3:
        return None
    names = {c.name: c for c in commands}
    for name, command in names.items():
        if words.replace(" ", "") == name.replace(" ", ""):
            return command
    close = difflib.get_close_matches(words, list(names), n=1, cutoff=NEAR_MISS)
    return names[close[0]] if close else None


async def not_understood(services: Services, turn: Turn, args: str) -> Outcome:
    commands = await commands_for(services, turn)
    if _words(turn.text) in GREETINGS:
        first = turn.person.name.split()[0] if turn.person.name.split() else ""
        hello = f"Hello {first}!" if first else "Hello!"
        return Outcome.say(f"{hello} Type **help** to see what I can do.")
    suggestion = nearest(turn.text, commands)
    if suggestion is not None:
        return Outcome.say(f"Did you mean **{suggestion.name}**? Type it as it is written here, or "
                           "**help** to see everything I can do.")
    names = ", ".join(f"**{c.name}**" for c in commands)
    return Outcome.say(f"Sorry, I didn't understand that. You can type {names}.")


COMMANDS: dict[str, Handler] = {"help": show_help}
VERBS: dict[Verb, Action[Any]] = {Verb.HELP: as_action(show_help)}
