"""How large a card may be. Teams refuses a message over about 100 KB measured as UTF-16 (413
`MessageSizeTooBig`; older clients 40 KB) and recommends staying under 80 KB. Every card keeps to a
budget well inside that, leaving room for the activity around it; a card that would list without
bound (the register's other attendees) summarises instead and points to the export.
"""

from __future__ import annotations

from typing import Any

import orjson

# 28 KiB of JSON characters, 56 KiB as UTF-16: well under Teams' recommended 80 KB.
BUDGET_UTF16_BYTES = 28 * 1024 * 2


def utf16_size(card: dict[str, Any]) -> int:
    """The card's size as Teams measures a message: its JSON as UTF-16, in bytes."""
    return len(orjson.dumps(card).decode().encode("utf-16-le"))


def fits(card: dict[str, Any]) -> bool:
    return utf16_size(card) <= BUDGET_UTF16_BYTES
