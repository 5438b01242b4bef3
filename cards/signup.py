"""The sign-up cards: the open sets, the nomination form, its answer, and a partner's commitment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.rules import nomination as n
from bot.rules.challenge import QUESTIONS, TEXT_MAX, TITLE_MAX, Question
from bot.rules.ground_rules import GROUND_RULES
from bot.rules.nomination import FieldError
from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import london_deadline, london_slot, person, plain, set_title
from cards.inputs import YES_NO, action_set, choice_set, container, error_text, text_input, toggle
from cards.payloads import Commitment, Nomination, SetChoice
from cards.verbs import Verb
from cards.views import OfficerLine, SetOption, Slot, TeamView

ROLE_CHOICES: tuple[tuple[str, str], ...] = tuple((title, key) for key, title in n.ROLES.items())


# Parts shared with cards.booking -----------------------------------------------------------------

def plain_title(series_title: str, set_name: str) -> str:
    """The set's title (`cards.format.set_title`) made safe for a TextBlock."""
    return plain(set_title(series_title, set_name))


def session_facts(sessions: Sequence[Slot]) -> Json:
    if not sessions:
        return text("The session dates are still to be arranged.", subtle=True)
    return facts((f"Session {i}", london_slot(start, end)) for i, (start, end) in enumerate(sessions, 1))


def officer_line(officer: OfficerLine) -> str:
    role = n.ROLES.get(officer.role, officer.role)
    state = "has confirmed" if officer.committed else "**has not confirmed yet**"
    return f"{person(officer.name, None, role)}: {state}"


def status_line(view: TeamView) -> str:
    if view.status == "confirmed":
        return "Confirmed" if everyone_committed(view) else "Confirmed, waiting for everyone to commit"
    if view.status == "waitlisted":
        return f"Number {view.position} on the waiting list" if view.position else "On the waiting list"
    if view.status == "withdrawn":
        return "Withdrawn"
    return "Lapsed: not everyone committed in time"


def everyone_committed(view: TeamView) -> bool:
    return all(o.committed for o in view.officers)


def commitment_lines(view: TeamView) -> list[Json]:
    """Who in the team has committed to every session, and by when the rest must."""
    if everyone_committed(view):
        return [text("Everyone in your team has confirmed they will attend every session.")]
    when = f"by {london_deadline(view.deadline)}" if view.deadline else "before the first session"
    return [
        text(f"Everyone in your team must confirm they will attend every session {when}, or the "
             "place goes to the next council on the waiting list."),
        bullets(officer_line(o) for o in view.officers),
    ]


def ground_rules_block() -> list[Json]:
    return [
        text("Ground rules", weight="Bolder"),
        bullets(f"**{rule.title}** — {rule.explanation}" for rule in GROUND_RULES),
    ]


def commit_inputs(errors: Sequence[FieldError] = (), values: Mapping[str, str] | None = None) -> list[Json]:
    """The two tick boxes, each with its errors straight beneath it.

    Without `values`, a box redrawn because of an error elsewhere stays ticked: the form only
    reports a box that was left unticked, so a box with no error must have been ticked.
    """
    failed = {e.field for e in errors}
    items: list[Json] = []
    for field_id, title in (
        (n.COMMIT, "I will attend every session of this set, and give a reason if I cannot."),
        (n.GROUND_RULES, "I agree to the ground rules above."),
    ):
        if values is not None:
            value = values.get(field_id, "false")
        else:
            value = "true" if errors and field_id not in failed else "false"
        items.append(toggle(field_id, title, value))
        items += [error_text(field_id, e.message) for e in errors if e.field == field_id]
    return items


def commit_body(view: TeamView, errors: Sequence[FieldError] = ()) -> list[Json]:
    """What a nominated officer commits to: every session, by the deadline, on the ground rules."""
    deadline = f" Please confirm by {london_deadline(view.deadline)}." if view.deadline else ""
    return [
        text("Each officer in a council's team commits to attending every session." + deadline),
        session_facts(view.sessions),
        *ground_rules_block(),
        *commit_inputs(errors),
    ]


def confirm_button(set_key: str) -> Json:
    return execute("Confirm my place", Verb.SIGNUP_COMMIT, Commitment(set_key).data(), style="positive")


def my_sets_button() -> Json:
    return execute("My sets", Verb.MY_SETS)


# The cards ---------------------------------------------------------------------------------------

def open_sets_card(options: Sequence[SetOption]) -> Json:
    if not options:
        return card(
            [heading("Sign up"),
             text("No set is open for booking just now. I will have more when the programme team "
                  "opens the next one.")],
            [my_sets_button()],
        )
    body: list[Json] = [heading("Choose a set"),
                        text("Places go to councils in the order their complete sign-ups arrive.")]
    for option in options:
        body.append(container(
            [
                text(plain_title(option.series_title, option.name), size="Medium", weight="Bolder"),
                session_facts(option.sessions),
                *_standing(option),
                text(_policy_summary(option)),
                # A set the council cannot book says why, with nothing to press.
                *([] if option.refused else [action_set([execute(
                    "See our place" if option.held else "Choose this set", Verb.SIGNUP_CHOOSE,
                    SetChoice(option.key).data())])]),
            ],
            separator=True,
        ))
    return card(body)


def signup_form_card(*, option: SetOption, theme: str, values: Mapping[str, str],
                     errors: Sequence[FieldError] = (), guidance: Sequence[Question] = (),
                     refining: bool = False) -> Json:
    data = Nomination(option.key, values.get(n.SUBMISSION_ID, ""))

    def value(field_id: str) -> str:
        return values.get(field_id, "")

    def beneath(field_id: str) -> list[Json]:
        return [error_text(field_id, e.message) for e in errors if e.field == field_id]

    def field(element: Json) -> list[Json]:
        return [element, *beneath(element["id"])]

    body: list[Json] = [
        heading("Sign up"),
        text(plain_title(option.series_title, option.name), size="Medium", weight="Bolder"),
        session_facts(option.sessions),
    ]
    if option.free_places <= 0:
        body.append(text(_places(option), colour="Warning"))
    body += _error_summary(errors)
    if refining:
        # Issue 12: pressing "Refine my challenge" used to bring back the same card with no word.
        body.append(container([
            text("Refine your challenge below", weight="Bolder"),
            text("Nothing has been sent yet. Change the title, the text or your answers under "
                 "“Your challenge” (narrowing the scope is the commonest refinement), then press "
                 "**Sign up**. With every answer “yes” it goes straight through."),
        ], style="accent", element_id="refining"))
    if guidance:
        body.append(_guidance(guidance, theme, data))

    body += [
        _section("Your council"),
        *field(text_input(n.COUNCIL, "Council", value(n.COUNCIL), max_length=n.COUNCIL_MAX,
                          placeholder="e.g. Leeds City Council")),
        _section("You"),
        *field(text_input(n.OFFICER_NAME, "Your name", value(n.OFFICER_NAME), max_length=n.NAME_MAX)),
        *field(text_input(n.OFFICER_EMAIL, "Your work e-mail address", value(n.OFFICER_EMAIL),
                          max_length=n.EMAIL_MAX, style="email")),
        *field(choice_set(n.OFFICER_ROLE, "Your role", ROLE_CHOICES, value(n.OFFICER_ROLE),
                          placeholder="Choose your role")),
        *_partner_intro(option),
        *field(text_input(n.PARTNER_NAME, "Their name", value(n.PARTNER_NAME), max_length=n.NAME_MAX)),
        *field(text_input(n.PARTNER_EMAIL, "Their work e-mail address", value(n.PARTNER_EMAIL),
                          max_length=n.EMAIL_MAX, style="email")),
        *field(choice_set(n.PARTNER_ROLE, "Their role", ROLE_CHOICES, value(n.PARTNER_ROLE),
                          placeholder="Choose their role")),
        _section("Your challenge"),
        text(f"Bring a work challenge that relates to {plain(theme)}. Only you see it on this card; "
             "in the sessions it is shared with your set and its facilitators, and it stays there."),
        *field(text_input(n.CHALLENGE_TITLE, "A short title", value(n.CHALLENGE_TITLE),
                          max_length=TITLE_MAX)),
        *field(text_input(n.CHALLENGE_TEXT, "Your challenge in a few lines", value(n.CHALLENGE_TEXT),
                          multiline=True, max_length=TEXT_MAX)),
        text("Is it a good challenge for action learning?", weight="Bolder"),
        text("Answer each question. A “no” is not a rejection: I will explain why the question "
             "matters and how you might refine your challenge.", subtle=True),
    ]
    for question, field_id in zip(QUESTIONS, n.SUITABILITY, strict=True):
        body += field(choice_set(field_id, f"{question.number}. {question.wording(theme)}", YES_NO,
                                 value(field_id), expanded=True))
    body += [
        _section("Commitment"),
        text("Every officer commits to attending every session of the set."),
        *ground_rules_block(),
        *commit_inputs(errors, values),
    ]
    return card(body, [execute("Sign up", Verb.SIGNUP_SUBMIT, data.data(), style="positive")])


def placed_card(view: TeamView) -> Json:
    where = plain_title(view.series_title, view.set_name)
    body: list[Json]
    if view.status == "confirmed":
        body = [
            heading("You have a place"),
            text(f"Your council has a place in **{where}**."),
            facts([("Council", plain(view.council_name))]),
            session_facts(view.sessions),
            text("What happens next", weight="Bolder"),
            text("The Teams meeting invitations for the sessions will follow."),
            *commitment_lines(view),
        ]
    elif view.status == "waitlisted":
        body = [
            heading("You are on the waiting list"),
            text(f"You are number {view.position} on the waiting list for **{where}**."
                 if view.position else f"You are on the waiting list for **{where}**."),
            facts([("Council", plain(view.council_name))]),
            session_facts(view.sessions),
            text("What happens next", weight="Bolder"),
            text("If a place frees up, I will tell you at once and your council moves into the set."),
            bullets(officer_line(o) for o in view.officers),
        ]
    else:
        # A submission answers with a placement; anything else is shown as it stands.
        body = [heading("Your sign-up"), text(f"{plain(view.council_name)} in **{where}**."),
                facts([("Status", status_line(view))])]
    return card(body, [my_sets_button()])


def commit_card(view: TeamView, *, set_key: str, errors: Sequence[FieldError] = ()) -> Json:
    where = plain_title(view.series_title, view.set_name)
    return card(
        [
            heading("Confirm your place"),
            text(f"Your council, {plain(view.council_name)}, has nominated you for **{where}**."),
            *commit_body(view, errors),
        ],
        [confirm_button(set_key)],
    )


def refused_card(message: str) -> Json:
    return card([heading("Sign up"), text(message)], [my_sets_button()])


# Helpers -----------------------------------------------------------------------------------------

def _standing(option: SetOption) -> list[Json]:
    """Whether the council can book the set: its place here, why not, or the places left."""
    if option.held:
        return [text(f"Your council is in this set: {plain(option.held)}", colour="Good", weight="Bolder")]
    if option.refused:
        return [text(f"Your council cannot book this set. {plain(option.refused)}", colour="Attention")]
    return [text(_places(option), colour="Good" if option.free_places > 0 else "Warning")]


def _places(option: SetOption) -> str:
    if option.free_places <= 0:
        return f"Fully booked: you can join the waiting list ({option.waiting} waiting)"
    return "1 place free" if option.free_places == 1 else f"{option.free_places} places free"


def _policy_summary(option: SetOption) -> str:
    if option.policy == "role_pair":
        return "Each council sends two officers: one sustainability or climate officer and one " \
               "procurement officer."
    return "Each council sends one or two officers."


def _section(title: str) -> Json:
    block = text(title, size="Medium", weight="Bolder")
    block["separator"] = True
    block["spacing"] = "Large"
    return block


def _partner_intro(option: SetOption) -> list[Json]:
    if option.policy == "role_pair":
        return [
            _section("Your partner (required)"),
            text("This series needs a pair from your council: one sustainability or climate officer "
                 "and one procurement officer. A partner is required, and both of you commit to "
                 "every session; I will ask your partner to confirm."),
        ]
    return [
        _section("A second officer (optional)"),
        text("You may add a second officer from your council; this is optional. They commit to every "
             "session too, and I will ask them to confirm. Leave these fields empty to sign up alone."),
    ]


def _error_summary(errors: Sequence[FieldError]) -> list[Json]:
    if not errors:
        return []
    count = len(errors)
    summary = "Please correct the entry marked below." if count == 1 else \
        f"Please correct the {count} entries marked below."
    items = [text(summary, colour="Attention", weight="Bolder", element_id="error_summary")]
    # An error about something that has no input on this card would otherwise go unseen.
    on_card = {n.COUNCIL, n.OFFICER_NAME, n.OFFICER_EMAIL, n.OFFICER_ROLE, n.PARTNER_NAME,
               n.PARTNER_EMAIL, n.PARTNER_ROLE, n.CHALLENGE_TITLE, n.CHALLENGE_TEXT, *n.SUITABILITY,
               n.COMMIT, n.GROUND_RULES}
    items += [text(e.message, colour="Attention") for e in errors if e.field not in on_card]
    return items


def _guidance(guidance: Sequence[Question], theme: str, data: Nomination) -> Json:
    count = len(guidance)
    intro = (f"You answered “no” to {'one question' if count == 1 else f'{count} questions'}. "
             "That need not stop you: here is why each one matters, and how you might refine your "
             "challenge before you sign up.")
    items: list[Json] = [text("Before you sign up", size="Medium", weight="Bolder"), text(intro)]
    for q in guidance:
        items += [
            text(f"{q.number}. {plain(q.wording(theme))}", weight="Bolder"),
            text(f"**Why it matters:** {q.why}"),
            text(f"**To refine it:** {q.hint}"),
        ]
    items.append(action_set([
        execute("Refine my challenge", Verb.SIGNUP_REFINE, data.data()),
        execute("Submit as it is", Verb.SIGNUP_SUBMIT, replace(data, accept_as_is=True).data()),
    ]))
    return container(items, style="emphasis", element_id="guidance")
