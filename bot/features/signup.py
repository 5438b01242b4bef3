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

from bot.features.base import Handler, Services
from bot.rules import booking as b
from bot.rules import nomination as n
from bot.rules.challenge import assess
from bot.rules.programme import Programme, SetDef
from bot.store.base import BookChange, ChallengeRecord, Notice
from bot.turns import Outcome, Turn
from cards import booking as booking_cards
from cards import signup as signup_cards
from cards.views import AdminSetView, OfficerLine, SetOption, Slot, TeamView

log = logging.getLogger(__name__)

ADMINS_ONLY = "Only programme admins can do that."


def who(turn: Turn) -> b.Who:
    return b.Who(turn.person.aad_object_id, turn.person.email)


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


def _recipient(officer: b.Officer) -> str:
    return f"user:{officer.aad_object_id}" if officer.aad_object_id else f"email:{officer.email}"


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
                            _recipient(o),
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
                                _recipient(o),
                                {"card": card},
                                f"reminded:{team.team_id}:{o.email}:{deadline.isoformat()}",
                            )
                        )
            case b.Lapsed(team=team):
                view = team_view(programme, book, team)
                for o in team.officers:
                    notices.append(
                        Notice(
                            _recipient(o),
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
                            Notice(_recipient(o), {"card": card}, f"nominated:{team.team_id}:{o.email}")
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


def _answer(programme: Programme, result: BookChange) -> dict[str, Any]:
    """The card that answers the sender, from the first effect that concerns them."""
    for effect in result.effects:
        match effect:
            case b.Confirmed(team=team) | b.Waitlisted(team=team) | b.Committed(team=team):
                return signup_cards.placed_card(team_view(programme, result.book, team))
            case b.Withdrawn(team=team):
                return booking_cards.withdrawn_card(team_view(programme, result.book, team))
            case b.Refused(message=message, team=team):
                if team is not None and effect.code in ("council_in_set", "council_in_series"):
                    message = f"{message} Your council {b.standing(result.book, team)}."
                return signup_cards.refused_card(message)
            case _:
                pass
    return signup_cards.refused_card("Nothing was changed.")


def _reply(turn: Turn, card: dict[str, Any]) -> Outcome:
    # A button's answer replaces its card; typed text gets a new message.
    return Outcome(card=card) if turn.verb else Outcome.show(card)


async def _options(services: Services, programme: Programme) -> list[SetOption]:
    options: list[SetOption] = []
    for series in programme.series:
        book = await services.store.book(series.key)
        for set_def in programme.sets_of(series.key):
            if set_def.booking != "open":
                continue
            confirmed = len(book.confirmed(set_def.key))
            options.append(
                SetOption(
                    set_def.key,
                    series.title,
                    set_def.name,
                    _slots(set_def),
                    max(0, set_def.capacity - confirmed),
                    len(book.waitlist(set_def.key)),
                    series.policy,
                )
            )
    return options


async def start(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    return _reply(turn, signup_cards.open_sets_card(await _options(services, programme)))


async def _pending_commitment(services: Services, turn: Turn, set_key: str) -> tuple[b.Book, b.Team] | None:
    for team in await services.store.teams_of(who(turn)):
        officer = team.officer(who(turn))
        if team.set_key == set_key and team.active and officer is not None:
            return await services.store.book(await services.store.series_of_team(team.team_id) or ""), team
    return None


async def choose(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = str(turn.data.get(n.SET_KEY, ""))
    programme = await services.store.programme()
    option = next((o for o in await _options(services, programme) if o.key == set_key), None)
    if option is None:
        return _reply(turn, signup_cards.refused_card("That set is not open for booking."))
    mine = await _pending_commitment(services, turn, set_key)
    if mine is not None:
        book, team = mine
        officer = team.officer(who(turn))
        view = team_view(programme, book, team)
        if officer is not None and officer.committed_at is None:
            return _reply(turn, signup_cards.commit_card(view, set_key=set_key))
        return _reply(turn, signup_cards.placed_card(view))
    series = programme.series_by_key(programme.set_by_key(set_key).series_key)  # type: ignore[union-attr]
    values = {
        n.SET_KEY: set_key,
        n.SUBMISSION_ID: uuid.uuid4().hex,
        n.OFFICER_NAME: turn.person.name,
        n.OFFICER_EMAIL: turn.person.email or "",
    }
    return _reply(
        turn,
        signup_cards.signup_form_card(option=option, theme=series.theme if series else "", values=values),
    )


async def submit(services: Services, turn: Turn, args: str) -> Outcome:
    form = n.from_card_data(turn.data)
    programme = await services.store.programme()
    set_def = programme.set_by_key(form.set_key)
    series = programme.series_by_key(set_def.series_key) if set_def else None
    option = next((o for o in await _options(services, programme) if o.key == form.set_key), None)
    if set_def is None or series is None or option is None:
        return _reply(turn, signup_cards.refused_card("That set is not open for booking."))
    values = n.to_card_data(form)
    errors = n.validate(form, series, programme.allowed_domains, signed_email=turn.person.email)
    guidance = assess(form.answers)
    if errors or (guidance and turn.verb == "signup.refine"):
        return _reply(
            turn,
            signup_cards.signup_form_card(
                option=option, theme=series.theme, values=values, errors=errors, guidance=guidance
            ),
        )
    if guidance and str(turn.data.get("accept_as_is", "")) != "true":
        return _reply(
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

    result = await services.store.change_book(
        series.key, _deciding(programme, event, sender, challenge), turn.now
    )
    if result.notices:
        services.kick()
    log.info("nomination decided", extra={"effects": [type(e).__name__ for e in result.effects]})
    return _reply(turn, _answer(programme, result))


async def refine(services: Services, turn: Turn, args: str) -> Outcome:
    return await submit(services, turn, args)


async def commit(services: Services, turn: Turn, args: str) -> Outcome:
    set_key = str(turn.data.get(n.SET_KEY, ""))
    programme = await services.store.programme()
    mine = await _pending_commitment(services, turn, set_key)
    if mine is None:
        return _reply(turn, signup_cards.refused_card("You are not named on a team in that set."))
    book, team = mine
    ticked = {k: str(turn.data.get(k, "")).lower() == "true" for k in (n.COMMIT, n.GROUND_RULES)}
    errors = []
    if not ticked[n.COMMIT]:
        errors.append(n.FieldError(n.COMMIT, "Please commit to attend every session."))
    if not ticked[n.GROUND_RULES]:
        errors.append(n.FieldError(n.GROUND_RULES, "Please agree to the ground rules."))
    if errors:
        return _reply(
            turn, signup_cards.commit_card(team_view(programme, book, team), set_key=set_key, errors=errors)
        )
    event = b.Commit(set_key, who(turn), turn.now)
    result = await services.store.change_book(
        book.series_key, _deciding(programme, event, who(turn)), turn.now
    )
    if result.notices:
        services.kick()
    return _reply(turn, _answer(programme, result))


async def my_sets(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    views: list[TeamView] = []
    for team in await services.store.teams_of(who(turn)):
        series_key = await services.store.series_of_team(team.team_id)
        if series_key:
            views.append(team_view(programme, await services.store.book(series_key), team))
    return _reply(turn, booking_cards.my_sets_card(views))


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
            return _reply(turn, booking_cards.withdraw_confirm_card(team_view(programme, book, team)))
    return await my_sets(services, turn, args)


async def withdraw_ask(services: Services, turn: Turn, args: str) -> Outcome:
    own = await _own_team(services, turn, str(turn.data.get("team_id", "")))
    if own is None:
        return _reply(turn, signup_cards.refused_card("You can withdraw only a team you are an officer of."))
    programme, book, team = own
    return _reply(turn, booking_cards.withdraw_confirm_card(team_view(programme, book, team)))


async def withdraw_confirm(services: Services, turn: Turn, args: str) -> Outcome:
    team_id = str(turn.data.get("team_id", ""))
    series_key = await services.store.series_of_team(team_id)
    if series_key is None:
        return _reply(turn, signup_cards.refused_card("You can withdraw only a team you are an officer of."))
    programme = await services.store.programme()
    # The rules refuse anyone who is not an officer of that team, whatever the card said.
    event = b.Withdraw(team_id, who(turn), turn.now)
    result = await services.store.change_book(series_key, _deciding(programme, event, who(turn)), turn.now)
    if result.notices:
        services.kick()
    log.info("withdrawal decided", extra={"effects": [type(e).__name__ for e in result.effects]})
    return _reply(turn, _answer(programme, result))


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
                )
            )
    return views


async def sets(services: Services, turn: Turn, args: str) -> Outcome:
    if not services.is_admin(turn):
        return Outcome.say(ADMINS_ONLY)
    return _reply(turn, booking_cards.admin_sets_card(await admin_views(services)))


def booking_event(book: b.Book, set_key: str, opening: bool) -> b.Event:
    """Open a draft set, reopen a closed one (its waiting list continues), or close it."""
    if not opening:
        return b.Close(set_key)
    state = book.set_state(set_key)
    return b.Reopen(set_key) if state and state.booking == "closed" else b.Open(set_key)


async def _admins_set(services: Services, turn: Turn) -> tuple[Programme, SetDef] | Outcome:
    """The set that an admin's card action names; a refusal for anyone else or an unknown set."""
    if not services.is_admin(turn):
        return Outcome.say(ADMINS_ONLY)
    programme = await services.store.programme()
    set_def = programme.set_by_key(str(turn.data.get(n.SET_KEY, "")))
    if set_def is None:
        return Outcome.say("That set does not exist.")
    return programme, set_def


async def set_booking(services: Services, turn: Turn, opening: bool) -> Outcome:
    found = await _admins_set(services, turn)
    if isinstance(found, Outcome):
        return found
    programme, set_def = found
    set_key = set_def.key
    event = booking_event(await services.store.book(set_def.series_key), set_key, opening)
    result = await services.store.change_book(set_def.series_key, _deciding(programme, event, None), turn.now)
    if result.notices:
        services.kick()
    log.info("booking changed", extra={"set": set_key, "effects": [type(e).__name__ for e in result.effects]})
    return _reply(turn, booking_cards.admin_sets_card(await admin_views(services)))


async def open_booking(services: Services, turn: Turn, args: str) -> Outcome:
    return await set_booking(services, turn, opening=True)


async def close_booking(services: Services, turn: Turn, args: str) -> Outcome:
    return await set_booking(services, turn, opening=False)


async def create_meetings(services: Services, turn: Turn, args: str) -> Outcome:
    found = await _admins_set(services, turn)
    if isinstance(found, Outcome):
        return found
    _, set_def = found
    if services.meetings is None:
        return Outcome.say(
            "Microsoft Graph is not configured for this bot, so it cannot create meetings. "
            "Set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, GRAPH_ORGANISER and "
            "GRAPH_TEAMS_APP_ID (see manifest/INSTALL.md, step 8), or run \"als meetings create\" "
            "where they are set."
        )
    # Graph takes longer than Teams waits for a card's answer: answer now, report when done.
    services.meetings.create(set_def.key, f"user:{turn.person.aad_object_id}")
    return Outcome.say(
        f"Creating the Teams meetings for {set_def.name}. I will tell you here when it is done."
    )


async def expire_deadlines(services: Services, now: datetime) -> int:
    """The timed sweep: remind, then release the places of teams not fully committed in time."""
    programme = await services.store.programme()
    changed = 0
    for series in programme.series:
        result = await services.store.change_book(
            series.key, _deciding(programme, b.ExpireDeadlines(now), None), now
        )
        changed += len(result.effects)
        if result.notices:
            services.kick()
    return changed


COMMANDS: dict[str, Handler] = {
    "sign up": start,
    "my sets": my_sets,
    "withdraw": withdraw,
    "sets": sets,
}
VERBS: dict[str, Handler] = {
    "signup.start": start,
    "signup.choose": choose,
    "signup.submit": submit,
    "signup.refine": refine,
    "signup.commit": commit,
    "mysets": my_sets,
    "withdraw.ask": withdraw_ask,
    "withdraw.confirm": withdraw_confirm,
    "booking.open": open_booking,
    "booking.close": close_booking,
    "meetings.create": create_meetings,
}
