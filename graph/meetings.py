"""Session meetings: one calendar event with its own Teams meeting per session, and its chat.

Why one event per session, not one recurring series: all occurrences of a recurring series
share one join link, one online meeting and one meeting chat, so Graph would give a single
attendance-report list for the whole set and one chat for every session. A set's sessions are
also irregular (dates chosen with the councils, often moved one at a time), which a series only
handles through exceptions. With one event per session each session has its own join link,
online meeting id, chat and attendance reports; moving or re-inviting touches only that
session; and a failed create can be retried for that session alone. The cost is three (or five)
invitations in each calendar instead of one, which is what invited officers see anyway.

Every function takes the `GraphServiceClient` from `graph.client` and plain values, and raises
`GraphError` for a permanent failure. The values they take and give are the features' Graph port's
(`bot.features.graph_port`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.features.graph_port import (
    CreatedEvent,
    EventSpec,
    GraphError,
    Installed,
    Invitee,
    OnlineMeetingInfo,
    RscPermission,
)
from graph.client import Replayable
from graph.errors import admin_message, graph_errors


def _utc(moment: datetime) -> Any:
    from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone

    if moment.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return DateTimeTimeZone(date_time=text, time_zone="UTC")


def _attendees(invitees: Sequence[Invitee]) -> list[Any]:
    from msgraph.generated.models.attendee import Attendee
    from msgraph.generated.models.attendee_type import AttendeeType
    from msgraph.generated.models.email_address import EmailAddress

    return [
        Attendee(
            email_address=EmailAddress(address=person.email, name=person.name or None),
            type=AttendeeType.Required,
        )
        for person in invitees
    ]


def _check_times(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    if end <= start:
        raise ValueError("a meeting must end after it starts")


async def create_session_event(client: Any, organiser: str, spec: EventSpec) -> CreatedEvent:
    """Create the session's event with a Teams meeting and send the invitations.

    The transactionId comes from the set key and session number, so a retried or repeated
    create returns the existing event instead of a second one.
    """
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.event import Event
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType

    _check_times(spec.start, spec.end)
    event = Event(
        subject=spec.subject,
        body=ItemBody(content_type=BodyType.Html, content=spec.body_html),
        start=_utc(spec.start),
        end=_utc(spec.end),
        attendees=_attendees(spec.attendees),
        is_online_meeting=True,
        online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
        allow_new_time_proposals=False,
        transaction_id=spec.transaction_id,
    )
    config: RequestConfiguration[Any] = RequestConfiguration(options=[Replayable()])
    events = client.users.by_user_id(organiser).events
    with graph_errors(area="events", action="create the session's meeting", organiser=organiser):
        created = await events.post(event, request_configuration=config)
        join_url = _join_url(created)
        if created is not None and created.id and not join_url:
            # Graph may answer before the Teams meeting is attached; it is there on a re-read.
            again = await events.by_event_id(created.id).get()
            join_url = _join_url(again)
    if created is None or not created.id or not join_url:
        raise GraphError(
            502, "NoJoinUrl",
            "Microsoft Graph created the event without a Teams meeting. Check that Teams "
            "meetings are allowed for the organiser mailbox (Teams meeting policy) and retry.",
        )
    return CreatedEvent(event_id=created.id, join_url=join_url, ical_uid=created.i_cal_u_id or "")


def _join_url(event: Any) -> str:
    meeting = getattr(event, "online_meeting", None)
    return str(getattr(meeting, "join_url", "") or "")


async def find_online_meeting(client: Any, organiser: str, join_url: str) -> OnlineMeetingInfo:
    """The online meeting behind a join link, with its chat thread id."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
        OnlineMeetingsRequestBuilder,
    )

    quoted = join_url.replace("'", "''")  # OData string literal
    query = OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters(
        filter=f"JoinWebUrl eq '{quoted}'"
    )
    config = RequestConfiguration(query_parameters=query)
    action = "find the session's online meeting"
    with graph_errors(area="meetings", action=action, organiser=organiser):
        found = await client.users.by_user_id(organiser).online_meetings.get(
            request_configuration=config
        )
    meetings = list(getattr(found, "value", None) or [])
    if not meetings or not meetings[0].id:
        raise GraphError(404, "MeetingNotFound", admin_message(
            404, "MeetingNotFound", area="meetings", action=action, organiser=organiser))
    meeting = meetings[0]
    thread = getattr(meeting.chat_info, "thread_id", None) or ""
    return OnlineMeetingInfo(meeting_id=meeting.id, chat_thread_id=thread)


async def set_attendees(
    client: Any, organiser: str, event_id: str, attendees: Sequence[Invitee]
) -> None:
    """Replace the invitees (Outlook sends invitations and cancellations). Only `attendees` is
    sent: patching the body would give the meeting a new join link."""
    from msgraph.generated.models.event import Event

    with graph_errors(area="events", action="update the meeting's invitees", organiser=organiser):
        await client.users.by_user_id(organiser).events.by_event_id(event_id).patch(
            Event(attendees=_attendees(attendees))
        )


async def move_event(
    client: Any, organiser: str, event_id: str, start: datetime, end: datetime
) -> None:
    """Move a session; only start and end are sent, so the join link stays."""
    from msgraph.generated.models.event import Event

    _check_times(start, end)
    with graph_errors(area="events", action="move the session's meeting", organiser=organiser):
        await client.users.by_user_id(organiser).events.by_event_id(event_id).patch(
            Event(start=_utc(start), end=_utc(end))
        )


async def install_app_in_chat(
    client: Any,
    chat_id: str,
    teams_app_id: str,
    rsc_permissions: Sequence[RscPermission],
) -> Installed:
    """Install the app (by its org-catalogue id) in a meeting chat, consenting to its RSC
    permissions. An app that is already there (409) counts as installed."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.models.teams_app_installation import TeamsAppInstallation
    from msgraph.generated.models.teams_app_permission_set import TeamsAppPermissionSet
    from msgraph.generated.models.teams_app_resource_specific_permission import (
        TeamsAppResourceSpecificPermission,
    )
    from msgraph.generated.models.teams_app_resource_specific_permission_type import (
        TeamsAppResourceSpecificPermissionType,
    )

    base = client.request_adapter.base_url.rstrip("/")
    installation = TeamsAppInstallation(
        consented_permission_set=TeamsAppPermissionSet(
            resource_specific_permissions=[
                TeamsAppResourceSpecificPermission(
                    permission_value=p.value,
                    permission_type=TeamsAppResourceSpecificPermissionType[p.kind],
                )
                for p in rsc_permissions
            ]
        ),
        additional_data={"teamsApp@odata.bind": f"{base}/appCatalogs/teamsApps/{teams_app_id}"},
    )
    # A repeat is harmless: the second install answers 409, which is success here.
    config: RequestConfiguration[Any] = RequestConfiguration(options=[Replayable()])
    try:
        with graph_errors(area="apps", action="install the app in the meeting chat"):
            await client.chats.by_chat_id(chat_id).installed_apps.post(
                installation, request_configuration=config
            )
    except GraphError as error:
        if error.status == 409:
            return Installed(chat_id=chat_id, already=True)
        raise
    return Installed(chat_id=chat_id)
