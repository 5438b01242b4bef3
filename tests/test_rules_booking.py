"""Booking rules: first come, first served, the waiting list, deadlines and idempotency."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import event as hypothesis_event
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.booking import (
    Book,
    BookingChanged,
    Close,
    Commit,
    Committed,
    Confirmed,
    Effect,
    Event,
    ExpireDeadlines,
    Lapsed,
    Nominate,
    Officer,
    Open,
    Promoted,
    Refused,
    Reminded,
    Reopen,
    Resize,
    SetState,
    Team,
    Waitlisted,
    Who,
    Withdraw,
    Withdrawn,
    decide,
)
from bot.rules.programme import DeadlineRule, Policy, parse_programme

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
FIRST = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
RULE = DeadlineRule(commit_within_hours=48, remind_hours_before=24)


def book(
    capacity: int = 2, policy: Policy = "role_pair", *, one_per_series: bool = True
) -> Book:
    sets = (
        SetState("tue", "Tuesday set", capacity, "open", FIRST, RULE),
        SetState("thu", "Thursday set", capacity, "open", FIRST + timedelta(days=2), RULE),
    )
    return Book("procurement", policy, one_per_series, sets)


def who(council: int, role: str = "s") -> Who:
    return Who(f"oid-{role}{council}", f"{role}{council}@c{council}.gov.uk")


def nominate(
    council: int,
    at: datetime = START,
    set_key: str = "tue",
    *,
    partner_committed: bool = False,
    key: str | None = None,
) -> Nominate:
    return Nominate(
        set_key=set_key,
        team_id=f"team-{council}-{set_key}-{at.isoformat()}",
        council=f"c{council}",
        council_name=f"Council {council}",
        officers=(
            Officer(f"s{council}@c{council}.gov.uk", "S", "sustainability", f"oid-s{council}", at),
            Officer(
                f"p{council}@c{council}.gov.uk",
                "P",
                "procurement",
                None,
                at if partner_committed else None,
            ),
        ),
        idempotency_key=key or f"{set_key}|c{council}|{at.isoformat()}",
        by=who(council),
        at=at,
    )


def run(state: Book, *events: Event) -> tuple[Book, list[Effect]]:
    effects: list[Effect] = []
    for event in events:
        state, more = decide(state, event)
        effects.extend(more)
    return state, effects


def councils(teams: tuple[Team, ...]) -> list[str]:
    return [t.council for t in teams]


def refusal(effects: list[Effect] | tuple[Effect, ...]) -> Refused:
    assert len(effects) == 1 and isinstance(effects[0], Refused)
    return effects[0]


def test_first_come_first_served_then_the_waiting_list_in_arrival_order() -> None:
    state, effects = run(
        book(),
        *(nominate(c, START + timedelta(minutes=c)) for c in range(1, 5)),
    )
    assert councils(state.confirmed("tue")) == ["c1", "c2"]
    assert councils(state.waitlist("tue")) == ["c3", "c4"]
    assert [type(e) for e in effects] == [Confirmed, Confirmed, Waitlisted, Waitlisted]
    assert [e.position for e in effects if isinstance(e, Waitlisted)] == [1, 2]


def test_a_confirmed_team_has_a_commitment_deadline_until_everyone_commits() -> None:
    state, _ = run(book(), nominate(1))
    team = state.confirmed("tue")[0]
    assert team.deadline == START + timedelta(hours=48)
    assert not team.fully_committed
    state, effects = decide(state, Commit("tue", Who("oid-p1", "P1@c1.gov.uk"), START))
    done = state.confirmed("tue")[0]
    assert effects == (Committed(done, "p1@c1.gov.uk"),)
    assert done.fully_committed and done.deadline is None
    assert done.officers[1].aad_object_id == "oid-p1"  # bound at first act
    again, effects = decide(state, Commit("tue", who(1, "p"), START))
    assert again == state and effects == (Committed(done, "p1@c1.gov.uk", repeat=True),)


def test_the_same_card_twice_has_the_effect_of_one() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2))
    again, effects = decide(state, nominate(2))
    assert again == state
    assert effects == (Waitlisted(state.waitlist("tue")[0], 1, repeat=True),)
    again, effects = decide(state, nominate(1))
    assert again == state and effects == (Confirmed(state.confirmed("tue")[0], repeat=True),)


def test_a_council_holds_one_team_per_set_and_is_told_where_it_stands() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2))
    other_officer = replace(nominate(2, START + timedelta(hours=1)), by=Who("oid-x", "x@c2.gov.uk"))
    refused = refusal(decide(state, other_officer)[1])
    assert refused.code == "council_in_set"
    assert refused.message == (
        "Council 2 is number 1 on the waiting list for Tuesday set. "
        "A council holds one team per set."
    )


def test_by_default_a_council_holds_one_team_per_series() -> None:
    state, _ = run(book(), nominate(1))
    thursday = replace(nominate(1, START + timedelta(hours=1), "thu"), by=Who("oid-z", "z@c1"))
    refused = refusal(decide(state, thursday)[1])
    assert refused.code == "council_in_series"
    assert "Council 1 has a confirmed place in Tuesday set" in refused.message
    relaxed, _ = run(book(one_per_series=False), nominate(1))
    different_people = replace(
        thursday,
        officers=tuple(replace(o, email="t" + o.email) for o in thursday.officers),
    )
    _, effects = decide(relaxed, different_people)
    assert isinstance(effects[0], Confirmed)


def test_an_officer_cannot_be_in_two_teams() -> None:
    state, _ = run(book(), nominate(1))
    poacher = replace(nominate(2, START + timedelta(hours=1)), by=who(2))
    poacher = replace(poacher, officers=(poacher.officers[0], nominate(1).officers[1]))
    assert refusal(decide(state, poacher)[1]).code == "officer_elsewhere"


def test_a_partner_signing_up_in_turn_commits_to_the_existing_team() -> None:
    state, _ = run(book(), nominate(1))
    partner_card = replace(nominate(1, START + timedelta(hours=2), key="other"), by=who(1, "p"))
    state, effects = decide(state, partner_card)
    assert len(state.teams) == 1
    assert isinstance(effects[0], Committed) and effects[0].team.fully_committed


def test_role_pair_needs_both_roles_and_up_to_two_takes_one_or_two() -> None:
    single = replace(nominate(1), officers=nominate(1).officers[:1])
    assert refusal(decide(book(), single)[1]).code == "incomplete"
    _, effects = decide(book(policy="up_to_two"), single)
    assert isinstance(effects[0], Confirmed) and effects[0].team.fully_committed
    same_email = replace(nominate(1), officers=(nominate(1).officers[0],) * 2)
    assert refusal(decide(book(policy="up_to_two"), same_email)[1]).code == "incomplete"


def test_booking_must_be_open_and_the_set_not_started() -> None:
    draft = replace(book(), sets=(replace(book().sets[0], booking="draft"),))
    assert refusal(decide(draft, nominate(1))[1]).message == (
        "Booking for Tuesday set has not opened yet."
    )
    assert refusal(decide(book(), nominate(1, FIRST))[1]).code == "started"
    assert refusal(decide(book(), replace(nominate(1), set_key="mon"))[1]).code == "unknown_set"


def test_withdrawal_before_the_first_session_promotes_the_head_of_the_list() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2, START + timedelta(minutes=1)),
                   nominate(3, START + timedelta(minutes=2)))
    leaving = state.confirmed("tue")[0]
    later = START + timedelta(hours=1)
    state, effects = decide(state, Withdraw(leaving.team_id, who(1, "p"), later))
    assert [type(e) for e in effects] == [Withdrawn, Promoted]
    promoted = effects[1]
    assert isinstance(promoted, Promoted) and promoted.team.council == "c2"
    assert promoted.team.placed_at == later
    assert promoted.team.deadline == later + timedelta(hours=48)
    assert councils(state.confirmed("tue")) == ["c2"]
    assert councils(state.waitlist("tue")) == ["c3"]
    again, effects = decide(state, Withdraw(leaving.team_id, who(1), later))
    assert again == state and isinstance(effects[0], Withdrawn) and effects[0].repeat


def test_only_an_officer_of_the_team_may_withdraw_it() -> None:
    state, _ = run(book(), nominate(1), nominate(2))
    team = state.confirmed("tue")[0]
    unchanged, effects = decide(state, Withdraw(team.team_id, who(2), START))
    assert unchanged == state and refusal(effects).code == "not_officer"
    # The e-mail address does not help someone whose signed object id differs.
    impostor = Who("oid-mallory", "s1@c1.gov.uk")
    assert refusal(decide(state, Withdraw(team.team_id, impostor, START))[1]).code == "not_officer"


def test_withdrawal_after_the_first_session_starts_promotes_nobody() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2))
    team = state.confirmed("tue")[0]
    state, effects = decide(state, Withdraw(team.team_id, who(1), FIRST))
    assert [type(e) for e in effects] == [Withdrawn]
    assert councils(state.waitlist("tue")) == ["c2"]


def test_a_reminder_comes_before_the_team_loses_its_place() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2))
    state, effects = decide(state, ExpireDeadlines(START + timedelta(hours=23)))
    assert effects == ()
    state, effects = decide(state, ExpireDeadlines(START + timedelta(hours=24)))
    assert [type(e) for e in effects] == [Reminded]
    state, effects = decide(state, ExpireDeadlines(START + timedelta(hours=30)))
    assert effects == ()
    state, effects = decide(state, ExpireDeadlines(START + timedelta(hours=48)))
    assert [type(e) for e in effects] == [Lapsed, Promoted]
    assert councils(state.confirmed("tue")) == ["c2"]
    assert [t.status for t in state.teams if t.council == "c1"] == ["lapsed"]


def test_a_late_sweep_reminds_and_extends_rather_than_lapsing_without_warning() -> None:
    state, _ = run(book(), nominate(1))
    late = START + timedelta(hours=72)
    state, effects = decide(state, ExpireDeadlines(late))
    assert len(effects) == 1 and isinstance(effects[0], Reminded)
    assert effects[0].deadline == late + timedelta(hours=24)
    state, effects = decide(state, ExpireDeadlines(late + timedelta(hours=24)))
    assert [type(e) for e in effects] == [Lapsed]


def test_committed_teams_and_started_sets_never_lapse() -> None:
    state, _ = run(book(), nominate(1, partner_committed=True), nominate(2))
    state, effects = decide(state, ExpireDeadlines(FIRST))
    assert effects == ()  # team 2 missed its deadline, but the set has started
    assert councils(state.confirmed("tue")) == ["c1", "c2"]


def test_a_closed_set_keeps_its_waiting_list_and_reopening_continues_it() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2))
    state, effects = decide(state, Close("tue"))
    assert effects == (BookingChanged("tue", "closed"),)
    refused = refusal(decide(state, nominate(3))[1])
    assert refused.message == "Booking for Tuesday set is closed: the set is fully booked."
    head = state.confirmed("tue")[0]
    state, effects = decide(state, Withdraw(head.team_id, who(1), START))
    assert isinstance(effects[-1], Promoted) and effects[-1].team.council == "c2"
    state, _ = run(state, Reopen("tue"), nominate(3), nominate(4))
    assert councils(state.confirmed("tue")) == ["c2"]
    assert councils(state.waitlist("tue")) == ["c3", "c4"]


def test_booking_transitions() -> None:
    draft = replace(book(), sets=(replace(book().sets[0], booking="draft"),))
    state, effects = run(draft, Open("tue"))
    assert effects == [BookingChanged("tue", "open")]
    assert refusal(decide(state, Open("tue"))[1]).message == (
        "Booking for Tuesday set is already open, so it cannot be opened now."
    )
    assert refusal(decide(state, Reopen("tue"))[1]).code == "bad_transition"
    assert refusal(decide(draft, Close("tue"))[1]).code == "bad_transition"
    assert refusal(decide(draft, Open("mon"))[1]).code == "unknown_set"


def test_a_larger_capacity_promotes_and_a_smaller_one_never_removes_a_team() -> None:
    state, _ = run(book(capacity=1), nominate(1), nominate(2), nominate(3))
    state, effects = decide(state, Resize("tue", 2, START))
    assert [e.team.council for e in effects if isinstance(e, Promoted)] == ["c2"]
    unchanged, effects = decide(state, Resize("tue", 1, START))
    assert unchanged == state and refusal(effects).code == "capacity_below_confirmed"


def test_book_from_the_example_programme() -> None:
    path = Path(__file__).resolve().parent.parent / "examples" / "programme.yaml"
    programme = parse_programme(path.read_text(encoding="utf-8"))
    loaded = Book.from_programme(programme, "procurement")
    assert [s.key for s in loaded.sets] == ["procurement-tue", "procurement-thu"]
    assert loaded.policy == "role_pair" and loaded.teams == ()
    assert loaded.sets[0].first_session_start == datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
    with pytest.raises(KeyError):
        Book.from_programme(programme, "green-jobs")


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(book(), nominate(1, START.replace(tzinfo=None)))


# Property-based: any interleaving keeps the booking invariants. -----------------------------

COUNCILS = 10
nominations = st.tuples(
    st.just("nominate"), st.integers(0, COUNCILS - 1), st.sampled_from(["tue", "thu"]), st.booleans()
)
operations = st.lists(
    st.one_of(
        nominations,
        st.tuples(st.just("resubmit"), st.integers(0, 50)),
        st.tuples(st.just("commit"), st.integers(0, COUNCILS - 1), st.sampled_from(["s", "p"]),
                  st.sampled_from(["tue", "thu"])),
        st.tuples(st.just("withdraw"), st.integers(0, 50), st.sampled_from(["s", "p", "x"])),
        st.tuples(st.just("expire")),
        st.tuples(st.just("wait"), st.integers(1, 40)),
        st.tuples(st.just("booking"), st.sampled_from(["close", "reopen"]),
                  st.sampled_from(["tue", "thu"])),
        st.tuples(st.just("resize"), st.integers(1, 6), st.sampled_from(["tue", "thu"])),
    ),
    max_size=60,
)


def check_invariants(before: Book, after: Book, effects: tuple[Effect, ...]) -> None:
    ids = [t.team_id for t in after.teams]
    assert len(ids) == len(set(ids))
    seqs = [t.accepted_seq for t in after.teams]
    assert len(seqs) == len(set(seqs))
    active = [t for t in after.teams if t.active]
    emails = [o.email for t in active for o in t.officers]
    assert len(emails) == len(set(emails)), "an officer is in two places"
    places = [(t.council, t.set_key) for t in active]
    assert len(places) == len(set(places)), "a council holds two teams in a set"
    if after.one_team_per_series:
        assert len({t.council for t in active}) == len(active)
    for set_state in after.sets:
        confirmed = after.confirmed(set_state.key)
        waiting = after.waitlist(set_state.key)
        assert len(confirmed) <= set_state.capacity
        seq = [t.accepted_seq for t in waiting]
        assert seq == sorted(seq)
        # Teams still waiting keep the order they had.
        old = [t.team_id for t in before.waitlist(set_state.key)]
        kept = [t.team_id for t in waiting if t.team_id in old]
        assert kept == [i for i in old if i in kept]
        # Every promotion goes to the head of the list, in order.
        promoted = [e.team.team_id for e in effects
                    if isinstance(e, Promoted) and e.team.set_key == set_state.key]
        assert promoted == old[: len(promoted)]
    # Nobody loses a place without having been reminded first.
    for effect in effects:
        if isinstance(effect, Lapsed):
            previous = before.team(effect.team.team_id)
            assert previous is not None and previous.reminded_at is not None
    # A team that is new took the next place in the arrival order.
    new = [t for t in after.teams if before.team(t.team_id) is None]
    assert len(new) <= 1
    if new:
        assert new[0].accepted_seq > max((t.accepted_seq for t in before.teams), default=0)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(nominations, min_size=2, max_size=12),
    operations,
    st.sampled_from(["role_pair", "up_to_two"]),
    st.integers(1, 2),
)
def test_any_interleaving_keeps_the_booking_rules(
    rush: list[tuple[object, ...]], ops: list[tuple[object, ...]], policy: Policy, capacity: int
) -> None:
    # A rush of sign-ups when booking opens, then anything in any order.
    ops = rush + ops
    state = book(capacity, policy)
    now = START
    accepted: list[Nominate] = []  # cards whose first submission took a place
    for op in ops:
        event: Event
        resubmitted = False
        match op:
            case ("nominate", int(c), str(set_key), bool(committed)):
                event = nominate(c, now, set_key, partner_committed=committed)
            case ("resubmit", int(index)) if accepted:
                event = accepted[index % len(accepted)]
                resubmitted = True
            case ("commit", int(c), str(role), str(set_key)):
                event = Commit(set_key, who(c, role), now)
            case ("withdraw", int(index), str(role)) if state.teams:
                team = state.teams[index % len(state.teams)]
                event = Withdraw(team.team_id, who(int(team.council[1:]), role), now)
            case ("expire",):
                event = ExpireDeadlines(now)
            case ("wait", int(hours)):
                now += timedelta(hours=hours)
                event = ExpireDeadlines(now)
            case ("booking", "close", str(set_key)):
                event = Close(set_key)
            case ("booking", _, str(set_key)):
                event = Reopen(set_key)
            case ("resize", int(size), str(set_key)):
                event = Resize(set_key, size, now)
            case _:
                continue
        after, effects = decide(state, event)
        for effect in effects:
            hypothesis_event(type(effect).__name__)
        check_invariants(state, after, effects)
        if resubmitted:
            assert after == state, "a resubmitted card changed the booking"
        elif isinstance(event, Nominate) and isinstance(effects[0], Confirmed | Waitlisted):
            accepted.append(event)
        state = after


@given(st.permutations(list(range(COUNCILS))), st.integers(1, 6))
def test_arrival_order_alone_decides_who_is_confirmed(order: list[int], capacity: int) -> None:
    state = book(capacity)
    for step, council in enumerate(order):
        state, _ = decide(state, nominate(council, START + timedelta(seconds=step)))
    assert councils(state.confirmed("tue")) == [f"c{c}" for c in order[:capacity]]
    assert councils(state.waitlist("tue")) == [f"c{c}" for c in order[capacity:]]
