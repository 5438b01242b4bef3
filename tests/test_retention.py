"""Retention: a finished set is purged of personal data ALS_RETENTION_DAYS after its last session, by
the scheduler, once (also with two instances on one database); `als retention --dry-run` only lists.
The weeks between sessions go too: reminders (one sent by e-mail), a refined challenge, an action
update before session 2, deep-dive topics and their votes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.features import evaluation as feature
from bot.features import reminders
from bot.features.base import Services
from bot.report.figures import series_report
from bot.report.render import sheets
from bot.store.base import ChallengeRecord
from bot.store.session_records import ActionReview
from bot.store.sql import SqlStore
from tests.report_seed import OFFICERS, SERIES, THU, TUE, programme, seed_records, today
from tests.test_erasure import BETWEEN, KIM, KIM_TOPIC, NOTES, PRIYA, REFINED, TOPIC, mentions, titles_erased
from tests.test_report import run_cli

T = datetime(2027, 6, 30, 9, 0, tzinfo=UTC)
TUE_PEOPLE = [u for e, u in OFFICERS.items() if not e.endswith(("bristol.gov.uk", "manchester.gov.uk"))]
THU_PEOPLE = [u for u in OFFICERS.values() if u not in TUE_PEOPLE]
# Someone who proposed and voted while on a team, and has since left it: no officer row names them.
LEFT, LEFT_ID, LEFT_TOPIC = "left.early@leeds.gov.uk", "0a1b2c3d-0000-4000-8000-00000000e1f7", "Heat pumps in flats"


async def seed_between(store: SqlStore, now: datetime) -> None:
    """Priya's weeks before the Tuesday set's session 2, saved as the features save them: the reminder
    sweep's reminders (hers by e-mail, as Teams refused her), a refined challenge, her team's action
    update, and two topics, each voted for by her and Kim."""
    session_2 = programme(now).set_by_key(TUE).sessions[1].start_utc  # type: ignore[union-attr]
    for lead in (timedelta(days=3), timedelta(hours=1)):
        assert await reminders.sweep(Services(store=store), session_2 - lead + timedelta(seconds=20)) > 0
    at = session_2 - timedelta(minutes=50)
    by_email = 0
    for notice in await store.claim_due(at, 60, 500):  # what the courier does, in short
        if notice.recipient == f"user:{PRIYA.aad_object_id}":
            assert await store.claim_email(notice.id, at, "Teams refused (403 BotNotInConversationRoster)")
            by_email += 1
        await store.delivered(notice.id, at, "email" if notice.recipient.endswith(PRIYA.aad_object_id) else "teams")
    assert by_email == 2
    await store.save_challenge(ChallengeRecord(TUE, PRIYA.email, *REFINED, (True,) * 6), at)
    team_id = next(m.team_id for m in await store.set_members(TUE) if m.email == PRIYA.email)
    await store.save_review(TUE, team_id, 1, ActionReview(((1, "done"), (2, "partly")), *NOTES), PRIYA.email, at)
    for title, by in ((TOPIC, PRIYA), (KIM_TOPIC, KIM)):
        topic_id = await store.propose_topic(TUE, title, by.email, at)
        for voter in (PRIYA, KIM):
            assert await store.vote_topic(topic_id, voter.aad_object_id, True, at)
    assert await store.vote_topic(await store.propose_topic(TUE, LEFT_TOPIC, LEFT, at), LEFT_ID, True, at)


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    first = await SqlStore.open(database_url)
    second = await SqlStore.open(database_url)
    feature.configure(feature.EvaluationSettings(retention_days=365))
    await seed_records(first, T)
    await seed_between(first, T)
    yield first, second
    await first.close()
    await second.close()


def counts(report: Any) -> dict[str, Any]:
    """The figures, without the free text and the purge mark (which a purge changes by design)."""
    kept = {s.name: s.rows for s in sheets(report) if s.name not in ("free-text", "sets")}
    kept["sets"] = [row[:-1] for s in sheets(report) if s.name == "sets" for row in s.rows]
    return kept


async def sweep_both(stores: tuple[SqlStore, SqlStore], now: datetime) -> int:
    return sum(await asyncio.gather(*(feature.sweep(Services(store=s), now) for s in stores)))


async def test_the_scheduler_purges_a_finished_set_once(two: tuple[SqlStore, SqlStore]) -> None:
    first, _ = two
    last_end = programme(T).set_by_key(TUE).sessions[-1].end_utc  # type: ignore[union-attr]
    before = counts(await series_report(first, SERIES, T, min_answers=3))
    assert [row[2:] for row in before["topics"]] == [(TOPIC, 2), (KIM_TOPIC, 2), (LEFT_TOPIC, 1)]
    assert await mentions(first, [u.name for u in TUE_PEOPLE]) != []
    for text in BETWEEN:
        assert await mentions(first, [text]) != [], text

    await sweep_both(two, last_end + timedelta(days=364))
    assert await first.purged_sets() == {}
    purge_at = last_end + timedelta(days=365, minutes=1)
    assert await sweep_both(two, purge_at) == 1  # one instance purged; the other found it done
    assert await first.purged_sets() == {TUE: purge_at}
    terms = [x for u in TUE_PEOPLE for x in (u.name, u.email, u.aad_object_id)]
    assert await mentions(first, terms) == []
    assert await mentions(first, ["I listened more than I advised (reflection 4-"]) == []  # a TUE text
    # Every topic's title is a member's words; a leaver's too, and whose vote it was.
    assert await mentions(first, [*BETWEEN, KIM_TOPIC, LEFT_TOPIC, LEFT, LEFT_ID]) == []
    assert await mentions(first, [u.name for u in THU_PEOPLE]) != []  # the Thursday set: a day to go
    later = purge_at + timedelta(days=30)
    after = counts(await series_report(first, SERIES, later, min_answers=3))
    assert after == titles_erased(before, [TOPIC, KIM_TOPIC, LEFT_TOPIC])  # the figures survive the purge
    assert await sweep_both(two, later) == 1  # the Thursday set now; the Tuesday set never again
    assert set(await first.purged_sets()) == {TUE, THU}
    assert await mentions(first, [u.email for u in OFFICERS.values()]) == []


async def test_retention_dry_run_lists_and_changes_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await SqlStore.open(database_url)
    try:
        await seed_records(store, today())  # the sets ended three weeks ago
        await seed_between(store, today())
        monkeypatch.setenv("ALS_RETENTION_DAYS", "30")
        assert await run_cli(monkeypatch, database_url, "retention", "--dry-run") == 0
        said = capsys.readouterr().out
        assert f"{TUE}: kept until" in said and f"{THU}: kept until" in said
        monkeypatch.setenv("ALS_RETENTION_DAYS", "10")
        assert await run_cli(monkeypatch, database_url, "retention", "--dry-run") == 0
        said = capsys.readouterr().out
        assert f"{TUE}: last session" in said and "5 officer(s) would be purged" in said
        assert "challenge versions: 6 would go" in said and "reflections: 12 would go" in said
        assert "topics' titles: 3 would go" in said and "topic votes kept anonymously: 5 would go" in said
        assert "session reminders kept anonymously: 20 would go" in said
        assert await store.purged_sets() == {}
        assert await mentions(store, [u.email for u in OFFICERS.values()]) != []

        assert await run_cli(monkeypatch, database_url, "retention") == 0
        said = capsys.readouterr().out
        assert "5 officer(s) purged" in said and "2 officer(s) purged" in said
        assert await mentions(store, [u.email for u in OFFICERS.values()]) == []
        assert await mentions(store, [*BETWEEN, KIM_TOPIC, LEFT_TOPIC, LEFT, LEFT_ID]) == []
        assert await run_cli(monkeypatch, database_url, "retention") == 0
        assert "no set is due" in capsys.readouterr().out
        monkeypatch.setenv("ALS_RETENTION_DAYS", "soon")
        assert await run_cli(monkeypatch, database_url, "retention") == 2
        assert "ALS_RETENTION_DAYS must be a whole number" in capsys.readouterr().err
    finally:
        await store.close()
