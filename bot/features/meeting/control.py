"""The facilitator's controls in the meeting chat, typed or pressed, read from the rules' table of
controls; the facilitator-only forms; and the clock's sweep.

Who may run the session comes from the signed identity (`turn.person`), never from card data: card
data only names a set, a session or a team, and each handler checks the sender against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.features.base import Action, Handler, Services, as_action
from bot.features.meeting.context import (
    NOT_LINKED,
    SetContext,
    load_context,
    may_run,
    privately,
    reachable,
)
from bot.features.meeting.effects import apply_command, change_session
from bot.features.meeting.start import link_options, scheduled, start, start_button
from bot.features.people import sender_key
from bot.rules import session as s
from bot.rules.records import SessionRun
from bot.store.base import Notice
from bot.turns import Kind, Outcome, Reply, Turn
from cards import session as cards
from cards.payloads import Nothing, Payload
from cards.session_payloads import Ending, FormWanted, Minutes, NewOrder, Starting, TeamPicked
from cards.verbs import Verb

DONE = "Done."
CHOOSE_TEAM = "Choose a team on the card first."


async def running(services: Services, turn: Turn) -> tuple[SetContext, SessionRun] | str | None:
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


def _told(turn: Turn, decision: s.Decision) -> Outcome | None:
    """What the room is told for a decision that only reports (the time check)."""
    lines = [cards.timing_text(e.timing) for e in decision.effects if isinstance(e, s.TellTiming)]
    if not lines:
        return None
    if turn.kind is Kind.ACTION:
        return Outcome(replies=[Reply(text=DONE), *(Reply(text=line) for line in lines)])
    return Outcome(replies=[Reply(text=line) for line in lines])


async def run_command(services: Services, turn: Turn, found: tuple[SetContext, SessionRun],
                      command: s.Command | str) -> Outcome:
    ctx, run = found
    if isinstance(command, str):
        return await privately(services, turn, command)
    result = await apply_command(services, ctx, run.set_key, run.number, run.chat_id, command, turn.now)
    if isinstance(result, str) or result.refused:
        return await privately(services, turn, result if isinstance(result, str) else str(result.refusal))
    told = _told(turn, result)
    if told is not None:
        return told
    return Outcome.say(DONE) if turn.kind is Kind.ACTION else Outcome()


async def control(services: Services, turn: Turn, command: s.Command | str) -> Outcome:
    found = await running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await privately(services, turn, found)
    return await run_command(services, turn, found, command)


# Typed -------------------------------------------------------------------------------------------

def typed(entry: s.Control) -> Handler:
    """The handler for a control typed in the meeting chat, e.g. "next" or "extend 3"."""

    async def handler(services: Services, turn: Turn, args: str) -> Outcome:
        if args and entry.takes is s.Takes.NOTHING and not turn.mentioned:
            return Outcome()  # "next week we..." is conversation, not a command
        special = TYPED.get(entry.name)
        if special is not None and not args:
            return await special(services, turn, args)
        found = await running(services, turn)
        if found is None:
            return Outcome()
        if isinstance(found, str):
            # "extend the deadline" from a member is conversation; a bare "next" is a command.
            return Outcome() if args and not turn.mentioned else await privately(services, turn, found)
        return await run_command(services, turn, found, s.arguments(entry, args, found[0].names))

    return handler


async def unparsed(services: Services, turn: Turn, args: str) -> Outcome | None:
    """A group-chat message the command table does not know: a control kept off the menu (which
    Teams limits), such as `resume` or `timecheck`, or conversation, which the bot hears with the
    chat-message permission and must ignore. None: not for this feature (the caller may say it did
    not understand)."""
    word, _, rest = " ".join(turn.text.split()).partition(" ")
    entry = s.BY_NAME.get(word.casefold())
    if entry is not None and not entry.menu and (not rest or turn.mentioned):
        return await typed(entry)(services, turn, rest)
    return None if turn.mentioned else Outcome()


# Pressed -----------------------------------------------------------------------------------------

# What a control's button carries, by what the control takes.
PAYLOADS: Mapping[s.Takes, type[Payload]] = {
    s.Takes.NOTHING: Nothing, s.Takes.MINUTES: Minutes, s.Takes.TEAM: TeamPicked, s.Takes.TEAMS: NewOrder,
}


def _from_card(entry: s.Control, payload: Payload, ctx: SetContext) -> s.Command | str:
    """The command a pressed button makes, from what the card sent (a choice, never an identity)."""
    assert entry.rule is not None
    match payload:
        case Minutes(minutes=minutes):
            return entry.needs if minutes is None else entry.rule(minutes)
        case TeamPicked(team=team):
            return entry.rule(team) if ctx.team(team) is not None else CHOOSE_TEAM
        case NewOrder(teams=teams):
            return entry.rule(teams) if teams else s.BAD_ORDER
        case _:
            return entry.rule()


async def _pressed(services: Services, turn: Turn, entry: s.Control, payload: Payload) -> Outcome:
    found = await running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await privately(services, turn, found)
    command = _from_card(entry, payload, found[0])
    if command == CHOOSE_TEAM:
        return Outcome.say(CHOOSE_TEAM)
    return await run_command(services, turn, found, command)


def pressed(entry: s.Control) -> Action[Any]:
    """The route of a control's button on the session card."""

    async def handler(services: Services, turn: Turn, payload: Payload) -> Outcome:
        return await _pressed(services, turn, entry, payload)

    return Action(PAYLOADS[entry.takes], handler)


# Facilitator-only forms --------------------------------------------------------------------------

def _facilitator_only(turn: Turn, form: str, title: str, line: str, answer: str) -> Outcome:
    base = cards.for_facilitator(turn.person.channel_user_id, Verb.MEETING_FORM, {"form": form}, title, line)
    if turn.kind is Kind.ACTION:
        # The answer to a button would replace the session card: post the form instead.
        return Outcome(replies=[Reply(text=answer), Reply(card=base)])
    return Outcome.show(base)


async def order(services: Services, turn: Turn, args: str) -> Outcome:
    """The form to put the teams still to come in a new order, for the facilitator alone."""
    found = await running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await privately(services, turn, found)
    if not s.pending(found[1].state):
        return await privately(services, turn, s.ROUNDS_OVER)
    return _facilitator_only(turn, "order", "Change the running order",
                             f"{turn.person.name or 'The facilitator'} is choosing a new running order.",
                             "Choose the new order on the card below.")


async def end_pressed(services: Services, turn: Turn, payload: Ending) -> Outcome:
    """The confirmation's own button ends the session; the session card's asks first."""
    if payload.confirmed:
        return await control(services, turn, s.End())
    return await end(services, turn, "")


async def end(services: Services, turn: Turn, args: str) -> Outcome:
    """Ending asks first."""
    found = await running(services, turn)
    if found is None:
        return Outcome()
    if isinstance(found, str):
        return await privately(services, turn, found)
    if found[1].state.stage not in s.RUNNING:
        return await privately(services, turn, s.ENDED)
    return _facilitator_only(turn, "end", f"End session {found[1].number}?",
                             "The facilitator is asked to confirm the end of the session.",
                             "Confirm on the card below.")


async def form(services: Services, turn: Turn, wanted: FormWanted) -> Outcome:
    """Teams' refresh of a facilitator-only card: the form itself, for a facilitator."""
    kind = wanted.form
    if kind == "link":
        options = await link_options(services, turn)
        return Outcome(card=cards.choose_set_card(options)) if options else Outcome.say(s.NOT_ALLOWED)
    if kind == "start":
        ctx = await load_context(services, wanted.set_key)
        when = scheduled(ctx, wanted.number) if ctx else None
        if ctx is None or when is None or not may_run(services, turn, ctx.set_def):
            return Outcome.say(s.NOT_ALLOWED)
        return Outcome(card=cards.confirm_start_card(ctx.set_def.key, ctx.title, wanted.number, when))
    found = await running(services, turn)
    if not isinstance(found, tuple):
        return Outcome.say(found or s.NOT_ALLOWED)
    ctx, run = found
    if kind == "order":
        teams = [(t, ctx.names.get(t, t)) for t in s.pending(run.state)]
        return Outcome(card=cards.order_card(teams)) if teams else Outcome.say(s.ROUNDS_OVER)
    if kind == "end":
        return Outcome(card=cards.confirm_end_card(run.number))
    return Outcome.say("That form is no longer available.")


async def reorder(services: Services, turn: Turn, payload: NewOrder) -> Outcome:
    outcome = await _pressed(services, turn, s.BY_NAME["order"], payload)
    if outcome.replies and outcome.replies[0].text == DONE:
        return Outcome(card=cards.notice_card("Running order changed",
                                              "The session card shows the new order."))
    return outcome


async def see_reflections(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = await services.store.set_of_chat(turn.chat.id)
    ctx = await load_context(services, set_key) if set_key else None
    if ctx is None or not may_run(services, turn, ctx.set_def):
        return await privately(services, turn, s.NOT_ALLOWED)
    run = await services.store.session_run_in_chat(turn.chat.id)
    target = sender_key(turn.person)
    if run is None or target is None:
        return await privately(services, turn, s.NOT_STARTED)
    if not await reachable(services, target):
        return Outcome.say("Open a personal chat with me first, and I will send you the reflections there.")
    reflections = await services.store.reflections(run.set_key, run.number)
    card = cards.reflections_card(ctx.title, run.number, reflections)
    await services.store.enqueue([Notice(target, {"card": card})], turn.now)
    services.kick()
    return Outcome.say("I have sent you the reflections, without names, in our personal chat.")


# The clock ---------------------------------------------------------------------------------------

async def sweep(services: Services, now: datetime) -> int:
    """The timed sweep: whatever the clock does now, for each session due. Every instance runs it;
    the save by compare-and-set (with its retries) lets one of them act."""
    acted = 0
    contexts: dict[str, SetContext | None] = {}
    for due in await services.store.due_session_runs(now):
        if due.set_key not in contexts:
            contexts[due.set_key] = await load_context(services, due.set_key)
        ctx = contexts[due.set_key]
        if ctx is None:
            continue

        def rule(before: SessionRun | None) -> tuple[SessionRun, s.Decision] | str:
            if before is None:
                return "gone"
            decision = s.run_clock(before.state, now)
            return replace(before, state=decision.state), decision

        result = await change_session(services, ctx, due.set_key, due.number, rule, now)
        if isinstance(result, s.Decision) and result.effects:
            acted += 1
    return acted


# The tables --------------------------------------------------------------------------------------

# Controls whose typed form (with nothing after the name) or button needs more than the generic
# handler; every other control is its table entry and its rule.
TYPED: Mapping[str, Handler] = {"order": order, "end": end}
SPECIAL: Mapping[str, Handler] = {"start": start}
PRESSED: Mapping[Verb, Action[Any]] = {
    Verb.MEETING_START: Action(Starting, start_button), Verb.MEETING_ORDER: as_action(order),
    Verb.MEETING_END: Action(Ending, end_pressed),
}

COMMANDS: dict[str, Handler] = {
    c.name: SPECIAL.get(c.name) or typed(c) for c in s.CONTROLS if c.typed and c.menu
}
VERBS: dict[Verb, Action[Any]] = {
    **{c.verb: PRESSED.get(c.verb) or pressed(c) for c in s.CONTROLS},
    Verb.MEETING_REORDER: Action(NewOrder, reorder),
    Verb.MEETING_FORM: Action(FormWanted, form),
    Verb.MEETING_REFLECTIONS: as_action(see_reflections),
}
