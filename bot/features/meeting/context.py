"""What every part of the meeting feature needs: the set a session belongs to, who may run it, and
answering the sender privately (people and their recipient keys are `bot.features.people`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.features.base import Services
from bot.features.people import identities, sender_key
from bot.rules import session as s
from bot.rules.booking import Officer, Team
from bot.rules.programme import Programme, Series, SetDef
from bot.store.base import Notice
from bot.turns import Kind, Outcome, Turn
from cards.format import programme_set_title

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
        return programme_set_title(self.programme, self.set_def)

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


def officer_keys(officer: Officer) -> list[str]:
    """The ids a participant event may name an officer by, lower-cased."""
    return [k.lower() for k in (officer.aad_object_id, officer.email) if k]


def may_run(services: Services, turn: Turn, set_def: SetDef) -> bool:
    return any(s.may_control(i, set_def.facilitators, services.admins) for i in identities(turn.person))


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
    target = sender_key(turn.person)
    if target is not None and await reachable(services, target):
        await services.store.enqueue([Notice(target, {"text": message})], turn.now)
        services.kick()
    elif target is not None:
        log.info("refusal dropped: no personal chat")
    return Outcome()
