"""Which set a typed command is about, among those the person may see: the one its words name by
key, or the only one; otherwise the person is offered a choice."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.programme import Programme, SetDef
from bot.store.base import Store


def named_or_only(sets: Sequence[SetDef], words: str) -> SetDef | None:
    """The set whose key the typed words are (any case), else the only set; None: ask which."""
    wanted = words.strip().lower()
    named = next((s for s in sets if s.key == wanted), None)
    if named is not None:
        return named
    return sets[0] if len(sets) == 1 else None


async def chosen_set(store: Store, set_key: str) -> tuple[Programme, SetDef] | None:
    """The programme and the set a card's choice names; None if there is no such set (any more)."""
    programme = await store.programme()
    set_def = programme.set_by_key(set_key)
    return None if set_def is None else (programme, set_def)
