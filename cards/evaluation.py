"""Evaluation cards: the end-of-set evaluation, the after-session pulse, and the facilitators' summary
of a set's report (figures only, and free text only where the set has enough answers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.rules import evaluation as ev
from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import london_date, plain
from cards.inputs import YES_NO, choice_set, container, error_text, text_input
from cards.payloads import Payload, input_field
from cards.verbs import Verb

SET_KEY = "set_key"  # the button's own: which set the answers are for
CHOOSE = "choose_set"  # the input: which set to show (an input never shares a button field's name)
SESSION = "session"
_SCALE = [(ev.SCALE_WORDS[v], str(v)) for v in ev.SCALE]


@dataclass(frozen=True)
class EvaluationShown(Payload):
    """Which set's evaluation to show: from the card's choice, or a button that names it."""

    set_key: str = ""
    choose_set: str = input_field()


@dataclass(frozen=True)
class EvaluationAnswers(Payload):
    """The set from the button; every answer from the card's inputs (read by the rules)."""

    set_key: str
    benefit_self: str = input_field()
    benefit_team: str = input_field()
    benefit_council: str = input_field()
    challenge_moved: str = input_field()
    helped: str = input_field()
    change: str = input_field()
    recommend: str = input_field()

    def form(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in (*(key for key, _, _ in ev.SCORES),
                                                   *(key for key, _, _ in ev.TEXTS), ev.RECOMMEND)}


@dataclass(frozen=True)
class PulseAnswer(Payload):
    set_key: str
    session: int
    pulse: str = input_field()


@dataclass(frozen=True)
class ReportChoice(Payload):
    """Which set's report to show: from the card's choice."""

    set_key: str = input_field()


@dataclass(frozen=True)
class OpenEvaluation:
    """A set whose evaluation the officer may give (or change) now."""

    set_key: str
    set_title: str
    closes: datetime
    answered: bool = False


def evaluation_card(sets: Sequence[OpenEvaluation], *, chosen: str = "",
                    values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                    done: str | None = None) -> Json:
    """The evaluation form for one set (the chosen one, or the first), prefilled with `values`."""
    values = values or {}
    errors = errors or {}
    body: list[Json] = [heading("Evaluation")]
    if done:
        body.append(text(done, colour="Good"))
    if not sets:
        body.append(text("There is no evaluation open for you. Each set's evaluation opens when its last "
                         "session ends and stays open for four weeks."))
        return card(body)
    current = next((s for s in sets if s.set_key == chosen), sets[0])
    body.append(text(f"{plain(current.set_title)}: how was it for you? Your answers are reported only as "
                     "totals for the set, never with your name; what you write is shown to the programme "
                     "team without names or councils, and only when enough people have answered. You can "
                     f"change your answers until {london_date(current.closes)}."))
    if len(sets) > 1:
        choices = [(s.set_title + (" (answered)" if s.answered else ""), s.set_key) for s in sets]
        body.append(choice_set(CHOOSE, "Which set?", choices, current.set_key))
        body.append(text("Choosing another set? Press *Show that set* before answering.", subtle=True))
    form: list[Json] = []
    for key, question, _ in ev.SCORES:
        form.append(choice_set(key, question, _SCALE, values.get(key, ""), placeholder="Choose 1 to 5"))
        if key in errors:
            form.append(error_text(key, errors[key]))
    for key, question, _ in ev.TEXTS:
        form.append(text_input(key, f"{question} (optional)", values.get(key, ""), multiline=True,
                               max_length=ev.TEXT_MAX))
        if key in errors:
            form.append(error_text(key, errors[key]))
    form.append(choice_set(ev.RECOMMEND, ev.RECOMMEND_QUESTION, YES_NO, values.get(ev.RECOMMEND, ""),
                           expanded=True))
    if ev.RECOMMEND in errors:
        form.append(error_text(ev.RECOMMEND, errors[ev.RECOMMEND]))
    body.append(container(form, separator=True))
    actions = [execute("Send my evaluation", Verb.EVALUATION_SUBMIT,
                       EvaluationAnswers(current.set_key).data(), style="positive")]
    if len(sets) > 1:
        actions.append(execute("Show that set", Verb.EVALUATION_OPEN, EvaluationShown().data()))
    return card(body, actions)


def evaluation_invite_text(set_title: str, *, reminder: bool) -> str:
    """The notice's text where a card cannot go (an e-mail): no confidential text, only the ask."""
    ask = "A reminder: the" if reminder else "The"
    return (f"{ask} evaluation of {set_title} is open. It takes five minutes: open the Action Learning "
            "Sets app in Teams and type evaluation.")


def pulse_invite_text(set_title: str, number: int) -> str:
    return (f"{ev.PULSE_QUESTION} One optional question about session {number} of {set_title}: open the "
            "Action Learning Sets app in Teams to answer it.")


def pulse_card(set_key: str, set_title: str, number: int, *, score: str = "", error: str | None = None,
               done: str | None = None) -> Json:
    body: list[Json] = [heading(f"Session {number}: one question")]
    if done:
        body.append(text(done, colour="Good"))
    body.append(text(f"{plain(set_title)}. Optional, and anonymous: the facilitators see only the "
                     "average for the set."))
    body.append(choice_set(ev.PULSE, ev.PULSE_QUESTION, _SCALE, score, expanded=True))
    if error:
        body.append(error_text(ev.PULSE, error))
    return card(body, [execute("Send", Verb.PULSE_SUBMIT, PulseAnswer(set_key, number).data())])


# The facilitators' summary ---------------------------------------------------------------------

@dataclass(frozen=True)
class SessionLine:
    number: int
    when: str
    attended: int
    expected: int
    apologies: int
    absent: int
    collected: bool
    actions: int
    pulse_n: int
    pulse_mean: float | None


@dataclass(frozen=True)
class SetSummary:
    set_key: str
    set_title: str
    teams: int
    officers: int
    sessions: tuple[SessionLine, ...]
    evaluation: ev.EvaluationFigures
    min_answers: int
    report_command: str


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _percent(part: int, whole: int) -> str:
    return "–" if not whole else f"{round(100 * part / whole)}%"


def summary_card(summary: SetSummary) -> Json:
    e = summary.evaluation
    body: list[Json] = [
        heading(f"Report: {plain(summary.set_title)}"),
        facts([("Teams confirmed", str(summary.teams)), ("Officers", str(summary.officers)),
               ("Evaluations", f"{e.answers} of {summary.officers}")]),
    ]
    lines = []
    for s in summary.sessions:
        attendance = (f"{s.attended} of {s.expected} attended ({_percent(s.attended, s.expected)}), "
                      f"{s.apologies} apologies, {s.absent} absent without notice"
                      if s.collected else f"attendance not read yet, {s.apologies} apologies")
        pulse = f"pulse {_mean(s.pulse_mean)} ({s.pulse_n})" if s.pulse_n else "no pulse answers"
        lines.append(f"Session {s.number} ({s.when}): {attendance}; {s.actions} actions; {pulse}")
    body.append(text("Sessions", weight="Bolder"))
    body.append(bullets(lines))
    body.append(text("Evaluation (average, 1 to 5)", weight="Bolder"))
    scores = [(label, f"{_mean(d.mean)} from {d.n}") for label, d in e.scores]
    rate = e.recommend_rate
    scores.append(("Would recommend", "–" if rate is None else f"{round(100 * rate)}% ({e.recommend_yes} "
                   f"of {e.recommend_yes + e.recommend_no})"))
    body.append(facts(scores))
    if e.free_text_shown:
        for title, items in (("What helped most", e.helped), ("What they would change", e.change)):
            if items:
                body.append(text(title, weight="Bolder"))
                body.append(bullets(plain(i) for i in items))
    else:
        body.append(text(f"What people wrote is shown once at least {summary.min_answers} have answered, "
                         "so that nobody can be told by their words.", subtle=True))
    body.append(text(f"The full report with charts: the programme team runs `{summary.report_command}`.",
                     subtle=True))
    return card(body)


def report_choice_card(sets: Sequence[tuple[str, str]]) -> Json:
    if not sets:
        return card([heading("Report"),
                     text("Only a set's facilitators and the programme admins can see its report, and you "
                          "are not a facilitator of any set.")])
    return card([heading("Report"),
                 choice_set(SET_KEY, "Which set's report would you like to see?",
                            [(title, key) for key, title in sets], sets[0][0])],
                [execute("Show the report", Verb.REPORT_SHOW)])
