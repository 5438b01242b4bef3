"""Which set a typed command is about, among those the person may see: the one its words name by
key, or the only one; otherwise the person is offered a choice."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.programme import SetDef


def named_or_only(sets: Sequence[SetDef], words: str) -> SetDef | None:
    """The set whose key the typed words are (any case), else the only set; None: ask which."""
    wanted = words.strip().lower()
    named = next((s for s in sets if s.key == wanted), None)
    if named is not None:
        return named
    return sets[0] if len(sets) == 1 else None
