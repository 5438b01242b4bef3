"""Examples of the evaluation cards for the catalogue (schema validation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.rules import evaluation as ev
from cards import evaluation as cards

_CLOSES = datetime(2027, 7, 1, 23, 0, tzinfo=UTC)
_OPEN = cards.OpenEvaluation("adapt-tue", "Sustainable Adaptation: Tuesday set", _CLOSES)
_OTHER = cards.OpenEvaluation("proc-thu", "Sustainable Procurement: Thursday set", _CLOSES, answered=True)


def _summary(min_answers: int, answers: list[ev.Answer]) -> cards.SetSummary:
    figures = ev.evaluation_figures(answers, min_answers=min_answers,
                                    redact=ev.Redactor.of(["Alex Smith"], ["Leeds City Council"]))
    return cards.SetSummary(
        "adapt-tue", "Sustainable Adaptation: Tuesday set", 4, 6,
        (cards.SessionLine(1, "Tuesday 4 May 2027", 5, 6, 1, 0, True, 8, 4, 4.25),
         cards.SessionLine(2, "Tuesday 18 May 2027", 0, 6, 2, 0, False, 0, 0, None)),
        figures, min_answers, "als report adaptation")


def examples() -> list[tuple[str, dict[str, Any]]]:
    answer = ev.Answer(4, 5, 3, 4, "Alex Smith's questions", "More time", True)
    return [
        ("evaluation.evaluation_card", cards.evaluation_card([_OPEN])),
        ("evaluation.evaluation_card (two sets, errors)", cards.evaluation_card(
            [_OPEN, _OTHER], chosen="proc-thu", values={"benefit_self": "4", "helped": "The questions"},
            errors={"benefit_team": "Choose a number from 1 to 5.", "recommend": "Choose yes or no."})),
        ("evaluation.evaluation_card (saved)", cards.evaluation_card([_OPEN], values=answer.form(),
                                                                     done="Thank you.")),
        ("evaluation.evaluation_card (none open)", cards.evaluation_card([])),
        ("evaluation.pulse_card", cards.pulse_card("adapt-tue", "Sustainable Adaptation: Tuesday set", 2)),
        ("evaluation.pulse_card (error)", cards.pulse_card("adapt-tue", "Tuesday set", 2,
                                                           error="Choose a number from 1 to 5.")),
        ("evaluation.summary_card (below the threshold)", cards.summary_card(_summary(3, [answer]))),
        ("evaluation.summary_card (free text)", cards.summary_card(_summary(1, [answer, answer]))),
        ("evaluation.report_choice_card", cards.report_choice_card([("adapt-tue", "Tuesday set"),
                                                                   ("proc-thu", "Thursday set")])),
        ("evaluation.report_choice_card (none)", cards.report_choice_card([])),
    ]
