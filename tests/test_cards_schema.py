"""Every card the project produces validates against the official Adaptive Cards 1.5 schema."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

import cards
from cards.catalogue import examples
from manifest.schemas import card_validator, problems

EXAMPLES = examples()
MAX_REFRESH_USERS = 60  # Teams refreshes a card automatically for at most 60 user ids


def card_functions() -> list[str]:
    """`module.function` of every public `*_card` function defined in a `cards` module."""
    found = []
    for info in pkgutil.iter_modules(cards.__path__):
        module = importlib.import_module(f"cards.{info.name}")
        for name, value in vars(module).items():
            if (inspect.isfunction(value) and value.__module__ == module.__name__
                    and name.endswith("_card") and not name.startswith("_")):
                found.append(f"{info.name}.{name}")
    return sorted(found)


def actions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            yield node
        for value in node.values():
            yield from actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from actions(value)


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_card_validates_against_adaptive_cards_1_5(name: str, card: dict[str, Any]) -> None:
    # Only a card using `msteams` needs the Teams variant; the rest pass the published schema.
    assert problems(card_validator(teams="msteams" in card), card) == []
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_card_follows_teams_rules(name: str, card: dict[str, Any]) -> None:
    for action in actions(card):
        if action["type"] == "Action.Execute":
            assert action.get("verb"), f"{name}: an Action.Execute without a verb"
    refresh = card.get("refresh")
    if refresh:
        assert len(refresh.get("userIds", [])) <= MAX_REFRESH_USERS


def test_every_card_function_is_in_the_catalogue() -> None:
    covered = {name.split(" ")[0] for name, _ in EXAMPLES}
    assert card_functions(), "no card functions found: is the discovery broken?"
    assert [f for f in card_functions() if f not in covered] == []


def test_catalogue_names_are_unique() -> None:
    names = [name for name, _ in EXAMPLES]
    assert len(names) == len(set(names))


def test_schema_finds_broken_cards() -> None:
    broken = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "ok"}, {"type": "TextBlok", "text": "typo"},
                 {"type": "TextBlock", "text": "x", "wieght": "Bolder"}],
        "actions": [{"type": "Action.Execute", "title": "Go", "verb": "go", "style": "loud"}],
    }
    found = problems(card_validator(), broken)
    assert any(p.startswith("body[1]: ") for p in found)
    assert "body[2]: Additional properties are not allowed ('wieght' was unexpected) " \
           "(additionalProperties)" in found
    assert any(p.startswith("actions[0].style: 'loud'") for p in found)
    assert not any(p.startswith("body[0]") for p in found)


def test_msteams_needs_the_teams_variant_of_the_schema() -> None:
    # The published 1.5 schema forbids `msteams` on the card, which Teams reads for full width
    # and for mentions; the Teams variant accepts exactly that property and still checks it.
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [], "msteams": {"width": "Full"}}
    assert problems(card_validator(teams=False), card) == [
        "(root): Additional properties are not allowed ('msteams' was unexpected) "
        "(additionalProperties)"]
    assert problems(card_validator(teams=True), card) == []
    card["msteams"] = {"width": "Wide"}
    assert problems(card_validator(teams=True), card) != []
