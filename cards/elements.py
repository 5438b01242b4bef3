"""Small builders for Adaptive Card elements, so that every card is made the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Json = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def card(body: Iterable[Json], actions: Iterable[Json] = (), *, refresh: Json | None = None) -> Json:
    result: Json = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": list(body),
    }
    acts = list(actions)
    if acts:
        result["actions"] = acts
    if refresh is not None:
        result["refresh"] = refresh
    return result


def text(value: str, *, size: str | None = None, weight: str | None = None, subtle: bool = False,
         colour: str | None = None, wrap: bool = True, element_id: str | None = None) -> Json:
    block: Json = {"type": "TextBlock", "text": value, "wrap": wrap}
    if size:
        block["size"] = size
    if weight:
        block["weight"] = weight
    if subtle:
        block["isSubtle"] = True
    if colour:
        block["color"] = colour
    if element_id:
        block["id"] = element_id
    return block


def heading(value: str) -> Json:
    return text(value, size="Large", weight="Bolder")


def facts(pairs: Iterable[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def bullets(items: Iterable[str]) -> Json:
    return text("\n".join(f"- {item}" for item in items))


def execute(title: str, verb: str, data: Mapping[str, Any] | None = None, *,
            style: str | None = None) -> Json:
    """An Action.Execute (Universal Actions) with an Action.Submit fallback for older clients.

    The fallback carries the verb in its data, so that both arrive at the same handler.
    """
    payload = dict(data or {})
    action: Json = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": {**payload, "verb": verb}},
    }
    if style:
        action["style"] = style
    return action
