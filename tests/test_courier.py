"""Proactive notices: delivered through the connector after commit, kept and retried when they cannot be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapter.web import COURIER, STORE
from bot.store.base import Notice
from tests.conftest import RunningBot
from tests.standins.teams import TeamsStandIn, User


async def test_a_notice_reaches_a_person_who_has_talked_to_the_bot(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    await teams.send(bot.messages, teams.message(officer, "help"))
    store, courier = bot.app[STORE], bot.app[COURIER]
    await store.enqueue([Notice(f"user:{officer.aad_object_id}", {"text": "You have a place."})],
                        datetime.now(UTC))
    courier.kick()
    calls = await teams.wait_for_calls(2)
    assert calls[-1].text == "You have a place."
    assert calls[-1].conversation_id == teams.personal(officer)["id"]


async def test_a_notice_by_email_uses_the_profile_the_channel_reported(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    await teams.send(bot.messages, teams.message(officer, "help"))
    store = bot.app[STORE]
    await store.enqueue([Notice(f"email:{officer.email}", {"card": {"type": "AdaptiveCard",
                                                                    "version": "1.5", "body": []}})],
                        datetime.now(UTC))
    assert await bot.app[COURIER].deliver_due() == 1
    assert teams.calls[-1].cards == [{"type": "AdaptiveCard", "version": "1.5", "body": []}]


async def test_a_notice_for_someone_unreachable_is_kept_for_later(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    store, courier = bot.app[STORE], bot.app[COURIER]
    now = datetime.now(UTC)
    await store.enqueue([Notice(f"user:{officer.aad_object_id}", {"text": "Your place is confirmed."})], now)
    assert await courier.deliver_due() == 1
    assert teams.calls == []
    # Once the officer opens a chat with the bot, the notice goes out at its next attempt.
    await teams.send(bot.messages, teams.message(officer, "help"))
    (retry,) = await store.claim_due(now + timedelta(hours=2), 60, 10)
    assert retry.attempts == 2


async def test_a_failed_delivery_is_retried_not_lost(
    bot: RunningBot, teams: TeamsStandIn, officer: User
) -> None:
    await teams.send(bot.messages, teams.message(officer, "help"))
    store, courier = bot.app[STORE], bot.app[COURIER]
    teams.fail_connector = True
    await store.enqueue([Notice(f"user:{officer.aad_object_id}", {"text": "Promoted."})], datetime.now(UTC))
    assert await courier.deliver_due() == 1
    teams.fail_connector = False
    courier.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    assert await courier.deliver_due() == 1
    assert [c.text for c in teams.calls].count("Promoted.") == 2  # one refused by the connector, one taken
    assert await courier.deliver_due() == 0
