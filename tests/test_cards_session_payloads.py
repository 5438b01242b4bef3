"""The session's card actions read once into their payloads: malformed data is refused at the edge."""

from __future__ import annotations

from cards.payloads import BROKEN
from cards.session_payloads import ActionsForm, Ending, FormWanted, Minutes, NewOrder, ReviewForm, Starting


def test_the_session_payloads_read_by_name_and_type() -> None:
    assert Minutes.parse({"minutes": "2"}) == Minutes(2)
    assert Minutes.parse({"minutes": "two"}) == Minutes(None)  # the control says what it needs
    assert NewOrder.parse({"position_1": "b", "position_2": "a", "position_3": "b"}) == NewOrder(("b", "a"))
    assert NewOrder.parse({}) == NewOrder(())
    assert Ending.parse({}) == Ending(False) and Ending.parse(Ending(True).data()) == Ending(True)
    assert Starting.parse({"set_key": "s"}) == Starting("s", 0, False)
    assert Starting.parse({"set_key": "s", "number": {"x": 1}}) == BROKEN
    assert FormWanted.parse({"form": "order"}) == FormWanted("order")
    actions = ActionsForm.parse({"set_key": "s", "number": "1", "team_id": "t", "action_1": "Call"})
    assert isinstance(actions, ActionsForm) and actions.texts[:2] == ("Call", "")
    assert ActionsForm.parse({"set_key": "s", "number": "one", "team_id": "t"}) == BROKEN
    review = ReviewForm.parse({"set_key": "s", "number": 1, "team_id": "t", "status_2": "partly",
                               "learning": "Ask early"})
    assert isinstance(review, ReviewForm) and review.statuses == ((2, "partly"),)
    assert review.learning == "Ask early" and review.worked_well == ""
