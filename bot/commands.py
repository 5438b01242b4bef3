"""The commands people type, per Teams scope: one table that the router and the manifest share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

COMMANDS: tuple[Command, ...] = (
    Command("help", "help", "What I can do here", CHATS),
    Command("sign up", "sign up", "Sign your council up to an Action Learning Set", PERSONAL),
    Command("my sets", "my sets", "Where your council stands in the sets you signed up to", PERSONAL),
    Command("withdraw", "withdraw", "Withdraw your council's team from a set", PERSONAL),
    Command("sets", "sets", "Programme admins: booking, confirmed teams and waiting lists", PERSONAL),
    Command("apologies", "apologies", "Tell the facilitator you cannot come to a session, and why", PERSONAL),
    Command("register", "register", "Facilitators: who attended each session of your set", CHATS),
    # The facilitator's session controls (bot.features.meeting). Teams lists at most 12 commands
    # per scope, so "resume" is typed or pressed on the session card but not on the menu.
    Command("start", "start", "Facilitators: start the session, with the ground rules and running order",
            MEETING),
    Command("next", "next", "Facilitators: the next presenter (or the next part of the session)", MEETING),
    Command("pass", "pass", "Facilitators: the presenter passes; you can go back to them later", MEETING),
    Command("back", "back", "Facilitators: go back to the presenter who passed, or the one before", MEETING),
    Command("extend", "extend N", "Facilitators: give the presenter N more minutes, e.g. extend 3", MEETING),
    Command("pause", "pause", "Facilitators: pause the clock (type resume to carry on)", MEETING),
    Command("skip", "skip NAME", "Facilitators: skip a team today, e.g. skip Leeds", MEETING),
    Command("order", "order", "Facilitators: change the running order of the teams still to come", MEETING),
    Command("reflect", "reflect", "Facilitators: start the closing reflection round", MEETING),
    Command("end", "end", "Facilitators: end the session", MEETING),
    # Between sessions (issue 12)
    Command("challenge", "challenge", "See and refine your challenge, with the six questions", PERSONAL),
    Command("actions", "actions", "Update your team's actions before the next session", PERSONAL),
    Command("topics", "topics", "Propose and vote on topics for a deep dive in your set", PERSONAL),
    # Evaluation and the report (bot.features.evaluation)
    Command("evaluation", "evaluation", "Evaluate a set you took part in (open when its last session ends)",
            PERSONAL),
    Command("report", "report", "Facilitators: your set's figures: attendance, actions, evaluation",
            PERSONAL),
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
