"""The session store on SQLite and PostgreSQL: runs saved by compare-and-set, actions, reviews,
reflections kept without names, presence and per-series timings."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.rules import booking as b
from bot.rules import session as s
from bot.rules.airtime import AirtimeSettings, PhaseShares
from bot.rules.records import ActionItem, ActionReview, Reflection, SessionRun
from bot.store.base import BookChange, Notice
from bot.store.sql import SqlStore
from tests.programmes import programme

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
SET = "adaptation-wed"


async def with_team(store: SqlStore) -> str:
    await store.save_programme(programme(), NOW)
    team_id = uuid.uuid4().hex
    event = b.Nominate(
        set_key=SET, team_id=team_id, council="leeds", council_name="Leeds City Council",
        officers=(b.Officer("alex@leeds.gov.uk", "Alex", "sustainability", "aad-1", NOW),),
        idempotency_key="k1", by=b.Who("aad-1", "alex@leeds.gov.uk"), at=NOW,
    )

    def change(book: b.Book) -> BookChange:
        after, effects = b.decide(book, event)
        return BookChange(after, effects)

    await store.change_book("adaptation", change, NOW)
    return team_id


def started(order: tuple[str, ...] = ("t1", "t2", "t3")) -> s.SessionState:
    return s.apply(s.SessionState(), s.Start(order), NOW).state


async def test_a_run_is_saved_once_and_then_only_over_the_version_it_read(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    state = started()
    run = SessionRun(SET, 1, "19:chat", state)
    assert await store.save_session_run(run, None, [], NOW)
    assert not await store.save_session_run(run, None, [], NOW)  # a second start loses
    moved = s.apply(state, s.Next(), NOW + timedelta(minutes=5)).state
    assert await store.save_session_run(replace(run, state=moved), state.version, [], NOW)
    # A stale writer (it read the first version) changes nothing and queues nothing.
    stale = s.apply(state, s.Pause(), NOW).state
    notice = Notice("user:aad-1", {"text": "hi"}, "stale-notice")
    assert not await store.save_session_run(replace(run, state=stale), state.version, [notice], NOW)
    assert await store.claim_due(NOW + timedelta(hours=1), 60, 10) == []
    loaded = await store.session_run(SET, 1)
    assert loaded is not None and loaded.state == moved and loaded.chat_id == "19:chat"
    assert (await store.session_run_in_chat("19:chat")) == loaded
    assert [r.number for r in await store.session_runs_of(SET)] == [1]


async def test_of_concurrent_saves_over_one_version_exactly_one_wins(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    state = started()
    run = SessionRun(SET, 1, "19:chat", state)
    await store.save_session_run(run, None, [], NOW)
    tries = [replace(run, state=s.apply(state, s.Extend(n), NOW).state) for n in range(1, 9)]
    results = await asyncio.gather(*(store.save_session_run(r, state.version, [], NOW) for r in tries))
    assert sum(results) == 1


async def test_due_runs_follow_the_clock_and_the_card_id_is_kept(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    state = started()
    await store.save_session_run(SessionRun(SET, 1, "19:chat", state), None, [], NOW)
    due = s.next_due(state)
    assert due is not None
    assert await store.due_session_runs(due - timedelta(seconds=1)) == []
    assert [r.number for r in await store.due_session_runs(due)] == [1]
    await store.set_session_card(SET, 1, "m42")
    assert (await store.session_run(SET, 1)).card_activity_id == "m42"  # type: ignore[union-attr]
    ended = s.apply(state, s.End(), NOW).state
    await store.save_session_run(SessionRun(SET, 1, "19:chat", ended), state.version, [], NOW)
    assert await store.due_session_runs(due + timedelta(days=1)) == []


async def test_the_running_run_is_the_chats_run(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    ended = s.apply(started(), s.End(), NOW).state
    await store.save_session_run(SessionRun(SET, 1, "19:chat", ended), None, [], NOW + timedelta(hours=1))
    await store.save_session_run(SessionRun(SET, 2, "19:chat", started()), None, [], NOW)
    assert (await store.session_run_in_chat("19:chat")).number == 2  # type: ignore[union-attr]
    assert await store.session_run_in_chat("19:other") is None


async def test_actions_are_replaced_and_reviewed(store: SqlStore) -> None:
    team = await with_team(store)
    await store.save_actions(SET, team, 1, "Alex@Leeds.gov.uk", ["a", " ", "b", "c", "d", "e", "f"], NOW)
    assert [i.text for i in await store.actions_of(SET, team, 1)] == ["a", "b", "c", "d", "e"]
    await store.save_actions(SET, team, 1, "alex@leeds.gov.uk", ["Talk to finance", "Draft the plan"], NOW)
    assert await store.actions_of(SET, team, 1) == [ActionItem(1, "Talk to finance"),
                                                     ActionItem(2, "Draft the plan")]
    review = ActionReview(((1, "done"), (2, "partly")), "Finance came", "Too little time", "Ask early")
    await store.save_review(SET, team, 1, review, "alex@leeds.gov.uk", NOW)
    assert await store.review_of(SET, team, 1) == review
    assert [i.status for i in await store.actions_of(SET, team, 1)] == ["done", "partly"]
    assert await store.review_of(SET, team, 2) is None


async def test_reflections_are_kept_once_per_member_and_without_names(store: SqlStore) -> None:
    await store.save_programme(programme(), NOW)
    assert await store.add_reflection(SET, 1, "aad-2", [("team", "We listen"), ("individual", "Zzz")])
    assert not await store.add_reflection(SET, 1, "AAD-2", [("team", "again")])
    assert await store.add_reflection(SET, 1, "aad-1", [("team", "Asking helps"), ("individual", " ")])
    assert await store.reflections(SET, 1) == [
        Reflection("individual", "Zzz"), Reflection("team", "Asking helps"), Reflection("team", "We listen")]
    assert await store.reflections(SET, 2) == []


async def test_presence_and_series_timings(store: SqlStore) -> None:
    await store.set_presence("19:chat", "AAD-1", True, NOW)
    await store.set_presence("19:chat", "aad-1", False, NOW)
    await store.set_presence("19:chat", "aad-2", True, NOW)
    assert await store.presence("19:chat") == {"aad-1": False, "aad-2": True}
    assert await store.airtime_settings("adaptation") == AirtimeSettings()
    custom = AirtimeSettings(opening_seconds=240, shares=PhaseShares(0.1, 0.3, 0.45, 0.15))
    await store.save_airtime_settings("adaptation", custom)
    await store.save_airtime_settings("adaptation", custom)
    assert await store.airtime_settings("adaptation") == custom
