"""Start-up stays quick: what `als serve` has imported by the time it listens, and the warm-up after.

Start-up to `/readyz` is a benchmark figure (tests/bench_scale.py), never a timed assertion; these
tests keep the heavy modules from creeping back in front of it, which is how it would regress.
Each check runs in a fresh interpreter, since this one has imported everything already.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from bot.adapter import warm
from bot.adapter.warm import modules

ROOT = Path(__file__).resolve().parent.parent

# Imported by the commands and features that need them, or by the warm-up once the bot listens:
# Alembic (a database at head, or a fresh SQLite one, needs none), the manifest's JSON Schema and
# Pillow, the report's Jinja2, matplotlib and openpyxl, Microsoft Graph's SDK with its HTTP and
# identity stacks (graph/ imports them on the first call), and PostgreSQL's dialect on SQLite.
HEAVY = ("alembic", "mako", "manifest.package", "jsonschema", "PIL", "jinja2", "matplotlib", "openpyxl",
         "msgraph", "msgraph_core", "kiota_abstractions", "kiota_http", "azure.identity", "httpx",
         "graph.client", "graph.service", "bot.report.charts", "sqlalchemy.dialects.postgresql", "asyncpg")
# The Bot Framework SDK is for proactive messages only (bot.adapter.proactive), warmed up after.
# PyYAML is here, not above: only programme files need it, but botbuilder.core's jsonpickle imports it.
SDK = ("botbuilder", "botframework", "msrest", "msal", "requests", "oauthlib", "yaml")
GRAPH_ENV = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s",
             "GRAPH_ORGANISER": "als@lga.gov.uk", "GRAPH_TEAMS_APP_ID": "app",
             # Nothing may reach Microsoft from a test: loopback, where nothing listens.
             "GRAPH_BASE_URL": "http://127.0.0.1:9/v1.0", "AZURE_AUTHORITY_HOST": "http://127.0.0.1:9"}

# Runs `als serve` with the warm-up replaced by a probe: it checks the port is already listening,
# records what is imported at that moment, whether Graph would be warmed and whether the garbage
# collector is back on (start-up turns it off), then stops the bot.
SERVE_PROBE = """
import gc, json, os, signal, socket, sys
import bot.adapter.app as app
port, out = int(sys.argv[1]), sys.argv[2]
def probe(*, graph):
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    with open(out, "w") as f:
        json.dump({"graph": graph, "gc": gc.isenabled(), "modules": sorted(sys.modules)}, f)
    os.kill(os.getpid(), signal.SIGTERM)
app.warm_up = probe
from bot.cli import main
sys.exit(main(["serve", "--port", str(port)]))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("Microsoft", "ToBot", "ToChannel", "AZURE_", "GRAPH_"))}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'als.sqlite3'}", "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING", **extra}


def _imported_by(code: str, tmp_path: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, timeout=120, check=True)
    return list(json.loads(done.stdout))


def _served(tmp_path: Path, **extra: str) -> tuple[bool, list[str]]:
    """Whether serve would warm Graph up, and what it had imported when it was listening."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    out = tmp_path / "probe.json"
    done = subprocess.run([sys.executable, "-c", SERVE_PROBE, str(port), str(out)], cwd=tmp_path,
                          env=_env(tmp_path, **extra), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    probed = json.loads(out.read_text())
    assert probed["gc"] is True, "the garbage collector is still off once the bot listens"
    return bool(probed["graph"]), list(probed["modules"])


def _among(found: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in found if any(m == n or m.startswith(n + ".") for n in names))


IMPORT_APP = "import bot.adapter.app, json, sys; print(json.dumps(sorted(sys.modules)))"


@pytest.mark.slow
def test_importing_the_app_imports_none_of_the_heavy_modules(tmp_path: Path) -> None:
    found = _imported_by(IMPORT_APP, tmp_path)
    assert "bot.adapter.app" in found
    assert _among(found, HEAVY) == []


@pytest.mark.slow
@pytest.mark.parametrize("graph", [False, True], ids=["graph off", "graph on"])
def test_serve_listens_on_a_fresh_database_before_importing_the_heavy_modules(
        tmp_path: Path, graph: bool) -> None:
    warms_graph, found = _served(tmp_path, **(GRAPH_ENV if graph else {}))
    assert warms_graph is graph  # Graph's SDK is warmed up when, and only when, it is on
    assert "bot.adapter.app" in found and "bot.store.sql" in found
    assert _among(found, HEAVY) == []


@pytest.mark.slow
def test_serve_listens_on_a_database_at_head_without_alembic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], cwd=tmp_path, env=_env(tmp_path),
                   capture_output=True, timeout=120, check=True)
    assert _among(_served(tmp_path)[1], ("alembic",)) == []


@pytest.mark.slow
def test_serve_listens_before_importing_the_bot_framework_sdk(tmp_path: Path) -> None:
    assert _among(_served(tmp_path)[1], SDK) == []


def test_the_checks_would_catch_a_heavy_import(tmp_path: Path) -> None:
    found = _imported_by("import bot.adapter.app, jinja2, alembic.command, json, sys; "
                         "print(json.dumps(sorted(sys.modules)))", tmp_path)
    assert {"jinja2", "alembic", "alembic.command"} <= set(_among(found, HEAVY))


@pytest.mark.slow
def test_the_warm_up_imports_the_sdks_the_bot_needs_later(tmp_path: Path) -> None:
    wanted = modules(graph=True)
    code = ("import json, sys; from bot.adapter.warm import warm_up; warm_up(graph=True).join(); "
            "print(json.dumps(sorted(sys.modules)))")
    missing = sorted(set(wanted) - set(_imported_by(code, tmp_path)))
    assert missing == [], f"the warm-up did not import {missing} (moved in a newer SDK?)"
    assert {"botbuilder.integration.aiohttp", "msgraph.graph_service_client"} <= set(wanted)


async def test_a_call_before_the_warm_up_is_done_waits_off_the_event_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A module whose import lasts until the test lets it finish (at most 5 seconds).
    gate = types.ModuleType("als_test_gate")
    gate.event = threading.Event()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "als_test_gate", gate)
    (tmp_path / "als_test_slow.py").write_text("import als_test_gate\nals_test_gate.event.wait(5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "als_test_slow", raising=False)
    thread = threading.Thread(target=importlib.import_module, args=("als_test_slow",), daemon=True)
    monkeypatch.setattr(warm, "_running", thread)
    thread.start()
    waiting = asyncio.create_task(warm.imported(["als_test_slow"]))
    await asyncio.sleep(0.05)  # comes back only if the event loop is not held by the import
    assert not waiting.done() and not gate.event.is_set()
    gate.event.set()
    await waiting
    assert "als_test_slow" in sys.modules


async def test_what_the_warm_up_did_not_import_is_imported_on_a_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "als_test_late.py").write_text("import threading\nTHREAD = threading.current_thread()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "als_test_late", raising=False)
    monkeypatch.setattr(warm, "_running", None)
    await warm.imported(["als_test_late"])
    assert sys.modules["als_test_late"].THREAD is not threading.main_thread()
