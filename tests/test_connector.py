"""Replies go through the fast connector on the shared session: no SDK client is built for them."""

from __future__ import annotations

from bot.adapter.connector import FastConnector
from bot.adapter.web import AUTH
from tests.conftest import RunningBot
from tests.standins.teams import TeamsStandIn, User


async def test_replies_use_the_shared_session(bot: RunningBot, teams: TeamsStandIn) -> None:
    user = User("e0000000-0000-4000-8000-000000000001", "Ada", "ada@leeds.gov.uk")
    conversation = teams.personal(user)["id"]
    for _ in range(3):
        reply = await teams.send(bot.messages, teams.message(user, "help"))
        assert reply.status in (200, 201)
    calls = await teams.wait_for_calls(3)
    assert [c for c in calls if c.conversation_id == conversation]
    connectors = bot.app[AUTH].connectors._clients  # type: ignore[attr-defined]
    (client,) = connectors.values()
    assert isinstance(client, FastConnector)
    assert client._sdk_client is None  # the msrest client was never needed


def test_a_refusal_carries_the_channels_status_and_code() -> None:
    from bot.adapter.connector import ConnectorError
    from bot.adapter.courier import refusal

    error = ConnectorError(403, "send", {"error": {"code": "BotNotInConversationRoster", "message": "x"}})
    assert refusal(error) == (403, "BotNotInConversationRoster")
    assert refusal(ConnectorError(503, "send", None)) == (503, "ConnectorError")
