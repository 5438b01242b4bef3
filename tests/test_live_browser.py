"""The meeting page in a real headless browser (Debian's chromium, driven by Playwright) against the
real bot server: a test host plays the Teams client's side of the Teams JavaScript SDK, Entra is
the Teams stand-in. The countdown ticks, a cue from the chat reaches the page, the facilitator's
controls work and nobody else sees them, a page without a valid token says how to open it in Teams.

Screenshots go to $ALS_SHOTS (default: a temporary folder): the side panel (320 px) and the stage.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.rules.airtime import AirtimeSettings, PhaseShares
from tests.live_harness import live_meeting, resource
from tests.standins.teams import TENANT, TeamsStandIn, User
from tests.transcript import FACILITATOR, MEMBER, Clock, Meeting, first_session_start

CHROMIUM = os.environ.get("ALS_CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium") or "/usr/bin/chromium")
HOST = Path(__file__).with_name("teams_host.html").read_text(encoding="utf-8")
TEAMS_ORIGIN = "https://teams.microsoft.com"
SIDE_PANEL = {"width": 320, "height": 760}
STAGE = {"width": 1280, "height": 720}
# As PLATFORM.md says: without these, chromium still looks up Google's hosts.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
         # The test host stands at Teams' public address while the bot is on loopback; in Teams the
         # page is public too, so chromium's local-network check has nothing to guard here.
         "--disable-features=LocalNetworkAccessChecks"]

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the test extras install it
    async_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(async_playwright is None,
                       reason="Playwright for Python is not installed (pip install -e '.[test]'); runs in CI"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does); runs in CI"),
]


def shots() -> Path:
    folder = Path(os.environ.get("ALS_SHOTS") or os.environ.get("TMPDIR", "/tmp")) / (
        "" if os.environ.get("ALS_SHOTS") else "als-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        await b.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(first_session_start())


@pytest.fixture
async def live(teams: TeamsStandIn, database_url: str, clock: Clock) -> AsyncIterator[Meeting]:
    bot, m, _ = await live_meeting(teams, database_url, clock)
    yield m
    await bot.runner.cleanup()


async def open_page(browser: Browser, m: Meeting, user: User | None, *, frame: str = "sidePanel",
                    theme: str = "default", token: str | None = None, size: dict[str, int] = SIDE_PANEL,
                    path: str = "") -> Page:
    """The meeting page inside the test host, as `user` would see it in Teams."""
    if user is not None and token is None:
        token = m.teams.sso_token(user, resource(m.teams))
    config = {"frameContext": frame, "theme": theme, "chatId": m.chat_id, "meetingId": "MCM-test",
              "userObjectId": user.aad_object_id if user else "", "tenantId": TENANT,
              "upn": user.email if user else "", "token": token or ""}
    html = HOST.replace("__SRC__", f"{m.bot.url}/meeting/{path}").replace("__CONFIG__", json.dumps(config))
    context = await browser.new_context(viewport=size)
    page = await context.new_page()

    async def host(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/html", body=html)

    await page.route(f"{TEAMS_ORIGIN}/**", host)
    if os.environ.get("ALS_BROWSER_DEBUG"):  # the page's console and failed requests, for a human
        page.on("console", lambda msg: print("console:", msg.text))
        page.on("requestfailed", lambda r: print("failed:", r.url, r.failure))
    await page.goto(f"{TEAMS_ORIGIN}/v2/meeting")
    return page


def app(page: Page) -> Any:
    frame = page.frame_locator("#app")
    return frame


async def text(page: Page, selector: str) -> str:
    return str(await app(page).locator(selector).inner_text())


async def wait_text(page: Page, selector: str, expected: str, timeout: float = 5000) -> None:
    await app(page).locator(selector, has_text=expected).wait_for(timeout=timeout)


async def seconds_on_clock(page: Page) -> int:
    shown = (await text(page, "#clock")).strip()
    sign = 1
    if shown.startswith("+"):
        sign, shown = -1, shown[1:]
    minutes, seconds = shown.split(":")
    return sign * (int(minutes) * 60 + int(seconds))


async def test_the_side_panel_ticks_and_follows_a_cue_from_the_chat(browser: Browser, live: Meeting) -> None:
    m = live
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")
    page = await open_page(browser, m, MEMBER)
    await wait_text(page, "#presenter", "Leeds City Council")
    assert "Wigan Council" in await text(page, "#next")
    assert "Presenting" in await text(page, "#phase")
    assert "OOAAT" in await text(page, "#rule")
    first = await seconds_on_clock(page)
    await page.wait_for_timeout(2300)
    later = await seconds_on_clock(page)
    assert 1 <= first - later <= 3  # it ticks every second, from the time the server gave
    assert (await text(page, "#announce")).strip() == ""  # screen readers hear the warnings only
    # Members see the view only.
    assert not await app(page).locator("#controls").is_visible()
    assert await app(page).locator("button[data-control]").filter(visible=True).count() == 0
    cued = time.monotonic()
    await m.say(FACILITATOR, "pass")  # a cue in the meeting chat
    await wait_text(page, "#presenter", "Wigan Council")
    print(f"\ncue in the chat to the page: {(time.monotonic() - cued) * 1000:.0f} ms")
    assert "Bury Council" in await text(page, "#next")


async def test_the_countdown_warns_at_two_minutes_and_thirty_seconds_and_shows_the_overrun(
        browser: Browser, live: Meeting) -> None:
    m = live
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")
    page = await open_page(browser, m, MEMBER)
    await wait_text(page, "#presenter", "Leeds City Council")
    box = app(page).locator("#clock-box")
    assert "band-normal" in (await box.get_attribute("class") or "")
    allotted = (await m.state()).allotted
    await m.tick(allotted - 119)  # the two-minute warning, given by the sweep
    await wait_text(page, "#clock-note", "2 minutes left")
    assert "band-warn" in (await box.get_attribute("class") or "")
    await wait_text(page, "#announce", "2 minutes left for Leeds City Council")
    await m.tick(90)
    await wait_text(page, "#clock-note", "30 seconds left")
    assert "band-urgent" in (await box.get_attribute("class") or "")
    await wait_text(page, "#announce", "30 seconds left for Leeds City Council")
    await m.tick(75)  # 46 seconds over
    await wait_text(page, "#clock-note", "over")
    assert "band-over" in (await box.get_attribute("class") or "")
    assert (await text(page, "#clock")).startswith("+0:4")
    await wait_text(page, "#announce", "Time is up for Leeds City Council")


async def test_the_facilitator_controls_the_session_by_mouse_and_keyboard(
        browser: Browser, live: Meeting) -> None:
    m = live
    await m.say(FACILITATOR, "start")
    page = await open_page(browser, m, FACILITATOR)
    frame = app(page)
    await frame.locator("button[data-control=next]").dblclick()  # a double click cues one presenter
    await wait_text(page, "#presenter", "Leeds City Council")
    await page.wait_for_timeout(500)
    assert (await m.state()).current == m.ids["leeds"] and (await m.state()).done == ()
    await frame.locator("button[data-control=pause]").click()
    await frame.locator("button[data-control=resume]").wait_for()
    assert (await m.state()).paused
    await wait_text(page, "#clock-note", "Paused")
    # By keyboard: from Back, Tab reaches Resume (Pause is gone), and Enter presses it.
    await frame.locator("button[data-control=back]").focus()
    await page.keyboard.press("Tab")
    focused = await frame.locator(":focus").get_attribute("data-control")
    assert focused == "resume"
    await page.keyboard.press("Enter")
    await frame.locator("button[data-control=pause]").wait_for()
    assert not (await m.state()).paused
    # Every control has a name a screen reader announces.
    for name in ("Next", "Pass", "Back", "Pause", "Extend", "Skip", "Reflection round", "End the session",
                 "Share to the meeting stage"):
        assert await frame.get_by_role("button", name=name, exact=True).count() == 1, name
    await frame.get_by_label("Minutes to add").select_option("3")
    await frame.locator("button[data-control=extend]").click()
    await wait_text(page, "#clock-note", "Extended by 3 minutes")
    await frame.get_by_label("Team to skip").select_option(label="Bury Council")
    await frame.locator("button[data-control=skip]").click()
    await wait_text(page, "#order", "skipped")
    assert (await m.state()).skipped == (m.ids["bury"],)
    await frame.locator("button[data-control=back]").click()
    await wait_text(page, "#control-status", "nobody to go back to")
    # Shared to the stage through the SDK, with the page's own address.
    await frame.locator("#share").click()
    assert str(await page.evaluate("window.sharedToStage")).endswith("/meeting/")
    # The same change seen in the chat's session card.
    assert "Bury Council: skipped" in await m.session_card()


async def test_without_a_valid_token_the_page_says_how_to_open_it_in_teams(
        browser: Browser, live: Meeting, teams: TeamsStandIn) -> None:
    m = live
    cases = {
        "no token": await open_page(browser, m, None),
        "another audience": await open_page(browser, m, MEMBER, token=teams.sso_token(
            MEMBER, "api://elsewhere.example/botid-other")),
        "another tenant": await open_page(browser, m, MEMBER, token=teams.sso_token(
            MEMBER, resource(teams), tenant="99999999-2222-3333-4444-555555555555")),
    }
    for why, page in cases.items():
        await wait_text(page, "#problem", "Open this page in Microsoft Teams")
        assert not await app(page).locator("#live").is_visible(), why
    # Opened outside Teams altogether (no SDK host): the server's 401 says the same.
    context = await browser.new_context(viewport=SIDE_PANEL)
    page = await context.new_page()
    await page.goto(f"{m.bot.url}/meeting/")
    await page.locator("#problem", has_text="Open this page in Microsoft Teams").wait_for(timeout=15000)


async def test_adding_the_tab_to_a_meeting_saves_the_live_page(browser: Browser, live: Meeting) -> None:
    page = await open_page(browser, live, FACILITATOR, frame="settings", path="config")
    await page.wait_for_function("window.hostCalls.includes('settings.setValidityState')")
    await page.evaluate("window.pressSave()")
    await page.wait_for_function("window.hostCalls.includes('settings.save.success')")
    saved = await page.evaluate("window.savedConfig")
    assert saved["contentUrl"] == f"{live.bot.url}/meeting/" and saved["suggestedDisplayName"] == "Session"


async def test_screenshots_side_panel_and_stage(browser: Browser, live: Meeting, clock: Clock) -> None:
    """The closing note's screenshots: side panel as facilitator and member, light and dark; the
    stage during a presenter's questions with under 30 seconds left."""
    m = live
    # A series whose airtime ends with its questions (no separate actions part), so that the last
    # thirty seconds fall in the questions.
    await m.store.save_airtime_settings("adaptation", AirtimeSettings(shares=PhaseShares(0.2, 0.3, 0.7, 0.0)))
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")
    await m.tick(4 * 60)
    out = shots()
    for user, role in ((FACILITATOR, "facilitator"), (MEMBER, "member")):
        for theme, name in (("default", "light"), ("dark", "dark")):
            # As tall as the facilitator's panel, so the picture holds all of it.
            page = await open_page(browser, m, user, theme=theme, size={"width": 320, "height": 1120})
            await wait_text(page, "#presenter", "Leeds City Council")
            await page.screenshot(path=str(out / f"side-panel-{role}-{name}.png"), full_page=True)
            await page.context.close()
    page = await open_page(browser, m, MEMBER, theme="contrast")
    await wait_text(page, "#presenter", "Leeds City Council")
    await page.screenshot(path=str(out / "side-panel-member-contrast.png"), full_page=True)
    await page.evaluate("window.setTheme('dark')")  # Teams' theme change reaches the page
    await app(page).locator("body.theme-dark").wait_for()
    await page.context.close()
    allotted = (await m.state()).allotted
    await m.tick(allotted - 4 * 60 - 119)
    await m.tick(95)  # 24 seconds left, still in the questions
    page = await open_page(browser, m, FACILITATOR, frame="meetingStage", size=STAGE)
    await wait_text(page, "#phase", "Questions")
    assert await seconds_on_clock(page) < 30
    assert "band-urgent" in (await app(page).locator("#clock-box").get_attribute("class") or "")
    assert not await app(page).locator("#controls").is_visible()  # nobody drives from the stage
    assert "Questions, not advice." in await text(page, "#prompt")
    await page.screenshot(path=str(out / "stage-questions-under-30-seconds.png"))
    for file in ("side-panel-facilitator-light.png", "side-panel-member-dark.png",
                 "stage-questions-under-30-seconds.png"):
        assert (out / file).stat().st_size > 5000
