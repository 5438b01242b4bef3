"""The cards of a session in the meeting: ground rules, the session card the facilitator drives, and
the private cards for actions, their review and the closing reflections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.rules.airtime import AirtimePhase
from bot.rules.ground_rules import GROUND_RULES
from bot.rules.records import MAX_ACTIONS, ActionItem, ActionReview, Reflection
from bot.rules.session import CONTROLS, Control, Place, Row, RowStatus, SessionView, Stage, Timing
from cards.elements import Json, bullets, card, execute, facts, heading, text
from cards.format import LONDON, london, plain
from cards.inputs import action_set, choice_set, container, text_input
from cards.session_payloads import Ending, Starting
from cards.verbs import Verb

ACTION_MAX = 500
NOTE_MAX = 1000

STAGE_TITLES = {
    Stage.NOT_STARTED: "Not started",
    Stage.OPENING: "Opening",
    Stage.AIRTIME: "Airtime",
    Stage.REFLECTION: "Reflection round",
    Stage.ENDED: "Ended",
}
PHASE_TITLES = {
    AirtimePhase.REVIEW: "Review of last actions",
    AirtimePhase.PRESENTING: "Presenting",
    AirtimePhase.QUESTIONS: "Questions",
    AirtimePhase.ACTIONS: "Actions",
}
ROW_STATUS = {
    RowStatus.DONE: "done",
    RowStatus.PRESENTING: "**presenting now**",
    RowStatus.NEXT: "next",
    RowStatus.WAITING: "waiting",
    RowStatus.PASSED: "passed",
    RowStatus.SKIPPED: "skipped",
    RowStatus.AWAY: "not joined yet",
}
REVIEW_CHOICES: tuple[tuple[str, str], ...] = (
    ("Done", "done"), ("Partly done", "partly"), ("Not done", "not_done"))


def duration(seconds: int) -> str:
    """E.g. "7 min 30 s", "12 min", "45 s"."""
    seconds = abs(seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        return f"{minutes} min {rest} s"
    return f"{minutes} min" if minutes else f"{rest} s"


def rough_duration(seconds: int) -> str:
    """A forecast, to the nearest minute once it is a minute or more: "75 min", not "74 min 59 s"."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{(seconds + 30) // 60} min"


@dataclass(frozen=True)
class SessionCardView:
    """The session card's data: the rules' view plus what only the store knows."""

    set_name: str
    session: SessionView
    sessions_in_set: int
    stage_ends_at: datetime | None = None  # when the stage's time runs out, if nobody pauses
    last_actions: tuple[str, ...] = ()  # the presenter's actions from last time, during the review
    # The teams' current challenge titles, by team id: shown only in the set's own chat.
    challenges: Mapping[str, str] = field(default_factory=dict)
    review: ActionReview | None = None  # the presenter's review, saved before the session
    updates: tuple[tuple[str, tuple[str, ...]], ...] = ()  # short updates: (team, open actions)


def ground_rules_card(set_name: str, number: int) -> Json:
    return card([
        heading("Ground rules"),
        text(f"{plain(set_name)}, session {number}", subtle=True),
        *(container([text(f"**{rule.title}**"), text(rule.explanation)]) for rule in GROUND_RULES),
    ])


def _time_line(view: SessionCardView) -> Json | None:
    """The time left, once: at the warnings (2 minutes, 30 seconds, time up and the overrun) the
    same line turns bold and coloured rather than a second line repeating what it says."""
    s = view.session
    if s.time_left is None:
        return None
    if s.paused:
        return text(f"Paused, with {duration(max(0, s.time_left))} left")
    if s.time_left <= 0:
        over = f", {duration(s.time_left)} over" if s.time_left < 0 else ""
        return text(f"Time is up{over}", weight="Bolder", colour="Attention")
    until = f" (until {view.stage_ends_at.astimezone(LONDON):%H:%M})" if view.stage_ends_at else ""
    line = f"{duration(s.time_left)} left{until}"
    if s.time_left <= 120 and s.stage is not Stage.ENDED:
        return text(line, weight="Bolder", colour="Warning")
    return text(line)


def _row(row: Row, challenges: Mapping[str, str]) -> tuple[str, str]:
    status = ROW_STATUS[row.status]
    if row.expected_seconds is not None:
        status += f", about {rough_duration(row.expected_seconds)}"
    challenge = challenges.get(row.team_id)
    if challenge:
        status += f" ({plain(challenge)})"
    return plain(row.name), status


def _buttons(s: SessionView, place: Place | None) -> list[Json]:
    """The buttons of the controls table shown now, in the table's order (`place` None: all)."""
    def shown(c: Control) -> bool:
        b = c.button
        return (b is not None and s.stage in b.stages and (place is None or b.place is place)
                and (b.paused is None or b.paused == s.paused))
    return [execute(c.button.label, c.verb, c.button.data, style=c.button.style)
            for c in CONTROLS if shown(c) and c.button is not None]


def _controls(view: SessionCardView) -> list[Json]:
    s = view.session
    reflections = execute("See the reflections", Verb.MEETING_REFLECTIONS)
    if s.stage is Stage.ENDED:
        return [action_set([reflections])]
    if s.stage is Stage.REFLECTION:
        return [action_set([*_buttons(s, None), reflections])]
    teams = [(row.name, row.team_id) for row in s.rows if row.status is not RowStatus.DONE]
    rows: list[Json] = [action_set(_buttons(s, Place.CUES)), action_set(_buttons(s, Place.STAGE))]
    if teams:
        rows += [
            choice_set("team", "A team", teams, placeholder="Choose a team"),
            action_set(_buttons(s, Place.TEAM)),
        ]
    return [container(rows, separator=True)]


def _review(review: ActionReview) -> list[Json]:
    words = {"done": "done", "partly": "partly done", "not_done": "not done"}
    lines = [f"Action {position}: {words[status]}" for position, status in review.statuses]
    notes = (("Worked well", review.worked_well), ("Worked less well", review.worked_less_well),
             ("Learnt", review.learning))
    lines += [f"{label}: {plain(note)}" for label, note in notes if note.strip()]
    return [text("Their review, saved before the session:", weight="Bolder"), bullets(lines)]


def _updates(view: SessionCardView) -> list[Json]:
    s = view.session
    if not view.updates:
        return [text("Short updates at the opening: " + ", ".join(plain(u) for u in s.updates))]
    body: list[Json] = [text("Short updates at the opening", weight="Bolder")]
    for name, open_actions in view.updates:
        if open_actions:
            body += [text(f"{plain(name)}: open actions"), bullets(plain(a) for a in open_actions)]
        else:
            body.append(text(f"{plain(name)}: no open actions"))
    return body


def session_card(view: SessionCardView) -> Json:
    s = view.session
    title = f"Session {s.session_number} of {view.sessions_in_set}: {plain(view.set_name)}"
    if s.stage is Stage.AIRTIME and s.presenter:
        now_line = f"**{plain(s.presenter)}**"
        if s.phase is not None:
            now_line += f": {PHASE_TITLES[s.phase]}"
            if s.phase_time_left is not None and s.phase_time_left > 0:
                now_line += f" ({duration(s.phase_time_left)} of this part left)"
    else:
        now_line = f"**{STAGE_TITLES[s.stage]}**"
    body: list[Json] = [text(title, weight="Bolder", size="Medium"), text(now_line)]
    time_line = _time_line(view)
    if time_line:
        body.append(time_line)
    if s.extended_seconds:
        body.append(text(f"Extended by {duration(s.extended_seconds)}", subtle=True, size="Small"))
    if s.stage is not Stage.ENDED:
        body.append(container([text(f"**{s.reminder.rule.title}**: {s.reminder.prompt}")], style="emphasis"))
    if view.last_actions:
        body += [text("Actions set last time:", weight="Bolder"),
                 bullets(plain(a) for a in view.last_actions)]
    if view.review is not None and s.phase is AirtimePhase.REVIEW:
        body += _review(view.review)
    if s.updates and s.stage is Stage.OPENING:
        body += _updates(view)
    if s.rows:
        body += [text("Running order", weight="Bolder"),
                 facts(_row(row, view.challenges) for row in s.rows)]
    if s.stage is Stage.ENDED:
        body.append(text("The session has ended. Thank you: what is said in the set stays in the set."))
    return card([*body, *_controls(view)])


def for_facilitator(user_id: str, refresh: Verb, data: Mapping[str, object], title: str,
                    line: str) -> Json:
    """A facilitator's form posted in a shared chat: everyone sees `title` and `line` only, and
    Teams asks the bot (`refresh`, with `data`) for the form itself for the facilitator alone."""
    return card([heading(title), text(line)], refresh={
        "action": {"type": "Action.Execute", "verb": refresh, "title": "Show the form", "data": dict(data)},
        "userIds": [user_id]})


def choose_set_card(options: Sequence[tuple[str, str]]) -> Json:
    """For a chat that is no set's yet: `options` are (set key, title) of the sets the facilitator runs."""
    return card(
        [heading("Which set meets in this chat?"),
         text("Choose the set, and I will link this chat to it and start its next session.")],
        [execute(title, Verb.MEETING_START, {"set_key": key}) for key, title in options],
    )


def confirm_start_card(set_key: str, set_name: str, number: int, scheduled: datetime) -> Json:
    """Starting a session well away from its scheduled time: the facilitator confirms."""
    return card(
        [heading(f"Start session {number} now?"),
         text(f"Session {number} of {plain(set_name)} is scheduled for {london(scheduled)}.")],
        [execute(f"Start session {number} now", Verb.MEETING_START,
                 Starting(set_key, number, confirmed=True).data(), style="positive")],
    )


def confirm_end_card(number: int) -> Json:
    return card(
        [heading(f"End session {number}?"),
         text("Ending closes the session for everyone; it cannot be started again.")],
        [execute("End the session", Verb.MEETING_END, Ending(confirmed=True).data(), style="destructive")],
    )


def timing_text(timing: Timing) -> str:
    """The time check, in plain words, e.g. "The session is running 4 minutes behind plan: at this
    rate it ends at 12:04."."""
    minutes = round(timing.behind / 60)
    ends = f"{(timing.ends_at + timedelta(seconds=30)).astimezone(LONDON):%H:%M}"  # to the nearest minute
    if minutes == 0:
        return f"The session is on time: it ends at {ends}."
    count = f"{abs(minutes)} minute{'s' if abs(minutes) != 1 else ''}"
    side = "behind" if minutes > 0 else "ahead of"
    return f"The session is running {count} {side} plan: at this rate it ends at {ends}."


def order_card(teams: Sequence[tuple[str, str]]) -> Json:
    """The teams still to come, as (team id, name), in today's order, to be put in a new one."""
    choices = [(name, team_id) for team_id, name in teams]
    return card(
        [heading("Change the running order"),
         text("Choose who comes next, then after them, and so on."),
         *(choice_set(f"position_{i}", f"Position {i}", choices, team_id)
           for i, (team_id, _) in enumerate(teams, start=1))],
        [execute("Save the order", Verb.MEETING_REORDER, style="positive")],
    )


def notice_card(title: str, message: str) -> Json:
    return card([text(title, weight="Bolder"), text(message)])


def actions_card(*, set_key: str, set_name: str, number: int, team_id: str, team_name: str,
                 existing: Sequence[str] = (), next_session: datetime | None = None) -> Json:
    when = f" ({london(next_session)})" if next_session else ""
    values = [*existing, *[""] * MAX_ACTIONS][:MAX_ACTIONS]
    return card(
        [heading("Your actions"),
         text(f"{plain(team_name)}, {plain(set_name)}, session {number}"),
         text(f"What will you do before the next session{when}? Up to {MAX_ACTIONS} actions; they open "
              "your airtime next time."),
         *(text_input(f"action_{i}", f"Action {i}", value, max_length=ACTION_MAX)
           for i, value in enumerate(values, start=1))],
        [execute("Save my actions", Verb.MEETING_ACTIONS,
                 {"set_key": set_key, "number": number, "team_id": team_id}, style="positive")],
    )


def actions_saved_card(team_name: str, actions: Sequence[str]) -> Json:
    body = [text("Actions saved", weight="Bolder"), text(f"For {plain(team_name)}:")]
    body.append(bullets(plain(a) for a in actions) if actions else text("No actions recorded."))
    return card(body)


def review_card(*, set_key: str, number: int, team_id: str, team_name: str,
                actions: Sequence[ActionItem]) -> Json:
    """The review of the actions set in session `number`, at the start of the next airtime."""
    return card(
        [heading("Review of your last actions"),
         text(f"{plain(team_name)}: the actions you set in session {number}."),
         *(choice_set(f"status_{a.position}", plain(a.text), REVIEW_CHOICES, a.status or "", expanded=True)
           for a in actions),
         text_input("worked_well", "What worked well?", multiline=True, max_length=NOTE_MAX),
         text_input("worked_less_well", "What worked less well?", multiline=True, max_length=NOTE_MAX),
         text_input("learning", "What have you learnt?", multiline=True, max_length=NOTE_MAX)],
        [execute("Save the review", Verb.MEETING_REVIEW,
                 {"set_key": set_key, "number": number, "team_id": team_id}, style="positive")],
    )


def reflection_card(*, set_key: str, set_name: str, number: int) -> Json:
    return card(
        [heading("Reflection round"),
         text(f"{plain(set_name)}, session {number}. Your answers are shown to the facilitator without "
              "your name."),
         text_input("team", "What has your team learnt (about the project, or working together)?",
                    multiline=True, max_length=NOTE_MAX),
         text_input("individual", "What have you learnt yourself (about the process, or your practice)?",
                    multiline=True, max_length=NOTE_MAX)],
        [execute("Send my reflections", Verb.MEETING_REFLECTION, {"set_key": set_key, "number": number},
                 style="positive")],
    )


def reflections_card(set_name: str, number: int, reflections: Sequence[Reflection]) -> Json:
    """What the members reflected, without names, for the facilitator."""
    team = [r.text for r in reflections if r.kind == "team"]
    own = [r.text for r in reflections if r.kind == "individual"]
    body: list[Json] = [heading("Reflections"), text(f"{plain(set_name)}, session {number}, without names.")]
    for title, items in (("Team-level learning", team), ("Individual learning", own)):
        body.append(text(title, weight="Bolder"))
        body.append(bullets(plain(i) for i in items) if items else text("None yet.", subtle=True))
    return card(body)
