"""Update actions before a session (personal chat): from session 2 on, the officer's team's actions
from its last airtime, each done / partly / not done, with notes. Saved through the same store
method as the in-meeting review (`save_review` for the session the actions were set in), so it fills
the review part of the team's next airtime and can still be changed in the meeting."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.features.base import Action, Handler, Services
from bot.features.between import Membership, chosen, reply
from bot.rules.records import REVIEW_STATUSES, ActionItem, ActionReview, ReviewStatus
from bot.turns import Outcome, Turn
from cards import between as cards
from cards.payloads_between import NOTE_IDS, ActionsUpdate, SetOfMine
from cards.session import NOTE_MAX
from cards.verbs import Verb

log = logging.getLogger(__name__)


def next_session(m: Membership, now: datetime) -> int | None:
    """The number of the set's next session not yet started."""
    return next((i for i, s in enumerate(m.set_def.sessions, 1) if s.start_utc > now), None)


async def last_airtime(services: Services, m: Membership, before: int) -> tuple[int, list[ActionItem]] | None:
    """The latest session before `before` in which the team set actions (its last airtime)."""
    for number in range(before - 1, 0, -1):
        items = await services.store.actions_of(m.set_def.key, m.team.team_id, number)
        if items:
            return number, items
    return None


async def _card(services: Services, m: Membership, number: int, upcoming: int, items: list[ActionItem],
                *, saved: bool = False) -> dict[str, Any]:
    review = await services.store.review_of(m.set_def.key, m.team.team_id, number)
    notes = {} if review is None else {"worked_well": review.worked_well,
                                       "worked_less_well": review.worked_less_well,
                                       "learning": review.learning}
    lines = [cards.ActionLine(i.position, i.text, i.status) for i in items]
    return cards.actions_update_card(set_key=m.set_def.key, set_title=m.title, team_name=m.team.council_name,
                                     number=number, next_number=upcoming, actions=lines, notes=notes,
                                     saved=saved)


async def _found(services: Services, turn: Turn,
                 set_key: str) -> tuple[Membership, int, int, list[ActionItem]] | Outcome:
    found = await chosen(services, turn, Verb.ACTIONS_SHOW, "Update your actions", set_key)
    if isinstance(found, Outcome):
        return found
    upcoming = next_session(found, turn.now)
    if upcoming is None:
        return Outcome.say("Your set has no sessions to come, so there are no actions to update.")
    if upcoming == 1:
        return Outcome.say("Action updates start from session 2: you set your first actions in session 1.")
    last = await last_airtime(services, found, upcoming)
    if last is None:
        return Outcome.say(f"Your team has no actions recorded before session {upcoming} yet. Actions are "
                           "set at the end of each airtime.")
    return found, upcoming, last[0], last[1]


async def show(services: Services, turn: Turn, args: str) -> Outcome:
    return await open_card(services, turn, SetOfMine())


async def open_card(services: Services, turn: Turn, choice: SetOfMine) -> Outcome:
    found = await _found(services, turn, choice.set_key)
    if isinstance(found, Outcome):
        return found
    m, upcoming, number, items = found
    return reply(turn, await _card(services, m, number, upcoming, items))


def _status(value: object) -> ReviewStatus | None:
    return next((st for st in REVIEW_STATUSES if st == value), None)


async def save(services: Services, turn: Turn, update: ActionsUpdate) -> Outcome:
    found = await _found(services, turn, update.set_key)
    if isinstance(found, Outcome):
        return found
    m, upcoming, number, items = found
    values = update.values
    if update.number != number:
        # The card was for other actions (a session has passed since): show the current ones.
        return reply(turn, await _card(services, m, number, upcoming, items))
    statuses = tuple((i.position, st) for i in items
                     if (st := _status(values.get(f"status_{i.position}"))) is not None)
    review = ActionReview(statuses, *(values.get(k, "")[:NOTE_MAX] for k in NOTE_IDS))
    await services.store.save_review(m.set_def.key, m.team.team_id, number, review, m.officer.email, turn.now)
    log.info("actions updated", extra={"set": m.set_def.key, "session": number})
    saved = await services.store.actions_of(m.set_def.key, m.team.team_id, number)
    return reply(turn, await _card(services, m, number, upcoming, saved, saved=True))


COMMANDS: dict[str, Handler] = {"actions": show}
VERBS: dict[Verb, Action[Any]] = {
    Verb.ACTIONS_SHOW: Action(SetOfMine, open_card),
    Verb.ACTIONS_SAVE: Action(ActionsUpdate, save),
}
