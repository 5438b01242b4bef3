"""The officers' private forms: the actions a presenter sets, their review at the next airtime, and
the members' anonymous reflections. Each checks the sender against the set or team the card names."""

from __future__ import annotations

import logging
from typing import Any

from bot.features.base import Services
from bot.features.meeting.context import SetContext, load_context, who
from bot.rules.booking import Team
from bot.rules.records import MAX_ACTIONS, REVIEW_STATUSES, ActionReview, ReflectionKind, ReviewStatus
from bot.turns import Outcome, Turn
from cards import session as cards

log = logging.getLogger(__name__)

NOT_A_MEMBER = "Only the officers of that team can do that."
NOT_IN_SET = "Only the members of this set can send reflections for it."
async def _own_team(services: Services, turn: Turn) -> tuple[SetContext, Team, int] | None:
    set_key = str(turn.data.get("set_key", ""))
    team_id = str(turn.data.get("team_id", ""))
    raw = str(turn.data.get("number", ""))
    if not raw.isdigit():
        return None
    mine = [t for t in await services.store.teams_of(who(turn))
            if t.team_id == team_id and t.set_key == set_key and t.active]
    ctx = await load_context(services, set_key) if mine else None
    if ctx is None or not 1 <= int(raw) <= len(ctx.set_def.sessions):
        return None
    return ctx, mine[0], int(raw)


def _reply(turn: Turn, card: dict[str, Any]) -> Outcome:
    return Outcome(card=card) if turn.verb else Outcome.show(card)


async def save_actions(services: Services, turn: Turn, args: str) -> Outcome:
    own = await _own_team(services, turn)
    if own is None:
        return Outcome.say(NOT_A_MEMBER)
    ctx, team, number = own
    texts = [str(turn.data.get(f"action_{i}", "")) for i in range(1, MAX_ACTIONS + 1)]
    officer = team.officer(who(turn))
    email = officer.email if officer else (turn.person.email or "")
    await services.store.save_actions(ctx.set_def.key, team.team_id, number, email, texts, turn.now)
    saved = await services.store.actions_of(ctx.set_def.key, team.team_id, number)
    log.info("actions saved", extra={"set": ctx.set_def.key, "session": number, "count": len(saved)})
    return _reply(turn, cards.actions_saved_card(team.council_name, [i.text for i in saved]))


def _review_status(value: object) -> ReviewStatus | None:
    return next((st for st in REVIEW_STATUSES if st == value), None)


async def save_review(services: Services, turn: Turn, args: str) -> Outcome:
    own = await _own_team(services, turn)
    if own is None:
        return Outcome.say(NOT_A_MEMBER)
    ctx, team, number = own
    items = await services.store.actions_of(ctx.set_def.key, team.team_id, number)
    statuses = tuple((i.position, st) for i in items
                     if (st := _review_status(turn.data.get(f"status_{i.position}"))) is not None)
    review = ActionReview(statuses, str(turn.data.get("worked_well", "")),
                          str(turn.data.get("worked_less_well", "")), str(turn.data.get("learning", "")))
    officer = team.officer(who(turn))
    email = officer.email if officer else (turn.person.email or "")
    await services.store.save_review(ctx.set_def.key, team.team_id, number, review, email, turn.now)
    log.info("actions reviewed", extra={"set": ctx.set_def.key, "session": number})
    return _reply(turn, cards.notice_card("Review saved",
                                          "Thank you: your review is kept with your actions."))


async def save_reflection(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = str(turn.data.get("set_key", ""))
    raw = str(turn.data.get("number", ""))
    teams = await services.store.teams_of(who(turn))
    member = any(t.set_key == set_key and t.status == "confirmed" for t in teams)
    author = turn.person.aad_object_id or turn.person.email
    if not member or not raw.isdigit() or author is None:
        return Outcome.say(NOT_IN_SET)
    texts: list[tuple[ReflectionKind, str]] = [
        ("team", str(turn.data.get("team", ""))), ("individual", str(turn.data.get("individual", "")))]
    if not any(text.strip() for _, text in texts):
        return Outcome.say("Write at least one reflection first.")
    if not await services.store.add_reflection(set_key, int(raw), author, texts):
        return _reply(turn, cards.notice_card("Already sent", "You have already sent your reflections."))
    log.info("reflection kept", extra={"set": set_key, "session": int(raw)})
    return _reply(turn, cards.notice_card("Thank you", "Your reflections are kept without your name."))


