"""Runs the timed sweeps (commitment deadlines, later session timers) in every instance.

Each sweep decides under the store's lock and records what it did, so two instances running the
same sweep do not act twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.adapter.background import Background

log = logging.getLogger(__name__)

Sweep = Callable[[datetime], Awaitable[object]]


class Ticker(Background):
    name = "ticker"

    def __init__(self, sweeps: Sequence[tuple[str, Sweep]], *, interval: float = 60.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sweeps = list(sweeps)
        self.interval = interval
        self.clock = clock

    async def run_once(self) -> None:
        for name, sweep in self.sweeps:
            try:
                await sweep(self.clock())
            except Exception:
                log.exception("sweep failed", extra={"sweep": name})

    async def _run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)
