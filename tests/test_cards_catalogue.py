"""Every card of the catalogue is wired to the router: each verb a card emits is a `Verb` that a
feature routes, each button's data reads into its verb's payload, and no button's data key is also
an input id on its card (Teams merges the inputs into the data, and the input wins)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot import router
from bot.features.base import Action
from bot.rules.refusal import Refusal
from cards.catalogue import examples
from cards.payloads import BROKEN, ApologiesSent, ApologiesWithdrawn, Commitment, Nomination, SetChoice
from cards.verbs import Verb

EXAMPLES = examples()


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def emitted(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(verb, data) of every Action.Execute on the card, its refresh action included."""
    return [(node["verb"], node.get("data", {})) for node in walk(card)
            if node.get("type") == "Action.Execute"]


def input_ids(card: dict[str, Any]) -> set[str]:
    return {node["id"] for node in walk(card) if str(node.get("type", "")).startswith("Input.")}


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_verb_a_card_emits_is_routed(name: str, card: dict[str, Any]) -> None:
    for verb, _ in emitted(card):
        assert verb in set(Verb), f"{name}: {verb!r} is not a Verb"
        assert Verb(verb) in router.VERBS, f"{name}: no feature routes {verb!r}"


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_no_button_data_key_is_an_input_id_on_its_card(name: str, card: dict[str, Any]) -> None:
    ids = input_ids(card)
    for verb, data in emitted(card):
        assert set(data) & ids == set(), f"{name}: {verb} carries {sorted(set(data) & ids)}, also inputs"


@pytest.mark.parametrize(("name", "card"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_button_reads_into_its_payload(name: str, card: dict[str, Any]) -> None:
    inputs = {node["id"]: node.get("value", "") for node in walk(card)
              if str(node.get("type", "")).startswith("Input.")}
    for verb, data in emitted(card):
        action = router.VERBS[Verb(verb)]
        parsed = action.payload.parse({**data, **inputs})
        assert not isinstance(parsed, Refusal), f"{name}: {verb} with {data} is refused"


def test_every_routed_verb_is_a_verb_with_an_action() -> None:
    assert router.VERBS, "no verbs routed: is the table broken?"
    for verb, action in router.VERBS.items():
        assert isinstance(verb, Verb)
        assert isinstance(action, Action)
    assert router.action_for("no-such-verb") is None


def test_a_payload_is_read_by_name_and_type_or_refused() -> None:
    assert SetChoice.parse({"set_key": "proc-tue", "verb": "signup.choose"}) == SetChoice("proc-tue")
    assert SetChoice.parse({}) == BROKEN
    assert SetChoice.parse({"set_key": {"nested": 1}}) == BROKEN
    assert ApologiesWithdrawn.parse({"apology_set": "s", "apology_session": "2"}) == ApologiesWithdrawn("s", 2)
    assert ApologiesWithdrawn.parse({"apology_set": "s", "apology_session": "two"}) == BROKEN
    assert Commitment.parse({"set_key": "s", "commit": "true"}) == Commitment("s", True, False)
    assert Commitment("s").data() == {"set_key": "s"}  # the tick boxes are the card's inputs
    sent = ApologiesSent.parse({"session": "proc-tue#3", "reason": "Leave"})
    assert isinstance(sent, ApologiesSent) and (sent.set_key, sent.number) == ("proc-tue", 3)
    assert ApologiesSent.parse({"session": "nonsense"}) == ApologiesSent("nonsense", "")
    nomination = Nomination.parse({"set_key": "s", "council": "Leeds City Council"})
    assert isinstance(nomination, Nomination) and nomination.form.council == "Leeds City Council"


def test_the_check_would_catch_a_collision() -> None:
    card = {"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "session"}],
            "actions": [{"type": "Action.Execute", "verb": "apologies.withdraw", "data": {"session": 2}}]}
    ((_verb, data),) = emitted(card)
    assert set(data) & input_ids(card) == {"session"}
