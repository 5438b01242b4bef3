"""Microsoft Graph inside the running bot: the periodic meeting sync, the admin's "create" button
and the attendance sweep.

Present only when Graph is configured; slow Graph work runs after the card action has been
answered, and its outcome reaches the admin as a proactive message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.adapter.warm import GRAPH_MODULES, imported
from bot.config import AttendanceSettings
from bot.features import attendance_collect, meetings_sync
from bot.store.base import Notice, Store
from graph.settings import GraphSettings

if TYPE_CHECKING:
    from graph.service import GraphService

# graph/ and the SDKs under it are imported on the first Graph call (or by the warm-up once the
# bot listens, bot.adapter.warm), not at start-up.

log = logging.getLogger(__name__)


class GraphMeetings:
    def __init__(
        self,
        settings: GraphSettings,
        store: Store,
        kick: Callable[[], None],
        clock: Callable[[], datetime],
        *,
        sync_seconds: float = 300.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.kick = kick
        self.clock = clock
        self.sync_seconds = sync_seconds
        self._graph: GraphService | None = None
        self._last_sync = float("-inf")
        self._tasks: set[asyncio.Task[None]] = set()

    def graph(self) -> GraphService:
        if self._graph is None:
            from graph.client import make_client
            from graph.service import GraphService

            self._graph = GraphService(make_client(self.settings), self.settings)
        return self._graph

    async def sweep(self, now: datetime) -> None:
        """Roster and time changes reach the invitations of sessions to come."""
        if time.monotonic() - self._last_sync < self.sync_seconds:
            return
        self._last_sync = time.monotonic()
        await imported(GRAPH_MODULES)
        for report in await meetings_sync.sync_all(self.store, self.graph(), now):
            if report.error is not None:
                log.warning(
                    "meeting sync stopped", extra={"set": report.set_key, "status": report.error.status}
                )

    def create(self, set_key: str, notify: str) -> None:
        task = asyncio.create_task(self._create(set_key, notify), name=f"meetings:{set_key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _create(self, set_key: str, notify: str) -> None:
        try:
            await imported(GRAPH_MODULES)
            report = await meetings_sync.sync_set(self.store, self.graph(), set_key, self.clock())
            text = "\n\n".join(report.lines())
        except Exception as error:
            log.exception("meeting creation failed", extra={"set": set_key})
            text = f"Creating the meetings for {set_key} failed ({type(error).__name__}); please try again."
        await self.store.enqueue([Notice(notify, {"text": text})], self.clock())
        self.kick()

    async def close(self) -> None:
        for task in list(self._tasks):
            await asyncio.wait([task], timeout=30)
        if self._graph is not None:
            from graph.client import close_client

            await close_client(self._graph.client)


class GraphAttendance:
    """The attendance sweep as the bot's ticker runs it; each round opens its own Graph client."""

    def __init__(self, graph: GraphSettings, settings: AttendanceSettings, store: Store,
                 kick: Callable[[], None], credential: Any = None) -> None:
        self.graph = graph
        self.settings = settings
        self.store = store
        self.kick = kick
        self.credential = credential

    async def sweep(self, now: datetime) -> Sequence[tuple[str, int, str]]:
        await imported(GRAPH_MODULES)
        from graph.service import open_graph

        return await attendance_collect.sweep(
            self.store, lambda: open_graph(self.graph, self.credential), self.settings, now, kick=self.kick)
