"""Starting a session in a meeting chat as a facilitator does: typed `start`, then whatever the bot
asks (its facilitator-only form, refreshed for them, and the confirmation of a start out of time)."""

from __future__ import annotations

from typing import Any

from bot.store.base import Store
from tests.standins.teams import TeamsStandIn, User


def actions(card: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every Action.Execute in a card, its refresh action included, as (verb, data)."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb"):
                found.append((str(node["verb"]), dict(node.get("data") or {})))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def start_session(url: str, teams: TeamsStandIn, facilitator: User, chat: dict[str, Any],
                        store: Store) -> None:
    calls = len(teams.calls)
    await teams.send(url, teams.message(facilitator, "start", chat))
    cards = [card for call in teams.calls[calls:] for card in call.cards]
    for _ in range(4):
        run = await store.session_run_in_chat(chat["id"])
        if run is not None and run.state.started_at is not None:
            return
        offered = [a for card in cards for a in actions(card) if a[0] in ("meeting.start", "meeting.form")]
        assert offered, "the session neither started nor offered to"
        verb, data = sorted(offered, key=lambda a: a[0] != "meeting.start")[0]
        calls = len(teams.calls)
        reply = await teams.send(url, teams.card_action(facilitator, verb, data, chat))
        value = reply.body.get("value") if isinstance(reply.body, dict) else None
        cards = [value] if isinstance(value, dict) else []
        cards += [card for call in teams.calls[calls:] for card in call.cards]
    raise AssertionError("the session did not start")
