"""Shared by the between-sessions features: which of the sender's sets a card or command is about.

Membership is decided from the signed identity (`turn.person`), never from ids in card data: the
data may only name a set, and the sender must be an officer of an active team in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.commands import Scope
from bot.features.base import Services
from bot.rules import booking as b
from bot.rules.programme import Programme, SetDef
from bot.turns import Outcome, Turn
from cards import between as cards
from cards.format import set_title

NOT_AN_OFFICER = ("You are not an officer of a team in a set yet, so there is nothing to show. Type "
                  "**sign up** to join one.")


@dataclass(frozen=True)
class Membership:
    programme: Programme
    set_def: SetDef
    team: b.Team
    officer: b.Officer

    @property
    def title(self) -> str:
        series = self.programme.series_by_key(self.set_def.series_key)
        return set_title(series.title if series else "", self.set_def.name)

    @property
    def theme(self) -> str:
        series = self.programme.series_by_key(self.set_def.series_key)
        return series.theme if series else ""


def who(turn: Turn) -> b.Who:
    return b.Who(turn.person.aad_object_id, turn.person.email)


def reply(turn: Turn, card: dict[str, Any]) -> Outcome:
    # A button's answer replaces its card; typed text gets a new message.
    return Outcome(card=card) if turn.verb else Outcome.show(card)


async def memberships(services: Services, turn: Turn) -> list[Membership]:
    programme = await services.store.programme()
    found: list[Membership] = []
    for team in await services.store.teams_of(who(turn)):
        set_def = programme.set_by_key(team.set_key)
        officer = team.officer(who(turn))
        if team.status == "confirmed" and set_def is not None and officer is not None:
            found.append(Membership(programme, set_def, team, officer))
    return found


PERSONAL_ONLY = ("That is done in your personal chat with me, where only you see it: open the app's chat "
                 "and type **challenge**, **actions** or **topics**.")


def personal_only(turn: Turn) -> Outcome | None:
    """Challenges, actions and topics are shown only in the person's own chat with the bot."""
    return None if turn.chat.scope is Scope.PERSONAL else Outcome.say(PERSONAL_ONLY)


async def chosen(services: Services, turn: Turn, verb: str, title: str,
                 wanted: str = "") -> Membership | Outcome:
    """The membership the turn is about: the card's set, or the only one; else a choice or refusal."""
    elsewhere = personal_only(turn)
    if elsewhere is not None:
        return elsewhere
    mine = await memberships(services, turn)
    if wanted:
        match = next((m for m in mine if m.set_def.key == wanted), None)
        if match is None:
            return Outcome.say("Only the officers of a confirmed team in that set can do that.")
        return match
    if not mine:
        return Outcome.say(NOT_AN_OFFICER)
    if len(mine) == 1:
        return mine[0]
    return reply(turn, cards.choose_set_card(title, verb, [(m.set_def.key, m.title) for m in mine],
                                             "You are in more than one set: which one?"))


async def delivery_line(services: Services, set_key: str) -> str:
    """For the admin's `sets` card: how many of the set's notices went by e-mail or failed."""
    statuses = await services.store.notice_statuses(set_key)
    email = sum(1 for s in statuses if s.status == "email")
    failed = sum(1 for s in statuses if s.status == "failed")
    if not email and not failed:
        return ""
    parts = [f"{email} by e-mail"] if email else []
    parts += [f"{failed} failed"] if failed else []
    return f"{', '.join(parts)} (als notices {set_key})"
