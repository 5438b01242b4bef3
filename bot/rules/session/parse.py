"""A facilitator's typed command, read through the controls table into a command or a refusal."""

from __future__ import annotations

from collections.abc import Mapping

from bot.rules.session.controls import BY_NAME, Control, Takes
from bot.rules.session.decide import Command

UNKNOWN_TEAM = "I could not tell which team you meant: use the name shown on the session card."
_TYPED = [c.title for c in BY_NAME.values()]
UNKNOWN_COMMAND = f"Try {', '.join(_TYPED[:-1])} or {_TYPED[-1]}."
ORDER_HELP = "Name the teams to come in the order you want, separated by commas."


def find_team(words: str, names: Mapping[str, str]) -> str | None:
    """The team whose name matches `words`: exactly, or as the only name that starts with them."""
    wanted = " ".join(words.split()).casefold()
    if not wanted:
        return None
    exact = [t for t, n in names.items() if " ".join(n.split()).casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    starts = [t for t, n in names.items() if " ".join(n.split()).casefold().startswith(wanted)]
    return starts[0] if len(starts) == 1 else None


def arguments(control: Control, rest: str, names: Mapping[str, str]) -> Command | str:
    """The command `control` makes of the words typed after its name, or the refusal to show."""
    assert control.rule is not None
    match control.takes:
        case Takes.NOTHING:
            return UNKNOWN_COMMAND if rest else control.rule()
        case Takes.MINUTES:
            return control.rule(int(rest)) if rest.isdigit() else control.needs
        case Takes.TEAM:
            team = find_team(rest, names)
            return UNKNOWN_TEAM if team is None else control.rule(team)
        case Takes.TEAMS:
            parts = [p for p in (s.strip() for s in rest.split(",")) if p]
            if not parts:
                return ORDER_HELP
            teams = [find_team(p, names) for p in parts]
            found = [t for t in teams if t is not None]
            return UNKNOWN_TEAM if len(found) != len(teams) else control.rule(tuple(found))


def parse(text: str, names: Mapping[str, str]) -> Command | str:
    """A facilitator's typed command (`start` excepted: it needs the running order), or the
    refusal to show. `names` maps team ids to their names as shown on the session card."""
    word, _, rest = " ".join(text.split()).partition(" ")
    control = BY_NAME.get(word.casefold())
    if control is None or control.rule is None:
        return UNKNOWN_COMMAND
    return arguments(control, rest, names)
