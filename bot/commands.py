"""The commands people type, per Teams scope: one table that the router and the manifest share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.rules.session.controls import CONTROLS


class Scope(StrEnum):
    PERSONAL = "personal"
    GROUP_CHAT = "groupChat"
    TEAM = "team"


@dataclass(frozen=True)
class Command:
    name: str  # what is typed, lower case; a command may take words after it
    title: str  # shown in Teams' command menu (manifest commandLists, at most 32 characters)
    description: str  # at most 128 characters
    scopes: frozenset[Scope]


PERSONAL = frozenset({Scope.PERSONAL})
CHATS = frozenset({Scope.PERSONAL, Scope.GROUP_CHAT})
MEETING = frozenset({Scope.GROUP_CHAT})

_OTHERS: tuple[Command, ...] = (
    Command("help", "help", "What I can do here", CHATS),
    Command("sign up", "sign up", "Sign your council up to an Action Learning Set", PERSONAL),
    Command("my sets", "my sets", "Where your council stands in the sets you signed up to", PERSONAL),
    Command("withdraw", "withdraw", "Withdraw your council's team from a set", PERSONAL),
    Command("sets", "sets", "Programme admins: booking, confirmed teams and waiting lists", PERSONAL),
    Command("apologies", "apologies", "Tell the facilitator you cannot come to a session, and why", PERSONAL),
    Command("register", "register", "Facilitators: who attended each session of your set", CHATS),
    # Between sessions (bot.features.between)
    Command("challenge", "challenge", "See and refine your challenge, with the six questions", PERSONAL),
    Command("actions", "actions", "Update your team's actions before the next session", PERSONAL),
    Command("topics", "topics", "Propose and vote on topics for a deep dive in your set", PERSONAL),
    # Evaluation and the report (bot.features.evaluation)
    Command("evaluation", "evaluation", "Evaluate a set you took part in (open when its last session ends)",
            PERSONAL),
    Command("report", "report", "Facilitators: your set's figures: attendance, actions, evaluation",
            PERSONAL),
)
# The facilitator's session controls come from their one table, in its order. Teams lists at most
# 12 commands per scope, so controls such as "resume" and "timecheck" are typed or pressed on the
# session card but kept off the menu.
COMMANDS: tuple[Command, ...] = (
    *_OTHERS,
    *(Command(c.name, c.title, c.description, MEETING) for c in CONTROLS if c.menu and c.typed),
)


def by_scope(scope: Scope) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if scope in c.scopes)


def parse(text: str, scope: Scope) -> tuple[Command, str] | None:
    """Find the command that `text` starts with (the longest name wins) and the words after it."""
    tokens = text.split()
    words = " ".join(tokens).lower()
    best: Command | None = None
    for command in by_scope(scope):
        if (words == command.name or words.startswith(command.name + " ")) and (
            best is None or len(command.name) > len(best.name)
        ):
            best = command
    if best is None:
        return None
    return best, " ".join(tokens[len(best.name.split()) :])
