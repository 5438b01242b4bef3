"""Retries, throttling and the per-mailbox limit, with faults injected by the Graph stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kiota_http.middleware.middleware import REQUEST_OPTIONS_KEY

from bot.config import graph_settings
from graph.client import (
    MAILBOX_CONCURRENCY,
    GraphRetry,
    MailboxLimit,
    RetryPolicy,
    StaticTokenCredential,
    http_client_of,
    middleware_of,
    open_client,
)
from graph.errors import GraphError
from graph.meetings import EventSpec, Invitee, create_session_event, find_online_meeting
from tests.standins.graph import ORGANISER, STATIC_TOKEN, Faults, GraphStandin

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=5, connect_timeout=5)
START = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)


def spec(set_key: str = "adaptation-thu", session: int = 1) -> EventSpec:
    start = START + timedelta(weeks=3 * (session - 1))
    return EventSpec(set_key, session, f"Adaptation set: session {session}", start,
                     start + timedelta(minutes=90), [Invitee("a.officer@bristol.gov.uk")],
                     "<p>Ground rules</p>")


@pytest.fixture
async def standin() -> AsyncIterator[GraphStandin]:
    async with GraphStandin() as graph:
        yield graph


async def client_for(standin: GraphStandin, policy: RetryPolicy = FAST) -> Any:
    settings = graph_settings(standin.env())
    return open_client(settings, StaticTokenCredential(STATIC_TOKEN), policy)


@pytest.mark.slow
async def test_throttling_at_30_percent_completes_without_duplicates() -> None:
    async with GraphStandin(faults=Faults(seed=7, throttle_rate=0.3, retry_after=(0, 1))) as g:
        async with await client_for(g) as client:
            specs = [spec(f"set-{n}", s) for n in range(4) for s in (1, 2, 3)]
            created = await asyncio.gather(
                *(create_session_event(client, ORGANISER, one) for one in specs))
            found = await asyncio.gather(
                *(find_online_meeting(client, ORGANISER, c.join_url) for c in created))
            retries = middleware_of(client, GraphRetry).retries

    assert g.faults_served["throttle"] > 0
    assert len(g.events) == len(specs) == len({c.event_id for c in created})
    assert len({f.meeting_id for f in found}) == len(specs)
    for one in specs:
        assert len(g.events_with_transaction(one.transaction_id)) == 1
    # Every throttled request was retried, and nothing else was sent.
    assert retries == g.faults_served["throttle"]
    assert sum(g.counts.values()) == 2 * len(specs) + retries


async def test_503_is_retried(standin: GraphStandin) -> None:
    standin.fail_next("unavailable", 2, route="POST ")
    async with await client_for(standin) as client:
        created = await create_session_event(client, ORGANISER, spec())
    assert standin.count("POST", "/events") == 3
    assert list(standin.events) == [created.event_id]


async def test_502_on_a_read_is_retried(standin: GraphStandin) -> None:
    async with await client_for(standin) as client:
        created = await create_session_event(client, ORGANISER, spec())
        standin.fail_next("bad_gateway", route="GET ")
        info = await find_online_meeting(client, ORGANISER, created.join_url)
    assert info.meeting_id == standin.meeting_by_join_url(created.join_url).id
    assert standin.count("GET", "/onlineMeetings") == 2


async def test_connection_dropped_after_the_create_is_retried_without_duplicate(
    standin: GraphStandin,
) -> None:
    standin.fail_next("drop", route="POST ")
    async with await client_for(standin) as client:
        created = await create_session_event(client, ORGANISER, spec())
    # The first POST created the event and lost its answer; the retry carried the same
    # transactionId and got the same event back.
    assert standin.count("POST", "/events") == 2
    assert list(standin.events) == [created.event_id]


async def test_a_timed_out_read_is_retried(standin: GraphStandin) -> None:
    impatient = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=0.3, connect_timeout=5)
    async with await client_for(standin, impatient) as client:
        created = await create_session_event(client, ORGANISER, spec())
        standin.fail_next("slow", route="GET ", seconds=1.0)
        info = await find_online_meeting(client, ORGANISER, created.join_url)
    assert info.chat_thread_id == standin.meeting_by_join_url(created.join_url).thread_id
    assert standin.count("GET", "/onlineMeetings") == 2


async def test_attempts_are_bounded(standin: GraphStandin) -> None:
    standin.fail_next("unavailable", 10, route="POST ")
    policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, timeout=5)
    async with await client_for(standin, policy) as client:
        with pytest.raises(GraphError) as caught:
            await create_session_event(client, ORGANISER, spec())
    assert caught.value.status == 503
    assert "nothing was duplicated" in caught.value.admin_message
    assert standin.count("POST", "/events") == 3
    assert standin.events == {}


async def test_a_retry_after_beyond_the_limit_is_reported_not_waited(
    standin: GraphStandin,
) -> None:
    standin.fail_next("throttle", route="POST ", retry_after=600)
    async with await client_for(standin) as client:
        with pytest.raises(GraphError) as caught:
            await create_session_event(client, ORGANISER, spec())
    assert caught.value.status == 429
    assert standin.count("POST", "/events") == 1


async def test_a_post_not_marked_replayable_is_retried_on_429_only(standin: GraphStandin) -> None:
    async with await client_for(standin) as client:
        http = http_client_of(client)
        url = f"{standin.base_url}/users/{ORGANISER}/events"
        headers = {"Authorization": f"Bearer {STATIC_TOKEN}"}
        body = {"subject": "x", "start": {"dateTime": "2026-05-12T09:30:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-05-12T11:00:00", "timeZone": "UTC"}, "attendees": []}
        # Requests without kiota's options bypass the middleware; an empty set goes through it.
        extensions: dict[str, Any] = {REQUEST_OPTIONS_KEY: {}}

        standin.fail_next("unavailable", route="POST ")
        refused = await http.post(url, json=body, headers=headers, extensions=extensions)
        standin.fail_next("throttle", route="POST ")
        accepted = await http.post(url, json=body, headers=headers, extensions=extensions)

    assert (refused.status_code, accepted.status_code) == (503, 201)
    assert standin.count("POST", "/events") == 3
    assert len(standin.events) == 1


async def test_requests_to_one_mailbox_stay_within_four_at_once() -> None:
    async with GraphStandin(faults=Faults(slow_rate=1.0, slow_seconds=0.05)) as g:
        async with await client_for(g) as client:
            limit = middleware_of(client, MailboxLimit)
            created = await create_session_event(client, ORGANISER, spec())
            await asyncio.gather(
                *(find_online_meeting(client, ORGANISER, created.join_url) for _ in range(20)))
    assert limit.limit == MAILBOX_CONCURRENCY == 4
    assert g.peak_in_flight[ORGANISER.lower()] == 4
    assert g.count("GET", "/onlineMeetings") == 20


def test_mailbox_key_comes_from_the_users_segment() -> None:
    assert MailboxLimit.mailbox("/v1.0/users/ALS-Admin@lga.example/events") == (
        "als-admin@lga.example")
    assert MailboxLimit.mailbox("/v1.0/chats/19:abc@thread.v2/installedApps") is None


def test_backoff_is_jittered_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    delays = [policy.backoff(attempt) for attempt in range(1, 10) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 100
    assert max(policy.backoff(1) for _ in range(200)) <= 1.0
