"""The ground rules of an Action Learning Set, and which one to recall in each part of a session."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroundRule:
    key: str
    title: str
    explanation: str


@dataclass(frozen=True)
class Reminder:
    """What the session card recalls in one part of the session: a rule and a short prompt."""

    rule: GroundRule
    prompt: str


OOAAT = GroundRule(
    "ooaat",
    "OOAAT: only one at a time",
    "One presenter at a time: the space belongs to them.",
)
COST = GroundRule(
    "cost",
    "COST: counselling style",
    "Ask questions that help the presenter think: no advice, no taking over the problem, "
    "support and challenge without judgement.",
)
STAN = GroundRule(
    "stan",
    "STAN: safe to admit need",
    "It is safe to say what you don't know.",
)
CHATHAM_HOUSE = GroundRule(
    "chatham_house",
    "Chatham House",
    "What is said in the set stays in the set.",
)
COMMITMENT = GroundRule(
    "commitment",
    "Commitment",
    "Attend every session, and give a reason if you cannot.",
)
MEETING_OUTSIDE = GroundRule(
    "meeting_outside",
    "Meeting outside the set",
    "Members may meet outside the sessions if they wish.",
)

GROUND_RULES: tuple[GroundRule, ...] = (
    OOAAT,
    COST,
    STAN,
    CHATHAM_HOUSE,
    COMMITMENT,
    MEETING_OUTSIDE,
)

# Keyed by the names of the session's stages and of an airtime's phases (see session.py and
# airtime.py); plain strings so that this module needs neither.
REMINDERS: dict[str, Reminder] = {
    "not_started": Reminder(CHATHAM_HOUSE, "What is said in the set stays in the set."),
    "opening": Reminder(CHATHAM_HOUSE, "What is said in the set stays in the set."),
    "review": Reminder(STAN, "Done, partly done or not done: it is safe to say what did not work."),
    "airtime": Reminder(OOAAT, "Listen: the space belongs to the presenter."),
    "presenting": Reminder(OOAAT, "Listen: the space belongs to the presenter."),
    "questions": Reminder(COST, "Questions, not advice."),
    "actions": Reminder(COST, "The presenter decides what they will do: no taking over."),
    "reflection": Reminder(STAN, "Reflect on the process and on what you have learnt."),
    "ended": Reminder(CHATHAM_HOUSE, "What is said in the set stays in the set."),
}


def by_key(key: str) -> GroundRule:
    for rule in GROUND_RULES:
        if rule.key == key:
            return rule
    raise KeyError(key)


def reminder(part: str) -> Reminder:
    """The reminder for a stage or airtime phase; the opening's for anything unknown."""
    return REMINDERS.get(part, REMINDERS["opening"])
