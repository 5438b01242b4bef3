"""Cards for the weeks between sessions: the session reminder, refining a challenge, updating actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.rules.challenge import QUESTIONS, TEXT_MAX, TITLE_MAX, Question
from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import LONDON, london, london_slot, plain
from cards.inputs import YES_NO, choice_set, container, error_text, text_input
from cards.payloads import Nothing, SetChoice
from cards.payloads_between import ANSWER_IDS, TEXT_ID, TITLE_ID, ActionsUpdate, ChallengeForm, SetOfMine
from cards.session import NOTE_MAX, REVIEW_CHOICES
from cards.signup import commit_inputs, ground_rules_block
from cards.verbs import Verb

__all__ = ["ANSWER_IDS", "TEXT_ID", "TITLE_ID"]

STATUS_WORDS = {"done": "done", "partly": "partly done", "not_done": "not done"}


@dataclass(frozen=True)
class ReminderView:
    set_key: str
    set_title: str
    number: int
    starts_at: datetime
    ends_at: datetime
    lead: str  # e.g. "3 days"
    join_url: str | None
    place: str | None  # e.g. "3rd of 6 in the running order", when known
    committed: bool


@dataclass(frozen=True)
class ActionLine:
    position: int
    text: str
    status: str | None


def reminder_card(view: ReminderView) -> Json:
    """Before a session: when, where, your place, and what to do before it."""
    body: list[Json] = [
        heading(f"Session {view.number} is in {view.lead}"),
        text(f"**{plain(view.set_title)}**"),
        facts([("When", f"{london_slot(view.starts_at, view.ends_at)} (UK time)"),
               ("Join", f"[Join the Teams meeting]({view.join_url})" if view.join_url
                else "The invitation with the join link follows by e-mail."),
               *((("Your place", view.place),) if view.place else ())]),
        text("Before the session", weight="Bolder"),
        bullets([
            "Refine your challenge if it has moved on (narrowing the scope is the commonest change).",
            *(["Update your team's actions from last time: done, partly or not done, and what you learnt."]
              if view.number > 1 else []),
            "Cannot come? Send your apologies with a reason, so the facilitator can plan the running order.",
        ]),
    ]
    mine = SetOfMine(view.set_key).data()
    actions = [execute("Refine my challenge", Verb.CHALLENGE_SHOW, mine)]
    if view.number > 1:
        actions.append(execute("Update my actions", Verb.ACTIONS_SHOW, mine))
    actions.append(execute("Send apologies", Verb.APOLOGIES_START, Nothing().data()))
    if not view.committed:
        body += [text("You have not committed yet", weight="Bolder", colour="Attention"),
                 text("Your council's place needs every officer's commitment to every session."),
                 *ground_rules_block(), *commit_inputs(values={})]
        actions.insert(0, execute("Commit", Verb.SIGNUP_COMMIT, SetChoice(view.set_key).data(),
                                  style="positive"))
    return card(body, actions)


def reminder_email_lines(view: ReminderView) -> list[str]:
    """The e-mail's words: schedule facts only, never what anyone wrote in the set."""
    lines = [f"This is a reminder that session {view.number} of {view.set_title} is in {view.lead}: "
             f"{london(view.starts_at)} (UK time), until {view.ends_at.astimezone(LONDON):%H:%M}."]
    if view.place:
        lines.append(f"Your team's place: {view.place}.")
    todo = "Before the session you can refine your challenge"
    todo += ", update your team's actions from last time" if view.number > 1 else ""
    todo += (" or send apologies, in the Action Learning Sets app in Teams (type challenge, actions or "
             "apologies).")
    lines.append(todo)
    if not view.committed:
        lines.append("You have not yet confirmed your commitment to every session: please do so in the app.")
    return lines


def challenge_card(*, set_key: str, set_title: str, theme: str, values: Mapping[str, str],
                   guidance: Sequence[Question] = (), errors: Mapping[str, str] | None = None,
                   version: int = 0) -> Json:
    """The current challenge with the six suitability questions, to refine and save."""
    errors = errors or {}

    def field(element: Json) -> list[Json]:
        problem = errors.get(str(element["id"]))
        return [element, error_text(str(element["id"]), problem)] if problem else [element]

    body: list[Json] = [
        heading("Refine your challenge"),
        text(f"**{plain(set_title)}**"),
        text(f"Your challenge relates to {plain(theme)}. What you save here is what your set sees at the "
             "next session; every earlier version is kept." if theme else
             "What you save here is what your set sees at the next session; every earlier version is kept."),
    ]
    if version:
        body.append(text(f"You are refining version {version}.", subtle=True))
    body += field(text_input(TITLE_ID, "A short title", values.get(TITLE_ID, ""), max_length=TITLE_MAX))
    body += field(text_input(TEXT_ID, "Your challenge in a few lines", values.get(TEXT_ID, ""),
                             multiline=True, max_length=TEXT_MAX))
    body.append(text("Is it a good challenge for action learning?", weight="Bolder"))
    for question, field_id in zip(QUESTIONS, ANSWER_IDS, strict=True):
        body += field(choice_set(field_id, f"{question.number}. {question.wording(theme)}", YES_NO,
                                 values.get(field_id, ""), expanded=True))
    if guidance:
        advice = []
        for q in guidance:
            advice += [text(f"Question {q.number}: why it matters", weight="Bolder"), text(q.why),
                       text(f"How to refine it: {q.hint}", subtle=True)]
        body.append(container([
            text("A “no” is not a rejection", weight="Bolder"),
            text("You can refine your challenge now, or save it as it is."), *advice], style="warning"))
    actions = [execute("Save my challenge", Verb.CHALLENGE_SAVE, ChallengeForm(set_key).data(),
                       style="positive")]
    if guidance:
        actions.append(execute("Save it as it is", Verb.CHALLENGE_SAVE, ChallengeForm(set_key, True).data()))
    return card(body, actions)


def challenge_saved_card(*, set_key: str, set_title: str, title: str, text_value: str,
                         answers: Sequence[bool | None], version: int, changed: bool) -> Json:
    """What the officer saved, shown back to them (only they see this card)."""
    yes = sum(1 for a in answers if a)
    body = [
        heading("Challenge saved" if changed else "No change to save"),
        text(f"**{plain(set_title)}**"),
        text(f"This is version {version} of your challenge; the set sees it at the next session."
             if changed else f"Your challenge is as it was (version {version})."),
        facts([("Title", plain(title)), ("Suitability", f"{yes} of {len(QUESTIONS)} answered yes")]),
        text(plain(text_value)),
    ]
    return card(body, [execute("Refine it again", Verb.CHALLENGE_SHOW, SetOfMine(set_key).data())])


def choose_set_card(title: str, verb: str, sets: Sequence[tuple[str, str]], note: str = "") -> Json:
    """Several sets: which one? `sets` are (key, title) pairs."""
    body = [heading(title), *([text(note)] if note else [])]
    return card(body, [execute(plain(name), verb, SetOfMine(key).data()) for key, name in sets])


def actions_update_card(*, set_key: str, set_title: str, team_name: str, number: int, next_number: int,
                        actions: Sequence[ActionLine], notes: Mapping[str, str], saved: bool = False) -> Json:
    """The team's actions from its last airtime: done, partly or not done, with notes."""
    body: list[Json] = [
        heading("Your actions saved" if saved else "Update your actions"),
        text(f"**{plain(set_title)}**"),
        text(f"{plain(team_name)}: the actions set in session {number}. What you save here opens your "
             f"review in session {next_number}, and can still be changed in the meeting."),
    ]
    for a in actions:
        body.append(choice_set(f"status_{a.position}", plain(a.text), REVIEW_CHOICES, a.status or "",
                               expanded=True))
    body += [
        text_input("worked_well", "What worked well?", notes.get("worked_well", ""), multiline=True,
                   max_length=NOTE_MAX),
        text_input("worked_less_well", "What worked less well?", notes.get("worked_less_well", ""),
                   multiline=True, max_length=NOTE_MAX),
        text_input("learning", "What have you learnt?", notes.get("learning", ""), multiline=True,
                   max_length=NOTE_MAX),
    ]
    if saved:
        body.append(container([text("Saved", weight="Bolder"), bullets(
            f"{plain(a.text)}: {STATUS_WORDS.get(a.status or '', 'not answered yet')}" for a in actions)],
            style="good"))
    return card(body, [execute("Save my update", Verb.ACTIONS_SAVE, ActionsUpdate(set_key, number).data(),
                               style="positive")])


def plain_card(title: str, message: str) -> Json:
    return card([heading(title), text(message)])
