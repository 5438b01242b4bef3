"""The end-of-set evaluation, the after-session pulse, the facilitators' report card, and the sweep
that sends them and purges finished sets.

The sweep reads what has ended from the store (a session run its facilitator ended, or a session
whose scheduled end has passed), so it needs nothing from the meeting code. Each sending is claimed
in the transaction that queues it, and each notice carries a dedupe key: on two instances, the
evaluation, its reminder and each pulse go once. Who answers comes from the signed identity; card
data names only a set and a session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import ConfigError
from bot.features.attendance import facilitates
from bot.features.base import Action, Handler, Services
from bot.features.people import answer, email_key, user_key, who
from bot.report import figures as fig
from bot.rules import evaluation as ev
from bot.rules.booking import Team
from bot.rules.programme import Programme, SetDef
from bot.store.base import Notice
from bot.turns import Outcome, Turn
from cards import evaluation as cards
from cards.elements import Json
from cards.format import london_date
from cards.format import programme_set_title as set_title
from cards.verbs import Verb

log = logging.getLogger(__name__)

NOT_ALLOWED = "Only this set's facilitators and the programme admins can see its report."


@dataclass(frozen=True)
class EvaluationSettings:
    min_answers: int = ev.DEFAULT_MIN_ANSWERS  # ALS_REPORT_MIN_ANSWERS
    retention_days: int = ev.DEFAULT_RETENTION_DAYS  # ALS_RETENTION_DAYS
    open_days: int = ev.DEFAULT_OPEN_DAYS  # ALS_EVALUATION_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EvaluationSettings:
        def number(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
            return value

        return cls(
            min_answers=number("ALS_REPORT_MIN_ANSWERS", ev.DEFAULT_MIN_ANSWERS, 1, 1000),
            retention_days=number("ALS_RETENTION_DAYS", ev.DEFAULT_RETENTION_DAYS, 1, 3650),
            open_days=number("ALS_EVALUATION_DAYS", ev.DEFAULT_OPEN_DAYS, 1, 365),
        )


# Set once by the composition root (`sweeps`); the handlers read it.
SETTINGS = EvaluationSettings()


def configure(settings: EvaluationSettings) -> None:
    global SETTINGS
    SETTINGS = settings


def _body(kind: str, card: Json, subject: str, line: str) -> dict[str, object]:
    """A notice's body: the card for Teams, and for the e-mail channel (issue 12) a subject and words
    that say what the card asks, without anything anyone wrote."""
    return {"card": card, "text": line, "kind": kind,
            "email": {"subject": subject, "lines": [line], "join_url": None}}


def _recipient(aad_object_id: str | None, email: str) -> str:
    return user_key(aad_object_id) if aad_object_id else email_key(email)


def _last_ended(set_def: SetDef, ended: frozenset[tuple[str, int]], now: datetime) -> bool:
    last = len(set_def.sessions)
    return bool(last) and ((set_def.key, last) in ended or set_def.sessions[-1].end_utc <= now)


def _open(set_def: SetDef, ended: frozenset[tuple[str, int]], now: datetime) -> bool:
    end = fig.last_end(set_def)
    return (end is not None and _last_ended(set_def, ended, now)
            and now < ev.evaluation_closes(end, SETTINGS.open_days))


def _closes(set_def: SetDef) -> datetime:
    end = fig.last_end(set_def)
    assert end is not None
    return ev.evaluation_closes(end, SETTINGS.open_days)


# The sweep ------------------------------------------------------------------------------------

async def sweep(services: Services, now: datetime) -> int:
    """Send what is due (pulses, evaluations, reminders) and purge sets past retention; returns how
    many sendings or purges this instance made."""
    store = services.store
    programme = await store.programme()
    ended = await store.ended_runs()
    purged = await store.purged_sets()
    made = 0
    for set_def in programme.sets:
        if not set_def.sessions or set_def.key in purged:
            continue
        last_end = set_def.sessions[-1].end_utc
        if ev.retention_due(last_end, now, SETTINGS.retention_days):
            summary = await store.purge_set(set_def.key, now)
            if summary is not None:
                made += 1
                log.info("set purged after retention", extra={
                    "set": set_def.key, "officers": summary.officers, **{
                        k.replace(" ", "_").replace("'", ""): v for k, v in summary.counts}})
            continue
        made += await _pulses(services, programme, set_def, ended, now)
        if _open(set_def, ended, now):
            made += await _evaluation(services, programme, set_def, now)
    if made:
        services.kick()
    return made


async def _pulses(services: Services, programme: Programme, set_def: SetDef,
                  ended: frozenset[tuple[str, int]], now: datetime) -> int:
    made = 0
    members = None
    for number, slot in enumerate(set_def.sessions, start=1):
        over = (set_def.key, number) in ended or slot.end_utc <= now
        # A session long past (e.g. when the bot is first deployed) gets no pulse.
        if not over or now > slot.end_utc + ev.PULSE_WINDOW:
            continue
        if await services.store.sent_at(set_def.key, f"pulse:{number}") is not None:
            continue
        if members is None:
            members = await services.store.set_members(set_def.key)
        away = {a.officer_email for a in await services.store.apologies(set_def.key)
                if a.standing and a.session_number == number}
        title = set_title(programme, set_def)
        card = cards.pulse_card(set_def.key, title, number)
        notices = [
            Notice(_recipient(m.aad_object_id, m.email),
                   _body("pulse", card, "One question about today's Action Learning Set session",
                         cards.pulse_invite_text(title, number)),
                   f"pulse:{set_def.key}:{number}:{m.email}")
            for m in members if m.email not in away
        ]
        if await services.store.claim_sending(set_def.key, f"pulse:{number}", notices, now):
            log.info("pulse sent", extra={"set": set_def.key, "session": number, "recipients": len(notices)})
            made += 1
    return made


async def _evaluation(services: Services, programme: Programme, set_def: SetDef, now: datetime) -> int:
    store = services.store
    made = 0
    first = await store.sent_at(set_def.key, "evaluation")
    if first is not None and (now < first + ev.REMINDER_AFTER
                              or await store.sent_at(set_def.key, "reminder") is not None):
        return 0
    reminder = first is not None
    answered = await store.evaluation_respondents(set_def.key) if reminder else frozenset()
    title = set_title(programme, set_def)
    opening = cards.OpenEvaluation(set_def.key, title, _closes(set_def))
    card = cards.evaluation_card([opening])
    what = "reminder" if reminder else "evaluation"
    notices = [
        Notice(_recipient(m.aad_object_id, m.email),
               _body(f"evaluation-{what}", card, "Your evaluation of your Action Learning Set",
                     cards.evaluation_invite_text(title, reminder=reminder)),
               f"{what}:{set_def.key}:{m.email}")
        for m in await store.set_members(set_def.key) if m.email not in answered
    ]
    if await store.claim_sending(set_def.key, what, notices, now):
        log.info("evaluation sent", extra={"set": set_def.key, "reminder": reminder,
                                           "recipients": len(notices)})
        made += 1
    return made


Sweep = Callable[[datetime], Awaitable[int]]


def sweeps(services: Services, env: Mapping[str, str]) -> list[tuple[str, Sweep]]:
    """For the composition root: reads the settings (a wrong one stops start-up) and gives the sweep."""
    configure(EvaluationSettings.from_env(env))

    async def evaluation_sweep(now: datetime) -> int:
        return await sweep(services, now)

    return [("evaluation", evaluation_sweep)]


# The officer's evaluation -----------------------------------------------------------------------

async def _own_teams(services: Services, turn: Turn) -> list[tuple[Team, str]]:
    """The sender's confirmed teams and their own e-mail address in each (from the signed identity)."""
    mine: list[tuple[Team, str]] = []
    for team in await services.store.teams_of(who(turn)):
        officer = team.officer(who(turn))
        if team.status == "confirmed" and officer is not None:
            mine.append((team, officer.email))
    return mine


async def _open_evaluations(services: Services, turn: Turn) -> tuple[
        list[cards.OpenEvaluation], dict[str, tuple[Team, str]]]:
    programme = await services.store.programme()
    ended = await services.store.ended_runs()
    purged = await services.store.purged_sets()
    found: list[cards.OpenEvaluation] = []
    own: dict[str, tuple[Team, str]] = {}
    for team, email in await _own_teams(services, turn):
        set_def = programme.set_by_key(team.set_key)
        if set_def is None or set_def.key in purged or not _open(set_def, ended, turn.now):
            continue
        answered = await services.store.evaluation_of(set_def.key, email) is not None
        found.append(cards.OpenEvaluation(set_def.key, set_title(programme, set_def), _closes(set_def),
                                          answered))
        own[set_def.key] = (team, email)
    return found, own


async def _show_evaluation(services: Services, turn: Turn, chosen: str) -> Outcome:
    sets, own = await _open_evaluations(services, turn)
    chosen = chosen or (sets[0].set_key if sets else "")
    values: dict[str, str] = {}
    if chosen in own:
        given = await services.store.evaluation_of(chosen, own[chosen][1])
        values = given.form() if given else {}
    return answer(turn, cards.evaluation_card(sets, chosen=chosen, values=values))


async def evaluation(services: Services, turn: Turn, args: str) -> Outcome:
    return await _show_evaluation(services, turn, "")


async def show_evaluation(services: Services, turn: Turn, shown: cards.EvaluationShown) -> Outcome:
    return await _show_evaluation(services, turn, shown.choose_set or shown.set_key)


async def submit(services: Services, turn: Turn, sent: cards.EvaluationAnswers) -> Outcome:
    sets, own = await _open_evaluations(services, turn)
    set_key = sent.set_key
    values = sent.form()
    if set_key not in own:
        log.info("evaluation refused", extra={"set": set_key[:100]})
        return Outcome.say("That evaluation is not open for you: type **evaluation** to see yours.")
    given, problems = ev.read_answer(values)
    if given is None:
        return answer(turn, cards.evaluation_card(sets, chosen=set_key, values=values, errors=problems))
    team, email = own[set_key]
    first = await services.store.save_evaluation(set_key, email, team.team_id, given, turn.now)
    log.info("evaluation saved", extra={"set": set_key, "first": first})
    closes = next(s.closes for s in sets if s.set_key == set_key)
    done = (f"Thank you: your evaluation is saved. You can change it here until {london_date(closes)}."
            if first else f"Your evaluation is updated. You can change it until {london_date(closes)}.")
    sets = [s if s.set_key != set_key else cards.OpenEvaluation(s.set_key, s.set_title, s.closes, True)
            for s in sets]
    return answer(turn, cards.evaluation_card(sets, chosen=set_key, values=given.form(), done=done))


async def pulse(services: Services, turn: Turn, sent: cards.PulseAnswer) -> Outcome:
    set_key, number = sent.set_key, sent.session
    programme = await services.store.programme()
    set_def = programme.set_by_key(set_key)
    own = next((email for team, email in await _own_teams(services, turn) if team.set_key == set_key), None)
    ended = await services.store.ended_runs()
    valid = (set_def is not None and own is not None and 1 <= number <= len(set_def.sessions)
             and set_key not in await services.store.purged_sets()
             and ((set_key, number) in ended or set_def.sessions[number - 1].end_utc <= turn.now))
    if not valid or set_def is None or own is None:
        log.info("pulse refused", extra={"set": set_key[:100]})
        return Outcome.say("That question is only for the officers of the set, once its session has ended.")
    title = set_title(programme, set_def)
    score = ev.read_pulse({ev.PULSE: sent.pulse})
    if score is None:
        return answer(turn, cards.pulse_card(set_key, title, number, error="Choose a number from 1 to 5."))
    await services.store.save_pulse(set_key, number, own, score, turn.now)
    log.info("pulse saved", extra={"set": set_key, "session": number})
    return answer(turn, cards.pulse_card(set_key, title, number, score=str(score),
                                         done="Thank you. You can change your answer here."))


# The facilitators' report ---------------------------------------------------------------------------

def may_see_report(services: Services, turn: Turn, set_def: SetDef) -> bool:
    return services.is_admin(turn) or facilitates(set_def, turn)


async def summary(services: Services, programme: Programme, set_def: SetDef,
                  now: datetime) -> cards.SetSummary:
    redact = await fig.redactor_for(services.store, programme, set_def.series_key)
    figures = await fig.set_figures(services.store, programme, set_def, now,
                                    min_answers=SETTINGS.min_answers, redact=redact)
    lines = tuple(
        cards.SessionLine(s.number, london_date(s.starts_at), s.attended or 0, s.expected, s.apologies,
                          s.absent or 0, s.collected, s.actions_set, s.pulse.n, s.pulse.mean)
        for s in figures.sessions)
    return cards.SetSummary(set_def.key, figures.title, figures.teams_confirmed, figures.officers, lines,
                            figures.evaluation, SETTINGS.min_answers, f"als report {set_def.series_key}")


async def _show(services: Services, turn: Turn, programme: Programme, set_def: SetDef) -> Outcome:
    if not may_see_report(services, turn, set_def):
        log.info("report refused", extra={"set": set_def.key})
        return Outcome.say(NOT_ALLOWED)
    return answer(turn, cards.summary_card(await summary(services, programme, set_def, turn.now)))


async def report(services: Services, turn: Turn, args: str) -> Outcome:
    programme = await services.store.programme()
    visible = [s for s in programme.sets if may_see_report(services, turn, s)]
    wanted = args.strip().lower()
    named = next((s for s in visible if s.key == wanted), None)
    if named is not None or len(visible) == 1:
        return await _show(services, turn, programme, named or visible[0])
    return answer(turn, cards.report_choice_card([(s.key, set_title(programme, s)) for s in visible]))


async def report_show(services: Services, turn: Turn, chosen: cards.ReportChoice) -> Outcome:
    programme = await services.store.programme()
    set_def = programme.set_by_key(chosen.set_key)
    if set_def is None:
        return Outcome.say(NOT_ALLOWED)
    return await _show(services, turn, programme, set_def)


COMMANDS: dict[str, Handler] = {"evaluation": evaluation, "report": report}
VERBS: dict[Verb, Action[Any]] = {
    Verb.EVALUATION_OPEN: Action(cards.EvaluationShown, show_evaluation),
    Verb.EVALUATION_SUBMIT: Action(cards.EvaluationAnswers, submit),
    Verb.PULSE_SUBMIT: Action(cards.PulseAnswer, pulse),
    Verb.REPORT_SHOW: Action(cards.ReportChoice, report_show),
}
