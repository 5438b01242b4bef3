"""The reactive turn reads and writes activities as JSON (bot.adapter.wire): what it writes must be
what the SDK would write, and its outbound calls must still take the environment's proxy."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference
from yarl import URL

from bot.adapter.wire import Incoming, card_reply, text_reply
from bot.net import HotSession
from tests.conftest import start_bot
from tests.standins.teams import TeamsStandIn, User

OFFICER = User("0a1b2c3d-0000-4000-8000-0000000000aa", "Alex Officer", "alex.officer@leeds.gov.uk")


def _activities(teams: TeamsStandIn) -> list[dict[str, Any]]:
    group = {"id": "19:group@thread.v2", "conversationType": "groupChat", "tenantId": "t-1", "isGroup": True}
    message = teams.message(OFFICER, "<at>Action Learning Sets</at> help")
    message["entities"] = [{"type": "mention", "text": "<at>Action Learning Sets</at>",
                            "mentioned": dict(message["recipient"])}]
    in_group = {**teams.message(OFFICER, "my sets"), "conversation": group, "locale": "en-GB"}
    return [message, in_group, teams.card_action(OFFICER, "help")]


def _sdk(body: dict[str, Any]) -> Activity:
    return Activity().deserialize(body)


@pytest.fixture(scope="module")
def stand_in() -> Any:
    teams = TeamsStandIn()  # not started: only its activity builders are used
    yield teams


def _contains(ours: Any, theirs: Any) -> bool:
    """Whether `ours` holds everything `theirs` does; ours may keep more of what the channel sent
    (the SDK drops `conversation.tenantId`, as its schema spells it `tenantID`)."""
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and all(k in ours and _contains(ours[k], v) for k, v in theirs.items())
    if isinstance(theirs, list):
        return isinstance(ours, list) and len(ours) == len(theirs) and all(map(_contains, ours, theirs))
    return bool(ours == theirs)


def test_the_conversation_reference_is_the_sdks(stand_in: TeamsStandIn) -> None:
    for body in _activities(stand_in):
        expected = TurnContext.get_conversation_reference(_sdk(body)).serialize()
        ours = Incoming(body).reference()
        assert _contains(ours, expected)
        assert ConversationReference().deserialize(ours).serialize() == expected  # as the courier reads it


def test_a_reply_is_addressed_as_the_sdk_addresses_it(stand_in: TeamsStandIn) -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hi"}]}
    for body in _activities(stand_in):
        reference = TurnContext.get_conversation_reference(_sdk(body))
        for ours, theirs in (
            (text_reply(Incoming(body), "Done."), MessageFactory.text("Done.")),
            (card_reply(Incoming(body), card), MessageFactory.attachment(CardFactory.adaptive_card(card))),
        ):
            expected = TurnContext.apply_conversation_reference(theirs, reference).serialize()
            assert _contains(ours, expected)
            assert Activity().deserialize(ours).serialize() == expected


def test_the_bots_mention_is_taken_out_of_the_text(stand_in: TeamsStandIn) -> None:
    message = _activities(stand_in)[0]
    assert Incoming(message).text_without_mention().strip() == "help"
    assert TurnContext.remove_recipient_mention(_sdk(message)).strip() == "help"
    plain = stand_in.message(OFFICER, "sign up")
    assert Incoming(plain).text_without_mention() == "sign up"


def test_the_proxy_is_the_environments_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.council.example:8080")
    monkeypatch.setenv("NO_PROXY", "localhost,.internal.council.example")
    session = HotSession.__new__(HotSession)  # no event loop needed to ask for the proxy
    session._proxies = {}
    proxy, _ = session.proxy(URL("https://smba.trafficmanager.net/emea/v3/conversations"))
    assert proxy == URL("http://proxy.council.example:8080")
    assert session.proxy(URL("https://bot.internal.council.example/x")) == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:3128")
    # Looked up once per origin: the process's environment does not change under it.
    assert session.proxy(URL("https://smba.trafficmanager.net/apac/"))[0] == proxy


async def test_replies_reach_the_channel_through_the_proxy(
        teams: TeamsStandIn, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        # A forward proxy: the request line names the whole URL; it is passed on as it came.
        seen.append(f"{request.method} {request.url}")
        async with aiohttp.ClientSession() as session, session.request(
                request.method, str(request.url), data=await request.read(),
                headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        ) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)

    proxy = web.Application()
    proxy.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(proxy, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    bot = await start_bot({**teams.bot_env(), "DATABASE_URL": database_url})
    try:
        answer = await teams.send(bot.messages, teams.message(OFFICER, "help"))
        assert answer.status == 201
        (reply,) = await teams.wait_for_calls(1)
        assert reply.method == "POST" and reply.cards
        assert f"POST {teams.service_url.rstrip('/')}/v3/conversations/" in "\n".join(seen)
    finally:
        await bot.runner.cleanup()
        await runner.cleanup()
