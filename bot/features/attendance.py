"""Apologies and the register: officers send apologies in personal chat; facilitators see the register.

Who may do what comes from the signed identity: an apology is always the sender's own (card data
names only a set and a session), and the register is shown only to the set's facilitators and the
programme admins. In a meeting chat the register is sent to the asker's personal chat instead, since
everyone in the meeting chat would see a card posted there.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.commands import Scope
from bot.features.base import Action, Handler, Services, as_action
from bot.features.choosing import chosen_set, named_or_only
from bot.features.meeting.context import privately
from bot.features.people import answer, facilitator_key, identities, user_key, who
from bot.rules import attendance as a
from bot.rules.booking import Team
from bot.rules.programme import Programme, SetDef
from bot.store.base import Notice
from bot.turns import Outcome, Turn
from cards import attendance as cards
from cards.format import programme_set_title
from cards.payloads import ApologiesSent, ApologiesWithdrawn, RegisterChoice, session_value
from cards.verbs import Verb

log = logging.getLogger(__name__)

NOT_ALLOWED = "Only this set's facilitators and the programme admins can see its register."


def facilitates(set_def: SetDef, turn: Turn) -> bool:
    return bool(identities(turn.person) & set(set_def.facilitators))


def may_see_register(services: Services, turn: Turn, set_def: SetDef) -> bool:
    return services.is_admin(turn) or facilitates(set_def, turn)


# Apologies ------------------------------------------------------------------------------------

async def _confirmed_teams(services: Services, turn: Turn) -> list[Team]:
    return [t for t in await services.store.teams_of(who(turn)) if t.status == "confirmed"]


async def _coming(services: Services, turn: Turn, now: datetime) -> list[cards.ComingSession]:
    programme = await services.store.programme()
    coming: list[cards.ComingSession] = []
    for team in await _confirmed_teams(services, turn):
        set_def = programme.set_by_key(team.set_key)
        officer = team.officer(who(turn))
        if set_def is None or officer is None:
            continue
        standing = {
            ap.session_number: ap.reason for ap in await services.store.apologies(set_def.key)
            if ap.standing and ap.officer_email == officer.email
        }
        for number, slot in enumerate(set_def.sessions, start=1):
            if slot.start_utc > now:
                coming.append(cards.ComingSession(set_def.key, programme_set_title(programme, set_def),
                                                  number, slot.start_utc, slot.end_utc, standing.get(number)))
    return sorted(coming, key=lambda s: s.start)


async def apologies(services: Services, turn: Turn, args: str) -> Outcome:
    return answer(turn, cards.apologies_card(await _coming(services, turn, turn.now)))


async def _own(services: Services, turn: Turn, set_key: str, number: int) -> tuple[
        Programme, SetDef, Team, str] | None:
    """The sender's confirmed team and officer e-mail in that set, if the session exists."""
    programme = await services.store.programme()
    set_def = programme.set_by_key(set_key)
    if set_def is None or not 1 <= number <= len(set_def.sessions):
        return None
    for team in await _confirmed_teams(services, turn):
        officer = team.officer(who(turn))
        if team.set_key == set_key and officer is not None:
            return programme, set_def, team, officer.email
    return None


def _notices(programme: Programme, set_def: SetDef, team: Team, email: str, number: int,
             reason: str | None, now: datetime) -> list[Notice]:
    officer = next(o for o in team.officers if o.email == email)
    slot = set_def.sessions[number - 1]
    card = cards.apology_notice_card(
        officer=officer.name, council=team.council_name, set_title=programme_set_title(programme, set_def),
        number=number, start=slot.start_utc, end=slot.end_utc, reason=reason)
    event = "sent" if reason is not None else "withdrawn"
    return [
        Notice(facilitator_key(f), {"card": card},
               f"apology-{event}:{set_def.key}:{number}:{email}:{f}:{now.isoformat()}")
        for f in set_def.facilitators
    ]


async def send_apologies(services: Services, turn: Turn, sent: ApologiesSent) -> Outcome:
    set_key, number, reason = sent.set_key, sent.number, sent.reason
    chosen = session_value(set_key, number)
    own = await _own(services, turn, set_key, number)
    if own is None:
        card = cards.apologies_card(await _coming(services, turn, turn.now), reason=reason,
                                    error="Choose one of your coming sessions.")
        return answer(turn, card)
    programme, set_def, team, email = own
    problem = a.apology_problem(reason, set_def.sessions[number - 1].start_utc, turn.now)
    if problem:
        card = cards.apologies_card(await _coming(services, turn, turn.now), chosen=chosen, reason=reason,
                                    error=problem)
        return answer(turn, card)
    apology = a.Apology(set_key, number, email, team.team_id, reason.strip(), turn.now)
    await services.store.save_apology(
        apology, _notices(programme, set_def, team, email, number, apology.reason, turn.now), turn.now)
    services.kick()
    log.info("apologies sent", extra={"set": set_key, "session": number})
    done = f"Your apologies for session {number} have been sent to the facilitator."
    return answer(turn, cards.apologies_card(await _coming(services, turn, turn.now), done=done))


async def withdraw_apologies(services: Services, turn: Turn, withdrawn: ApologiesWithdrawn) -> Outcome:
    set_key, number = withdrawn.apology_set, withdrawn.apology_session
    own = await _own(services, turn, set_key, number)
    problem: str | None = "You have no apologies standing for that session."
    if own is not None:
        programme, set_def, team, email = own
        current = next((ap for ap in await services.store.apologies(set_key)
                        if ap.session_number == number and ap.officer_email == email), None)
        problem = a.withdrawal_problem(current, set_def.sessions[number - 1].start_utc, turn.now)
        if problem is None:
            notices = _notices(programme, set_def, team, email, number, None, turn.now)
            if await services.store.withdraw_apology(set_key, number, email, notices, turn.now):
                services.kick()
                log.info("apologies withdrawn", extra={"set": set_key, "session": number})
            done = f"Your apologies for session {number} are withdrawn: the facilitator expects you."
            return answer(turn, cards.apologies_card(await _coming(services, turn, turn.now), done=done))
    return answer(turn, cards.apologies_card(await _coming(services, turn, turn.now), error=problem))


# The register ---------------------------------------------------------------------------------

def session_times(set_def: SetDef) -> tuple[a.SessionTime, ...]:
    return tuple(a.SessionTime(i, s.start_utc, s.end_utc) for i, s in enumerate(set_def.sessions, 1))


async def build_register(services: Services, set_def: SetDef, now: datetime) -> a.Register:
    return a.build_register(
        set_def.key, session_times(set_def), await services.store.set_members(set_def.key),
        await services.store.attendance(set_def.key), await services.store.apologies(set_def.key), now)


async def register_card(services: Services, programme: Programme, set_def: SetDef, now: datetime, *,
                        note: str | None = None) -> dict[str, Any]:
    register = await build_register(services, set_def, now)
    return cards.register_card(register, set_title=programme_set_title(programme, set_def), note=note)


async def _show(services: Services, turn: Turn, programme: Programme, set_def: SetDef) -> Outcome:
    if not may_see_register(services, turn, set_def):
        log.info("register refused", extra={"set": set_def.key})
        if turn.chat.scope is Scope.PERSONAL:
            return Outcome.say(NOT_ALLOWED)
        # A refusal is for the asker: posted in a meeting chat, the whole room would read it.
        return await privately(services, turn, NOT_ALLOWED)
    card = await register_card(services, programme, set_def, turn.now)
    if turn.chat.scope is Scope.PERSONAL:
        return answer(turn, card)
    # Everyone in a meeting chat would see a card posted there: send it to the asker alone.
    if not turn.person.aad_object_id:
        return Outcome.say("Open a personal chat with me and type **register** to see it.")
    await services.store.enqueue([Notice(user_key(turn.person.aad_object_id), {"card": card})], turn.now)
    services.kick()
    return Outcome.say("I have sent you the register in our personal chat. If it does not arrive, open a "
                       "personal chat with me and type **register**.")


async def register(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    if turn.chat.scope is not Scope.PERSONAL:
        set_key = await services.store.set_of_chat(turn.chat.id)
        set_def = programme.set_by_key(set_key) if set_key else None
        if set_def is None:
            return Outcome.say("This chat is not linked to a set. Ask in the set's meeting chat, or in a "
                               "personal chat with me.")
        return await _show(services, turn, programme, set_def)
    visible = [s for s in programme.sets if may_see_register(services, turn, s)]
    if (named := named_or_only(visible, args)) is not None:
        return await _show(services, turn, programme, named)
    choices = [(s.key, programme_set_title(programme, s)) for s in visible]
    return answer(turn, cards.register_choice_card(choices))


async def register_show(services: Services, turn: Turn, choice: RegisterChoice) -> Outcome:
    found = await chosen_set(services.store, choice.set_key)
    return Outcome.say(NOT_ALLOWED) if found is None else await _show(services, turn, *found)


COMMANDS: dict[str, Handler] = {"apologies": apologies, "register": register}
VERBS: dict[Verb, Action[Any]] = {
    Verb.APOLOGIES_START: as_action(apologies),
    Verb.APOLOGIES_SEND: Action(ApologiesSent, send_apologies),
    Verb.APOLOGIES_WITHDRAW: Action(ApologiesWithdrawn, withdraw_apologies),
    Verb.REGISTER_SHOW: Action(RegisterChoice, register_show),
}
