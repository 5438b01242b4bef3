"""The report's figures, read from the store: counts and distributions only, nobody named.

Both the command-line report and the facilitators' summary card are drawn from these, so the two
always agree with each other and with the store.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.rules import evaluation as ev
from bot.rules.programme import Programme, SetDef
from bot.store.base import Store
from cards.format import set_title

REVIEW_KEYS = ("done", "partly", "not_done")


@dataclass(frozen=True)
class SessionFigures:
    number: int
    starts_at: datetime
    ends_at: datetime
    ended: bool
    collected: bool  # the attendance report has been read
    expected: int  # officers counted for the session: those in its register, or the set's officers
    attended: int | None  # None until collected
    apologies: int  # from the register once collected, else the apologies standing
    absent: int | None  # absent without notice; None until collected
    actions_set: int
    pulse: ev.Distribution

    @property
    def attendance_rate(self) -> float | None:
        if self.attended is None or not self.expected:
            return None
        return self.attended / self.expected


@dataclass(frozen=True)
class Outcomes:
    """The review outcomes of the actions set in one session."""

    number: int
    done: int = 0
    partly: int = 0
    not_done: int = 0
    not_reviewed: int = 0

    @property
    def total(self) -> int:
        return self.done + self.partly + self.not_done + self.not_reviewed


@dataclass(frozen=True)
class SetFigures:
    key: str
    title: str
    teams_confirmed: int
    officers: int
    sessions: tuple[SessionFigures, ...]
    outcomes: tuple[Outcomes, ...]
    evaluation: ev.EvaluationFigures
    topics: tuple[tuple[str, int], ...] | None  # None where the topics feature does not exist
    purged: bool = False

    @property
    def attendance_rate(self) -> float | None:
        taken = [s for s in self.sessions if s.attended is not None]
        expected = sum(s.expected for s in taken)
        return sum(s.attended or 0 for s in taken) / expected if expected else None

    @property
    def response_rate(self) -> float | None:
        return self.evaluation.answers / self.officers if self.officers else None


@dataclass(frozen=True)
class SeriesReport:
    series_key: str
    title: str
    generated_at: datetime
    min_answers: int
    sets: tuple[SetFigures, ...]


async def redactor_for(store: Store, programme: Programme, series_key: str) -> ev.Redactor:
    """Everyone the series' teams name, and their councils: removed from any text the report shows."""
    book = await store.book(series_key)
    names = [o.name for team in book.teams for o in team.officers]
    councils = [team.council_name for team in book.teams]
    return ev.Redactor.of(names, councils)


async def _topics(store: Store, set_key: str, redact: ev.Redactor) -> tuple[tuple[str, int], ...] | None:
    # HOOK (issue 12, deep-dive topics): the "between" branch adds `Store.topics(set_key)`, ranked by
    # votes, each with `.title` and `.votes`. Until it is merged, the report says topics are not
    # collected; once it is, they are read here, titles anonymised like any free text.
    ranked: Any = getattr(store, "topics", None)
    if ranked is None:
        return None
    return tuple((redact(str(topic.title)), int(topic.votes)) for topic in await ranked(set_key))


async def set_figures(store: Store, programme: Programme, set_def: SetDef, now: datetime, *,
                      min_answers: int, redact: ev.Redactor, rng: random.Random | None = None) -> SetFigures:
    series = programme.series_by_key(set_def.series_key)
    book = await store.book(set_def.series_key)
    members = await store.set_members(set_def.key)
    team_ids = sorted({m.team_id for m in members})
    collected = await store.attendance(set_def.key)
    standing = [a for a in await store.apologies(set_def.key) if a.standing]
    member_emails = {m.email for m in members}
    pulses = await store.pulse_scores(set_def.key)
    ended_runs = await store.ended_runs()
    sessions: list[SessionFigures] = []
    outcomes: list[Outcomes] = []
    for number, slot in enumerate(set_def.sessions, start=1):
        statuses: list[str] = []
        if number in collected:
            statuses = [o.status for o in collected[number].officers]
        counts: dict[str, int] = {"done": 0, "partly": 0, "not_done": 0, "none": 0}
        actions = 0
        for team_id in team_ids:
            for item in await store.actions_of(set_def.key, team_id, number):
                actions += 1
                counts[item.status or "none"] += 1
        taken = number in collected
        sessions.append(SessionFigures(
            number=number, starts_at=slot.start_utc, ends_at=slot.end_utc,
            ended=(set_def.key, number) in ended_runs or slot.end_utc <= now,
            collected=taken,
            expected=len(statuses) if taken else len(members),
            attended=statuses.count("attended") if taken else None,
            apologies=statuses.count("apologies") if taken else sum(
                1 for a in standing if a.session_number == number and a.officer_email in member_emails),
            absent=statuses.count("absent") if taken else None,
            actions_set=actions,
            pulse=ev.distribution(pulses.get(number, [])),
        ))
        outcomes.append(Outcomes(number, counts["done"], counts["partly"], counts["not_done"],
                                 counts["none"]))
    answers = await store.evaluation_answers(set_def.key)
    purged = set_def.key in await store.purged_sets()
    return SetFigures(
        key=set_def.key,
        title=set_title(series.title if series else "", set_def.name),
        teams_confirmed=len(book.confirmed(set_def.key)),
        officers=len(members),
        sessions=tuple(sessions),
        outcomes=tuple(outcomes),
        evaluation=ev.evaluation_figures(answers, min_answers=min_answers, redact=redact, rng=rng),
        topics=await _topics(store, set_def.key, redact),
        purged=purged,
    )


async def series_report(store: Store, series_key: str, now: datetime, *, min_answers: int,
                        set_keys: Sequence[str] | None = None,
                        rng: random.Random | None = None) -> SeriesReport:
    programme = await store.programme()
    series = programme.series_by_key(series_key)
    if series is None:
        raise KeyError(series_key)
    redact = await redactor_for(store, programme, series_key)
    sets = sorted((s for s in programme.sets
                   if s.series_key == series_key and (set_keys is None or s.key in set_keys)),
                  key=lambda s: (s.sessions[0].start_utc if s.sessions else now, s.key))
    figures = [await set_figures(store, programme, s, now, min_answers=min_answers, redact=redact, rng=rng)
               for s in sets]
    return SeriesReport(series_key, series.title, now, min_answers, tuple(figures))


def last_end(set_def: SetDef) -> datetime | None:
    return set_def.sessions[-1].end_utc if set_def.sessions else None


def retention_date(set_def: SetDef, days: int) -> datetime | None:
    end = last_end(set_def)
    return None if end is None else end + timedelta(days=days)
