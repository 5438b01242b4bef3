"""The one concurrency pattern: a lost race is retried, acting happens only after a save won."""

from __future__ import annotations

from collections.abc import Sequence

from bot.features.change import Decided, Lost, change
from bot.store.base import Notice


class Cell:
    """A value saved by compare-and-set, with a rival who wins the first `rivals` saves."""

    def __init__(self, rivals: int = 0) -> None:
        self.value = 0
        self.rivals = rivals
        self.notices: list[Notice] = []

    async def load(self) -> int:
        return self.value

    async def save(self, before: int, after: int, notices: Sequence[Notice]) -> bool:
        if self.rivals:
            self.rivals -= 1
            self.value += 10  # someone else saved first
            return False
        if self.value != before:
            return False
        self.value = after
        self.notices.extend(notices)
        return True


def add_one(before: int) -> Decided[int, str]:
    return Decided(before + 1, f"now {before + 1}", (Notice("user:a", {"text": "changed"}),))


async def test_a_lost_race_is_decided_again_on_the_new_state() -> None:
    cell, acted = Cell(rivals=2), []

    async def act(after: int, result: str, queued: bool) -> None:
        acted.append((after, result, queued))

    assert await change(cell.load, add_one, cell.save, act) == "now 21"
    assert cell.value == 21 and acted == [(21, "now 21", True)] and len(cell.notices) == 1


async def test_nothing_to_save_saves_nothing_and_acts_not() -> None:
    cell, acted = Cell(), []

    async def act(after: int, result: str, queued: bool) -> None:
        acted.append(after)

    assert await change(cell.load, lambda b: Decided(None, "as it was"), cell.save, act) == "as it was"
    assert acted == [] and cell.notices == []


async def test_every_race_lost_is_a_lost_answer_not_a_change() -> None:
    cell = Cell(rivals=99)
    result = await change(cell.load, add_one, cell.save, tries=3)
    assert isinstance(result, Lost) and cell.notices == []
