"""The booking cards after sign-up: where a team stands, withdrawal, notices of change, the admin view."""

from __future__ import annotations

from collections.abc import Sequence

from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import london_deadline, plain
from cards.inputs import action_set, container
from cards.payloads import SetChoice, TeamChoice
from cards.signup import (
    commit_body,
    commitment_lines,
    confirm_button,
    everyone_committed,
    my_sets_button,
    officer_line,
    plain_title,
    session_facts,
    status_line,
)
from cards.verbs import Verb
from cards.views import AdminSetView, TeamView

BOOKING_STATES = {"draft": "Not open yet", "open": "Open for booking", "closed": "Closed"}


def my_sets_card(teams: Sequence[TeamView]) -> Json:
    if not teams:
        return card(
            [heading("My sets"),
             text("You have not signed up to a set yet. Type **sign up** to choose one.")],
            [execute("Sign up", Verb.SIGNUP_START)],
        )
    body: list[Json] = [heading("My sets")]
    for view in teams:
        pairs = [("Council", plain(view.council_name)), ("Status", status_line(view))]
        if view.deadline and view.status == "confirmed" and not everyone_committed(view):
            pairs.append(("Commit by", london_deadline(view.deadline)))
        items: list[Json] = [
            text(plain_title(view.series_title, view.set_name), size="Medium", weight="Bolder"),
            facts(pairs),
            session_facts(view.sessions),
            text("Officers", weight="Bolder"),
            bullets(officer_line(o) for o in view.officers),
        ]
        if view.status in ("confirmed", "waitlisted"):
            withdraw = execute("Withdraw our team", Verb.WITHDRAW_ASK, TeamChoice(view.team_id).data())
            items.append(action_set([withdraw]))
        body.append(container(items, separator=True))
    return card(body)


def withdraw_confirm_card(view: TeamView) -> Json:
    where = plain_title(view.series_title, view.set_name)
    council = plain(view.council_name)
    if view.status == "waitlisted":
        question = f"Take {council} off the waiting list for **{where}**?"
    else:
        question = (f"Withdraw {council} from **{where}**? Your place goes to the next council on the "
                    "waiting list.")
    return card(
        [heading("Withdraw your team"), text(question),
         text("This cannot be undone; to take part later you would sign up again.", subtle=True)],
        [
            execute("Yes, withdraw", Verb.WITHDRAW_CONFIRM, TeamChoice(view.team_id).data(),
                    style="destructive"),
            execute("Keep our place", Verb.MY_SETS),
        ],
    )


def withdrawn_card(view: TeamView) -> Json:
    where = plain_title(view.series_title, view.set_name)
    return card(
        [
            heading("Your team has withdrawn"),
            text(f"{plain(view.council_name)} has withdrawn from **{where}**. Any place you held goes to "
                 "the next council on the waiting list."),
            text("If you would like to take part later, type **sign up** to choose a set."),
        ],
        [my_sets_button()],
    )


def promoted_card(view: TeamView, *, set_key: str | None = None) -> Json:
    """A place has come free; with `set_key`, an officer who has not committed can do so here."""
    where = plain_title(view.series_title, view.set_name)
    body: list[Json] = [
        heading("A place has come free"),
        text(f"Good news: a place has come free in **{where}**, and {plain(view.council_name)} now "
             "has it. Your team is confirmed."),
        session_facts(view.sessions),
        text("The Teams meeting invitations for the sessions will follow."),
        *commitment_lines(view),
    ]
    actions = [my_sets_button()]
    if set_key is not None and not everyone_committed(view):
        body += [text("If you have not confirmed yet", size="Medium", weight="Bolder"), *commit_body(view)]
        actions.insert(0, confirm_button(set_key))
    return card(body, actions)


def reminder_card(view: TeamView, *, set_key: str) -> Json:
    where = plain_title(view.series_title, view.set_name)
    when = f"by {london_deadline(view.deadline)}" if view.deadline else "before the first session"
    return card(
        [
            heading("Please confirm your place"),
            text(f"{plain(view.council_name)} has a place in **{where}**, but not everyone in your team "
                 f"has confirmed they will attend every session. Please confirm {when}, or the place "
                 "goes to the next council on the waiting list."),
            bullets(officer_line(o) for o in view.officers),
            *commit_body(view),
        ],
        [confirm_button(set_key), my_sets_button()],
    )


def lapsed_card(view: TeamView) -> Json:
    where = plain_title(view.series_title, view.set_name)
    when = f" by {london_deadline(view.deadline)}" if view.deadline else " in time"
    return card(
        [
            heading("Your place has gone to the waiting list"),
            text(f"{plain(view.council_name)}'s place in **{where}** has gone to the next council on the "
                 f"waiting list, because not everyone in your team confirmed{when} that they would "
                 "attend every session."),
            text("If you would still like to take part, type **sign up** and choose a set again. When "
                 "a set is fully booked, you join its waiting list and I tell you at once if a place "
                 "frees up."),
        ],
        [execute("Sign up", Verb.SIGNUP_START), my_sets_button()],
    )


def nominated_card(view: TeamView, *, nominated_by: str, set_key: str) -> Json:
    where = plain_title(view.series_title, view.set_name)
    standing = "" if view.status == "confirmed" else f" Your council is {status_line(view).lower()}."
    return card(
        [
            heading("You have been nominated"),
            text(f"{plain(nominated_by)} of {plain(view.council_name)} has nominated you to take part in "
                 f"**{where}**, an Action Learning Set: a small group of council officers who help each "
                 f"other with their work challenges.{standing}"),
            *commit_body(view),
        ],
        [confirm_button(set_key), my_sets_button()],
    )


def admin_sets_card(sets: Sequence[AdminSetView]) -> Json:
    body: list[Json] = [heading("Sets and booking")]
    if not sets:
        body.append(text("No sets are defined yet. Load the programme file first."))
    for view in sets:
        taken = len(view.confirmed)
        body.append(container(
            [
                text(plain_title(view.series_title, view.name), size="Medium", weight="Bolder"),
                facts([
                    ("Booking", BOOKING_STATES.get(view.booking, view.booking)),
                    ("Places", f"{taken} of {view.capacity} taken"),
                    ("Waiting", str(len(view.waitlist))),
                ]),
                session_facts(view.sessions),
                text("Confirmed councils", weight="Bolder"),
                _numbered([plain(council) if committed
                           else f"{plain(council)} (not everyone has committed yet)"
                           for council, committed in view.confirmed], "None yet."),
                text("Waiting list", weight="Bolder"),
                _numbered([plain(council) for council in view.waitlist], "Nobody is waiting."),
                *([text(f"Notices not sent by Teams: {view.deliveries}", subtle=True)]
                  if view.deliveries else []),
                action_set([*_booking_actions(view),
                            execute("Create Teams meetings", Verb.MEETINGS_CREATE,
                                                    SetChoice(view.key).data())]),
            ],
            separator=True,
        ))
    return card(body)


def _numbered(lines: Sequence[str], empty: str) -> Json:
    if not lines:
        return text(empty, subtle=True)
    return text("\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1)))


def _booking_actions(view: AdminSetView) -> list[Json]:
    data = SetChoice(view.key).data()
    if view.booking == "draft":
        return [execute("Open booking", Verb.BOOKING_OPEN, data, style="positive")]
    if view.booking == "open":
        return [execute("Close booking", Verb.BOOKING_CLOSE, data)]
    return [execute("Reopen booking", Verb.BOOKING_OPEN, data, style="positive")]
