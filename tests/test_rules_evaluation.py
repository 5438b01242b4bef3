"""The evaluation's rules: reading the card, aggregating, the threshold for free text, and removing
names, e-mail addresses and councils from what people wrote."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.rules import evaluation as ev

FORM = {"benefit_self": "5", "benefit_team": "4", "benefit_council": "3", "challenge_moved": "2",
        "helped": "  The questions  ", "change": "", "recommend": "yes"}
REDACT = ev.Redactor.of(["Priya Shah", "Kim Lee", "Jo O'Neill"], ["Leeds City Council", "Royal Borough of Greenwich"])


def test_a_complete_card_is_an_answer() -> None:
    answer, problems = ev.read_answer(FORM)
    assert problems == {}
    assert answer == ev.Answer(5, 4, 3, 2, "The questions", "", True)
    assert answer.form()["recommend"] == "yes" and answer.form()["benefit_self"] == "5"


def test_every_mistake_is_named_by_its_field() -> None:
    answer, problems = ev.read_answer({**FORM, "benefit_team": "6", "benefit_council": "three", "recommend": "",
                                       "change": "x" * (ev.TEXT_MAX + 1)})
    assert answer is None
    assert set(problems) == {"benefit_team", "benefit_council", "recommend", "change"}
    assert "2000 characters" in problems["change"]


def test_the_pulse_takes_one_to_five_only() -> None:
    assert ev.read_pulse({"pulse": "4"}) == 4
    assert ev.read_pulse({"pulse": "0"}) is None and ev.read_pulse({}) is None


def test_figures_aggregate_and_keep_free_text_to_the_threshold() -> None:
    answers = [ev.Answer(5, 4, 3, 2, "Kim Lee helped", "", True), ev.Answer(3, 4, 3, 2, "", "Less time", False)]
    below = ev.evaluation_figures(answers, min_answers=3, redact=REDACT)
    assert below.answers == 2 and not below.free_text_shown and below.helped == () and below.change == ()
    assert dict(below.scores)["Benefit to you"].counts == (0, 0, 1, 0, 1)
    assert dict(below.scores)["Benefit to you"].mean == 4.0
    assert below.recommend_rate == 0.5
    shown = ev.evaluation_figures(answers, min_answers=2, redact=REDACT, rng=random.Random(1))
    assert shown.helped == ("[name] helped",) and shown.change == ("Less time",)
    assert ev.evaluation_figures([], min_answers=1, redact=REDACT).recommend_rate is None


def test_names_addresses_and_councils_are_removed() -> None:
    text = ("Priya's advice, and KIM LEE's, on Leeds City Council's budget; ask priya.shah@leeds.gov.uk or "
            "Jo O'Neill in Greenwich. Leeds did well. The council and the city agreed.")
    assert REDACT(text) == (
        "[name] advice, and [name], on [council] budget; ask [e-mail address] or [name] in [council]. "
        "[council] did well. The council and the city agreed.")


@given(st.sampled_from(["Priya Shah", "Kim Lee", "Leeds City Council", "Greenwich", "priya"]),
       st.text(alphabet=st.characters(categories=("Ll", "Zs", "Po")), max_size=30),
       st.text(alphabet=st.characters(categories=("Ll", "Zs", "Po")), max_size=30))
def test_a_name_never_survives_whatever_surrounds_it(name: str, before: str, after: str) -> None:
    redacted = REDACT(f"{before} {name} {after}").lower()
    assert name.lower() not in redacted.replace("[name]", "").replace("[council]", "") or name.lower() in (
        f"{before} {after}".lower())


def test_the_evaluation_is_open_from_the_last_session_until_it_closes() -> None:
    end = datetime(2027, 6, 2, 11, 0, tzinfo=UTC)
    assert not ev.evaluation_open(end, end - timedelta(minutes=1), 28)
    assert ev.evaluation_open(end, end, 28)
    assert not ev.evaluation_open(end, end + timedelta(days=28), 28)
    assert ev.retention_due(end, end + timedelta(days=365), 365)
    assert not ev.retention_due(end, end + timedelta(days=364), 365)


def test_a_wrong_setting_names_its_variable() -> None:
    import pytest

    from bot.config import ConfigError
    from bot.features.evaluation import EvaluationSettings

    assert EvaluationSettings.from_env({}) == EvaluationSettings(3, 365, 28)
    assert EvaluationSettings.from_env({"ALS_REPORT_MIN_ANSWERS": "5", "ALS_RETENTION_DAYS": "730"}) == \
        EvaluationSettings(5, 730, 28)
    for name, value in (("ALS_REPORT_MIN_ANSWERS", "0"), ("ALS_RETENTION_DAYS", "a year"),
                        ("ALS_EVALUATION_DAYS", "-1")):
        with pytest.raises(ConfigError, match=name):
            EvaluationSettings.from_env({name: value})
