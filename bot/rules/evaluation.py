"""The end-of-set evaluation and the after-session pulse: questions, validation, aggregation, and
the removal of names, e-mail addresses and councils from free text before anyone else reads it.

Plain Python: the features hand in what the store holds and the card sent, and get back answers,
problems to show beside the fields, and anonymous figures.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SCALE = (1, 2, 3, 4, 5)
TEXT_MAX = 2000
REMINDER_AFTER = timedelta(days=3)  # the second card, to those who have not answered, once
PULSE_WINDOW = timedelta(days=2)  # a pulse is sent for a session that ended at most this long ago
DEFAULT_OPEN_DAYS = 28  # the evaluation stays open (answers changeable) this long after the last session
DEFAULT_MIN_ANSWERS = 3  # free text is reported only for a set with at least this many answers
DEFAULT_RETENTION_DAYS = 365

# The four scored questions, in the order the card asks them: (input id, question, short label).
SCORES: tuple[tuple[str, str, str], ...] = (
    ("benefit_self", "How much has the set benefited you?", "Benefit to you"),
    ("benefit_team", "How much has it benefited your project or team?", "Benefit to the project or team"),
    ("benefit_council", "How much has it benefited your council?", "Benefit to the council"),
    ("challenge_moved", "How far has your challenge moved on?", "How far the challenge moved"),
)
TEXTS: tuple[tuple[str, str, str], ...] = (
    ("helped", "What helped most?", "What helped most"),
    ("change", "What would you change?", "What they would change"),
)
RECOMMEND = "recommend"
RECOMMEND_QUESTION = "Would you recommend the set to a colleague?"
SCALE_WORDS = {1: "1 – not at all", 2: "2 – a little", 3: "3 – somewhat", 4: "4 – a lot", 5: "5 – very much"}
PULSE = "pulse"
PULSE_QUESTION = "How useful was today's session?"


@dataclass(frozen=True)
class Answer:
    """One officer's evaluation of a set; free text may be empty."""

    benefit_self: int
    benefit_team: int
    benefit_council: int
    challenge_moved: int
    helped: str
    change: str
    recommend: bool

    def score(self, key: str) -> int:
        value = getattr(self, key)
        assert isinstance(value, int)
        return value

    def form(self) -> dict[str, str]:
        """The answer as the card's inputs hold it, to prefill the card when it is opened again."""
        values = {key: str(self.score(key)) for key, _, _ in SCORES}
        values.update(helped=self.helped, change=self.change, recommend="yes" if self.recommend else "no")
        return values


def _scale(value: object) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number in SCALE else None


def read_answer(data: Mapping[str, object]) -> tuple[Answer | None, dict[str, str]]:
    """The card's inputs as an answer, or the problems by input id (every question but the free text
    is required, so that the figures mean the same for every set)."""
    problems: dict[str, str] = {}
    scores: dict[str, int] = {}
    for key, _, _ in SCORES:
        value = _scale(data.get(key, ""))
        if value is None:
            problems[key] = "Choose a number from 1 to 5."
        else:
            scores[key] = value
    texts = {key: str(data.get(key, "") or "").strip() for key, _, _ in TEXTS}
    for key, text in texts.items():
        if len(text) > TEXT_MAX:
            problems[key] = f"Please keep this to {TEXT_MAX} characters (it has {len(text)})."
    recommend = str(data.get(RECOMMEND, "")).strip().lower()
    if recommend not in ("yes", "no"):
        problems[RECOMMEND] = "Choose yes or no."
    if problems:
        return None, problems
    return Answer(scores["benefit_self"], scores["benefit_team"], scores["benefit_council"],
                  scores["challenge_moved"], texts["helped"], texts["change"], recommend == "yes"), {}


def read_pulse(data: Mapping[str, object]) -> int | None:
    return _scale(data.get(PULSE, ""))


# When things are due ---------------------------------------------------------------------------

def evaluation_closes(last_end: datetime, open_days: int) -> datetime:
    return last_end + timedelta(days=open_days)


def evaluation_open(last_end: datetime | None, now: datetime, open_days: int) -> bool:
    """Open from the end of the set's last session (or its `end`) until it closes."""
    return last_end is not None and last_end <= now < evaluation_closes(last_end, open_days)


def retention_due(last_end: datetime, now: datetime, days: int) -> bool:
    return now >= last_end + timedelta(days=days)


# Figures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Distribution:
    """How many chose each point of a 1–5 scale."""

    counts: tuple[int, ...]  # for 1, 2, 3, 4, 5

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        if not self.n:
            return None
        return sum(v * c for v, c in zip(SCALE, self.counts, strict=True)) / self.n


def distribution(values: Iterable[int]) -> Distribution:
    counts = [0] * len(SCALE)
    for value in values:
        counts[SCALE.index(value)] += 1
    return Distribution(tuple(counts))


@dataclass(frozen=True)
class EvaluationFigures:
    answers: int
    scores: tuple[tuple[str, Distribution], ...]  # (label, distribution) in SCORES order
    recommend_yes: int
    recommend_no: int
    helped: tuple[str, ...] = ()  # anonymised, shuffled; empty below the threshold
    change: tuple[str, ...] = ()
    free_text_shown: bool = False

    @property
    def recommend_rate(self) -> float | None:
        total = self.recommend_yes + self.recommend_no
        return self.recommend_yes / total if total else None


def evaluation_figures(answers: Sequence[Answer], *, min_answers: int, redact: Redactor,
                       rng: random.Random | None = None) -> EvaluationFigures:
    """Aggregates only; free text, anonymised and shuffled, only at `min_answers` answers or more, so
    that nobody's words can be told apart by elimination in a small set."""
    shown = len(answers) >= min_answers
    shuffle = rng or random.SystemRandom()

    def texts(key: str) -> tuple[str, ...]:
        if not shown:
            return ()
        kept = [redact(str(getattr(a, key))) for a in answers if str(getattr(a, key)).strip()]
        shuffle.shuffle(kept)
        return tuple(kept)

    return EvaluationFigures(
        answers=len(answers),
        scores=tuple((label, distribution(a.score(key) for a in answers)) for key, _, label in SCORES),
        recommend_yes=sum(a.recommend for a in answers),
        recommend_no=sum(not a.recommend for a in answers),
        helped=texts("helped"),
        change=texts("change"),
        free_text_shown=shown,
    )


# Removing who people are from free text ---------------------------------------------------------

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Words that name no council on their own ("the City Council" is not identifying; "Leeds" is).
_GENERIC = frozenset({
    "council", "city", "borough", "county", "district", "metropolitan", "royal", "of", "the", "and",
    "&", "london", "unitary", "authority", "combined", "town", "parish", "mbc", "cc", "bc", "dc",
})
NAME_MARK, COUNCIL_MARK, EMAIL_MARK = "[name]", "[council]", "[e-mail address]"


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,()/]+", value) if w]


@dataclass(frozen=True)
class Redactor:
    """Replaces people's names (whole, and each part), e-mail addresses and council names (whole, and
    their distinctive words) with a neutral mark. Longest first, so that "Leeds City Council" goes as
    one and "Alex Smith" is not left as "[name] Smith"."""

    names: tuple[str, ...] = ()
    councils: tuple[str, ...] = ()
    _patterns: tuple[tuple[re.Pattern[str], str], ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, names: Iterable[str], councils: Iterable[str]) -> Redactor:
        terms: dict[str, str] = {}
        for name in names:
            name = name.strip()
            if not name:
                continue
            terms[name.lower()] = NAME_MARK
            for word in _words(name):
                if len(word) >= 2 and word.lower() not in _GENERIC:
                    terms.setdefault(word.lower(), NAME_MARK)
        for council in councils:
            council = council.strip()
            if not council:
                continue
            terms[council.lower()] = COUNCIL_MARK
            for word in _words(council):
                if len(word) >= 3 and word.lower() not in _GENERIC:
                    terms.setdefault(word.lower(), COUNCIL_MARK)
        ordered = sorted(terms.items(), key=lambda kv: -len(kv[0]))
        patterns = tuple(
            (re.compile(rf"(?<!\w){re.escape(term)}(?:'s)?(?!\w)", re.IGNORECASE), mark)
            for term, mark in ordered
        )
        return cls(tuple(names), tuple(councils), patterns)

    def __call__(self, text: str) -> str:
        text = EMAIL.sub(EMAIL_MARK, text)
        for pattern, mark in self._patterns:
            text = pattern.sub(mark, text)
        return text
