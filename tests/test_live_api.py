"""The meeting page's API against the real bot server, with single sign-on tokens signed by the
stand-in's Entra: who gets in (401, 403), what the page is shown, the facilitator's controls, and a
cue from the chat reaching an open request."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from bot.rules.session import Stage
from tests.conftest import start_bot
from tests.live_harness import STRANGER, Page, live_env, live_meeting
from tests.standins.teams import TeamsStandIn
from tests.transcript import FACILITATOR, LEEDS, MEMBER, SET, Meeting


@pytest.fixture
async def live(teams: TeamsStandIn, database_url: str) -> AsyncIterator[tuple[Meeting, Page]]:
    bot, m, page = await live_meeting(teams, database_url)
    yield m, page
    await bot.runner.cleanup()


async def test_without_a_valid_token_the_page_is_told_how_to_open_it_in_teams(
        live: tuple[Meeting, Page], teams: TeamsStandIn) -> None:
    _m, page = live
    status, body = await page.state(None)
    assert status == 401 and "Open this page in Microsoft Teams" in body["message"]
    refused = {
        "another audience": page.token(MEMBER, audience="api://elsewhere.example/botid-x"),
        "another tenant": page.token(MEMBER, tenant="99999999-2222-3333-4444-555555555555"),
        "expired": page.token(MEMBER, expires_in=-3600),
        "another key": page.token(MEMBER, key=teams.stranger_key),
        "another issuer": page.token(MEMBER, iss="https://login.example.org/x/v2.0"),
        "no object id": page.token(MEMBER, oid=None),
        "an app-only token": page.token(MEMBER, scp=None),
        "the bot's channel token": teams.token(),
        "not a token": "abc.def.ghi",
    }
    for why, token in refused.items():
        status, body = await page.state(None, token=token)
        assert status == 401, why
        assert "Open this page in Microsoft Teams" in body["message"], why
    # A v2 token, whose audience is the app id itself, is accepted.
    status, _ = await page.state(None, token=page.token(MEMBER, audience=teams.app_id))
    assert status == 200


async def test_members_see_the_view_only_and_strangers_nothing(live: tuple[Meeting, Page]) -> None:
    m, page = live
    status, body = await page.state(STRANGER)
    assert status == 403 and "Only the members of this set" in body["message"]
    status, body = await page.state(MEMBER, chat="19:meeting_unknown@thread.v2")
    assert status == 403 and "not linked" in body["message"]
    status, body = await page.state(MEMBER, chat="")
    assert status == 400
    status, body = await page.state(MEMBER)
    assert status == 200 and body["stage"] == "not_started" and body["role"] == "member"
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")
    status, body = await page.state(MEMBER)
    assert body["presenter"] == "Leeds City Council" and body["next"] == "Wigan Council"
    assert body["phase"] == "presenting" and body["reminder"]["rule"].startswith("OOAAT")
    assert body["controls"] == [] and body["teams"] == []
    assert [p["phase"] for p in body["phases"]] == ["presenting", "questions", "actions"]
    assert body["time_left"] == body["allotted"] > 0
    status, _answer = await page.control(MEMBER, "next")
    assert status == 403
    assert (await m.state()).current == m.ids["leeds"]


async def test_the_page_never_carries_challenges_actions_or_reflections(live: tuple[Meeting, Page]) -> None:
    m, page = live
    await m.say(FACILITATOR, "start")
    await m.say(FACILITATOR, "next")
    await m.press(LEEDS[0], "meeting.actions", {"set_key": SET, "number": "1",
                                                "team_id": m.ids["leeds"], "action_1": "Secret plan X"},
                  conversation=m.teams.personal(LEEDS[0]))
    await m.say(FACILITATOR, "reflect")
    await m.press(LEEDS[0], "meeting.reflection", {"set_key": SET, "number": "1",
                                                   "team": "Private learning Y", "individual": ""},
                  conversation=m.teams.personal(LEEDS[0]))
    assert [a.text for a in await m.store.actions_of(SET, m.ids["leeds"], 1)] == ["Secret plan X"]
    assert [r.text for r in await m.store.reflections(SET, 1)] == ["Private learning Y"]
    for user in (MEMBER, FACILITATOR):
        status, body = await page.state(user)
        text = json.dumps(body)
        assert status == 200 and "Secret plan X" not in text and "Private learning Y" not in text
        assert "challenge" not in text.lower()


async def test_the_facilitator_controls_the_session_from_the_page(live: tuple[Meeting, Page]) -> None:
    m, page = live
    await m.say(FACILITATOR, "start")
    status, body = await page.state(FACILITATOR)
    assert body["role"] == "facilitator" and "next" in body["controls"]
    assert {t["name"] for t in body["teams"]} == {"Leeds City Council", "Wigan Council", "Bury Council"}
    status, answer = await page.control(FACILITATOR, "next")
    assert status == 200 and answer["done"] and answer["state"]["presenter"] == "Leeds City Council"
    status, answer = await page.control(FACILITATOR, "extend", minutes=3)
    assert status == 200 and answer["state"]["extended_seconds"] == 180
    status, answer = await page.control(FACILITATOR, "pause")
    assert answer["state"]["paused"] and "resume" in answer["state"]["controls"]
    status, answer = await page.control(FACILITATOR, "pause")
    assert status == 409 and answer["message"] == "The session is already paused."
    await page.control(FACILITATOR, "resume")
    status, answer = await page.control(FACILITATOR, "skip", team=m.ids["bury"])
    assert status == 200 and (await m.state()).skipped == (m.ids["bury"],)
    status, answer = await page.control(FACILITATOR, "pass")
    assert answer["state"]["presenter"] == "Wigan Council"
    status, answer = await page.control(FACILITATOR, "back")
    assert answer["state"]["presenter"] == "Leeds City Council"
    status, answer = await page.control(FACILITATOR, "reflect")
    assert answer["state"]["stage"] == "reflection"
    status, answer = await page.control(FACILITATOR, "end")
    assert (await m.state()).stage is Stage.ENDED
    status, answer = await page.control(FACILITATOR, "dance")
    assert status == 400
    # The chat's session card followed every change the page made.
    assert "Ended" in await m.session_card()


async def test_a_cue_from_the_chat_reaches_an_open_request(live: tuple[Meeting, Page]) -> None:
    m, page = live
    await m.say(FACILITATOR, "start")
    status, body = await page.state(MEMBER)
    waiting = asyncio.create_task(page.state(MEMBER, since=body["tag"]))
    await asyncio.sleep(1.0)
    assert not waiting.done()  # nothing changed: the request waits
    cued = time.monotonic()
    await m.say(FACILITATOR, "next")
    status, after = await waiting
    latency = time.monotonic() - cued
    assert status == 200 and after["presenter"] == "Leeds City Council" and after["tag"] != body["tag"]
    print(f"\ncue to page: {latency * 1000:.0f} ms (the server polls the store every 250 ms)")


def test_the_public_url_must_be_https() -> None:
    with pytest.raises(ConfigError, match="ALS_PUBLIC_URL"):
        load_settings({"ALS_PUBLIC_URL": "als.example.gov.uk"})
    with pytest.raises(ConfigError, match="ALS_PUBLIC_URL"):
        load_settings({"ALS_PUBLIC_URL": "https://als.example.gov.uk/meeting"})
    with pytest.raises(ConfigError, match="ALS_SSO_TENANTS"):
        load_settings({"ALS_PUBLIC_URL": "https://als.example.gov.uk", "MicrosoftAppId": "a",
                       "MicrosoftAppPassword": "p"})
    live = load_settings({"ALS_PUBLIC_URL": "https://als.example.gov.uk/", "MicrosoftAppId": "a",
                          "MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant",
                          "MicrosoftAppTenantId": "T1"}).live
    assert live.resource == "api://als.example.gov.uk/botid-a" and live.sso_tenants == {"t1"}



async def test_bad_requests_get_clear_answers_and_change_nothing(live: tuple[Meeting, Page]) -> None:
    m, page = live
    await m.say(FACILITATOR, "start")
    before = await m.state()
    status, answer = await page.control(FACILITATOR, "extend", minutes="lots")
    assert status == 409 and "how many minutes" in answer["message"]
    status, answer = await page.control(FACILITATOR, "skip", team="no-such-team")
    assert status == 409
    headers = {"Authorization": f"Bearer {page.token(FACILITATOR)}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        for body in (b"not json", b"[1, 2]", b'{"chat": 5, "control": "next"}'):
            async with session.post(f"{page.bot.url}/meeting/api/control", data=body, headers=headers) as r:
                assert r.status == 400, body
    assert await m.state() == before


async def test_the_page_is_served_with_its_framing_policy(live: tuple[Meeting, Page]) -> None:
    _, page = live
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{page.bot.url}/meeting/") as r:
            assert r.status == 200 and "text/html" in r.headers["Content-Type"]
            policy = r.headers["Content-Security-Policy"]
            assert "frame-ancestors 'self' https://teams.microsoft.com" in policy
            assert "connect-src 'self'" in policy
            assert 'src="static/MicrosoftTeams.min.js"' in await r.text()
        for name in ("live.js", "live.css", "MicrosoftTeams.min.js", "config.js"):
            async with session.get(f"{page.bot.url}/meeting/static/{name}") as r:
                assert r.status == 200, name
        async with session.get(f"{page.bot.url}/meeting/config") as r:
            assert r.status == 200
        for bad in ("../live_web.py", "..%2Flive_web.py", "nothing.js", ".hidden"):
            async with session.get(f"{page.bot.url}/meeting/static/{bad}") as r:
                assert r.status == 404, bad


def test_the_vendored_teams_sdk_is_the_version_its_readme_names() -> None:
    from bot.adapter.live_web import STATIC

    bundle = (STATIC / "MicrosoftTeams.min.js").read_text(encoding="utf-8")
    readme = (STATIC / "README.md").read_text(encoding="utf-8")
    assert '"2.58.0"' in bundle and "`@microsoft/teams-js` 2.58.0" in readme


async def test_a_press_on_a_page_behind_the_latest_change_does_nothing(live: tuple[Meeting, Page]) -> None:
    m, page = live
    await m.say(FACILITATOR, "start")
    _, seen = await page.state(FACILITATOR)
    first = await page.control(FACILITATOR, "next", tag=seen["tag"])
    second = await page.control(FACILITATOR, "next", tag=seen["tag"])  # the double click
    assert first[0] == 200 and second[0] == 409 and "nothing was done" in second[1]["message"]
    assert second[1]["state"]["presenter"] == "Leeds City Council"
    assert (await m.state()).current == m.ids["leeds"] and (await m.state()).done == ()


async def test_a_cue_given_through_another_instance_reaches_the_page(
        teams: TeamsStandIn, database_url: str) -> None:
    first, m, _ = await live_meeting(teams, database_url)
    other = await start_bot(live_env(teams, database_url), clock=m.clock)
    try:
        page = Page(other, teams, m.chat_id)  # the page is served by the other instance
        await m.say(FACILITATOR, "start")  # the chat's cues go to the first
        _, body = await page.state(MEMBER)
        waiting = asyncio.create_task(page.state(MEMBER, since=body["tag"]))
        await asyncio.sleep(0.5)
        await m.say(FACILITATOR, "next")
        status, after = await waiting
        assert status == 200 and after["presenter"] == "Leeds City Council"
    finally:
        await other.runner.cleanup()
        await first.runner.cleanup()


async def test_a_forged_key_id_does_not_delay_entras_real_key_rotation(
        live: tuple[Meeting, Page], teams: TeamsStandIn) -> None:
    _m, page = live
    assert (await page.state(MEMBER))[0] == 200  # the keys are cached
    forged = page.token(MEMBER, key=teams.stranger_key, kid="forged-kid")
    assert (await page.state(None, token=forged))[0] == 401
    old_key, old_kid = teams.sso_key, teams.sso_kid
    teams.sso_key, teams.sso_kid = teams.stranger_key, "rotated-kid"
    try:
        # Entra rotated its key just after the forged request: the real new key is taken at once.
        status, _ = await page.state(None, token=page.token(MEMBER))
        assert status == 200
    finally:
        teams.sso_key, teams.sso_kid = old_key, old_kid
