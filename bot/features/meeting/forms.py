"""The officers' private forms: the actions a presenter sets, their review at the next airtime, and
the members' anonymous reflections. Each checks the sender against the set or team the card names."""

from __future__ import annotations

import logging

from bot.features.base import Services
from bot.features.meeting.context import SetContext, load_context
from bot.features.people import answer, who
from bot.rules.booking import Team
from bot.rules.records import REVIEW_STATUSES, ActionReview, ReflectionKind, ReviewStatus
from bot.turns import Outcome, Turn
from cards import session as cards
from cards.session_payloads import ActionsForm, ReflectionForm, ReviewForm, TeamSession

log = logging.getLogger(__name__)

NOT_A_MEMBER = "Only the officers of that team can do that."
NOT_IN_SET = "Only the members of this set can send reflections for it."


async def _own_team(services: Services, turn: Turn, form: TeamSession) -> tuple[SetContext, Team] | None:
    mine = [t for t in await services.store.teams_of(who(turn))
            if t.team_id == form.team_id and t.set_key == form.set_key and t.active]
    ctx = await load_context(services, form.set_key) if mine else None
    if ctx is None or not 1 <= form.number <= len(ctx.set_def.sessions):
        return None
    return ctx, mine[0]


def _email(turn: Turn, team: Team) -> str:
    officer = team.officer(who(turn))
    return officer.email if officer else (turn.person.email or "")


async def save_actions(services: Services, turn: Turn, form: ActionsForm) -> Outcome:
    own = await _own_team(services, turn, form)
    if own is None:
        return Outcome.say(NOT_A_MEMBER)
    ctx, team = own
    key, number = ctx.set_def.key, form.number
    email = _email(turn, team)
    await services.store.save_actions(key, team.team_id, number, email, list(form.texts), turn.now)
    saved = await services.store.actions_of(key, team.team_id, number)
    log.info("actions saved", extra={"set": key, "session": number, "count": len(saved)})
    return answer(turn, cards.actions_saved_card(team.council_name, [i.text for i in saved]))


def _review_status(value: object) -> ReviewStatus | None:
    return next((st for st in REVIEW_STATUSES if st == value), None)


async def save_review(services: Services, turn: Turn, form: ReviewForm) -> Outcome:
    own = await _own_team(services, turn, form)
    if own is None:
        return Outcome.say(NOT_A_MEMBER)
    ctx, team = own
    key, number = ctx.set_def.key, form.number
    positions = {i.position for i in await services.store.actions_of(key, team.team_id, number)}
    statuses = tuple((position, st) for position, value in form.statuses
                     if position in positions and (st := _review_status(value)) is not None)
    review = ActionReview(statuses, form.worked_well, form.worked_less_well, form.learning)
    await services.store.save_review(key, team.team_id, number, review, _email(turn, team), turn.now)
    log.info("actions reviewed", extra={"set": key, "session": number})
    thanks = "Thank you: your review is kept with your actions."
    return answer(turn, cards.notice_card("Review saved", thanks))


async def save_reflection(services: Services, turn: Turn, form: ReflectionForm) -> Outcome:
    teams = await services.store.teams_of(who(turn))
    member = any(t.set_key == form.set_key and t.status == "confirmed" for t in teams)
    author = turn.person.aad_object_id or turn.person.email
    if not member or form.number < 1 or author is None:
        return Outcome.say(NOT_IN_SET)
    texts: list[tuple[ReflectionKind, str]] = [("team", form.team), ("individual", form.individual)]
    if not any(text.strip() for _, text in texts):
        return Outcome.say("Write at least one reflection first.")
    if not await services.store.add_reflection(form.set_key, form.number, author, texts):
        return answer(turn, cards.notice_card("Already sent", "You have already sent your reflections."))
    log.info("reflection kept", extra={"set": form.set_key, "session": form.number})
    return answer(turn, cards.notice_card("Thank you", "Your reflections are kept without your name."))
