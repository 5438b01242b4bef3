"""The Bot Framework SDK's `CloudAdapter` for proactive messages, made when first needed.

The courier's notices and the chats' cards go through the SDK (`continue_conversation`,
`create_conversation`), but a turn that arrives does not, so the bot can listen before the SDK is
imported: botbuilder and msrest take about half a second to import on a small machine. The warm-up
(bot.adapter.warm) imports them on a thread once the bot is listening; the first proactive message
imports them on a thread too if it comes first, so the event loop never stands still for them.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botbuilder.integration.aiohttp import CloudAdapter

    from bot.adapter.auth import ChannelAuthentication

# What a proactive message uses: the adapter, and the factories and schema the courier and the
# chats build activities with.
SDK_MODULES = ("botbuilder.integration.aiohttp", "botbuilder.core", "botbuilder.schema")


class Proactive:
    """Builds the adapter on the channel authentication once, on first use."""

    def __init__(self, auth: ChannelAuthentication,
                 on_error: Callable[[Any, Exception], Awaitable[None]] | None = None) -> None:
        self.auth = auth
        self.on_error = on_error
        self._adapter: CloudAdapter | None = None
        self._lock = threading.Lock()

    def now(self) -> CloudAdapter:
        """The adapter, imported and built here if need be (this blocks while it imports)."""
        with self._lock:
            if self._adapter is None:
                module = importlib.import_module("botbuilder.integration.aiohttp")
                from bot.adapter.sdk_auth import SdkAuthentication

                adapter: CloudAdapter = module.CloudAdapter(SdkAuthentication(self.auth))
                if self.on_error is not None:
                    adapter.on_turn_error = self.on_error
                self._adapter = adapter
            return self._adapter

    async def adapter(self) -> CloudAdapter:
        """The adapter; the first call imports the SDK on a worker thread."""
        if self._adapter is not None:
            return self._adapter
        return await asyncio.to_thread(self.now)
