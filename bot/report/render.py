"""`als report SERIES`: the series' figures as one self-contained HTML page (charts embedded as
SVG, a print stylesheet), the same figures as CSV files, and one XLSX workbook.

Nothing here names anyone: the figures are counts, and the only text people wrote that appears is
the evaluation's free text of sets with enough answers, already stripped of names, e-mail addresses
and councils (bot.rules.evaluation.Redactor).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.export import Sheet, write
from bot.report.charts import charts_for
from bot.report.figures import SeriesReport, SetFigures
from bot.rules import evaluation as ev
from cards.format import LONDON, london, london_date


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _number(value: float | None, places: int = 2) -> float | str:
    return "" if value is None else round(value, places)


def html(report: SeriesReport) -> str:
    env = Environment(loader=PackageLoader("bot.report", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(percent=_percent, mean=_mean, london=london, london_date=london_date)
    sets = [{"figures": s, "charts": charts_for(s)} for s in report.sets]
    return env.get_template("report.html.j2").render(
        report=report, sets=sets, scale=ev.SCALE, generated=london(report.generated_at))


def sheets(report: SeriesReport) -> list[Sheet]:
    """The page's figures as tables, one row per set, session, question or answer."""
    summary: list[tuple[Any, ...]] = []
    sessions: list[tuple[Any, ...]] = []
    actions: list[tuple[Any, ...]] = []
    scores: list[tuple[Any, ...]] = []
    texts: list[tuple[Any, ...]] = []
    topics: list[tuple[Any, ...]] = []
    for s in report.sets:
        e = s.evaluation
        summary.append((s.key, s.title, s.teams_confirmed, s.officers, _number(s.attendance_rate),
                        e.answers, _number(s.response_rate), e.recommend_yes, e.recommend_no,
                        _number(e.recommend_rate), *(_number(d.mean) for _, d in e.scores),
                        "yes" if e.free_text_shown else "no", "yes" if s.purged else "no"))
        for x in s.sessions:
            sessions.append((s.key, x.number, x.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
                             "yes" if x.ended else "no", "yes" if x.collected else "no", x.expected,
                             "" if x.attended is None else x.attended, x.apologies,
                             "" if x.absent is None else x.absent, _number(x.attendance_rate),
                             x.actions_set, x.pulse.n, _number(x.pulse.mean), *x.pulse.counts))
        for o in s.outcomes:
            actions.append((s.key, o.number, o.total, o.done, o.partly, o.not_done, o.not_reviewed))
        for label, d in e.scores:
            scores.append((s.key, label, d.n, _number(d.mean), *d.counts))
        for key, _, label in ev.TEXTS:
            for item in getattr(e, key):
                texts.append((s.key, label, item))
        for rank, (title, votes) in enumerate(s.topics or (), start=1):
            topics.append((s.key, rank, title, votes))
    score_labels = tuple(f"mean: {label.lower()}" for _, _, label in ev.SCORES)
    result = [
        Sheet("sets", ("set", "title", "teams confirmed", "officers", "attendance rate", "evaluations",
                       "response rate", "would recommend", "would not recommend", "recommend rate",
                       *score_labels, "free text shown", "purged after retention"), summary),
        Sheet("sessions", ("set", "session", "starts (Europe/London)", "ended", "attendance read",
                           "officers", "attended", "apologies", "absent without notice", "attendance rate",
                           "actions set", "pulse answers", "pulse mean", *(f"pulse {p}" for p in ev.SCALE)),
              sessions),
        Sheet("actions", ("set", "set in session", "actions", "done", "partly", "not done", "not reviewed"),
              actions),
        Sheet("evaluation", ("set", "question", "answers", "mean", *(f"chose {p}" for p in ev.SCALE)),
              scores),
        Sheet("free-text", ("set", "question", "answer (names removed)"), texts),
    ]
    if any(s.topics is not None for s in report.sets):
        result.append(Sheet("topics", ("set", "rank", "topic", "votes"), topics))
    return result


def write_report(report: SeriesReport, out: Path) -> list[Path]:
    """Writes `report.html`, `SERIES-<sheet>.csv` and `SERIES.xlsx` into `out` (made if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    page.write_text(html(report), encoding="utf-8")
    return [page, *write(sheets(report), out, report.series_key)]


def set_lines(figures: Sequence[SetFigures]) -> list[str]:
    """One line per set, for the command's output."""
    return [f"{s.key}: {s.teams_confirmed} teams, {s.officers} officers, attendance "
            f"{_percent(s.attendance_rate)}, {s.evaluation.answers} evaluations, recommend "
            f"{_percent(s.evaluation.recommend_rate)}" for s in figures]
