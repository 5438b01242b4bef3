"""The meeting page's colours meet WCAG AA contrast (4.5:1 for text) in each of Teams' themes."""

from __future__ import annotations

import re

import pytest

from bot.adapter.live_web import STATIC

CSS = (STATIC / "live.css").read_text(encoding="utf-8")
# (text, background) pairs the page draws.
PAIRS = [("fg", "bg"), ("subtle", "bg"), ("fg", "panel"), ("subtle", "panel"), ("warn-fg", "warn-bg"),
         ("urgent-fg", "urgent-bg"), ("over-fg", "over-bg"), ("accent-fg", "accent"), ("danger", "bg")]


def palette(theme: str) -> dict[str, str]:
    block = re.search(r"\.theme-" + theme + r"\s*\{([^}]*)\}", CSS)
    assert block, theme
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block.group(1)))


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
def test_every_text_colour_has_enough_contrast(theme: str) -> None:
    colours = palette(theme)
    low = {f"{fg} on {bg}": round(contrast(colours[fg], colours[bg]), 2) for fg, bg in PAIRS
           if contrast(colours[fg], colours[bg]) < 4.5}
    assert low == {}


def test_the_check_finds_poor_contrast() -> None:
    assert contrast("#777777", "#888888") < 4.5 < contrast("#000000", "#ffffff")
