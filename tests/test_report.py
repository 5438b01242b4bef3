"""The programme report from a seeded programme, answered through the cards: every figure agrees with
the store, nobody is named in any file written, and free text below the threshold is absent."""

from __future__ import annotations

import asyncio
import csv
import html
import json
import re
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import cli
from bot.adapter.web import STORE
from bot.rules import evaluation as ev
from bot.store.sql import SqlStore
from tests.conftest import RunningBot, start_bot
from tests.report_seed import (
    COUNCILS,
    EVALUATIONS,
    FACILITATOR,
    NEVER_IN_REPORT,
    OFFICERS,
    PULSES,
    SERIES,
    THU,
    TUE,
    answer_through_cards,
    seed_records,
    today,
)
from tests.standins.teams import TeamsStandIn
from tests.test_e2e_signup import act

pytestmark = pytest.mark.slow


@pytest.fixture
async def report_bot(teams: TeamsStandIn, database_url: str) -> AsyncIterator[RunningBot]:
    running = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url})
    await seed_records(running.app[STORE], today())
    await answer_through_cards(teams.send, teams, running.messages)
    yield running
    await running.runner.cleanup()


async def run_cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return await asyncio.to_thread(cli.main, list(argv))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def every_text(out: Path) -> dict[str, str]:
    """Each file written, as text: the XLSX unzipped (every part), the HTML unescaped."""
    texts: dict[str, str] = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for name in book.namelist():
                    texts[f"{path.name}/{name}"] = html.unescape(book.read(name).decode("utf-8"))
        else:
            texts[path.name] = html.unescape(path.read_text(encoding="utf-8-sig"))
    return texts


def forbidden_words() -> list[str]:
    """Names, addresses and councils, whole and by their distinctive words."""
    words = {w for u in OFFICERS.values() for w in (u.name, u.email, *u.name.split())}
    words |= {w for council in COUNCILS for w in (council, council.split()[0])}
    return sorted(words)


def assert_nobody_named(out: Path) -> None:
    for name, text in every_text(out).items():
        for word in forbidden_words():
            found = re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text, re.IGNORECASE)
            assert found is None, f"{word!r} appears in {name}"


async def test_the_report_agrees_with_the_store_and_names_nobody(
    report_bot: RunningBot, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: SqlStore = report_bot.app[STORE]
    out = tmp_path / "not" / "there" / "yet"
    assert await run_cli(monkeypatch, database_url, "report", SERIES, "--out", str(out)) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["report.html", f"{SERIES}.xlsx", *(f"{SERIES}-{s}.csv" for s in (
        "sets", "sessions", "actions", "evaluation", "free-text", "topics"))])  # topics: issue 12

    sets = {r["set"]: r for r in read_csv(out / f"{SERIES}-sets.csv")}
    sessions = {(r["set"], int(r["session"])): r for r in read_csv(out / f"{SERIES}-sessions.csv")}
    actions = {(r["set"], int(r["set in session"])): r for r in read_csv(out / f"{SERIES}-actions.csv")}
    scores = {(r["set"], r["question"]): r for r in read_csv(out / f"{SERIES}-evaluation.csv")}
    pulses = await store.pulse_scores(TUE) | {}
    for set_key in (TUE, THU):
        members = await store.set_members(set_key)
        book = await store.book(SERIES)
        assert int(sets[set_key]["teams confirmed"]) == len(book.confirmed(set_key)) == (4 if set_key == TUE else 2)
        assert int(sets[set_key]["officers"]) == len(members)
        collected = await store.attendance(set_key)
        attended_total = expected_total = 0
        for number in (1, 2, 3):
            row = sessions[(set_key, number)]
            statuses = Counter(o.status for o in collected[number].officers)
            assert int(row["attended"]) == statuses["attended"]
            assert int(row["apologies"]) == statuses["apologies"]
            assert int(row["absent without notice"]) == statuses["absent"]
            assert int(row["officers"]) == len(collected[number].officers)
            attended_total += statuses["attended"]
            expected_total += len(collected[number].officers)
            items = [i for team in {m.team_id for m in members}
                     for i in await store.actions_of(set_key, team, number)]
            assert int(row["actions set"]) == len(items) == int(actions[(set_key, number)]["actions"])
            outcome = Counter(i.status for i in items)
            assert int(actions[(set_key, number)]["done"]) == outcome["done"]
            assert int(actions[(set_key, number)]["partly"]) == outcome["partly"]
            assert int(actions[(set_key, number)]["not done"]) == outcome["not_done"]
            assert int(actions[(set_key, number)]["not reviewed"]) == outcome[None]
            given = (await store.pulse_scores(set_key)).get(number, [])
            assert int(row["pulse answers"]) == len(given)
            assert given == [s for k, n, _, s in PULSES if k == set_key and n == number]
            assert [int(row[f"pulse {p}"]) for p in ev.SCALE] == [given.count(p) for p in ev.SCALE]
        assert float(sets[set_key]["attendance rate"]) == round(attended_total / expected_total, 2)
        answers = await store.evaluation_answers(set_key)
        assert int(sets[set_key]["evaluations"]) == len(answers) == (4 if set_key == TUE else 2)
        assert int(sets[set_key]["would recommend"]) == sum(a.recommend for a in answers)
        for key, _, label in ev.SCORES:
            counts = Counter(a.score(key) for a in answers)
            assert [int(scores[(set_key, label)][f"chose {p}"]) for p in ev.SCALE] == [counts[p] for p in ev.SCALE]
        assert sets[set_key]["free text shown"] == ("yes" if set_key == TUE else "no")
    # The seed's own story, so that a store and report wrong in the same way would still fail.
    assert (sessions[(TUE, 2)]["attended"], sessions[(TUE, 2)]["apologies"],
            sessions[(TUE, 2)]["absent without notice"]) == ("3", "1", "1")
    assert pulses[1] == [4, 5, 3]

    assert_nobody_named(out)
    texts = every_text(out)
    for text in NEVER_IN_REPORT:
        assert all(text.lower() not in body.lower() for body in texts.values()), text
    page = texts["report.html"]
    # Above the threshold, the words are there without who wrote them or about whom.
    assert "[name] questions about [council] drainage budget helped most." in page
    assert "More time for [name] to present; write to [e-mail address] for the notes." in page
    assert "Fewer slides, more questions." in page
    free = read_csv(out / f"{SERIES}-free-text.csv")
    assert {r["set"] for r in free} == {TUE}
    assert len(free) == sum(bool(h) + bool(c) for e, _, h, c, _ in EVALUATIONS if e in {
        "priya.shah@leeds.gov.uk", "kim.lee@wigan.gov.uk", "lee.brown@bury.gov.uk", "morwenna.t@cornwall.gov.uk"})
    # Self-contained, with charts and their alternative text, and a print stylesheet.
    assert page.count("<svg") >= 4 and 'role="img"' in page and "<title>Attendance by session:" in page
    assert "@media print" in page and "<script" not in page and "<link" not in page
    assert re.search(r"""(src|href)=["']?https?:""", page) is None  # nothing fetched from elsewhere


async def test_the_facilitators_report_card_keeps_to_the_threshold(
    report_bot: RunningBot, teams: TeamsStandIn
) -> None:
    thu = json.dumps(await act(report_bot, teams, FACILITATOR, "report.show", {"set_key": THU}),
                     ensure_ascii=False)
    assert "Evaluations" in thu and "2 of 2" in thu
    assert "Sam Patel" not in thu and "heat plan" not in thu and "shown once at least 3" in thu
    tue = json.dumps(await act(report_bot, teams, FACILITATOR, "report.show", {"set_key": TUE}),
                     ensure_ascii=False)
    assert "Fewer slides, more questions." in tue and "Kim Lee" not in tue
    assert "3 of 5 attended" in tue  # session 2
    # An officer cannot see it, typed or with crafted card data.
    officer = OFFICERS["kim.lee@wigan.gov.uk"]
    crafted = await teams.send(report_bot.messages, teams.card_action(officer, "report.show", {"set_key": TUE}))
    assert crafted.body["value"].startswith("Only this set's facilitators")


async def test_an_evaluation_with_a_mistake_comes_back_with_the_entries(
    report_bot: RunningBot, teams: TeamsStandIn
) -> None:
    store: SqlStore = report_bot.app[STORE]
    tom = OFFICERS["tom.hughes@leeds.gov.uk"]
    card = await act(report_bot, teams, tom, "evaluation.submit", {
        "set_key": TUE, "benefit_self": "4", "benefit_team": "9", "helped": "The questions", "recommend": ""})
    text = json.dumps(card, ensure_ascii=False)
    assert "Choose a number from 1 to 5." in text and "Choose yes or no." in text
    assert '"value": "The questions"' in text and '"value": "4"' in text
    assert await store.evaluation_of(TUE, tom.email) is None
    # Typed `evaluation` opens it; a second answer replaces the first, so one answer per officer.
    reply = await teams.send(report_bot.messages, teams.message(tom, "evaluation"))
    assert reply.status in (200, 201)
    assert "evaluation.submit" in json.dumps(teams.calls[-1].cards[0])
    form = {"set_key": TUE, "benefit_self": "4", "benefit_team": "4", "benefit_council": "3",
            "challenge_moved": "2", "helped": "", "change": "", "recommend": "yes"}
    await act(report_bot, teams, tom, "evaluation.submit", form)
    again = await act(report_bot, teams, tom, "evaluation.submit", {**form, "recommend": "no"})
    assert "updated" in json.dumps(again)
    assert len(await store.evaluation_answers(TUE)) == 5
    assert (await store.evaluation_of(TUE, tom.email)).recommend is False  # type: ignore[union-attr]
    # Someone of the other set cannot answer for this one by naming it in the card's data.
    sam = OFFICERS["sam.patel@manchester.gov.uk"]
    refused = await teams.send(report_bot.messages, teams.card_action(sam, "evaluation.submit", form))
    assert "not open for you" in refused.body["value"]
    assert len(await store.evaluation_answers(TUE)) == 5
    # Malformed data gets a plain answer, never a server error.
    for verb, data in (("pulse.submit", {"set_key": ["x"], "session": {"n": 1}, "pulse": None}),
                       ("pulse.submit", {"set_key": TUE, "session": "1e9", "pulse": "5"}),
                       ("evaluation.submit", {"set_key": {"a": 1}, "benefit_self": [1]}),
                       ("evaluation.open", {"choose_set": 7})):
        reply = await teams.send(report_bot.messages, teams.card_action(tom, verb, data))
        assert reply.status == 200, (verb, data, reply.body)
    # A pulse with no choice comes back with a message; nothing is kept.
    card = await act(report_bot, teams, tom, "pulse.submit", {"set_key": TUE, "session": 3, "pulse": ""})
    assert "Choose a number from 1 to 5." in json.dumps(card)




async def test_deep_dive_topics_are_ranked_and_anonymised_where_collected(report_bot: RunningBot) -> None:
    from types import SimpleNamespace

    from bot.report.figures import series_report
    from bot.report.render import html as render_html

    store: SqlStore = report_bot.app[STORE]

    async def topics(set_key: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(title="Retrofit with Priya Shah", votes=3),
                SimpleNamespace(title="Change and influencing skills", votes=1)]

    store.topics = topics  # type: ignore[attr-defined]  # what the topics feature (issue 12) provides
    report = await series_report(store, SERIES, today(), min_answers=3)
    assert report.sets[0].topics == (("Retrofit with [name]", 3), ("Change and influencing skills", 1))
    page = render_html(report)
    assert "Retrofit with [name]" in page and "Priya" not in page
