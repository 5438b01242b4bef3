"""What every part of the meeting feature needs: the set a session belongs to, who may run it, who
the people are as recipients, and answering the sender privately."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.features.base import Services
from bot.rules import session as s
from bot.rules.booking import Officer, Team, Who
from bot.rules.programme import Programme, Series, SetDef
from bot.store.base import Notice
from bot.turns import Kind, Outcome, Turn
from cards.format import set_title

log = logging.getLogger(__name__)

NOT_LINKED = "This chat is not linked to a set yet: the facilitator types **start** to link it."


@dataclass(frozen=True)
class SetContext:
    """What a set's session needs, loaded once per turn or tick."""

    programme: Programme
    set_def: SetDef
    series: Series | None
    teams: tuple[Team, ...]  # confirmed, in booking order

    @property
    def title(self) -> str:
        return set_title(self.series.title if self.series else "", self.set_def.name)

    @property
    def names(self) -> dict[str, str]:
        return {t.team_id: t.council_name for t in self.teams}

    def team(self, team_id: str | None) -> Team | None:
        return next((t for t in self.teams if t.team_id == team_id), None)


async def load_context(services: Services, set_key: str) -> SetContext | None:
    programme = await services.store.programme()
    set_def = programme.set_by_key(set_key)
    if set_def is None:
        return None
    book = await services.store.book(set_def.series_key)
    return SetContext(programme, set_def, programme.series_by_key(set_def.series_key),
                      book.confirmed(set_key))


def who(turn: Turn) -> Who:
    return Who(turn.person.aad_object_id, turn.person.email)


def identities(turn: Turn) -> list[str]:
    return [i.lower() for i in (turn.person.aad_object_id, turn.person.email) if i]


def officer_keys(officer: Officer) -> list[str]:
    return [k.lower() for k in (officer.aad_object_id, officer.email) if k]


def may_run(services: Services, turn: Turn, set_def: SetDef) -> bool:
    return any(s.may_control(i, set_def.facilitators, services.admins) for i in identities(turn))


def recipient(officer: Officer) -> str:
    return f"user:{officer.aad_object_id}" if officer.aad_object_id else f"email:{officer.email}"


def facilitator_recipient(facilitator: str) -> str:
    return f"email:{facilitator}" if "@" in facilitator else f"user:{facilitator}"


def sender(turn: Turn) -> str | None:
    if turn.person.aad_object_id:
        return f"user:{turn.person.aad_object_id}"
    return f"email:{turn.person.email}" if turn.person.email else None


async def reachable(services: Services, target: str) -> bool:
    """Whether a personal chat with `target` (a recipient key) exists now."""
    kind, _, value = target.partition(":")
    if kind == "email":
        return await services.store.conversation_by_email(value) is not None
    return await services.store.conversation(target) is not None


async def privately(services: Services, turn: Turn, message: str) -> Outcome:
    """A refusal only the sender sees: the answer to their button, or a personal message. A
    personal message goes only where a personal chat exists now: queued for a chat opened later,
    it would arrive out of context."""
    if turn.kind is Kind.ACTION:
        return Outcome.say(message)
    target = sender(turn)
    if target is not None and await reachable(services, target):
        await services.store.enqueue([Notice(target, {"text": message})], turn.now)
        services.kick()
    elif target is not None:
        log.info("refusal dropped: no personal chat")
    return Outcome()
