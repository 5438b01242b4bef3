"""Session meetings through msgraph-sdk against the local Graph stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import graph_settings
from bot.features.meetings_sync import meeting_body
from graph.client import RetryPolicy, StaticTokenCredential, close_client, open_client
from graph.errors import GraphError
from graph.meetings import (
    EventSpec,
    Invitee,
    RscPermission,
    create_session_event,
    find_online_meeting,
    install_app_in_chat,
    move_event,
    set_attendees,
)
from tests.standins.graph import (
    ORGANISER,
    ORGANISER_OBJECT_ID,
    STATIC_TOKEN,
    TEAMS_APP_ID,
    GraphStandin,
)

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=5, connect_timeout=5)
START = datetime(2026, 3, 3, 10, 30, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
async def standin() -> AsyncIterator[GraphStandin]:
    async with GraphStandin() as graph:
        yield graph


@pytest.fixture
async def client(standin: GraphStandin) -> AsyncIterator[Any]:
    settings = graph_settings(standin.env())
    async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), FAST) as graph:
        yield graph


def spec(session: int = 1, set_key: str = "procurement-2026-tue", **changes: Any) -> EventSpec:
    values: dict[str, Any] = {
        "set_key": set_key,
        "session_number": session,
        "subject": f"Sustainable Procurement set: session {session}",
        "start": START + timedelta(weeks=4 * (session - 1)),
        "end": START + timedelta(weeks=4 * (session - 1), minutes=90),
        "attendees": [Invitee("jo.bloggs@leeds.gov.uk", "Jo Bloggs"),
                      Invitee("sam.patel@kent.gov.uk")],
        "body_html": meeting_body("Sustainable Procurement", session, ["Refine your challenge."]),
    }
    return EventSpec(**(values | changes))


async def test_create_event_sends_a_valid_teams_meeting_and_returns_its_join_url(
    standin: GraphStandin, client: Any
) -> None:
    created = await create_session_event(client, ORGANISER, spec())

    stored = standin.events[created.event_id]
    assert created.join_url == standin.meetings[stored.meeting_id].join_url
    assert created.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert created.ical_uid == stored.ical_uid
    body = stored.body
    assert body["isOnlineMeeting"] is True
    assert body["onlineMeetingProvider"] == "teamsForBusiness"
    assert body["allowNewTimeProposals"] is False
    # 10:30 London in March is 10:30 GMT; sent as UTC.
    assert body["start"] == {"dateTime": "2026-03-03T10:30:00", "timeZone": "UTC"}
    assert body["end"]["dateTime"] == "2026-03-03T12:00:00"
    assert [a["emailAddress"]["address"] for a in body["attendees"]] == [
        "jo.bloggs@leeds.gov.uk", "sam.patel@kent.gov.uk"]
    assert {a["type"] for a in body["attendees"]} == {"required"}
    assert body["body"]["contentType"] == "html"
    assert "Chatham House" in body["body"]["content"]
    assert "Refine your challenge." in body["body"]["content"]
    assert body["transactionId"] == spec().transaction_id


async def test_summer_times_are_converted_to_utc(standin: GraphStandin, client: Any) -> None:
    summer = datetime(2026, 7, 7, 10, 30, tzinfo=ZoneInfo("Europe/London"))
    created = await create_session_event(
        client, ORGANISER, spec(start=summer, end=summer + timedelta(minutes=90)))
    assert standin.events[created.event_id].body["start"]["dateTime"] == "2026-07-07T09:30:00"


async def test_naive_or_backwards_times_are_refused_before_any_request(
    standin: GraphStandin, client: Any
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await create_session_event(client, ORGANISER, spec(start=datetime(2026, 3, 3, 10, 30)))
    with pytest.raises(ValueError, match="end after"):
        await create_session_event(client, ORGANISER, spec(end=START - timedelta(minutes=1)))
    assert standin.count("POST", "/events") == 0


async def test_repeated_create_with_the_same_transaction_id_makes_no_duplicate(
    standin: GraphStandin, client: Any
) -> None:
    first = await create_session_event(client, ORGANISER, spec())
    again = await create_session_event(client, ORGANISER, spec())
    other = await create_session_event(client, ORGANISER, spec(session=2))

    assert again == first
    assert other.event_id != first.event_id and other.join_url != first.join_url
    assert len(standin.events_with_transaction(spec().transaction_id)) == 1
    assert len(standin.events) == 2
    assert spec(revision=1).transaction_id != spec().transaction_id


async def test_join_url_missing_from_the_create_answer_is_read_back(client: Any) -> None:
    async with GraphStandin(late_join_url=True) as late:
        settings = graph_settings(late.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), FAST) as graph:
            created = await create_session_event(graph, ORGANISER, spec())
        assert created.join_url == late.meetings[late.events[created.event_id].meeting_id].join_url
        assert late.count("GET", "/events/{event}") == 1


async def test_an_event_that_never_gets_a_join_url_is_an_admin_error() -> None:
    async with GraphStandin(teams_meetings=False) as graph:
        settings = graph_settings(graph.env())
        async with open_client(settings, StaticTokenCredential(STATIC_TOKEN), FAST) as client:
            with pytest.raises(GraphError) as caught:
                await create_session_event(client, ORGANISER, spec())
    assert caught.value.code == "NoJoinUrl"
    assert "Teams meeting policy" in caught.value.admin_message


async def test_find_online_meeting_and_its_chat(standin: GraphStandin, client: Any) -> None:
    created = await create_session_event(client, ORGANISER, spec())
    await create_session_event(client, ORGANISER, spec(session=2))

    info = await find_online_meeting(client, ORGANISER, created.join_url)

    meeting = standin.meeting_by_join_url(created.join_url)
    assert info.meeting_id == meeting.id
    assert info.chat_thread_id == meeting.thread_id
    assert info.chat_thread_id.startswith("19:meeting_")


async def test_organiser_by_object_id_works_too(standin: GraphStandin, client: Any) -> None:
    created = await create_session_event(client, ORGANISER_OBJECT_ID, spec())
    info = await find_online_meeting(client, ORGANISER_OBJECT_ID, created.join_url)
    assert info.meeting_id == standin.meeting_by_join_url(created.join_url).id


async def test_unknown_join_url_is_a_404_graph_error(client: Any) -> None:
    with pytest.raises(GraphError) as caught:
        await find_online_meeting(client, ORGANISER, "https://teams.microsoft.com/l/x?it's")
    assert caught.value.status == 404
    assert "GRAPH_ORGANISER" in caught.value.admin_message


async def test_set_attendees_patches_only_attendees(standin: GraphStandin, client: Any) -> None:
    created = await create_session_event(client, ORGANISER, spec())
    people = [Invitee("new.officer@york.gov.uk", "New Officer"), Invitee("jo.bloggs@leeds.gov.uk")]

    await set_attendees(client, ORGANISER, created.event_id, people)

    stored = standin.events[created.event_id]
    assert [set(patch) - {"@odata.type"} for patch in stored.patches] == [{"attendees"}]
    assert [a["emailAddress"]["address"] for a in stored.body["attendees"]] == [
        "new.officer@york.gov.uk", "jo.bloggs@leeds.gov.uk"]
    # The join link is unchanged: the body was never sent.
    assert standin.meetings[stored.meeting_id].join_url == created.join_url


async def test_move_event_patches_only_start_and_end(standin: GraphStandin, client: Any) -> None:
    created = await create_session_event(client, ORGANISER, spec())
    later = START + timedelta(days=2, hours=3)

    await move_event(client, ORGANISER, created.event_id, later, later + timedelta(minutes=90))

    stored = standin.events[created.event_id]
    assert [set(patch) - {"@odata.type"} for patch in stored.patches] == [{"start", "end"}]
    assert stored.body["start"]["dateTime"] == "2026-03-05T13:30:00"
    assert stored.body["end"]["dateTime"] == "2026-03-05T15:00:00"
    assert standin.meetings[stored.meeting_id].join_url == created.join_url


async def test_install_app_in_chat_with_rsc_consent_and_409_is_success(
    standin: GraphStandin, client: Any
) -> None:
    created = await create_session_event(client, ORGANISER, spec())
    info = await find_online_meeting(client, ORGANISER, created.join_url)
    rsc = [RscPermission("OnlineMeeting.ReadBasic.Chat"),
           RscPermission("OnlineMeetingParticipant.Read.Chat"),
           RscPermission("ChatMessage.Read.Chat", "Delegated")]

    first = await install_app_in_chat(client, info.chat_thread_id, TEAMS_APP_ID, rsc)
    second = await install_app_in_chat(client, info.chat_thread_id, TEAMS_APP_ID, rsc)

    assert (first.already, second.already) == (False, True)
    installed = standin.chats[info.chat_thread_id][TEAMS_APP_ID]
    assert [(p["permissionValue"], p["permissionType"]) for p in installed.permissions] == [
        ("OnlineMeeting.ReadBasic.Chat", "application"),
        ("OnlineMeetingParticipant.Read.Chat", "application"),
        ("ChatMessage.Read.Chat", "delegated"),
    ]
    assert standin.count("POST", "/installedApps") == 2


async def test_install_of_an_app_missing_from_the_catalogue_fails(
    standin: GraphStandin, client: Any
) -> None:
    created = await create_session_event(client, ORGANISER, spec())
    info = await find_online_meeting(client, ORGANISER, created.join_url)
    with pytest.raises(GraphError) as caught:
        await install_app_in_chat(client, info.chat_thread_id, "not-in-catalogue", [])
    assert caught.value.status == 404


async def test_403_names_the_permissions_and_the_access_policy(
    standin: GraphStandin, client: Any
) -> None:
    standin.force("/onlineMeetings", 403, "Forbidden")
    created = await create_session_event(client, ORGANISER, spec())
    with pytest.raises(GraphError) as caught:
        await find_online_meeting(client, ORGANISER, created.join_url)
    error = caught.value
    assert (error.status, error.code) == (403, "Forbidden")
    for needed in ("OnlineMeetings.ReadWrite.All", "Calendars.ReadWrite",
                   "OnlineMeetingArtifact.Read.All",
                   "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
                   "New-CsApplicationAccessPolicy", "Grant-CsApplicationAccessPolicy"):
        assert needed in error.admin_message
    assert str(error) == error.admin_message
    # A permanent error is not retried.
    assert standin.count("GET", "/onlineMeetings") == 1


async def test_unknown_organiser_is_a_404_naming_the_setting(client: Any) -> None:
    with pytest.raises(GraphError) as caught:
        await create_session_event(client, "nobody@lga.example", spec())
    assert caught.value.status == 404
    assert "GRAPH_ORGANISER" in caught.value.admin_message


async def test_a_rejected_token_is_a_401_about_credentials(standin: GraphStandin) -> None:
    settings = graph_settings(standin.env())
    async with open_client(settings, StaticTokenCredential("forged"), FAST) as graph:
        with pytest.raises(GraphError) as caught:
            await create_session_event(graph, ORGANISER, spec())
    assert caught.value.status == 401
    assert "AZURE_CLIENT_ID" in caught.value.admin_message
    assert standin.events == {}


async def test_the_token_reaches_the_stand_in_only_for_its_host(standin: GraphStandin) -> None:
    # A client whose allowed host differs from the base URL's sends no token: kiota's silent
    # failure that `make_client` avoids by deriving allowed_hosts from GRAPH_BASE_URL.
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient

    auth = AzureIdentityAuthenticationProvider(
        StaticTokenCredential(STATIC_TOKEN), allowed_hosts=["graph.microsoft.com"])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = standin.base_url
    graph = GraphServiceClient(request_adapter=adapter)
    try:
        with pytest.raises(GraphError) as caught:
            await create_session_event(graph, ORGANISER, spec())
    finally:
        await close_client(graph)  # the adapter's own HTTP client, or its socket outlives the test
    assert caught.value.status == 401


async def test_sessions_of_one_set_are_created_concurrently_without_duplicates(
    standin: GraphStandin, client: Any
) -> None:
    specs = [spec(session=n) for n in (1, 2, 3)] * 2
    created = await asyncio.gather(*(create_session_event(client, ORGANISER, s) for s in specs))
    assert len({c.event_id for c in created}) == 3
    assert len({c.join_url for c in created}) == 3
    assert len(standin.events) == 3
    assert all(e.body["start"]["timeZone"] == "UTC" for e in standin.events.values())
    assert all(datetime.fromisoformat(e.body["start"]["dateTime"]).replace(tzinfo=UTC) >= START
               for e in standin.events.values())
