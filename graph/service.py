"""The features' Graph port (`bot.features.graph_port`) implemented with msgraph-sdk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from bot.features.graph_port import (
    CreatedEvent,
    EventSpec,
    Installed,
    Invitee,
    OnlineMeetingInfo,
    RscPermission,
    SessionReports,
)
from graph import attendance, meetings
from graph.client import RetryPolicy, open_client
from graph.settings import GraphSettings


class GraphService:
    """One `GraphServiceClient` acting for the organiser mailbox of `settings`."""

    def __init__(self, client: Any, settings: GraphSettings) -> None:
        self.client = client
        self.settings = settings

    async def create_event(self, spec: EventSpec) -> CreatedEvent:
        return await meetings.create_session_event(self.client, self.settings.organiser, spec)

    async def set_attendees(self, event_id: str, attendees: Sequence[Invitee]) -> None:
        await meetings.set_attendees(self.client, self.settings.organiser, event_id, attendees)

    async def move_event(self, event_id: str, start: datetime, end: datetime) -> None:
        await meetings.move_event(self.client, self.settings.organiser, event_id, start, end)

    async def find_meeting(self, join_url: str) -> OnlineMeetingInfo:
        return await meetings.find_online_meeting(self.client, self.settings.organiser, join_url)

    async def install_app(self, chat_id: str, permissions: Sequence[RscPermission]) -> Installed:
        return await meetings.install_app_in_chat(
            self.client, chat_id, self.settings.teams_app_id, permissions)

    async def read_attendance(self, meeting_id: str, start: datetime, end: datetime,
                              page_size: int | None = None) -> SessionReports:
        return await attendance.read_session(
            self.client, self.settings.organiser, meeting_id, start, end, page_size)


@asynccontextmanager
async def open_graph(
    settings: GraphSettings, credential: Any = None, policy: RetryPolicy | None = None
) -> AsyncIterator[GraphService]:
    """A `GraphService` on its own client, closed (HTTP client and credential) on leaving."""
    async with open_client(settings, credential, policy) as client:
        yield GraphService(client, settings)
