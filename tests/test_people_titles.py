"""The shared helpers: who is acting and where to reach them, and a set's title with its series once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.commands import Scope
from bot.features.people import answer, facilitator_key, identities, officer_key, sender_key, who
from bot.rules.booking import Officer, Who
from bot.turns import Chat, Kind, Person, Turn
from cards.format import programme_set_title, set_title
from tests.programmes import programme

PERSON = Person("29:1", "AAD-Id-1", "Alex Smith", "Alex.Smith@Leeds.gov.uk")


def turn(verb: str = "") -> Turn:
    return Turn(Kind.ACTION if verb else Kind.MESSAGE, "a1", PERSON, Chat("c1", Scope.PERSONAL, "t1"),
                datetime(2027, 1, 1, tzinfo=UTC), verb=verb)


def test_a_set_named_after_its_series_shows_the_series_once() -> None:
    assert set_title("Sustainable Procurement", "Sustainable Procurement – Tuesday set") == \
        "Sustainable Procurement – Tuesday set"
    assert set_title("Sustainable Procurement", "Tuesday set") == "Sustainable Procurement: Tuesday set"
    assert set_title("Sustainable Procurement", "The sustainable procurement set") == \
        "The sustainable procurement set"
    assert set_title("", "Tuesday set") == "Tuesday set"
    loaded = programme()
    (first, *_) = loaded.sets
    assert programme_set_title(loaded, first) == first.name


def test_identities_are_lower_cased_once_and_keys_name_the_channel() -> None:
    assert identities(PERSON) == {"aad-id-1", "alex.smith@leeds.gov.uk"}
    assert identities(Person("29:2", None, "Guest")) == frozenset()
    assert who(turn()) == Who("AAD-Id-1", "Alex.Smith@Leeds.gov.uk")
    assert sender_key(PERSON) == "user:AAD-Id-1"
    assert sender_key(Person("29:3", None, "Sam", "sam@wigan.gov.uk")) == "email:sam@wigan.gov.uk"
    assert sender_key(Person("29:4", None, "Nobody")) is None
    assert officer_key(Officer("sam@wigan.gov.uk", "Sam", "procurement")) == "email:sam@wigan.gov.uk"
    assert facilitator_key("pat@lga.gov.uk") == "email:pat@lga.gov.uk"
    assert facilitator_key("0000-fa") == "user:0000-fa"


def test_a_button_is_answered_in_place_and_typed_text_with_a_new_message() -> None:
    card = {"type": "AdaptiveCard"}
    assert answer(turn("mysets"), card).card == card
    typed = answer(turn(), card)
    assert typed.card is None and typed.replies[0].card == card
