"""An officer's challenge: the six suitability questions, guidance on a "no", and kept versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

TITLE_MAX = 120
TEXT_MAX = 2000


@dataclass(frozen=True)
class Question:
    number: int  # 1 to 6, as the card shows them
    text: str  # may contain {theme}: use `wording(theme)`
    why: str  # why the question matters, shown beside a "no"
    hint: str  # how the challenge might be refined

    def wording(self, theme: str) -> str:
        return self.text.format(theme=theme)


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "There is no conclusive right answer; there are many possible ways forward.",
        "The set helps you explore options. A problem with one known answer is a task, and "
        "questions from peers will add little to it.",
        "Reframe it around the choice you face, e.g. “How do I get services to adopt X?” "
        "rather than “Implement X”.",
    ),
    Question(
        2,
        "It is complex, multi-faceted or interlinked across functions or services.",
        "Action learning is at its best when a challenge touches several teams, interests or "
        "constraints, because peers from other councils have met the same tangle.",
        "Say which services, partners or decisions it depends on; if it is simple, pair it with "
        "the wider problem it belongs to.",
    ),
    Question(
        3,
        "It is work-related and tied to {theme}.",
        "Every challenge in this set relates to the series theme, so that the whole group can "
        "draw on its experience.",
        "Connect it to the part of your work that concerns the theme, or choose a different "
        "challenge for this series.",
    ),
    Question(
        4,
        "I have some responsibility for the project or initiative.",
        "The actions you agree in the set are yours to take; without some responsibility you "
        "cannot try them out before the next session.",
        "Narrow it to the part of the project you are responsible for.",
    ),
    Question(
        5,
        "I am in a position to influence the outcome.",
        "The set's questions help you decide what to do next; that needs a lever you can pull.",
        "Focus on what you can influence, e.g. a business case, a specification, or who you "
        "bring together.",
    ),
    Question(
        6,
        "I can make realistic progress within the programme's timescale.",
        "The sessions are a few weeks apart; each one reviews what you did since the last.",
        "Narrow the scope to a step you can take before the last session; narrowing scope is the "
        "commonest refinement.",
    ),
)


def assess(answers: Sequence[bool | None]) -> tuple[Question, ...]:
    """The questions answered "no", whose guidance the card shows; never a rejection."""
    return tuple(q for q, answer in zip(QUESTIONS, answers, strict=False) if answer is False)


@dataclass(frozen=True)
class ChallengeVersion:
    number: int  # 1 for the first version
    title: str = field(repr=False)  # confidential: kept out of reprs, so out of logs
    text: str = field(repr=False)
    answers: tuple[bool, ...]  # the six suitability answers, in question order
    created_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class Challenge:
    """Every version an officer has stated in a set; the set sees the latest."""

    set_key: str
    officer: str  # the officer's key: Entra object id, or lower-case e-mail address
    versions: tuple[ChallengeVersion, ...] = ()

    @property
    def current(self) -> ChallengeVersion | None:
        return self.versions[-1] if self.versions else None


def revise(
    challenge: Challenge, title: str, text: str, answers: Sequence[bool], at: datetime
) -> Challenge:
    """Add a version; restating the current one (a resubmitted card) changes nothing."""
    title, text, kept = title.strip(), text.strip(), tuple(answers)
    if at.tzinfo is None:
        raise ValueError("challenge times must be timezone-aware")
    if not title or len(title) > TITLE_MAX or len(text) > TEXT_MAX:
        raise ValueError("a challenge needs a title of at most 120 characters and a text of 2000")
    if len(kept) != len(QUESTIONS):
        raise ValueError(f"expected {len(QUESTIONS)} suitability answers")
    current = challenge.current
    if current and (current.title, current.text, current.answers) == (title, text, kept):
        return challenge
    version = ChallengeVersion(len(challenge.versions) + 1, title, text, kept, at)
    return Challenge(challenge.set_key, challenge.officer, (*challenge.versions, version))
