"""The README's Agents Playground route, followed end to end (tests/playground_walk.py).

It takes minutes and fetches the Playground from the npm registry, so it runs only when asked:
`ALS_PLAYGROUND_WALK=1 pytest tests/test_playground.py`, or `make playground`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.playground_walk import ROOT, missing_tools, walk


@pytest.mark.slow
def test_the_playground_route_reaches_the_admin_card(tmp_path: Path) -> None:
    if os.environ.get("ALS_PLAYGROUND_WALK") != "1":
        pytest.skip(reason="the Playground walk takes minutes and needs the npm registry: "
                           "it runs with ALS_PLAYGROUND_WALK=1 or make playground")
    if missing := missing_tools():
        pytest.skip(reason=f"the Playground walk needs {', '.join(missing)}; it runs where they are installed")
    shot = tmp_path / "admin-card.png"
    clock = walk(ROOT, tmp_path / "clone", shot)
    assert shot.stat().st_size > 0
    assert [name for name, _ in clock.steps][-1].startswith("admin card")
