"""The sign-up form's checks, its card round trip, and the challenge's questions and versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.booking import Who
from bot.rules.challenge import QUESTIONS, Challenge, assess, revise
from bot.rules.nomination import (
    SUITABILITY,
    FieldError,
    OfficerEntry,
    SignUpForm,
    council_key,
    from_card_data,
    idempotency_key,
    to_card_data,
    to_nominate,
    validate,
)
from bot.rules.programme import Series

PAIR = Series("procurement", "Sustainable Procurement", "sustainable procurement", "role_pair")
UP_TO_TWO = Series("adaptation", "Sustainable Adaptation", "sustainable adaptation", "up_to_two")
DOMAINS = ("leeds.gov.uk", "york.gov.uk")
NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)

GOOD = SignUpForm(
    set_key="procurement-tue",
    council="Leeds City Council",
    officer=OfficerEntry("Asha Patel", "Asha.Patel@Leeds.gov.uk", "sustainability"),
    partner=OfficerEntry("Ben Okafor", "ben.okafor@leeds.gov.uk", "procurement"),
    challenge_title="Embedding carbon in tender scoring",
    challenge_text="How do we weight carbon in evaluations without excluding small suppliers?",
    answers=(True,) * 6,
    commits=True,
    agrees_ground_rules=True,
    submission_id="card-1",
)


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


def test_a_complete_role_pair_form_is_valid() -> None:
    assert validate(GOOD, PAIR, DOMAINS, signed_email="asha.patel@leeds.gov.uk") == []


def test_an_empty_form_shows_every_problem_beside_its_field() -> None:
    errors = validate(SignUpForm(set_key="x"), PAIR, DOMAINS)
    assert fields(errors) == [
        "council",
        "officer_name", "officer_email", "officer_role",
        "partner_name", "partner_email", "partner_role",
        "challenge_title", "challenge_text",
        *SUITABILITY,
        "commit", "ground_rules",
    ]
    messages = {e.field: e.message for e in errors}
    assert messages["officer_name"] == "Enter your name."
    assert messages["partner_email"] == "Enter your partner's work e-mail address."
    assert messages["commit"] == "Tick to confirm that you will attend every session."
    assert messages["suitability_3"] == "Answer yes or no."


def test_role_pair_needs_one_sustainability_and_one_procurement_officer() -> None:
    both = replace(GOOD, partner=replace(GOOD.partner, role="sustainability"))
    errors = validate(both, PAIR, DOMAINS)
    assert fields(errors) == ["partner_role"]
    assert "one sustainability or climate officer and one procurement officer" in errors[0].message
    alone = replace(GOOD, partner=OfficerEntry())
    assert fields(validate(alone, PAIR, DOMAINS)) == [
        "partner_name", "partner_email", "partner_role",
    ]


def test_up_to_two_partner_is_optional_but_complete_when_given() -> None:
    alone = replace(GOOD, partner=OfficerEntry(), officer=replace(GOOD.officer, role="other"))
    assert validate(alone, UP_TO_TWO, DOMAINS) == []
    half = replace(alone, partner=OfficerEntry(email="ben@leeds.gov.uk"))
    assert fields(validate(half, UP_TO_TWO, DOMAINS)) == ["partner_name", "partner_role"]
    two_anything = replace(GOOD, partner=replace(GOOD.partner, role="other"))
    assert validate(two_anything, UP_TO_TWO, DOMAINS) == []


def test_partner_needs_a_different_email() -> None:
    same = replace(GOOD, partner=replace(GOOD.partner, email=" asha.patel@leeds.gov.uk"))
    errors = validate(same, PAIR, DOMAINS)
    assert errors == [
        FieldError("partner_email", "Your partner needs a different e-mail address from yours.")
    ]


def test_email_syntax_and_domain_allow_list() -> None:
    bad = replace(GOOD, officer=replace(GOOD.officer, email="asha at leeds"))
    assert validate(bad, PAIR, DOMAINS)[0].message.startswith("Enter an e-mail address in the")
    outside = replace(GOOD, partner=replace(GOOD.partner, email="ben@gmail.com"))
    errors = validate(outside, PAIR, DOMAINS)
    assert fields(errors) == ["partner_email"]
    assert errors[0].message.startswith("gmail.com is not one of the councils' e-mail domains")
    assert validate(outside, PAIR, ()) == []


def test_officer_signs_up_as_the_person_teams_says_they_are() -> None:
    errors = validate(GOOD, PAIR, DOMAINS, signed_email="someone.else@leeds.gov.uk")
    assert errors == [
        FieldError(
            "officer_email",
            "Use the e-mail address you sign in to Teams with (someone.else@leeds.gov.uk).",
        )
    ]


def test_challenge_length_limits() -> None:
    long = replace(GOOD, challenge_title="t" * 121, challenge_text="x" * 2001)
    messages = {e.field: e.message for e in validate(long, PAIR, DOMAINS)}
    assert messages == {
        "challenge_title": "Keep the title to 120 characters or fewer (it has 121).",
        "challenge_text": "Keep the description to 2000 characters or fewer (it has 2001).",
    }
    exact = replace(GOOD, challenge_title="t" * 120, challenge_text="x" * 2000)
    assert validate(exact, PAIR, DOMAINS) == []


def test_a_no_to_a_suitability_question_is_not_an_error() -> None:
    doubtful = replace(GOOD, answers=(True, True, True, True, False, False))
    assert validate(doubtful, PAIR, DOMAINS) == []
    assert [q.number for q in assess(doubtful.answers)] == [5, 6]


def test_confidential_text_stays_out_of_reprs() -> None:
    assert "carbon" not in repr(GOOD)


def test_card_data_round_trip_keeps_every_entry() -> None:
    data = to_card_data(replace(GOOD, answers=(True, False, None, True, True, True)))
    assert data["suitability_2"] == "no" and data["suitability_3"] == ""
    back = from_card_data(data)
    assert back == replace(GOOD, answers=(True, False, None, True, True, True))
    assert from_card_data({"commit": "false", "council": 3}).council == ""


def test_council_key_matches_common_variants() -> None:
    assert council_key("Leeds City Council") == council_key("  leeds ") == "leeds"
    assert council_key("The Royal Borough of Kensington & Chelsea") == "kensington and chelsea"
    assert council_key("Cheshire East Council") != council_key("Cheshire West and Chester")
    assert council_key("Council") == "council"


def test_to_nominate_commits_the_submitter_only() -> None:
    who = Who("oid-asha", "asha.patel@leeds.gov.uk")
    event = to_nominate(GOOD, who, NOW, "team-1")
    submitter, partner = event.officers
    assert (submitter.email, submitter.aad_object_id, submitter.committed_at) == (
        "asha.patel@leeds.gov.uk", "oid-asha", NOW,
    )
    assert (partner.email, partner.aad_object_id, partner.committed_at) == (
        "ben.okafor@leeds.gov.uk", None, None,
    )
    assert event.council == "leeds" and event.council_name == "Leeds City Council"


def test_idempotency_key_is_per_person_and_card() -> None:
    asha, ben = Who("oid-asha"), Who("oid-ben")
    assert idempotency_key(GOOD, asha) == idempotency_key(GOOD, asha)
    assert idempotency_key(GOOD, asha) != idempotency_key(GOOD, ben)
    assert idempotency_key(GOOD, asha) != idempotency_key(replace(GOOD, submission_id="2"), asha)
    unnamed = replace(GOOD, submission_id="")
    assert idempotency_key(unnamed, asha) == idempotency_key(unnamed, asha)


def test_every_question_explains_why_and_how_to_refine() -> None:
    assert [q.number for q in QUESTIONS] == [1, 2, 3, 4, 5, 6]
    assert all(q.why and q.hint for q in QUESTIONS)
    assert "sustainable adaptation" in QUESTIONS[2].wording("sustainable adaptation")
    assert "narrowing scope" in QUESTIONS[5].hint.lower()
    assert assess((True,) * 6) == ()


def test_challenge_keeps_every_version_and_the_latest_is_current() -> None:
    empty = Challenge("procurement-tue", "oid-asha")
    assert empty.current is None
    first = revise(empty, "Carbon in tenders", "Weighting carbon", (True,) * 6, NOW)
    again = revise(first, " Carbon in tenders ", "Weighting carbon", (True,) * 6, NOW)
    assert again is first
    later = NOW + timedelta(days=14)
    second = revise(first, "Carbon in one framework", "Narrower", (True,) * 6, later)
    assert [v.number for v in second.versions] == [1, 2]
    assert second.current is not None and second.current.title == "Carbon in one framework"
    assert second.versions[0].title == "Carbon in tenders"


def test_challenge_refuses_bad_versions() -> None:
    empty = Challenge("s", "o")
    with pytest.raises(ValueError):
        revise(empty, "", "text", (True,) * 6, NOW)
    with pytest.raises(ValueError):
        revise(empty, "t", "text", (True,) * 5, NOW)
    with pytest.raises(ValueError):
        revise(empty, "t", "text", (True,) * 6, NOW.replace(tzinfo=None))
