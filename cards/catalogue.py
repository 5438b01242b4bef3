"""One representative instance of every card the project can produce, for schema validation.

Each entry is `(name, card)`; the name starts with `module.function` of the card function that
made it (e.g. `welcome.welcome_card`), optionally followed by a variant in brackets. A test
checks that every public `*_card` function in `cards/` appears here, and that every example
validates against the Adaptive Cards 1.5 schema; a new card registers its examples below.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.rules import nomination
from bot.rules.challenge import QUESTIONS
from cards import booking, elements, signup
from cards.attendance_examples import examples as attendance_examples
from cards.between_examples import examples as between_examples
from cards.evaluation_examples import examples as evaluation_examples
from cards.help import help_card
from cards.session_examples import examples as session_examples
from cards.verbs import Verb
from cards.views import AdminSetView, OfficerLine, SetOption, TeamView
from cards.welcome import welcome_card

Example = tuple[str, dict[str, Any]]


def _elements() -> Example:
    """Every helper in `cards.elements` at once, so their output is validated too."""
    return ("elements.card (every helper)", elements.card(
        [
            elements.heading("Sustainable Procurement: set A"),
            elements.text("Session 2 of 3", size="Small", weight="Bolder", subtle=True,
                          colour="Accent", element_id="subtitle"),
            elements.facts([("Date", "Tuesday 14 October 2025"), ("Time", "10:30–12:00")]),
            elements.bullets(["Only one at a time", "Questions, not advice"]),
        ],
        [elements.execute("Send apologies", Verb.APOLOGIES_START, {"session": 2},
                          style="positive")],
        refresh={"action": {"type": "Action.Execute", "verb": Verb.HELP, "title": "Refresh"},
                 "userIds": ["29:1a2b3c"]},
    ))


# Booking examples: three sessions either side of the change to British Summer Time.
_SESSIONS = (
    (datetime(2027, 3, 2, 10, 30, tzinfo=UTC), datetime(2027, 3, 2, 12, 0, tzinfo=UTC)),
    (datetime(2027, 3, 23, 10, 30, tzinfo=UTC), datetime(2027, 3, 23, 12, 0, tzinfo=UTC)),
    (datetime(2027, 4, 13, 9, 30, tzinfo=UTC), datetime(2027, 4, 13, 11, 0, tzinfo=UTC)),
)
_OPTION = SetOption("proc-tue", "Sustainable Procurement", "Tuesday set", _SESSIONS, 2, 0, "role_pair")
_TEAM = TeamView(
    team_id="t-1", set_name="Tuesday set", series_title="Sustainable Procurement",
    council_name="Leeds City Council", status="confirmed", position=None, sessions=_SESSIONS,
    officers=(OfficerLine("Alex Smith", "procurement", True),
              OfficerLine("Sam Jones", "sustainability", False)),
    deadline=datetime(2027, 2, 26, 17, 0, tzinfo=UTC),
)
_WAITING = replace(_TEAM, team_id="t-2", status="waitlisted", position=2)
_VALUES = {
    nomination.COUNCIL: "Leeds City Council", nomination.OFFICER_NAME: "Alex Smith",
    nomination.OFFICER_EMAIL: "alex.smith@leeds.gov.uk", nomination.OFFICER_ROLE: "procurement",
    nomination.CHALLENGE_TITLE: "Embedding carbon in tender scoring",
    nomination.CHALLENGE_TEXT: "How do I get buyers to weight carbon in every tender?",
    **{field: "yes" for field in nomination.SUITABILITY}, nomination.SUITABILITY[5]: "no",
    nomination.COMMIT: "true", nomination.SUBMISSION_ID: "s-1",
}


def _booking() -> list[Example]:
    errors = [nomination.FieldError(nomination.PARTNER_EMAIL, "Enter your partner's work e-mail address."),
              nomination.FieldError(nomination.GROUND_RULES, "Tick to agree to the ground rules.")]
    full = replace(_OPTION, key="adapt-thu", series_title="Sustainable Adaptation", name="Thursday set",
                   free_places=0, waiting=3, policy="up_to_two")
    return [
        ("signup.open_sets_card", signup.open_sets_card([_OPTION, full])),
        ("signup.open_sets_card (none open)", signup.open_sets_card([])),
        ("signup.signup_form_card (blank, up to two)",
         signup.signup_form_card(option=full, theme="climate adaptation", values={})),
        ("signup.signup_form_card (errors and guidance)", signup.signup_form_card(
            option=_OPTION, theme="sustainable procurement", values=_VALUES, errors=errors,
            guidance=(QUESTIONS[5],))),
        ("signup.placed_card (confirmed)", signup.placed_card(_TEAM)),
        ("signup.placed_card (waitlisted)", signup.placed_card(_WAITING)),
        ("signup.commit_card", signup.commit_card(_TEAM, set_key="proc-tue")),
        ("signup.commit_card (errors)", signup.commit_card(_TEAM, set_key="proc-tue", errors=errors)),
        ("signup.refused_card", signup.refused_card("Your council already has a team in this series.")),
        ("booking.my_sets_card", booking.my_sets_card(
            [_TEAM, _WAITING, replace(_TEAM, team_id="t-3", status="lapsed", deadline=None)])),
        ("booking.my_sets_card (none)", booking.my_sets_card([])),
        ("booking.withdraw_confirm_card", booking.withdraw_confirm_card(_TEAM)),
        ("booking.withdrawn_card", booking.withdrawn_card(replace(_TEAM, status="withdrawn"))),
        ("booking.promoted_card", booking.promoted_card(_TEAM, set_key="proc-tue")),
        ("booking.reminder_card", booking.reminder_card(_TEAM, set_key="proc-tue")),
        ("booking.lapsed_card", booking.lapsed_card(replace(_TEAM, status="lapsed"))),
        ("booking.nominated_card", booking.nominated_card(_WAITING, nominated_by="Alex Smith",
                                                          set_key="proc-tue")),
        ("booking.admin_sets_card", booking.admin_sets_card([
            AdminSetView("proc-tue", "Tuesday set", "Sustainable Procurement", "open", 6, _SESSIONS,
                         (("Leeds City Council", True), ("Wigan Council", False)), ("Bury Council",)),
            AdminSetView("proc-thu", "Thursday set", "Sustainable Procurement", "draft", 6, ()),
            AdminSetView("adapt-thu", "Thursday set", "Sustainable Adaptation", "closed", 6, _SESSIONS,
                         deliveries="2 by e-mail, 1 failed (als notices adapt-thu)"),
        ])),
        ("booking.admin_sets_card (no sets)", booking.admin_sets_card([])),
    ]


def examples() -> list[Example]:
    return [
        _elements(),
        ("welcome.welcome_card (personal chat)", welcome_card(in_meeting_chat=False)),
        ("welcome.welcome_card (meeting chat)", welcome_card(in_meeting_chat=True)),
        ("help.help_card", help_card([
            ("help", "What I can do here"),
            ("sign up", "Sign up for a set with your challenge"),
            ("apologies", "Tell the facilitator you cannot come, and why"),
        ])),
        *_booking(),
        *session_examples(),
        *attendance_examples(),
        *between_examples(),
        *evaluation_examples(),
    ]
