"""The report's charts, drawn by matplotlib (Agg, no display) as SVG to embed in the page.

Text stays text in the SVG (`svg.fonttype: none`), so that it is sharp when printed, searchable, and
read by screen readers; each chart also gets a <title> with its alternative text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display, no GUI toolkit

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.report.figures import SetFigures
from bot.rules import evaluation as ev

# Colours distinguishable by people with the commonest colour-vision deficiencies (Okabe and Ito).
GOOD, WARN, BAD, GREY, BLUE = "#009E73", "#E69F00", "#D55E00", "#BBBBBB", "#0072B2"
SCALE_COLOURS = ("#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2")

_STYLE: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "als-report",  # the same figures give the same file
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str  # the alternative text: what the chart shows, in words and numbers
    svg: str


def _svg(figure: Figure, alt: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # the page embeds it: no XML declaration or doctype
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    escaped = alt.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"<svg\b([^>]*)>", rf'<svg\1 role="img"><title>{escaped}</title>', text, count=1)


def attendance_chart(figures: SetFigures) -> Chart | None:
    taken = [s for s in figures.sessions if s.collected]
    if not taken:
        return None
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6, 2.6))
        labels = [f"Session {s.number}" for s in taken]
        attended = [s.attended or 0 for s in taken]
        apologies = [s.apologies for s in taken]
        absent = [s.absent or 0 for s in taken]
        axes.bar(labels, attended, color=GOOD, label="Attended")
        axes.bar(labels, apologies, bottom=attended, color=WARN, label="Apologies")
        axes.bar(labels, absent, bottom=[a + b for a, b in zip(attended, apologies, strict=True)],
                 color=BAD, label="Absent without notice")
        axes.set_ylabel("Officers")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        alt = "Attendance by session: " + "; ".join(
            f"session {s.number}: {s.attended} attended, {s.apologies} apologies, {s.absent} absent without "
            f"notice, of {s.expected}" for s in taken) + "."
        return Chart("Attendance by session", alt, _svg(figure, alt))


def scores_chart(figures: SetFigures) -> Chart | None:
    e = figures.evaluation
    if not e.answers:
        return None
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6, 2.4))
        labels = [label for label, _ in e.scores][::-1]
        dists = [d for _, d in e.scores][::-1]
        left = [0] * len(dists)
        for point, colour in zip(ev.SCALE, SCALE_COLOURS, strict=True):
            counts = [d.counts[point - 1] for d in dists]
            axes.barh(labels, counts, left=left, color=colour, label=str(point))
            left = [a + b for a, b in zip(left, counts, strict=True)]
        axes.set_xlabel("Answers")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(title="Score", loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        alt = "Evaluation scores, 1 (not at all) to 5 (very much): " + "; ".join(
            f"{label}: " + ", ".join(f"{c} chose {p}" for p, c in zip(ev.SCALE, d.counts, strict=True))
            for label, d in e.scores) + "."
        return Chart("Evaluation scores", alt, _svg(figure, alt))


def pulse_chart(figures: SetFigures) -> Chart | None:
    answered = [s for s in figures.sessions if s.pulse.n]
    if not answered:
        return None
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6, 2.2))
        labels = [f"Session {s.number}" for s in answered]
        means = [s.pulse.mean or 0.0 for s in answered]
        bars = axes.bar(labels, means, color=BLUE)
        axes.bar_label(bars, labels=[f"{m:.1f} ({s.pulse.n})" for m, s in zip(means, answered, strict=True)])
        axes.set_ylim(0, 5.5)
        axes.set_ylabel("Average, 1 to 5")
        alt = "How useful each session was (the pulse): " + "; ".join(
            f"session {s.number}: average {s.pulse.mean or 0:.1f} from {s.pulse.n} "
            f"answer{'' if s.pulse.n == 1 else 's'}"
            for s in answered) + "."
        return Chart("The pulse: how useful each session was", alt, _svg(figure, alt))


def outcomes_chart(figures: SetFigures) -> Chart | None:
    rows = [o for o in figures.outcomes if o.total]
    if not rows:
        return None
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6, 2.4))
        labels = [f"Set in session {o.number}" for o in rows]
        parts: Sequence[tuple[str, str, list[int]]] = (
            ("Done", GOOD, [o.done for o in rows]),
            ("Partly", WARN, [o.partly for o in rows]),
            ("Not done", BAD, [o.not_done for o in rows]),
            ("Not reviewed yet", GREY, [o.not_reviewed for o in rows]),
        )
        bottom = [0] * len(rows)
        for label, colour, values in parts:
            axes.bar(labels, values, bottom=bottom, color=colour, label=label)
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        axes.set_ylabel("Actions")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        alt = "Actions and their review: " + "; ".join(
            f"set in session {o.number}: {o.total} actions, {o.done} done, {o.partly} partly, "
            f"{o.not_done} not done, {o.not_reviewed} not reviewed yet" for o in rows) + "."
        return Chart("Actions and their review", alt, _svg(figure, alt))


def charts_for(figures: SetFigures) -> list[Chart]:
    made = (attendance_chart(figures), outcomes_chart(figures), scores_chart(figures), pulse_chart(figures))
    return [c for c in made if c is not None]
