"""The session in the meeting chat: the facilitator cues airtime turns, the clock warns, presenters
record actions and review them, members reflect.

Deciding is `bot.rules.session`; this module loads a run, lets the rules decide, saves the result by
compare-and-set (with the private messages it calls for, in the same transaction) and only then acts:
posts or updates the cards in the chat. A restart or a second instance continues from the store, and
a warning is acted on by the one save that wins, not once per instance.

Who may run the session comes from the signed identity (`turn.person`), never from card data: card
data only names a set, a session or a team, and each handler checks the sender against it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.features import cues
from bot.features.base import Handler, Services
from bot.rules import rotation
from bot.rules import session as s
from bot.rules.airtime import AirtimePhase
from bot.rules.booking import Officer, Team, Who
from bot.rules.phase_clock import phase_tick
from bot.rules.programme import Programme, Series, SetDef
from bot.store.base import Notice
from bot.store.session_records import (
    MAX_ACTIONS,
    REVIEW_STATUSES,
    ActionReview,
    ReflectionKind,
    ReviewStatus,
    SessionRun,
)
from bot.turns import Kind, Outcome, Reply, Turn
from cards import session as cards
from cards.format import set_title

log = logging.getLogger(__name__)

NOT_LINKED = "This chat is not linked to a set yet: the facilitator types **start** to link it."
FACILITATES_NONE = "You are not a facilitator of any set, so you cannot start a session here."
NOT_A_MEMBER = "Only the officers of that team can do that."
NOT_IN_SET = "Only the members of this set can send reflections for it."
DONE = "Done."
SAVE_TRIES = 5
JOIN = "meeting.join"
LEAVE = "meeting.leave"


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


def _identities(turn: Turn) -> list[str]:
    return [i.lower() for i in (turn.person.aad_object_id, turn.person.email) if i]


def may_run(services: Services, turn: Turn, set_def: SetDef) -> bool:
    return any(s.may_control(i, set_def.facilitators, services.admins) for i in _identities(turn))


def recipient(officer: Officer) -> str:
    return f"user:{officer.aad_object_id}" if officer.aad_object_id else f"email:{officer.email}"


def facilitator_recipient(facilitator: str) -> str:
    return f"email:{facilitator}" if "@" in facilitator else f"user:{facilitator}"


def _sender(turn: Turn) -> str | None:
    if turn.person.aad_object_id:
        return f"user:{turn.person.aad_object_id}"
    return f"email:{turn.person.email}" if turn.person.email else None


def _session_number(set_def: SetDef, chat_id: str, slots: Sequence[tuple[int, str | None]],
                    now: datetime) -> int:
    """The session this chat was made for, or else the set's session whose start is nearest now."""
    for number, slot_chat in slots:
        if slot_chat == chat_id:
            return number
    starts = [(abs((slot.start_utc - now).total_seconds()), n) for n, slot in enumerate(set_def.sessions, 1)]
    return min(starts)[1] if starts else 1


async def _chat_slots(services: Services, set_key: str) -> list[tuple[int, str | None]]:
    return [(m.number, m.chat_id) for m in await services.store.session_meetings(set_key)]


# Private answers ---------------------------------------------------------------------------------

async def _privately(services: Services, turn: Turn, message: str) -> Outcome:
    """A refusal only the sender sees: the answer to their button, or a personal message."""
    if turn.kind is Kind.ACTION:
        return Outcome.say(message)
    target = _sender(turn)
    if target is not None:
        await services.store.enqueue([Notice(target, {"text": message})], turn.now)
        services.kick()
    return Outcome()


# The session card --------------------------------------------------------------------------------

_card_locks: dict[tuple[str, int], asyncio.Lock] = {}


def _stage_ends_at(state: s.SessionState) -> datetime | None:
    if state.stage_started_at is None or state.paused:
        return None
    return state.stage_started_at + timedelta(seconds=state.paused_seconds + state.allotted)


async def render(services: Services, ctx: SetContext, run: SessionRun, now: datetime) -> dict[str, Any]:
    view = s.view(run.state, now, ctx.names)
    last: tuple[str, ...] = ()
    if view.phase is AirtimePhase.REVIEW and view.presenter_id and run.number > 1:
        items = await services.store.actions_of(run.set_key, view.presenter_id, run.number - 1)
        last = tuple(i.text for i in items)
    return cards.session_card(cards.SessionCardView(
        ctx.title, view, len(ctx.set_def.sessions), _stage_ends_at(run.state), last))


async def refresh_card(services: Services, ctx: SetContext, set_key: str, number: int) -> None:
    """Bring the chat's one session card up to date: drawn from the latest saved state (so that two
    changes racing each other leave the newer on show), posted once, then updated in place."""
    lock = _card_locks.setdefault((set_key, number), asyncio.Lock())
    async with lock:
        run = await services.store.session_run(set_key, number)
        if run is None:
            return
        card = await render(services, ctx, run, services.clock())
        key = f"chat:{run.chat_id}"
        if run.card_activity_id:
            if not await services.chats.update(key, run.card_activity_id, card):
                log.warning("session card not updated", extra={"set": set_key, "session": number})
            return
        activity_id = await services.chats.post(key, card)
        if activity_id:
            await services.store.set_session_card(set_key, number, activity_id)
        else:
            log.warning("session card not posted", extra={"set": set_key, "session": number})


# Effects: private messages (queued with the save) and chat cards (after it) ----------------------

def _next_session_start(ctx: SetContext, number: int) -> datetime | None:
    return ctx.set_def.sessions[number].start_utc if number < len(ctx.set_def.sessions) else None


async def _notices(services: Services, ctx: SetContext, before: SessionRun | None, after: SessionRun,
                   effects: Sequence[s.Effect]) -> list[Notice]:
    set_key, number = after.set_key, after.number
    notices: list[Notice] = []
    for effect in effects:
        match effect:
            case s.NotifyNextPresenter(team=team_id):
                minutes = max(1, after.state.settings.heads_up_seconds // 60)
                notices += cues.next_up(ctx.team(team_id), after, ctx.title, minutes, recipient)
            case s.TimeWarning(kind=s.WarningKind.TWO_MINUTES, team=str() as team_id):
                notices += cues.two_minutes_left(ctx.team(team_id), after, ctx.title, recipient)
            case s.AskForActions(team=team_id):
                team = ctx.team(team_id)
                existing = [i.text for i in await services.store.actions_of(set_key, team_id, number)]
                for o in team.officers if team else ():
                    card = cards.actions_card(
                        set_key=set_key, set_name=ctx.title, number=number, team_id=team_id,
                        team_name=team.council_name if team else team_id, existing=existing,
                        next_session=_next_session_start(ctx, number))
                    notices.append(Notice(recipient(o), {"card": card},
                                          f"actions:{set_key}:{number}:{team_id}:{o.email}"))
            case s.AskForReflections():
                card = cards.reflection_card(set_key=set_key, set_name=ctx.title, number=number)
                for team in ctx.teams:
                    if team.team_id in after.state.order:
                        for o in team.officers:
                            notices.append(Notice(recipient(o), {"card": card},
                                                  f"reflect:{set_key}:{number}:{o.email}"))
            case s.SessionEnded():
                card = cards.reflections_card(ctx.title, number,
                                              await services.store.reflections(set_key, number))
                for f in ctx.set_def.facilitators:
                    notices.append(Notice(facilitator_recipient(f), {"card": card},
                                          f"reflections:{set_key}:{number}:{f}"))
            case _:
                pass
    current = after.state.current
    changed = before is None or before.state.current != current
    if changed and current is not None and current in after.state.reviews and number > 1:
        items = await services.store.actions_of(set_key, current, number - 1)
        team = ctx.team(current)
        if items and team is not None:
            card = cards.review_card(set_key=set_key, number=number - 1, team_id=current,
                                     team_name=team.council_name, actions=items)
            for o in team.officers:
                key = f"review:{set_key}:{number}:{current}:{o.email}"
                notices.append(Notice(recipient(o), {"card": card}, key))
    return notices


async def _act(services: Services, ctx: SetContext, run: SessionRun, effects: Sequence[s.Effect],
               queued: bool) -> None:
    """What the chat must see once a save has won."""
    if queued:
        services.kick()
    if any(isinstance(e, s.PostGroundRules) for e in effects):
        await services.chats.post(f"chat:{run.chat_id}", cards.ground_rules_card(ctx.title, run.number))
    if any(isinstance(e, s.UpdateSessionCard | s.TimeWarning) for e in effects):
        await refresh_card(services, ctx, run.set_key, run.number)
    kinds = [type(e).__name__ for e in effects]
    log.info("session changed", extra={"set": run.set_key, "session": run.number, "effects": kinds})


Decide = Callable[[SessionRun | None], Awaitable[tuple[SessionRun, s.Decision] | str]]


async def _decide_and_save(services: Services, ctx: SetContext, set_key: str, number: int,
                           decide: Decide, now: datetime) -> s.Decision | str:
    """Load, decide, save by compare-and-set, retrying when another turn or instance saved first;
    then act. Returns the decision, or a refusal to show privately."""
    for _ in range(SAVE_TRIES):
        before = await services.store.session_run(set_key, number)
        decided = await decide(before)
        if isinstance(decided, str):
            return decided
        after, decision = decided
        if decision.refused:
            return decision
        if after.state == (before.state if before else None):
            return decision
        notices = await _notices(services, ctx, before, after, decision.effects)
        expected = None if before is None else before.state.version
        if await services.store.save_session_run(after, expected, notices, now):
            await _act(services, ctx, after, decision.effects, bool(notices))
            return decision
    log.warning("session change lost every race", extra={"set": set_key, "session": number})
    return "Others changed the session at the same moment: please try again."


async def _apply(services: Services, ctx: SetContext, set_key: str, number: int, chat_id: str,
                 command: s.Command, now: datetime) -> s.Decision | str:
    async def decide(before: SessionRun | None) -> tuple[SessionRun, s.Decision] | str:
        base = before or SessionRun(set_key, number, chat_id, s.SessionState(session_number=number))
        decision = s.apply(base.state, command, now)
        return replace(base, chat_id=chat_id, state=decision.state), decision

    return await _decide_and_save(services, ctx, set_key, number, decide, now)


# Starting ------------------------------------------------------------------------------------------

async def _start_command(services: Services, ctx: SetContext, chat_id: str, number: int) -> s.Start:
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
                      if not any(k in here for o in t.officers for k in _keys(o))}
    updates: list[str] = []
    if ctx.series is not None and ctx.series.format == "few" and ctx.series.presenters_per_session:
        runs = await services.store.session_runs_of(set_def.key)
        history = [r.state.done for r in runs if r.number < number]
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
    return s.Start(tuple(order), session_number=number, ends_at=ends_at,
                   away=frozenset(not_joined) & frozenset(order), updates=tuple(updates), settings=settings)


def _keys(officer: Officer) -> list[str]:
    return [k.lower() for k in (officer.aad_object_id, officer.email) if k]


async def _start(services: Services, turn: Turn, ctx: SetContext) -> Outcome:
    chat_id = turn.chat.id
    number = _session_number(ctx.set_def, chat_id, await _chat_slots(services, ctx.set_def.key), turn.now)
    command = await _start_command(services, ctx, chat_id, number)
    result = await _apply(services, ctx, ctx.set_def.key, number, chat_id, command, turn.now)
    if isinstance(result, str) or result.refused:
        return await _privately(services, turn, result if isinstance(result, str) else str(result.refusal))
    if turn.kind is Kind.ACTION:
        return Outcome(card=cards.notice_card(
            "Session started", f"This chat is {ctx.title}'s. Session {number} has started."))
    return Outcome()


async def start(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = await services.store.set_of_chat(turn.chat.id)
    if set_key is None:
        programme = await services.store.programme()
        admin = services.is_admin(turn)
        mine = [d for d in programme.sets if admin or may_run(services, turn, d)]
        if not mine:
            return await _privately(services, turn, FACILITATES_NONE)
        options = []
        for d in mine:
            series = programme.series_by_key(d.series_key)
            options.append((d.key, set_title(series.title if series else "", d.name)))
        return Outcome.show(cards.choose_set_card(options))
    ctx = await load_context(services, set_key)
    if ctx is None:
        return await _privately(services, turn, NOT_LINKED)
    if not may_run(services, turn, ctx.set_def):
        return await _privately(services, turn, s.NOT_ALLOWED)
    return await _start(services, turn, ctx)


async def start_button(services: Services, turn: Turn, args: str) -> Outcome:
    """From the card that links an unlinked chat to a set: link, then start."""
    ctx = await load_context(services, str(turn.data.get("set_key", "")))
    if ctx is None or not may_run(services, turn, ctx.set_def):
        return Outcome.say(s.NOT_ALLOWED)
    linked = await services.store.set_of_chat(turn.chat.id)
    if linked is not None and linked != ctx.set_def.key:
        return Outcome.say("This chat is already another set's.")
    if linked is None:
        by = turn.person.aad_object_id or turn.person.email or turn.person.channel_user_id
        await services.store.link_chat(turn.chat.id, ctx.set_def.key, by, turn.now)
        log.info("meeting chat linked", extra={"set": ctx.set_def.key})
    return await _start(services, turn, ctx)


# The facilitator's other controls ----------------------------------------------------------------

async def _running(services: Services, turn: Turn) -> tuple[SetContext, SessionRun] | str | None:
    """The set and run of this chat if the sender may run it; a refusal; or None to stay silent."""
    set_key = await services.store.set_of_chat(turn.chat.id)
    if set_key is None:
        return NOT_LINKED if (turn.mentioned or turn.kind is Kind.ACTION) else None
    ctx = await load_context(services, set_key)
    if ctx is None:
        return NOT_LINKED
    if not may_run(services, turn, ctx.set_def):
        return s.NOT_ALLOWED
    run = await services.store.session_run_in_chat(turn.chat.id)
    if run is None or run.set_key != set_key:
        return s.NOT_STARTED
    return ctx, run


async def _control(services: Services, turn: Turn, command: s.Command | str) -> Outcome:
    found = await _running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await _privately(services, turn, found)
    return await _run_command(services, turn, found, command)


async def _run_command(services: Services, turn: Turn, found: tuple[SetContext, SessionRun],
                       command: s.Command | str) -> Outcome:
    ctx, run = found
    if isinstance(command, str):
        return await _privately(services, turn, command)
    result = await _apply(services, ctx, run.set_key, run.number, run.chat_id, command, turn.now)
    if isinstance(result, str) or result.refused:
        return await _privately(services, turn, result if isinstance(result, str) else str(result.refusal))
    return Outcome.say(DONE) if turn.kind is Kind.ACTION else Outcome()


NO_ARGUMENTS = frozenset({"next", "back", "pass", "pause", "resume", "reflect", "end"})


def _typed(word: str) -> Handler:
    async def handler(services: Services, turn: Turn, args: str) -> Outcome:
        if args and word in NO_ARGUMENTS and not turn.mentioned:
            return Outcome()  # "next week we..." is conversation, not a command
        if word == "order" and not args:
            return await order(services, turn, args)
        found = await _running(services, turn)
        if found is None:
            return Outcome()
        if isinstance(found, str):
            # "extend the deadline" from a member is conversation; a bare "next" is a command.
            return Outcome() if args and not turn.mentioned else await _privately(services, turn, found)
        return await _run_command(services, turn, found, s.parse(f"{word} {args}", found[0].names))

    return handler


def _button(make: Callable[[Turn], s.Command | str]) -> Handler:
    async def handler(services: Services, turn: Turn, args: str) -> Outcome:
        return await _control(services, turn, make(turn))

    return handler


def _team_choice(turn: Turn) -> str:
    return str(turn.data.get("team", "")).strip()


def _extend_minutes(turn: Turn) -> s.Command | str:
    raw = str(turn.data.get("minutes", ""))
    return s.Extend(int(raw)) if raw.isdigit() else s.BAD_EXTENSION


async def _team_command(services: Services, turn: Turn,
                        make: Callable[[str], s.Command]) -> Outcome:
    found = await _running(services, turn)
    team = _team_choice(turn)
    if isinstance(found, tuple) and found[0].team(team) is None:
        return Outcome.say("Choose a team on the card first.")
    return await _control(services, turn, make(team))


async def skip_button(services: Services, turn: Turn, args: str) -> Outcome:
    return await _team_command(services, turn, s.Skip)


async def here_button(services: Services, turn: Turn, args: str) -> Outcome:
    return await _team_command(services, turn, s.Joined)


async def away_button(services: Services, turn: Turn, args: str) -> Outcome:
    return await _team_command(services, turn, s.Left)


async def order(services: Services, turn: Turn, args: str) -> Outcome:
    """Show the card to put the teams still to come in a new order."""
    found = await _running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await _privately(services, turn, found)
    ctx, run = found
    teams = [(t, ctx.names.get(t, t)) for t in s.pending(run.state)]
    if not teams:
        return await _privately(services, turn, s.ROUNDS_OVER)
    card = cards.order_card(teams)
    if turn.kind is Kind.ACTION:
        # The answer to a button would replace the session card for everyone: post the form instead.
        return Outcome(replies=[Reply(text="Choose the new order on the card below."), Reply(card=card)])
    return Outcome.show(card)


async def reorder(services: Services, turn: Turn, args: str) -> Outcome:
    chosen: list[str] = []
    for i in range(1, 20):
        value = turn.data.get(f"position_{i}")
        if value is None:
            break
        if str(value) and str(value) not in chosen:
            chosen.append(str(value))
    outcome = await _control(services, turn, s.Reorder(tuple(chosen)) if chosen else s.BAD_ORDER)
    if outcome.replies and outcome.replies[0].text == DONE:
        return Outcome(card=cards.notice_card("Running order changed",
                                              "The session card shows the new order."))
    return outcome


async def see_reflections(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = await services.store.set_of_chat(turn.chat.id)
    ctx = await load_context(services, set_key) if set_key else None
    if ctx is None or not may_run(services, turn, ctx.set_def):
        return await _privately(services, turn, s.NOT_ALLOWED)
    run = await services.store.session_run_in_chat(turn.chat.id)
    target = _sender(turn)
    if run is None or target is None:
        return await _privately(services, turn, s.NOT_STARTED)
    reflections = await services.store.reflections(run.set_key, run.number)
    card = cards.reflections_card(ctx.title, run.number, reflections)
    await services.store.enqueue([Notice(target, {"card": card})], turn.now)
    services.kick()
    return Outcome.say("I have sent you the reflections, without names, in our personal chat.")


# Cards the officers fill in privately -------------------------------------------------------------

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


# Chat that is not a command, and meeting events ---------------------------------------------------

async def unparsed(services: Services, turn: Turn, args: str) -> Outcome | None:
    """A group-chat message the command table does not know: `resume` (kept off the menu, which
    Teams limits), or conversation, which the bot hears with the chat-message permission and must
    ignore. None: not for this feature (the caller may say it did not understand)."""
    words = " ".join(turn.text.split()).casefold()
    if words == "resume":
        return await _control(services, turn, s.Resume())
    return None if turn.mentioned else Outcome()


def _members(turn: Turn) -> list[str]:
    found = []
    for member in turn.data.get("members") or []:
        user = member.get("user") if isinstance(member, dict) else None
        aad = user.get("aadObjectId") if isinstance(user, dict) else None
        if aad:
            found.append(str(aad).lower())
    return found


async def participants(services: Services, turn: Turn, args: str) -> Outcome:
    """Teams' participant joined or left events: hints (they go missing), kept per chat and, while
    a session runs, applied to its running order."""
    joined = turn.verb == JOIN
    members = _members(turn)
    for member in members:
        await services.store.set_presence(turn.chat.id, member, joined, turn.now)
    set_key = await services.store.set_of_chat(turn.chat.id)
    run = await services.store.session_run_in_chat(turn.chat.id)
    ctx = await load_context(services, set_key) if set_key else None
    if ctx is None or run is None or run.set_key != ctx.set_def.key or run.state.stage not in s.RUNNING:
        return Outcome()
    here = {m for m, inside in (await services.store.presence(turn.chat.id)).items() if inside}
    for team in ctx.teams:
        keys = [k for o in team.officers for k in _keys(o)]
        if not any(m in keys for m in members):
            continue
        if joined:
            command: s.Command = s.Joined(team.team_id)
        elif not any(k in here for k in keys):
            command = s.Left(team.team_id)
        else:
            continue
        await _apply(services, ctx, run.set_key, run.number, run.chat_id, command, turn.now)
    return Outcome()


# The clock ---------------------------------------------------------------------------------------

async def sweep(services: Services, now: datetime) -> int:
    """The timed sweep: warnings and heads-ups that are due. Every instance runs it; the save by
    compare-and-set lets one of them act."""
    acted = 0
    contexts: dict[str, SetContext | None] = {}
    for run in await services.store.due_session_runs(now):
        if run.set_key not in contexts:
            contexts[run.set_key] = await load_context(services, run.set_key)
        ctx = contexts[run.set_key]
        if ctx is None:
            continue
        decision = s.tick(run.state, now)
        effects = decision.effects
        state = decision.state
        moved = phase_tick(state, now)
        if moved is not None:
            # Into questions or actions: the card must recall that phase's rule.
            state = moved
            if not any(isinstance(e, s.UpdateSessionCard) for e in effects):
                effects = (*effects, s.UpdateSessionCard())
        if state == run.state:
            continue
        after = replace(run, state=state)
        notices = await _notices(services, ctx, run, after, effects)
        if await services.store.save_session_run(after, run.state.version, notices, now):
            await _act(services, ctx, after, effects, bool(notices))
            acted += 1
    return acted


COMMANDS: dict[str, Handler] = {
    "start": start,
    **{word: _typed(word) for word in ("next", "back", "pass", "extend", "pause", "skip", "order",
                                      "reflect", "end")},
}
VERBS: dict[str, Handler] = {
    "meeting.start": start_button,
    "meeting.next": _button(lambda turn: s.Next()),
    "meeting.back": _button(lambda turn: s.Back()),
    "meeting.pass": _button(lambda turn: s.Pass()),
    "meeting.extend": _button(_extend_minutes),
    "meeting.pause": _button(lambda turn: s.Pause()),
    "meeting.resume": _button(lambda turn: s.Resume()),
    "meeting.reflect": _button(lambda turn: s.Reflect()),
    "meeting.end": _button(lambda turn: s.End()),
    "meeting.skip": skip_button,
    "meeting.here": here_button,
    "meeting.away": away_button,
    "meeting.order": order,
    "meeting.reorder": reorder,
    "meeting.reflections": see_reflections,
    "meeting.actions": save_actions,
    "meeting.review": save_review,
    "meeting.reflection": save_reflection,
}
EVENTS: dict[str, Handler] = {JOIN: participants, LEAVE: participants}
