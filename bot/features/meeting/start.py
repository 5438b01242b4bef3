"""Starting a session: which one is due, its running order and timings, and the facilitator's
confirmation when it is far from its scheduled time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.features.base import Services
from bot.features.meeting.context import (
    NOT_LINKED,
    SetContext,
    load_context,
    may_run,
    officer_keys,
    privately,
)
from bot.features.meeting.effects import apply_command
from bot.rules import rotation
from bot.rules import session as s
from bot.turns import Kind, Outcome, Reply, Turn
from cards import session as cards
from cards.format import london, programme_set_title
from cards.session_payloads import Starting
from cards.verbs import Verb

log = logging.getLogger(__name__)

FACILITATES_NONE = "You are not a facilitator of any set, so you cannot start a session here."
ALL_RUN = "Every session of this set has been run."
# Further than this from its scheduled start, a session starts only once the facilitator confirms.
CONFIRM_BEYOND = timedelta(minutes=30)


async def due_session(services: Services, ctx: SetContext, chat_id: str) -> int | None:
    """The session to start in this chat: the one this chat was made for, if it has not ended, or
    else the set's first session not yet run; None once every session has ended."""
    runs = {r.number: r for r in await services.store.session_runs_of(ctx.set_def.key)}
    ended = {n for n, r in runs.items() if r.state.stage is s.Stage.ENDED}
    for meeting in await services.store.session_meetings(ctx.set_def.key):
        if meeting.chat_id == chat_id and meeting.number not in ended:
            return meeting.number
    running = [n for n, r in runs.items() if r.chat_id == chat_id and r.state.stage in s.RUNNING]
    if running:
        return running[0]
    return next((n for n in range(1, len(ctx.set_def.sessions) + 1) if n not in ended), None)


async def start_command(services: Services, ctx: SetContext, chat_id: str, number: int) -> s.Start:
    set_def = ctx.set_def
    ids = [t.team_id for t in ctx.teams]
    apologies = await services.store.teams_with_apologies(set_def.key, number)
    present = await services.store.presence(chat_id)
    not_joined: set[str] = set()
    if present:
        # Participant events arrived for this meeting, so a team none of whose officers is in has
        # not joined yet; without any events (they are not reliable) everyone is taken as here.
        here = {m for m, inside in present.items() if inside}
        not_joined = {t.team_id for t in ctx.teams
                      if not any(k in here for o in t.officers for k in officer_keys(o))}
    updates: list[str] = []
    earlier = [r for r in await services.store.session_runs_of(set_def.key) if r.number < number]
    if ctx.series is not None and ctx.series.format == "few" and ctx.series.presenters_per_session:
        history = [r.state.done for r in earlier]
        order = rotation.presenters_for_session(ids, ctx.series.presenters_per_session, history,
                                                apologies=apologies)
        updates = rotation.updating_at_opening(ids, order, apologies=apologies)
        order = [t for t in order if t not in not_joined] + [t for t in order if t in not_joined]
    else:
        order = rotation.running_order(ids, number - 1, sessions=len(set_def.sessions),
                                       apologies=apologies, not_joined=not_joined)
    meetings = {m.number: m for m in await services.store.session_meetings(set_def.key)}
    slot = meetings.get(number)
    ends_at = (slot.scheduled_end or slot.ends_at) if slot else None
    settings = await services.store.airtime_settings(set_def.series_key)
    # A review opens the airtime of a team that has presented before (in "a few each session", or
    # after apologies, not every team has), of the actions from its last airtime.
    presented = {a.team for r in earlier for a in r.state.turns}
    return s.Start(tuple(order), session_number=number, ends_at=ends_at,
                   reviews=frozenset(order) & presented, away=frozenset(not_joined) & frozenset(order),
                   updates=tuple(updates), settings=settings)


def scheduled(ctx: SetContext, number: int) -> datetime | None:
    sessions = ctx.set_def.sessions
    return sessions[number - 1].start_utc if 1 <= number <= len(sessions) else None


def confirmation(turn: Turn, ctx: SetContext, number: int) -> Outcome:
    """Ask the facilitator, and only them, to confirm a start far from the scheduled time."""
    when = scheduled(ctx, number)
    assert when is not None
    base = cards.for_facilitator(
        turn.person.channel_user_id, Verb.MEETING_FORM,
        {"form": "start", "set_key": ctx.set_def.key, "number": number},
        f"Start session {number}?", f"Session {number} is scheduled for {london(when)}: "
        "the facilitator is asked to confirm.")
    if turn.kind is Kind.ACTION:
        return Outcome(replies=[Reply(text="Confirm on the card below."), Reply(card=base)])
    return Outcome.show(base)


async def begin(services: Services, turn: Turn, ctx: SetContext, number: int | None = None,
                *, confirmed: bool = False) -> Outcome:
    chat_id = turn.chat.id
    number = number or await due_session(services, ctx, chat_id)
    if number is None:
        return await privately(services, turn, ALL_RUN)
    when = scheduled(ctx, number)
    existing = await services.store.session_run(ctx.set_def.key, number)
    fresh = existing is None or existing.state.stage is s.Stage.NOT_STARTED
    if fresh and not confirmed and when is not None and abs(turn.now - when) > CONFIRM_BEYOND:
        return confirmation(turn, ctx, number)
    command = await start_command(services, ctx, chat_id, number)
    result = await apply_command(services, ctx, ctx.set_def.key, number, chat_id, command, turn.now)
    if isinstance(result, str) or result.refused:
        return await privately(services, turn, result if isinstance(result, str) else str(result.refusal))
    if turn.kind is Kind.ACTION:
        return Outcome(card=cards.notice_card(
            "Session started", f"Session {number} has started. This chat is now linked to {ctx.title}."))
    return Outcome()


def link_card(services: Services, turn: Turn, options: list[tuple[str, str]]) -> Outcome:
    """The card that links an unlinked chat: the sets to choose from, for the facilitator alone."""
    names = ", ".join(title for _, title in options)
    base = cards.for_facilitator(
        turn.person.channel_user_id, Verb.MEETING_FORM, {"form": "link"}, "Which set meets in this chat?",
        f"The facilitator is linking this chat to one of their sets: {names}.")
    return Outcome.show(base)


async def link_options(services: Services, turn: Turn) -> list[tuple[str, str]]:
    programme = await services.store.programme()
    admin = services.is_admin(turn)
    return [(d.key, programme_set_title(programme, d)) for d in programme.sets
            if admin or may_run(services, turn, d)]


async def start(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = await services.store.set_of_chat(turn.chat.id)
    if set_key is None:
        options = await link_options(services, turn)
        if not options:
            return await privately(services, turn, FACILITATES_NONE)
        return link_card(services, turn, options)
    ctx = await load_context(services, set_key)
    if ctx is None:
        return await privately(services, turn, NOT_LINKED)
    if not may_run(services, turn, ctx.set_def):
        return await privately(services, turn, s.NOT_ALLOWED)
    return await begin(services, turn, ctx)


async def start_button(services: Services, turn: Turn, choice: Starting) -> Outcome:
    """From the card that links an unlinked chat to a set (link, then start), or from the
    confirmation of a start far from the scheduled time."""
    ctx = await load_context(services, choice.set_key)
    if ctx is None or not may_run(services, turn, ctx.set_def):
        return Outcome.say(s.NOT_ALLOWED)
    linked = await services.store.set_of_chat(turn.chat.id)
    if linked is not None and linked != ctx.set_def.key:
        return Outcome.say("This chat is already linked to another set.")
    if linked is None:
        by = turn.person.aad_object_id or turn.person.email or turn.person.channel_user_id
        await services.store.link_chat(turn.chat.id, ctx.set_def.key, by, turn.now)
        log.info("meeting chat linked", extra={"set": ctx.set_def.key})
    number = choice.number if scheduled(ctx, choice.number) is not None else None
    return await begin(services, turn, ctx, number, confirmed=choice.confirmed)
