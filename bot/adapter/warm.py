"""Imports the Microsoft Graph SDK in the background once the bot is ready, so that the first
Graph call in a person's request does not pay for it: msgraph's generated models take seconds to
import, and an import holds the event loop still while it runs."""

from __future__ import annotations

import importlib
import logging
import threading
import time

log = logging.getLogger(__name__)

# What graph/ imports on its first call (request builders pull in most of the models).
GRAPH_MODULES = (
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


def _import_all() -> None:
    started = time.perf_counter()
    for name in GRAPH_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as missing:  # a newer SDK moved a module: the first call imports it
            log.info("Graph warm-up skipped a module", extra={"module": name, "error": str(missing)})
    log.info("Graph SDK imported", extra={"seconds": round(time.perf_counter() - started, 2)})


def warm_graph() -> threading.Thread:
    """Start importing the Graph SDK on a thread; returns it (a test may join it)."""
    thread = threading.Thread(target=_import_all, name="graph-warm-up", daemon=True)
    thread.start()
    return thread
