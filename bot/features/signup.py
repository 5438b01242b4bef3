"""Sign-up and booking in personal chat: choose a set, nominate, commit, see where you stand, withdraw.

Who may do what is decided from the signed identity (`turn.person`), never from ids in card data:
card data only names a set or a team, and the rules check that the sender is one of its officers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.features.base import Action, Handler, Services, as_action
from bot.features.between import delivery_line
from bot.features.booking import booking_of
from bot.features.change import Lost
from bot.features.people import answer, officer_key, user_key, who
from bot.rules import booking as b
from bot.rules import nomination as n
from bot.rules.challenge import assess
from bot.rules.programme import Programme, SetDef
from bot.rules.refusal import Refusal
from bot.store.base import BookChange, ChallengeRecord, Notice
from bot.turns import Outcome, Turn
from cards import booking as booking_cards
from cards import signup as signup_cards
from cards.payloads import Commitment, Nomination, SetChoice, TeamChoice
from cards.verbs import Verb
from cards.views import AdminSetView, OfficerLine, SetOption, Slot, TeamView

log = logging.getLogger(__name__)

ADMINS_ONLY = "Only programme admins can do that."


def _slots(set_def: SetDef | None) -> tuple[Slot, ...]:
    return tuple((s.start_utc, s.end_utc) for s in set_def.sessions) if set_def else ()


def team_view(programme: Programme, book: b.Book, team: b.Team) -> TeamView:
    set_def = programme.set_by_key(team.set_key)
    series = programme.series_by_key(book.series_key)
    return TeamView(
        team_id=team.team_id,
        set_name=set_def.name if set_def else team.set_key,
        series_title=series.title if series else book.series_key,
        council_name=team.council_name,
        status=team.status,
        position=book.position(team),
        sessions=_slots(set_def),
        officers=tuple(OfficerLine(o.name, o.role, o.committed_at is not None) for o in team.officers),
        deadline=team.deadline if team.status == "confirmed" and not team.fully_committed else None,
    )


def notices_for(
    programme: Programme, book: b.Book, effects: Sequence[b.Effect], sender: b.Who | None = None
) -> tuple[Notice, ...]:
    """Proactive messages that the effects call for; the sender is answered on their own card."""
    notices: list[Notice] = []
    for effect in effects:
        match effect:
            case b.Promoted(team=team):
                view = team_view(programme, book, team)
                for o in team.officers:
                    notices.append(
                        Notice(
                            officer_key(o),
                            {"card": booking_cards.promoted_card(view, set_key=team.set_key)},
                            f"promoted:{team.team_id}:{o.email}",
                        )
                    )
            case b.Reminded(team=team, deadline=deadline):
                view = team_view(programme, book, team)
                for o in team.officers:
                    if o.committed_at is None:
                        card = booking_cards.reminder_card(view, set_key=team.set_key)
                        notices.append(
                            Notice(
                                officer_key(o),
                                {"card": card},
                                f"reminded:{team.team_id}:{o.email}:{deadline.isoformat()}",
                            )
                        )
            case b.Lapsed(team=team):
                view = team_view(programme, book, team)
                for o in team.officers:
                    notices.append(
                        Notice(
                            officer_key(o),
                            {"card": booking_cards.lapsed_card(view)},
                            f"lapsed:{team.team_id}:{o.email}",
                        )
                    )
            case b.Confirmed(team=team, repeat=False) | b.Waitlisted(team=team, repeat=False):
                # The partner named on a nomination hears of it from the bot, if it can reach them.
                submitter = next((o for o in team.officers if sender and o.matches(sender)), None)
                view = team_view(programme, book, team)
                for o in team.officers:
                    if o is not submitter and o.committed_at is None:
                        card = booking_cards.nominated_card(
                            view,
                            nominated_by=submitter.name if submitter else team.council_name,
                            set_key=team.set_key,
                        )
                        notices.append(
                            Notice(officer_key(o), {"card": card}, f"nominated:{team.team_id}:{o.email}")
                        )
            case _:
                pass
    return tuple(notices)


def _deciding(
    programme: Programme,
    event: b.Event,
    sender: b.Who | None,
    challenge: Callable[[Sequence[b.Effect]], tuple[ChallengeRecord, ...]] | None = None,
) -> Callable[[b.Book], BookChange]:
    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        records = challenge(effects) if challenge else ()
        return BookChange(after, effects, notices_for(programme, after, effects, sender), records)

    return change


async def _decide(
    services: Services,
    programme: Programme,
    series_key: str,
    event: b.Event,
    sender: b.Who | None,
    now: datetime,
    record: Callable[[Sequence[b.Effect]], tuple[ChallengeRecord, ...]] | None = None,
) -> BookChange | Lost:
    """Decide through the batching decider (bot.features.booking); kick the courier once saved."""

    def tell(after: b.Book, effects: Sequence[b.Effect]) -> tuple[Notice, ...]:
        return notices_for(programme, after, effects, sender)

    booking = booking_of(services.store)
    if record is None:
        result = await booking.decide(series_key, event, now, tell=tell)
    else:
        result = await booking.decide(series_key, event, now, tell=tell, record=record)
    if isinstance(result, BookChange) and result.notices:
        services.kick()
    return result


def _names(result: BookChange | Lost) -> list[str]:
    return [type(e).__name__ for e in result.effects] if isinstance(result, BookChange) else ["Lost"]


def _result_card(programme: Programme, result: BookChange | Lost) -> dict[str, Any]:
    """The card that answers the sender, from the first effect that concerns them."""
    if isinstance(result, Lost):
        return signup_cards.refused_card(result.message)
    for effect in result.effects:
        match effect:
            case b.Confirmed(team=team) | b.Waitlisted(team=team) | b.Committed(team=team):
                return signup_cards.placed_card(team_view(programme, result.book, team))
            case b.Withdrawn(team=team):
                return booking_cards.withdrawn_card(team_view(programme, result.book, team))
            case b.Refused(message=message):
                # The rules' message already says where the council stands: it is not repeated.
                return signup_cards.refused_card(message)
            case _:
                pass
    return signup_cards.refused_card("Nothing was changed.")


def booking_refusal(book: b.Book, person: b.Who, set_key: str) -> Refusal | None:
    """Why the person's council cannot book this set, known before they fill in the form: a team
    of theirs already holds a place elsewhere in the series (the rules refuse it on submission)."""
    team = next((t for t in book.teams if t.active and t.officer(person) is not None), None)
    if team is None:
        return _colleagues_refusal(book, person, set_key)
    if team.set_key == set_key:
        return None
    if book.one_team_per_series:
        return Refusal(f"{team.council_name} {b.standing(book, team)}. A council holds one team in "
                       "this series.")
    return Refusal(f"You are already in a team that {b.standing(book, team)}.")


def _colleagues_refusal(book: b.Book, person: b.Who, set_key: str) -> Refusal | None:
    """For someone in no team: their council, inferred from the signed e-mail address's domain,
    already holds this set (or, one team per series, another). The officers are not named."""
    here = b.colleagues_team(book, person.email, set_key)
    if here is not None:
        return Refusal(f"{here.council_name} already has a team in this set ({_status(book, here)}). "
                       "Each council holds one place per set: ask your colleagues to add you as "
                       "their partner, or choose another set.")
    other = b.colleagues_team(book, person.email) if book.one_team_per_series else None
    if other is not None:
        return Refusal(f"{other.council_name} {b.standing(book, other)}. A council holds one team in "
                       "this series.")
    return None


def _status(book: b.Book, team: b.Team) -> str:
    if team.status == "confirmed":
        return "confirmed"
    position = book.position(team)
    return f"number {position} on the waiting list" if position else "on the waiting list"


def _held(book: b.Book, person: b.Who, set_key: str) -> str | None:
    team = next((t for t in book.teams if t.active and t.set_key == set_key
                 and t.officer(person) is not None), None)
    return None if team is None else f"{team.council_name} {b.standing(book, team)}."


async def _options(services: Services, programme: Programme, person: b.Who) -> list[SetOption]:
    options: list[SetOption] = []
    for series in programme.series:
        book = await services.store.book(series.key)
        for set_def in programme.sets_of(series.key):
            if set_def.booking != "open":
                continue
            confirmed = len(book.confirmed(set_def.key))
            refusal = booking_refusal(book, person, set_def.key)
            options.append(
                SetOption(
                    set_def.key,
                    series.title,
                    set_def.name,
                    _slots(set_def),
                    max(0, set_def.capacity - confirmed),
                    len(book.waitlist(set_def.key)),
                    series.policy,
                    held=_held(book, person, set_def.key),
                    refused=refusal.message if refusal else None,
                )
            )
    return options


async def start(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    return answer(turn, signup_cards.open_sets_card(await _options(services, programme, who(turn))))


async def _pending_commitment(services: Services, turn: Turn, set_key: str) -> tuple[b.Book, b.Team] | None:
    for team in await services.store.teams_of(who(turn)):
        officer = team.officer(who(turn))
        if team.set_key == set_key and team.active and officer is not None:
            return await services.store.book(await services.store.series_of_team(team.team_id) or ""), team
    return None


async def choose(services: Services, turn: Turn, choice: SetChoice) -> Outcome:
    set_key = choice.set_key
    programme = await services.store.programme()
    option = next((o for o in await _options(services, programme, who(turn)) if o.key == set_key), None)
    if option is None:
        return answer(turn, signup_cards.refused_card("That set is not open for booking."))
    mine = await _pending_commitment(services, turn, set_key)
    if mine is not None:
        book, team = mine
        officer = team.officer(who(turn))
        view = team_view(programme, book, team)
        if officer is not None and officer.committed_at is None:
            return answer(turn, signup_cards.commit_card(view, set_key=set_key))
        return answer(turn, signup_cards.placed_card(view))
    if option.refused is not None:
        # Said now, not after the whole form has been filled in.
        return answer(turn, signup_cards.refused_card(option.refused))
    series = programme.series_by_key(programme.set_by_key(set_key).series_key)  # type: ignore[union-attr]
    values = {
        n.SET_KEY: set_key,
        n.SUBMISSION_ID: uuid.uuid4().hex,
        n.OFFICER_NAME: turn.person.name,
        n.OFFICER_EMAIL: turn.person.email or "",
    }
    return answer(
        turn,
        signup_cards.signup_form_card(option=option, theme=series.theme if series else "", values=values),
    )


async def _nominate(services: Services, turn: Turn, nomination: Nomination, *, refining: bool) -> Outcome:
    form = nomination.form
    programme = await services.store.programme()
    set_def = programme.set_by_key(form.set_key)
    series = programme.series_by_key(set_def.series_key) if set_def else None
    if set_def is None or set_def.booking != "open":
        # The programme read may be a moment old: a set just loaded or opened elsewhere counts.
        programme = await services.store.programme(fresh=True)
        set_def = programme.set_by_key(form.set_key)
        series = programme.series_by_key(set_def.series_key) if set_def else None
    # Whether the set is open comes from the programme; the places left (counted over the set's
    # teams) only when the form goes back to the officer, never on the way to a decision.
    if set_def is None or series is None or set_def.booking != "open":
        return answer(turn, signup_cards.refused_card("That set is not open for booking."))
    values = n.to_card_data(form)
    errors = n.validate(form, series, programme.allowed_domains, signed_email=turn.person.email)
    guidance = assess(form.answers)
    option = None
    if errors or guidance:
        option = next((o for o in await _options(services, programme, who(turn)) if o.key == form.set_key),
                      None)
        if option is None:
            return answer(turn, signup_cards.refused_card("That set is not open for booking."))
    if option is not None and (errors or (guidance and refining)):
        return answer(
            turn,
            signup_cards.signup_form_card(
                option=option, theme=series.theme, values=values, errors=errors, guidance=guidance,
                refining=refining,
            ),
        )
    if option is not None and guidance and not nomination.accept_as_is:
        return answer(
            turn,
            signup_cards.signup_form_card(
                option=option, theme=series.theme, values=values, guidance=guidance
            ),
        )
    sender = who(turn)
    event = n.to_nominate(form, sender, turn.now, uuid.uuid4().hex)

    def challenge(effects: Sequence[b.Effect]) -> tuple[ChallengeRecord, ...]:
        placed = any(isinstance(e, b.Confirmed | b.Waitlisted) and not e.repeat for e in effects)
        if not placed:
            return ()
        return (
            ChallengeRecord(
                form.set_key,
                n.normal_email(form.officer.email),
                form.challenge_title.strip(),
                form.challenge_text.strip(),
                form.answers,
            ),
        )

    result = await _decide(services, programme, series.key, event, sender, turn.now, challenge)
    log.info("nomination decided", extra={"effects": _names(result)})
    return answer(turn, _result_card(programme, result))


async def submit(services: Services, turn: Turn, nomination: Nomination) -> Outcome:
    return await _nominate(services, turn, nomination, refining=False)


async def refine(services: Services, turn: Turn, nomination: Nomination) -> Outcome:
    return await _nominate(services, turn, nomination, refining=True)


async def commit(services: Services, turn: Turn, commitment: Commitment) -> Outcome:
    set_key = commitment.set_key
    programme = await services.store.programme()
    mine = await _pending_commitment(services, turn, set_key)
    if mine is None:
        return answer(turn, signup_cards.refused_card("You are not named on a team in that set."))
    book, team = mine
    errors = []
    if not commitment.commit:
        errors.append(n.FieldError(n.COMMIT, "Please commit to attend every session."))
    if not commitment.ground_rules:
        errors.append(n.FieldError(n.GROUND_RULES, "Please agree to the ground rules."))
    if errors:
        return answer(
            turn, signup_cards.commit_card(team_view(programme, book, team), set_key=set_key, errors=errors)
        )
    event = b.Commit(set_key, who(turn), turn.now)
    result = await _decide(services, programme, book.series_key, event, who(turn), turn.now)
    return answer(turn, _result_card(programme, result))


async def my_sets(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    views: list[TeamView] = []
    for team in await services.store.teams_of(who(turn)):
        series_key = await services.store.series_of_team(team.team_id)
        if series_key:
            views.append(team_view(programme, await services.store.book(series_key), team))
    return answer(turn, booking_cards.my_sets_card(views))


async def _own_team(services: Services, turn: Turn, team_id: str) -> tuple[Programme, b.Book, b.Team] | None:
    for team in await services.store.teams_of(who(turn)):
        if team.team_id == team_id and team.active:
            series_key = await services.store.series_of_team(team_id)
            if series_key:
                return await services.store.programme(), await services.store.book(series_key), team
    return None


async def withdraw(services: Services, turn: Turn, args: str) -> Outcome:
    active = [t for t in await services.store.teams_of(who(turn)) if t.active]
    if len(active) == 1:
        own = await _own_team(services, turn, active[0].team_id)
        if own is not None:
            programme, book, team = own
            return answer(turn, booking_cards.withdraw_confirm_card(team_view(programme, book, team)))
    return await my_sets(services, turn, args)


async def withdraw_ask(services: Services, turn: Turn, choice: TeamChoice) -> Outcome:
    own = await _own_team(services, turn, choice.team_id)
    if own is None:
        return answer(turn, signup_cards.refused_card("You can withdraw only a team you are an officer of."))
    programme, book, team = own
    return answer(turn, booking_cards.withdraw_confirm_card(team_view(programme, book, team)))


async def withdraw_confirm(services: Services, turn: Turn, choice: TeamChoice) -> Outcome:
    team_id = choice.team_id
    series_key = await services.store.series_of_team(team_id)
    if series_key is None:
        return answer(turn, signup_cards.refused_card("You can withdraw only a team you are an officer of."))
    programme = await services.store.programme()
    # The rules refuse anyone who is not an officer of that team, whatever the card said.
    event = b.Withdraw(team_id, who(turn), turn.now)
    result = await _decide(services, programme, series_key, event, who(turn), turn.now)
    log.info("withdrawal decided", extra={"effects": _names(result)})
    return answer(turn, _result_card(programme, result))


async def admin_views(services: Services) -> list[AdminSetView]:
    programme = await services.store.programme()
    views: list[AdminSetView] = []
    for series in programme.series:
        book = await services.store.book(series.key)
        for set_def in programme.sets_of(series.key):
            state = book.set_state(set_def.key)
            views.append(
                AdminSetView(
                    set_def.key,
                    set_def.name,
                    series.title,
                    state.booking if state else set_def.booking,
                    state.capacity if state else set_def.capacity,
                    _slots(set_def),
                    tuple((t.council_name, t.fully_committed) for t in book.confirmed(set_def.key)),
                    tuple(t.council_name for t in book.waitlist(set_def.key)),
                    await delivery_line(services, set_def.key),
                )
            )
    return views


async def sets(services: Services, turn: Turn, args: str) -> Outcome:
    if not services.is_admin(turn):
        return Outcome.say(ADMINS_ONLY)
    return answer(turn, booking_cards.admin_sets_card(await admin_views(services)))


def booking_event(book: b.Book, set_key: str, opening: bool) -> b.Event:
    """Open a draft set, reopen a closed one (its waiting list continues), or close it."""
    if not opening:
        return b.Close(set_key)
    state = book.set_state(set_key)
    return b.Reopen(set_key) if state and state.booking == "closed" else b.Open(set_key)


async def _admins_set(services: Services, turn: Turn,
                      choice: SetChoice) -> tuple[Programme, SetDef] | Refusal:
    """The set that an admin's card action names; a refusal for anyone else or an unknown set."""
    if not services.is_admin(turn):
        return Refusal(ADMINS_ONLY)
    programme = await services.store.programme()
    set_def = programme.set_by_key(choice.set_key)
    if set_def is None:
        return Refusal("That set does not exist.")
    return programme, set_def


async def change_booking(services: Services, set_def: SetDef, *, opening: bool,
                         now: datetime) -> Refusal | None:
    """Open, reopen or close a set's booking (the admin card and `als booking`); why not, if not."""
    programme = await services.store.programme()
    event = booking_event(await services.store.book(set_def.series_key), set_def.key, opening)
    result = await _decide(services, programme, set_def.series_key, event, None, now)
    log.info("booking changed", extra={"set": set_def.key, "effects": _names(result)})
    if isinstance(result, Lost):
        return Refusal(result.message)
    refused = next((e for e in result.effects if isinstance(e, b.Refused)), None)
    return Refusal(refused.message) if refused else None


async def _set_booking(services: Services, turn: Turn, choice: SetChoice, *, opening: bool) -> Outcome:
    found = await _admins_set(services, turn, choice)
    if isinstance(found, Refusal):
        return Outcome.say(found.message)
    _, set_def = found
    await change_booking(services, set_def, opening=opening, now=turn.now)
    return answer(turn, booking_cards.admin_sets_card(await admin_views(services)))


async def open_booking(services: Services, turn: Turn, choice: SetChoice) -> Outcome:
    return await _set_booking(services, turn, choice, opening=True)


async def close_booking(services: Services, turn: Turn, choice: SetChoice) -> Outcome:
    return await _set_booking(services, turn, choice, opening=False)


async def create_meetings(services: Services, turn: Turn, choice: SetChoice) -> Outcome:
    found = await _admins_set(services, turn, choice)
    if isinstance(found, Refusal):
        return Outcome.say(found.message)
    _, set_def = found
    if services.meetings is None:
        return Outcome.say(
            "Microsoft Graph is not configured for this bot, so it cannot create meetings. "
            "Set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, GRAPH_ORGANISER and "
            "GRAPH_TEAMS_APP_ID (see manifest/INSTALL.md, step 8), or run \"als meetings create\" "
            "where they are set."
        )
    # Graph takes longer than Teams waits for a card's answer: answer now, report when done.
    services.meetings.create(set_def.key, user_key(turn.person.aad_object_id or ""))
    return Outcome.say(
        f"Creating the Teams meetings for {set_def.name}. I will tell you here when it is done."
    )


async def expire_deadlines(services: Services, now: datetime) -> int:
    """The timed sweep: remind, then release the places of teams not fully committed in time."""
    programme = await services.store.programme()
    changed = 0
    for series in programme.series:
        result = await _decide(services, programme, series.key, b.ExpireDeadlines(now), None, now)
        changed += len(result.effects) if isinstance(result, BookChange) else 0
    return changed


COMMANDS: dict[str, Handler] = {
    "sign up": start,
    "my sets": my_sets,
    "withdraw": withdraw,
    "sets": sets,
}
VERBS: dict[Verb, Action[Any]] = {
    Verb.SIGNUP_START: as_action(start),
    Verb.SIGNUP_CHOOSE: Action(SetChoice, choose),
    Verb.SIGNUP_SUBMIT: Action(Nomination, submit),
    Verb.SIGNUP_REFINE: Action(Nomination, refine),
    Verb.SIGNUP_COMMIT: Action(Commitment, commit),
    Verb.MY_SETS: as_action(my_sets),
    Verb.WITHDRAW_ASK: Action(TeamChoice, withdraw_ask),
    Verb.WITHDRAW_CONFIRM: Action(TeamChoice, withdraw_confirm),
    Verb.BOOKING_OPEN: Action(SetChoice, open_booking),
    Verb.BOOKING_CLOSE: Action(SetChoice, close_booking),
    Verb.MEETINGS_CREATE: Action(SetChoice, create_meetings),
}
