"""Examples of the session cards for the catalogue (kept beside them, so the catalogue stays short)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rules import session as s
from bot.rules.records import ActionItem, Reflection
from cards import session as c
from cards.verbs import Verb

_NOW = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
_NAMES = {"t1": "Leeds City Council", "t2": "Wigan Council", "t3": "Bury Council"}


def _view(state: s.SessionState, at: datetime) -> c.SessionCardView:
    return c.SessionCardView("Sustainable Procurement: Tuesday set", s.view(state, at, _NAMES), 3,
                             stage_ends_at=at + timedelta(minutes=5))


def examples() -> list[tuple[str, dict[str, Any]]]:
    start = s.Start(("t1", "t2", "t3"), session_number=2, ends_at=_NOW + timedelta(minutes=90))
    opening = s.apply(s.SessionState(), start, _NOW).state
    airtime = s.apply(opening, s.Next(), _NOW + timedelta(minutes=5)).state
    passed = s.apply(airtime, s.Pass(), _NOW + timedelta(minutes=6)).state
    paused = s.apply(passed, s.Pause(), _NOW + timedelta(minutes=7)).state
    reflecting = s.apply(passed, s.Reflect(), _NOW + timedelta(minutes=70)).state
    ended = s.apply(reflecting, s.End(), _NOW + timedelta(minutes=88)).state
    review = replace(_view(airtime, _NOW + timedelta(minutes=6)), last_actions=("Talk to finance",))
    items = [ActionItem(1, "Talk to finance", "done"), ActionItem(2, "Draft the tender [v2]")]
    return [
        ("session.ground_rules_card", c.ground_rules_card("Sustainable Procurement: Tuesday set", 2)),
        ("session.session_card (opening)", c.session_card(_view(opening, _NOW + timedelta(minutes=1)))),
        ("session.session_card (review)", c.session_card(review)),
        ("session.session_card (over time, passed)",
         c.session_card(_view(passed, _NOW + timedelta(minutes=30)))),
        ("session.session_card (paused)", c.session_card(_view(paused, _NOW + timedelta(minutes=8)))),
        ("session.session_card (reflection)",
         c.session_card(_view(reflecting, _NOW + timedelta(minutes=79)))),
        ("session.session_card (ended)", c.session_card(_view(ended, _NOW + timedelta(minutes=88)))),
        ("session.choose_set_card", c.choose_set_card([("procurement-tue", "Sustainable Procurement: "
                                                                            "Tuesday set")])),
        ("session.order_card", c.order_card(list(_NAMES.items()))),
        ("session.for_facilitator", c.for_facilitator("29:fran", Verb.MEETING_FORM, {"form": "order"},
                                                      "Change the running order",
                                                      "Fran is choosing a new running order.")),
        ("session.confirm_start_card", c.confirm_start_card("procurement-tue", "Tuesday set", 2,
                                                            _NOW + timedelta(days=14))),
        ("session.confirm_end_card", c.confirm_end_card(2)),
        ("session.notice_card", c.notice_card("Not now", "Only facilitators can run the session.")),
        ("session.actions_card", c.actions_card(
            set_key="procurement-tue", set_name="Tuesday set", number=1, team_id="t1",
            team_name="Leeds City Council", existing=["Talk to finance"],
            next_session=_NOW + timedelta(days=14))),
        ("session.actions_saved_card", c.actions_saved_card("Leeds City Council", ["Talk to finance"])),
        ("session.actions_saved_card (none)", c.actions_saved_card("Leeds City Council", [])),
        ("session.review_card", c.review_card(set_key="procurement-tue", number=1, team_id="t1",
                                              team_name="Leeds City Council", actions=items)),
        ("session.reflection_card", c.reflection_card(set_key="procurement-tue", set_name="Tuesday set",
                                                      number=2)),
        ("session.reflections_card", c.reflections_card("Tuesday set", 2, [
            Reflection("team", "We ask before we advise"), Reflection("individual", "Listening is work")])),
        ("session.reflections_card (none)", c.reflections_card("Tuesday set", 2, [])),
    ]
