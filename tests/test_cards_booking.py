"""The sign-up and booking cards: what they show, what they keep, and what their buttons send."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.rules import nomination as n
from bot.rules.challenge import QUESTIONS
from bot.rules.ground_rules import GROUND_RULES
from bot.rules.nomination import FieldError, OfficerEntry, SignUpForm
from cards import booking, signup
from cards.catalogue import examples
from cards.format import london, london_date, london_slot, plain
from cards.views import AdminSetView, OfficerLine, SetOption, TeamView

Json = dict[str, Any]
THEME = "sustainable procurement"
SESSIONS = (
    (datetime(2027, 3, 2, 10, 30, tzinfo=UTC), datetime(2027, 3, 2, 12, 0, tzinfo=UTC)),
    (datetime(2027, 3, 30, 9, 30, tzinfo=UTC), datetime(2027, 3, 30, 11, 0, tzinfo=UTC)),
)
PAIR = SetOption("proc-tue", "Sustainable Procurement", "Tuesday set", SESSIONS, 2, 0, "role_pair")
UP_TO_TWO = replace(PAIR, key="adapt-thu", series_title="Sustainable Adaptation", policy="up_to_two")
TEAM = TeamView(
    team_id="team-7", set_name="Tuesday set", series_title="Sustainable Procurement",
    council_name="Wigan Council", status="confirmed", position=None, sessions=SESSIONS,
    officers=(OfficerLine("Alex Smith", "procurement", True),
              OfficerLine("Sam Jones", "sustainability", False)),
    deadline=datetime(2027, 2, 26, 17, 0, tzinfo=UTC),
)
FORM = SignUpForm(
    set_key="proc-tue",
    council="Wigan Council",
    officer=OfficerEntry("Alex Smith", "alex.smith@wigan.gov.uk", "procurement"),
    partner=OfficerEntry("Sam Jones", "sam.jones@wigan.gov.uk", "sustainability"),
    challenge_title="Carbon in tender scoring",
    challenge_text="How do I get buyers to weight carbon?\nThey say it slows tenders down.",
    answers=(True, True, True, False, True, None),
    commits=True,
    agrees_ground_rules=False,
    submission_id="sub-42",
)
ON_FORM = (n.COUNCIL, n.OFFICER_NAME, n.OFFICER_EMAIL, n.OFFICER_ROLE, n.PARTNER_NAME, n.PARTNER_EMAIL,
           n.PARTNER_ROLE, n.CHALLENGE_TITLE, n.CHALLENGE_TEXT, *n.SUITABILITY, n.COMMIT, n.GROUND_RULES)


# Walking a card ----------------------------------------------------------------------------------

def elements(card: Json) -> list[Json]:
    """Every body element in reading order, containers opened in place."""
    found: list[Json] = []

    def walk(items: list[Json]) -> None:
        for item in items:
            found.append(item)
            walk(item.get("items", []))

    walk(card["body"])
    return found


def actions(node: Any) -> Iterator[Json]:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            yield node
        for value in node.values():
            yield from actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from actions(value)


def executes(card: Json) -> list[tuple[str, str, Json]]:
    return [(a["title"], a["verb"], a["data"]) for a in actions(card) if a["type"] == "Action.Execute"]


def inputs(card: Json) -> dict[str, Json]:
    found = [e for e in elements(card) if e["type"].startswith("Input.")]
    ids = [e["id"] for e in found]
    assert len(ids) == len(set(ids)), "input ids must be unique"
    return {e["id"]: e for e in found}


def words(card: Json) -> str:
    """Everything a reader sees on the card, in one string."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label", "value", "placeholder"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(parts)


def form(**changes: Any) -> Json:
    arguments: dict[str, Any] = {"option": PAIR, "theme": THEME, "values": n.to_card_data(FORM)}
    arguments.update(changes)
    return signup.signup_form_card(**arguments)


# London time -------------------------------------------------------------------------------------

def test_times_are_shown_in_london_time_either_side_of_the_change_to_summer_time() -> None:
    assert london_slot(*SESSIONS[0]) == "Tuesday 2 March 2027, 10:30–12:00"  # GMT
    assert london_slot(*SESSIONS[1]) == "Tuesday 30 March 2027, 10:30–12:00"  # BST: UTC+1
    assert london(datetime(2027, 3, 2, 10, 30, tzinfo=UTC)) == "Tuesday 2 March 2027, 10:30"
    assert london_date(datetime(2027, 2, 26, 17, 0, tzinfo=UTC)) == "Friday 26 February 2027"


def test_a_slot_spanning_the_clock_change_and_a_late_utc_time_fall_on_the_london_day() -> None:
    start = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert london_slot(start, start + timedelta(hours=1)) == "Sunday 28 March 2027, 00:30–02:30"
    assert london_date(datetime(2027, 6, 30, 23, 30, tzinfo=UTC)) == "Thursday 1 July 2027"
    assert london(datetime(2027, 10, 31, 1, 30, tzinfo=UTC)) == "Sunday 31 October 2027, 01:30"
    assert london(datetime(2027, 3, 2, 15, 30, tzinfo=timezone(timedelta(hours=5)))) == \
        "Tuesday 2 March 2027, 10:30"


def test_a_slot_ending_on_another_day_names_both_days() -> None:
    start = datetime(2027, 3, 2, 23, 0, tzinfo=UTC)
    assert london_slot(start, start + timedelta(hours=1)) == \
        "Tuesday 2 March 2027, 23:00 to Wednesday 3 March 2027, 00:00"


def test_a_naive_time_is_refused_rather_than_shown_an_hour_out() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        london(datetime(2027, 7, 1, 10, 30))


# The list of open sets ---------------------------------------------------------------------------

def test_open_sets_show_dates_free_places_and_a_choice_per_set() -> None:
    full = replace(UP_TO_TWO, free_places=0, waiting=3)
    card = signup.open_sets_card([PAIR, full, replace(PAIR, key="one", free_places=1)])
    seen = words(card)
    assert "Sustainable Procurement: Tuesday set" in seen
    assert "Tuesday 30 March 2027, 10:30–12:00" in seen
    assert "2 places free" in seen
    assert "1 place free" in seen
    assert "Fully booked: you can join the waiting list (3 waiting)" in seen
    assert executes(card) == [
        ("Choose this set", "signup.choose", {"set_key": "proc-tue"}),
        ("Choose this set", "signup.choose", {"set_key": "adapt-thu"}),
        ("Choose this set", "signup.choose", {"set_key": "one"}),
    ]


def test_with_no_open_set_the_card_says_so() -> None:
    card = signup.open_sets_card([])
    assert "No set is open for booking just now" in words(card)
    assert [verb for _, verb, _ in executes(card)] == ["mysets"]


# The form ----------------------------------------------------------------------------------------

def test_the_form_has_every_input_of_the_nomination_rules_and_keeps_every_entry() -> None:
    values = n.to_card_data(FORM)
    found = inputs(form(values=values))
    assert sorted(found) == sorted(ON_FORM)
    for field_id in ON_FORM:
        assert found[field_id]["value"] == values[field_id], field_id
    assert found[n.CHALLENGE_TEXT]["isMultiline"] is True


def test_what_the_form_submits_reads_back_as_the_same_form() -> None:
    card = form()
    (submit,) = [a for a in actions(card) if a["type"] == "Action.Execute" and a["title"] == "Sign up"]
    # Teams sends the action's data merged with the value of every input on the card.
    submitted = {**{i: e["value"] for i, e in inputs(card).items()}, **submit["data"]}
    assert n.from_card_data(submitted) == FORM


def test_a_blank_form_selects_no_answer_and_ticks_nothing() -> None:
    found = inputs(signup.signup_form_card(option=PAIR, theme=THEME, values={}))
    assert {found[f]["value"] for f in n.SUITABILITY} == {""}
    assert found[n.COMMIT]["value"] == found[n.GROUND_RULES]["value"] == "false"
    assert (found[n.COMMIT]["valueOn"], found[n.COMMIT]["valueOff"]) == ("true", "false")


def test_roles_and_suitability_answers_are_choices() -> None:
    found = inputs(form())
    assert [c["value"] for c in found[n.OFFICER_ROLE]["choices"]] == list(n.ROLES)
    assert [c["title"] for c in found[n.PARTNER_ROLE]["choices"]] == list(n.ROLES.values())
    for question, field_id in zip(QUESTIONS, n.SUITABILITY, strict=True):
        choice = found[field_id]
        assert choice["style"] == "expanded"
        assert [c["value"] for c in choice["choices"]] == ["yes", "no"]
        assert question.wording(THEME) in choice["label"]
    assert "tied to sustainable procurement" in found[n.SUITABILITY[2]]["label"]


def test_the_challenge_inputs_carry_the_rules_maximum_lengths() -> None:
    from bot.rules.challenge import TEXT_MAX, TITLE_MAX
    found = inputs(form())
    assert found[n.CHALLENGE_TITLE]["maxLength"] == TITLE_MAX
    assert found[n.CHALLENGE_TEXT]["maxLength"] == TEXT_MAX


def test_the_ground_rules_are_on_the_form() -> None:
    seen = words(form())
    for rule in GROUND_RULES:
        assert rule.title in seen and rule.explanation in seen


def test_each_error_appears_directly_beneath_its_own_field() -> None:
    errors = [FieldError(field_id, f"Problem with {field_id}.") for field_id in reversed(ON_FORM)]
    order = elements(form(errors=errors))
    for field_id in ON_FORM:
        (at,) = [i for i, e in enumerate(order) if e.get("id") == field_id and e["type"].startswith("Input.")]
        beneath = order[at + 1]
        assert beneath["type"] == "TextBlock"
        assert beneath["text"] == f"Problem with {field_id}."
        assert beneath["color"] == "Attention"
    assert "Please correct the 17 entries marked below." in words(form(errors=errors))


def test_one_error_gets_a_singular_summary_and_no_error_no_summary() -> None:
    one = form(errors=[FieldError(n.COUNCIL, "Enter your council's name.")])
    assert "Please correct the entry marked below." in words(one)
    assert "Please correct" not in words(form())
    assert not [e for e in elements(form()) if e.get("color") == "Attention"]


def test_an_error_about_something_not_on_the_card_is_still_shown() -> None:
    card = form(errors=[FieldError("set_key", "This set is no longer open for booking.")])
    assert "This set is no longer open for booking." in words(card)


def test_the_partner_section_follows_the_series_policy() -> None:
    pair, alone = words(form(option=PAIR)), words(form(option=UP_TO_TWO))
    assert "Your partner (required)" in pair
    assert "one sustainability or climate officer and one procurement officer" in pair
    assert "optional" not in pair
    assert "A second officer (optional)" in alone
    assert "required" not in alone


def test_a_no_answer_gets_guidance_near_the_top_with_both_ways_forward() -> None:
    card = form(guidance=(QUESTIONS[3], QUESTIONS[5]))
    order = elements(card)
    (box,) = [e for e in order if e.get("id") == "guidance"]
    first_input = next(i for i, e in enumerate(order) if e["type"].startswith("Input."))
    assert order.index(box) < first_input
    shown = words(box)
    for question in (QUESTIONS[3], QUESTIONS[5]):
        assert question.wording(THEME) in shown
        assert question.why in shown and question.hint in shown
    assert QUESTIONS[0].why not in shown
    assert "reject" not in shown.lower()
    assert box.get("style") not in ("attention", "warning")
    data = {"set_key": "proc-tue", "submission_id": "sub-42"}
    assert executes(box) == [
        ("Refine my challenge", "signup.refine", data),
        ("Submit as it is", "signup.submit", {**data, "accept_as_is": "true"}),
    ]


def test_without_guidance_the_form_has_only_the_sign_up_button() -> None:
    assert executes(form()) == [("Sign up", "signup.submit", {"set_key": "proc-tue", "submission_id": "sub-42"})]
    fresh = signup.signup_form_card(option=PAIR, theme=THEME, values={})
    assert executes(fresh) == [("Sign up", "signup.submit", {"set_key": "proc-tue", "submission_id": ""})]


def test_the_worst_case_form_stays_well_inside_the_teams_card_size_limit() -> None:
    long_form = replace(FORM, challenge_title="t" * 120, challenge_text="x" * 2000)
    errors = [FieldError(f, "A fairly long message about what is wrong with this entry.") for f in ON_FORM]
    card = form(values=n.to_card_data(long_form), errors=errors, guidance=QUESTIONS)
    assert len(json.dumps(card).encode()) < 28 * 1024


# Answers to a submission and to a partner --------------------------------------------------------

def test_a_confirmed_place_lists_who_has_committed_and_the_deadline_in_london_time() -> None:
    seen = words(signup.placed_card(TEAM))
    assert "Your council has a place in **Sustainable Procurement: Tuesday set**." in seen
    assert "Tuesday 2 March 2027, 10:30–12:00" in seen
    assert "invitations" in seen
    assert "Alex Smith (Procurement): has confirmed" in seen
    assert "Sam Jones (Sustainability or climate): **has not confirmed yet**" in seen
    assert "by Friday 26 February 2027, 17:00" in seen


def test_a_fully_committed_team_is_not_given_a_deadline() -> None:
    done = replace(TEAM, officers=(OfficerLine("Alex Smith", "procurement", True),), deadline=None)
    seen = words(signup.placed_card(done))
    assert "Everyone in your team has confirmed" in seen
    assert "must confirm" not in seen


def test_a_waitlisted_team_is_told_its_position_and_what_happens_next() -> None:
    card = signup.placed_card(replace(TEAM, status="waitlisted", position=3))
    seen = words(card)
    assert "You are number 3 on the waiting list for **Sustainable Procurement: Tuesday set**." in seen
    assert "I will tell you at once" in seen
    assert executes(card) == [("My sets", "mysets", {})]


def test_the_commit_card_asks_for_both_ticks_and_shows_errors_beneath_them() -> None:
    clean = signup.commit_card(TEAM, set_key="proc-tue")
    assert sorted(inputs(clean)) == [n.COMMIT, n.GROUND_RULES]
    assert executes(clean) == [("Confirm my place", "signup.commit", {"set_key": "proc-tue"})]
    assert "Your council, Wigan Council, has nominated you" in words(clean)
    card = signup.commit_card(TEAM, set_key="proc-tue",
                              errors=[FieldError(n.GROUND_RULES, "Tick to agree to the ground rules.")])
    order = elements(card)
    at = next(i for i, e in enumerate(order) if e.get("id") == n.GROUND_RULES)
    assert order[at + 1]["text"] == "Tick to agree to the ground rules."
    # The box without an error was ticked when the card was sent, so it stays ticked.
    assert inputs(card)[n.COMMIT]["value"] == "true"
    assert inputs(card)[n.GROUND_RULES]["value"] == "false"


def test_a_refusal_says_why_and_leads_back_to_my_sets() -> None:
    card = signup.refused_card("Your council already has a team in this series.")
    assert "Your council already has a team in this series." in words(card)
    assert executes(card) == [("My sets", "mysets", {})]


# After sign-up -----------------------------------------------------------------------------------

def test_my_sets_offers_withdrawal_only_for_active_teams() -> None:
    teams = [TEAM, replace(TEAM, team_id="team-8", status="waitlisted", position=1),
             replace(TEAM, team_id="team-9", status="lapsed"),
             replace(TEAM, team_id="team-10", status="withdrawn")]
    card = booking.my_sets_card(teams)
    assert executes(card) == [("Withdraw our team", "withdraw.ask", {"team_id": "team-7"}),
                              ("Withdraw our team", "withdraw.ask", {"team_id": "team-8"})]
    seen = words(card)
    assert "Number 1 on the waiting list" in seen
    assert "Friday 26 February 2027, 17:00" in seen
    assert "Sam Jones (Sustainability or climate): **has not confirmed yet**" in seen


def test_my_sets_with_nothing_invites_a_sign_up() -> None:
    card = booking.my_sets_card([])
    assert "You have not signed up to a set yet. Type **sign up** to choose one." in words(card)
    assert executes(card) == [("Sign up", "signup.start", {})]


def test_withdrawal_is_confirmed_first_with_a_destructive_button() -> None:
    card = booking.withdraw_confirm_card(TEAM)
    assert ("Withdraw Wigan Council from **Sustainable Procurement: Tuesday set**? Your place goes to "
            "the next council on the waiting list.") in words(card)
    yes, keep = card["actions"]
    assert (yes["verb"], yes["data"], yes["style"]) == ("withdraw.confirm", {"team_id": "team-7"}, "destructive")
    assert (keep["title"], keep["verb"]) == ("Keep our place", "mysets")
    waiting = words(booking.withdraw_confirm_card(replace(TEAM, status="waitlisted", position=2)))
    assert "waiting list for" in waiting and "Your place goes" not in waiting


def test_notices_of_change_say_what_happened_and_what_to_do() -> None:
    promoted = booking.promoted_card(TEAM, set_key="proc-tue")
    assert "a place has come free" in words(promoted)
    assert ("Confirm my place", "signup.commit", {"set_key": "proc-tue"}) in executes(promoted)
    settled = replace(TEAM, officers=(OfficerLine("Alex Smith", "procurement", True),))
    assert [v for _, v, _ in executes(booking.promoted_card(settled, set_key="proc-tue"))] == ["mysets"]

    reminder = booking.reminder_card(TEAM, set_key="proc-tue")
    assert "Please confirm by Friday 26 February 2027, 17:00" in words(reminder)
    assert sorted(inputs(reminder)) == [n.COMMIT, n.GROUND_RULES]

    lapsed = words(booking.lapsed_card(replace(TEAM, status="lapsed")))
    assert "gone to the next council on the waiting list" in lapsed and "**sign up**" in lapsed

    nominated = booking.nominated_card(TEAM, nominated_by="Alex Smith", set_key="proc-tue")
    assert "Alex Smith of Wigan Council has nominated you" in words(nominated)
    assert sorted(inputs(nominated)) == [n.COMMIT, n.GROUND_RULES]
    assert executes(nominated)[0] == ("Confirm my place", "signup.commit", {"set_key": "proc-tue"})

    assert "Wigan Council has withdrawn" in words(booking.withdrawn_card(replace(TEAM, status="withdrawn")))


MEETINGS = ("Create Teams meetings", "meetings.create", {"set_key": "s"})


@pytest.mark.parametrize(("state", "buttons"), [
    ("draft", [("Open booking", "booking.open", {"set_key": "s"}), MEETINGS]),
    ("open", [("Close booking", "booking.close", {"set_key": "s"}), MEETINGS]),
    ("closed", [("Reopen booking", "booking.open", {"set_key": "s"}), MEETINGS]),
])
def test_admins_get_the_booking_button_the_state_allows(state: str, buttons: list[Any]) -> None:
    view = AdminSetView("s", "Tuesday set", "Sustainable Procurement", state, 6, SESSIONS)  # type: ignore[arg-type]
    assert executes(booking.admin_sets_card([view])) == buttons


def test_admins_see_confirmed_councils_and_the_waiting_list_in_order() -> None:
    view = AdminSetView("s", "Tuesday set", "Sustainable Procurement", "closed", 2, SESSIONS,
                        (("Wigan Council", True), ("Bury Council", False)), ("Leeds", "Bolton"))
    seen = words(booking.admin_sets_card([view]))
    assert "1. Wigan Council\n2. Bury Council (not everyone has committed yet)" in seen
    assert "1. Leeds\n2. Bolton" in seen
    assert "2 of 2 taken" in seen


# Across every booking card -----------------------------------------------------------------------

BOOKING_EXAMPLES = [(name, card) for name, card in examples() if name.startswith(("signup.", "booking."))]
IDENTITIES = {"alex.smith@leeds.gov.uk", "Alex Smith", "Sam Jones", "Leeds City Council"}


@pytest.mark.parametrize(("name", "card"), BOOKING_EXAMPLES, ids=[name for name, _ in BOOKING_EXAMPLES])
def test_action_data_carries_keys_and_ids_never_identities(name: str, card: Json) -> None:
    for action in actions(card):
        data = action.get("data", {})
        assert set(data) <= {"set_key", "team_id", "submission_id", "accept_as_is", "verb"}, name
        assert not IDENTITIES & {str(v) for v in data.values()}, name


@pytest.mark.parametrize(("name", "card"), BOOKING_EXAMPLES, ids=[name for name, _ in BOOKING_EXAMPLES])
def test_the_wording_is_british(name: str, card: Json) -> None:
    american = re.compile(r"\b(wait ?list\w*|cancel(ed|ing)|organiz\w*|enroll\w*|program\b|color)",
                          re.IGNORECASE)
    assert american.findall(words(card)) == [], name


def test_typed_names_cannot_turn_into_links_or_emphasis() -> None:
    sly = replace(TEAM, council_name="[Pay here](https://example.com) *now*")
    seen = words(booking.my_sets_card([sly]))
    assert "[Pay here](" not in seen
    assert r"\[Pay here\](https://example.com) \*now\*" in seen
    assert plain("O'Brien-Smith (BANES)") == "O'Brien-Smith (BANES)"
