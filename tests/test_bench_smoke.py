"""The benchmark runs (a second or two per scenario), so that it cannot rot; no figure is asserted.

What is asserted is that it measured something real: every scenario printed, every request of
every row answered without an error, every message's reply reached the Teams stand-in (in its own
process), and the rush's booking correct (exactly 12 confirmed, waiting lists in arrival order,
each officer told where the team stands). The bench checks these itself and exits 1 with a WRONG
line when one fails; the rows are read here too, so that a bench that stopped checking fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests import bench_scale

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\s*(?P<label>\S.*?)\s+(?P<rate>\d+)/s p50 .* err (?P<errors>\d+)\s+CPU\s+(?P<cpu>[\d.]+) ms/req")


@pytest.mark.slow
def test_the_benchmark_runs_every_scenario() -> None:
    done = subprocess.run([sys.executable, "-m", "tests.bench_scale", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    for scenario in ("card actions", "messages needing a reply, 16", "messages needing a reply, 64",
                     "booking rush", "start-up to /readyz", "idle resident memory"):
        assert scenario in done.stdout, done.stdout
    assert "WRONG" not in done.stdout, done.stdout
    assert "booking correct" in done.stdout, done.stdout
    assert "Teams stand-in in a process of its own" in done.stdout, done.stdout
    rows = [m for m in map(ROW.match, done.stdout.splitlines()) if m]
    labels = [m["label"].strip() for m in rows]
    # A, B for card actions and each of the two message rows; the rush has no baseline.
    assert labels.count("B: stock CloudAdapter bot") == 3, done.stdout
    for row in rows:
        assert int(row["rate"]) > 0 and int(row["errors"]) == 0, row.group(0)
    # The load generator's own cost is printed under each row.
    assert done.stdout.count("bench: client") == len(rows), done.stdout


async def test_the_plain_client_reads_every_kind_of_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--client plain` (not in the smoke run) against a real aiohttp server: answers with a
    length, chunked and empty all counted, refusals as errors, each activity id new."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        activity = await request.json()
        seen.append(activity["id"])
        if request.headers.get("Authorization") != "Bearer t0ken":
            return web.Response(status=401)
        if activity["kind"] == "chunked":
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for part in (b'{"a":', b' "b"}'):
                await response.write(part)
            await response.write_eof()
            return response
        if activity["kind"] == "empty":
            return web.Response(status=201)
        return web.json_response({"statusCode": 200, "value": "x" * 5000})

    app = web.Application()
    app.router.add_post("/api/messages", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/api/messages"
    monkeypatch.setattr(bench_scale, "CLIENT", "plain")
    try:
        templates = [bench_scale.Template({"kind": kind}) for kind in ("json", "chunked", "empty")]
        figures = await bench_scale.closed_loop([url], templates, "t0ken", 6, 0.3)
        assert figures.latencies and figures.errors == 0
        assert len(seen) == len(set(seen)) == len(figures.latencies)
        refused = await bench_scale.closed_loop([url], templates, "wrong", 2, 0.1)
        assert refused.errors and not refused.latencies
    finally:
        await runner.cleanup()
