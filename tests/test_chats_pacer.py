"""The pacer keeps the bot's messages to one chat within Teams' per-conversation limits."""

from __future__ import annotations

from bot.adapter.chats import TEAMS_LIMITS, Pacer


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_waits_for_room_and_other_chats_do_not() -> None:
    clock = Seconds()
    pacer = Pacer(TEAMS_LIMITS, clock)
    for _ in range(7):
        assert pacer.delay("chat:a") == 0
        await pacer.slot("chat:a")
    assert pacer.delay("chat:a") == 1.0  # an eighth message in the same second waits for it to pass
    assert pacer.delay("chat:b") == 0
    clock.now += 1.0
    assert pacer.delay("chat:a") == 0
    await pacer.slot("chat:a")
    assert pacer.delay("chat:a") == 1.0  # 8 in 2 seconds: the ninth waits until the first is 2 s old


async def test_sixty_in_thirty_seconds_is_the_most() -> None:
    clock = Seconds()
    pacer = Pacer(TEAMS_LIMITS, clock)
    for _ in range(60):
        while (wait := pacer.delay("chat:a")) > 0:
            clock.now += wait
        await pacer.slot("chat:a")
    sent = list(pacer._sent["chat:a"])
    assert sent[-1] - sent[0] < 30
    assert pacer.delay("chat:a") > 0
    assert all(sum(1 for t in sent if s <= t < s + 1) <= 7 for s in sent)
    assert all(sum(1 for t in sent if s <= t < s + 2) <= 8 for s in sent)
