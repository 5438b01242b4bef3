"""Examples of the between-sessions cards (reminders, challenge, actions, topics) for the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.rules.challenge import QUESTIONS
from bot.store.base import Topic
from cards import between, signup, topics
from cards.views import SetOption

_START = datetime(2027, 3, 16, 10, 30, tzinfo=UTC)
_END = datetime(2027, 3, 16, 12, 0, tzinfo=UTC)
_VIEW = between.ReminderView("adapt-tue", "Sustainable Adaptation: Tuesday set", 2, _START, _END,
                             "3 days", "https://teams.microsoft.com/l/meetup-join/x",
                             "2nd of 5 in the running order", True)
_VALUES = {between.TITLE_ID: "Retrofit 200 homes", between.TEXT_ID: "One estate first.",
           **{f: "yes" for f in between.ANSWER_IDS}}
_ACTIONS = [between.ActionLine(1, "Brief the portfolio holder", "done"),
            between.ActionLine(2, "Cost the pilot", None)]
_TOPICS = [Topic(1, "adapt-tue", "Retrofitting homes", 3, True, True),
           Topic(2, "adapt-tue", "Change and influencing", 1, False, False)]


def examples() -> list[tuple[str, dict[str, Any]]]:
    option = SetOption("adapt-tue", "Sustainable Adaptation", "Tuesday set", ((_START, _END),), 2, 0,
                       "up_to_two")
    return [
        ("signup.signup_form_card (refining)", signup.signup_form_card(
            option=option, theme="climate adaptation", values={}, guidance=(QUESTIONS[5],), refining=True)),
        ("between.reminder_card", between.reminder_card(_VIEW)),
        ("between.reminder_card (session 1, not committed, no link)", between.reminder_card(
            between.ReminderView("adapt-tue", "Tuesday set", 1, _START, _END, "1 hour", None, None, False))),
        ("between.challenge_card", between.challenge_card(
            set_key="adapt-tue", set_title="Tuesday set", theme="climate adaptation", values=_VALUES,
            version=1)),
        ("between.challenge_card (errors and guidance)", between.challenge_card(
            set_key="adapt-tue", set_title="Tuesday set", theme="climate adaptation", values={},
            errors={between.TITLE_ID: "Please give your challenge a short title."},
            guidance=(QUESTIONS[5],))),
        ("between.challenge_saved_card", between.challenge_saved_card(
            set_key="adapt-tue", set_title="Tuesday set", title="Retrofit 200 homes",
            text_value="One estate.", answers=(True,) * 6, version=2, changed=True)),
        ("between.choose_set_card", between.choose_set_card(
            "Refine your challenge", "challenge.show", [("a", "Set A"), ("b", "Set B")], "Which one?")),
        ("between.actions_update_card", between.actions_update_card(
            set_key="adapt-tue", set_title="Tuesday set", team_name="Leeds City Council", number=1,
            next_number=2, actions=_ACTIONS, notes={"learning": "Ask sooner"})),
        ("between.actions_update_card (saved)", between.actions_update_card(
            set_key="adapt-tue", set_title="Tuesday set", team_name="Leeds City Council", number=1,
            next_number=2, actions=_ACTIONS, notes={}, saved=True)),
        ("between.plain_card", between.plain_card("Nothing to update", "No actions yet.")),
        ("topics.topics_card (member)", topics.topics_card(
            set_key="adapt-tue", set_title="Tuesday set", topics=_TOPICS, member=True, ranked=False,
            done="Your vote is counted.")),
        ("topics.topics_card (facilitator, empty)", topics.topics_card(
            set_key="adapt-tue", set_title="Tuesday set", topics=[], member=False, ranked=True)),
        ("topics.topics_card (error)", topics.topics_card(
            set_key="adapt-tue", set_title="Tuesday set", topics=[], member=True, ranked=False,
            error="Please write the topic in a few words.", value="x")),
    ]
