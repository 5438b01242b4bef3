"""A council that cannot book a set hears so when it chooses the set, and sees it in the set list,
rather than after filling in the whole form; the refusal says where the council stands once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.commands import Scope
from bot.features.base import Services
from bot.router import route
from bot.rules.programme import parse_programme
from bot.store.sql import SqlStore
from bot.turns import Chat, Kind, Outcome, Person, Turn
from tests.programmes import TEXT, YEAR
from tests.standins.teams import User
from tests.test_e2e_signup import form

THURSDAY = f"""
  - key: adaptation-thu
    series: adaptation
    name: Thursday set
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-05-06 10:30-12:00
      - {YEAR}-05-20 10:30-12:00
      - {YEAR}-06-03 10:30-12:00
"""
ALEX = Person("29:1", "aad-alex", "Alex Smith", "alex@leeds.gov.uk")
JO = Person("29:2", "aad-jo", "Jo Bloggs", "jo@leeds.gov.uk")
# In no team yet: his council is known only from his signed address's domain.
SAM = Person("29:3", "aad-sam", "Sam Buyer", "Sam.Buyer@Leeds.gov.uk")
ROBIN = Person("29:4", "aad-robin", "Robin Ng", "robin@york.gov.uk")


def turn(person: Person, verb: str = "", data: dict[str, Any] | None = None, text: str = "") -> Turn:
    return Turn(Kind.ACTION if verb else Kind.MESSAGE, "a1", person, Chat("c1", Scope.PERSONAL, "t1"),
                datetime.now(UTC), text=text, verb=verb, data=data or {})


def card_of(outcome: Outcome) -> dict[str, Any]:
    card = outcome.card or outcome.replies[0].card
    assert card is not None, outcome
    return card


def sections(card: dict[str, Any]) -> dict[str, str]:
    """Each set's block on the set list, by the title it starts with."""
    return {c["items"][0]["text"]: json.dumps(c, ensure_ascii=False)
            for c in card["body"] if c["type"] == "Container"}


@pytest.fixture
async def services(store: SqlStore) -> Services:
    await store.save_programme(parse_programme(TEXT + THURSDAY), datetime.now(UTC))
    services = Services(store=store)
    user = User(ALEX.aad_object_id or "", ALEX.name, ALEX.email or "")
    await route(services, turn(ALEX, "signup.submit", form(user, "Leeds City Council")))
    return services


async def test_the_set_list_marks_the_sets_a_council_holds_or_cannot_book(services: Services) -> None:
    listing = sections(card_of(await route(services, turn(ALEX, text="sign up"))))
    wednesday = listing["Sustainable Adaptation – Wednesday set"]
    thursday = listing["Sustainable Adaptation: Thursday set"]
    assert "Your council is in this set" in wednesday and "See our place" in wednesday
    assert "Your council cannot book this set" in thursday and "one team in this series" in thursday
    assert "signup.choose" not in thursday
    procurement = listing["Sustainable Procurement – Tuesday set"]
    assert "Choose this set" in procurement and "cannot book" not in procurement


async def test_choosing_a_set_the_council_cannot_book_says_so_at_once(services: Services) -> None:
    card = json.dumps(card_of(await route(services, turn(ALEX, "signup.choose", {"set_key": "adaptation-thu"}))))
    assert "A council holds one team in this series." in card
    assert "Input.Text" not in card  # no form to fill in first


async def test_the_refusal_says_where_the_council_stands_once(services: Services) -> None:
    jo = User(JO.aad_object_id or "", JO.name, JO.email or "")
    outcome = await route(services, turn(JO, "signup.submit", form(jo, "Leeds City Council",
                                                                   set_key="adaptation-thu")))
    card = json.dumps(card_of(outcome), ensure_ascii=False)
    assert card.count("has a confirmed place in") == 1
    assert "A council holds one team in this series." in card


async def test_a_colleague_in_no_team_sees_the_sets_his_council_holds_marked(services: Services) -> None:
    listing = sections(card_of(await route(services, turn(SAM, text="sign up"))))
    wednesday = listing["Sustainable Adaptation – Wednesday set"]
    assert "Leeds City Council already has a team in this set (confirmed)." in wednesday
    assert "ask your colleagues to add you as their partner" in wednesday
    assert "Alex" not in wednesday and "alex@" not in wednesday  # the officers are not named
    assert "signup.choose" not in wednesday and "places free" not in wednesday
    thursday = listing["Sustainable Adaptation: Thursday set"]
    assert "one team in this series" in thursday and "signup.choose" not in thursday
    assert "Choose this set" in listing["Sustainable Procurement – Tuesday set"]
    # Another council's officer may still choose the set.
    other = sections(card_of(await route(services, turn(ROBIN, text="sign up"))))
    assert "Choose this set" in other["Sustainable Adaptation – Wednesday set"]


async def test_a_colleague_choosing_his_councils_set_is_refused_at_once(services: Services) -> None:
    card = json.dumps(card_of(await route(services, turn(SAM, "signup.choose", {"set_key": "adaptation-wed"}))),
                      ensure_ascii=False)
    assert "Leeds City Council already has a team in this set (confirmed)." in card
    assert "Input.Text" not in card  # no form to fill in first
    other = json.dumps(card_of(await route(services, turn(ROBIN, "signup.choose",
                                                          {"set_key": "adaptation-wed"}))))
    assert "Input.Text" in other
