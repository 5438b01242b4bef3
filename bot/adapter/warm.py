"""Imports the SDKs the bot needs later on a thread once it listens, so that neither start-up nor
the first request that needs them pays for them.

msgraph's generated models take seconds to import and botbuilder with msrest about half a
second, and an import holds the event loop still while it runs. `serve` starts this after the
site is listening, so `/readyz` answers first; a proactive message or Graph call that comes before
the thread is done waits for it on a worker thread (`imported`), not on the event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import threading
import time
from collections.abc import Sequence

from bot.adapter.proactive import SDK_MODULES

log = logging.getLogger(__name__)

# What graph/ imports on its first call (request builders pull in most of the models).
GRAPH_MODULES = (
    "graph.service",
    "graph.mail",
    "msgraph_core",
    "msgraph_core.middleware",
    "msgraph.graph_request_adapter",
    "msgraph.graph_service_client",
    "msgraph.generated.models.event",
    "msgraph.generated.models.attendee",
    "msgraph.generated.models.teams_app_installation",
    "msgraph.generated.models.o_data_errors.o_data_error",
    "msgraph.generated.users.item.online_meetings.online_meetings_request_builder",
    "msgraph.generated.users.item.online_meetings.item.attendance_reports.item.attendance_records."
    "attendance_records_request_builder",
)


_running: threading.Thread | None = None


def _import(names: Sequence[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as missing:  # a newer SDK moved a module: the first call imports it
            log.info("warm-up skipped a module", extra={"module": name, "error": str(missing)})


def _import_all(names: Sequence[str]) -> None:
    started = time.perf_counter()
    _import(names)
    log.info("SDKs imported", extra={"seconds": round(time.perf_counter() - started, 2)})


async def imported(names: Sequence[str]) -> None:
    """Return once `names` are imported, waiting for the warm-up and importing on worker threads:
    a Graph call or a proactive message that comes first must not stop the event loop for it."""
    thread = _running
    if thread is not None and thread.is_alive():
        await asyncio.to_thread(thread.join)
    if any(name not in sys.modules for name in names):
        await asyncio.to_thread(_import, names)


def modules(*, graph: bool) -> tuple[str, ...]:
    """What to import: the Bot Framework SDK for proactive messages, and Graph's if it is on."""
    return SDK_MODULES + (GRAPH_MODULES if graph else ())


def warm_up(*, graph: bool) -> threading.Thread:
    """Start importing on a thread; returns it (a test may join it)."""
    global _running
    thread = threading.Thread(target=_import_all, args=(modules(graph=graph),), name="warm-up", daemon=True)
    thread.start()
    _running = thread
    return thread
