"""First come, first served booking of a series' sets: `decide(book, event) -> (book, effects)`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from bot.rules.programme import BookingState, DeadlineRule, Policy, Programme

TeamStatus = Literal["confirmed", "waitlisted", "withdrawn", "lapsed"]
ACTIVE: frozenset[TeamStatus] = frozenset({"confirmed", "waitlisted"})
ROLE_SUSTAINABILITY = "sustainability"
ROLE_PROCUREMENT = "procurement"


@dataclass(frozen=True)
class Who:
    """A person as the signed activity names them, never as card data names them."""

    aad_object_id: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Officer:
    email: str  # lower case
    name: str
    role: str  # "sustainability", "procurement" or "other"
    aad_object_id: str | None = None  # bound when the officer first acts in Teams
    committed_at: datetime | None = None

    def matches(self, who: Who) -> bool:
        """Entra object id where both sides have one, the e-mail address otherwise."""
        if self.aad_object_id and who.aad_object_id:
            return self.aad_object_id == who.aad_object_id
        return bool(who.email) and self.email == (who.email or "").strip().lower()


@dataclass(frozen=True)
class Team:
    team_id: str
    set_key: str
    council: str  # normalised key, see nomination.council_key
    council_name: str  # as the officer typed it
    officers: tuple[Officer, ...]
    accepted_seq: int  # arrival order of the complete nomination, unique across the series
    accepted_at: datetime
    status: TeamStatus
    idempotency_key: str
    placed_at: datetime | None = None  # when it got its confirmed place
    deadline: datetime | None = None  # for commitment, while confirmed and not fully committed
    reminded_at: datetime | None = None
    ended_at: datetime | None = None  # when it withdrew or lapsed

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fully_committed(self) -> bool:
        return all(o.committed_at is not None for o in self.officers)

    def officer(self, who: Who) -> Officer | None:
        return next((o for o in self.officers if o.matches(who)), None)


@dataclass(frozen=True)
class SetState:
    key: str
    name: str
    capacity: int
    booking: BookingState
    first_session_start: datetime
    deadline: DeadlineRule = field(default_factory=DeadlineRule)


@dataclass(frozen=True)
class Tally:
    """The active teams of a set that a partial book counts but does not hold."""

    confirmed: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class Book:
    """The teams of one series that a decision needs: all of them (a whole book), or, for a
    nomination, only the council's own and the officers' (a partial book, see `unloaded`)."""

    series_key: str
    policy: Policy
    one_team_per_series: bool
    sets: tuple[SetState, ...]
    teams: tuple[Team, ...] = ()
    # A partial book counts what it leaves out, so that a decision costs the same however long
    # the waiting lists are: per set, the active teams not held; per waitlisted team held, how
    # many waitlisted teams not held are ahead of it; and the series' last arrival number.
    # A whole book leaves them empty.
    unloaded: Mapping[str, Tally] = field(default_factory=dict)
    ahead: Mapping[str, int] = field(default_factory=dict)
    arrivals: int = 0

    @classmethod
    def from_programme(
        cls, programme: Programme, series_key: str, teams: Iterable[Team] = ()
    ) -> Book:
        series = programme.series_by_key(series_key)
        if series is None:
            raise KeyError(series_key)
        sets = tuple(
            SetState(s.key, s.name, s.capacity, s.booking, s.first_session_start, s.deadline)
            for s in programme.sets_of(series_key)
        )
        return cls(series_key, series.policy, series.one_team_per_series, sets, tuple(teams))

    def set_state(self, set_key: str) -> SetState | None:
        return next((s for s in self.sets if s.key == set_key), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.team_id == team_id), None)

    def confirmed(self, set_key: str) -> tuple[Team, ...]:
        return self._in(set_key, "confirmed")

    def waitlist(self, set_key: str) -> tuple[Team, ...]:
        """The waiting list, head first."""
        return self._in(set_key, "waitlisted")

    def held(self, set_key: str) -> int:
        """How many confirmed places the set has given, counted or held."""
        return len(self.confirmed(set_key)) + self.unloaded.get(set_key, Tally()).confirmed

    def waiting(self, set_key: str) -> int:
        """How long the set's waiting list is, counted or held."""
        return len(self.waitlist(set_key)) + self.unloaded.get(set_key, Tally()).waiting

    def position(self, team: Team) -> int | None:
        """1-based place on its set's waiting list; None when not waitlisted."""
        index = self._waiting_index(team.set_key).get(team.team_id)
        if index is None:
            return None
        # A team new to this book arrived after every waitlisted team it does not hold.
        before = self.ahead.get(team.team_id, self.unloaded.get(team.set_key, Tally()).waiting)
        return before + index + 1

    def next_arrival(self) -> int:
        return max(self.arrivals, max((t.accepted_seq for t in self.teams), default=0)) + 1

    def active_team_of(self, council: str, set_key: str | None = None) -> Team | None:
        return next(
            (
                t
                for t in self._ordered()
                if t.active and t.council == council and set_key in (None, t.set_key)
            ),
            None,
        )

    def _ordered(self) -> list[Team]:
        return self._by_arrival

    def _in(self, set_key: str, status: TeamStatus) -> tuple[Team, ...]:
        return self._groups.get((set_key, status), ())

    # A decision asks the same book for its order, lists and places several times; each is worked
    # out once per book (a book never changes: a decision makes a new one).

    @functools.cached_property
    def _by_arrival(self) -> list[Team]:
        return sorted(self.teams, key=lambda t: t.accepted_seq)

    @functools.cached_property
    def _groups(self) -> dict[tuple[str, TeamStatus], tuple[Team, ...]]:
        groups: dict[tuple[str, TeamStatus], list[Team]] = {}
        for team in self._by_arrival:
            groups.setdefault((team.set_key, team.status), []).append(team)
        return {key: tuple(teams) for key, teams in groups.items()}

    def _waiting_index(self, set_key: str) -> dict[str, int]:
        """Each waitlisted team's index in the set's waiting list, as this book holds it."""
        indexes: dict[str, dict[str, int]] = self.__dict__.setdefault("_waiting_indexes", {})
        index = indexes.get(set_key)
        if index is None:
            index = indexes[set_key] = {t.team_id: i for i, t in enumerate(self.waitlist(set_key))}
        return index


# Events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nominate:
    """A complete, validated nomination; the submitter's own commitment is in `officers`."""

    set_key: str
    team_id: str  # a fresh id from the caller, used only if a new team is created
    council: str
    council_name: str
    officers: tuple[Officer, ...]
    idempotency_key: str
    by: Who
    at: datetime


@dataclass(frozen=True)
class Commit:
    set_key: str
    by: Who
    at: datetime


@dataclass(frozen=True)
class Withdraw:
    team_id: str
    by: Who
    at: datetime


@dataclass(frozen=True)
class ExpireDeadlines:
    now: datetime


@dataclass(frozen=True)
class Open:
    set_key: str


@dataclass(frozen=True)
class Close:
    set_key: str


@dataclass(frozen=True)
class Reopen:
    set_key: str


@dataclass(frozen=True)
class Resize:
    """A reloaded programme changed a set's capacity; it never drops below the confirmed teams."""

    set_key: str
    capacity: int
    at: datetime


Event = Nominate | Commit | Withdraw | ExpireDeadlines | Open | Close | Reopen | Resize


# Effects ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmed:
    team: Team
    repeat: bool = False  # a resubmitted card: answer the sender again, tell nobody else


@dataclass(frozen=True)
class Waitlisted:
    team: Team
    position: int
    repeat: bool = False


@dataclass(frozen=True)
class Promoted:
    team: Team  # now confirmed; tell its officers at once and send the invitations


@dataclass(frozen=True)
class Committed:
    team: Team
    email: str  # the officer who committed
    repeat: bool = False


@dataclass(frozen=True)
class Reminded:
    team: Team  # remind the officers whose committed_at is None
    deadline: datetime


@dataclass(frozen=True)
class Lapsed:
    team: Team


@dataclass(frozen=True)
class Withdrawn:
    team: Team
    repeat: bool = False


@dataclass(frozen=True)
class BookingChanged:
    set_key: str
    booking: BookingState


RefusalCode = Literal[
    "unknown_set",
    "not_open",
    "closed",
    "started",
    "incomplete",
    "council_in_set",
    "council_in_series",
    "officer_elsewhere",
    "not_officer",
    "no_team",
    "not_active",
    "bad_transition",
    "capacity_below_confirmed",
]


@dataclass(frozen=True)
class Refused:
    code: RefusalCode
    message: str  # British English, safe to show to the sender
    team: Team | None = None  # where the council already stands, when that is the reason


Effect = (
    Confirmed
    | Waitlisted
    | Promoted
    | Committed
    | Reminded
    | Lapsed
    | Withdrawn
    | BookingChanged
    | Refused
)
# What a booking rule decides: the new state of the series's booking, and what follows from it.
BookDecision = tuple[Book, tuple[Effect, ...]]


def decide(book: Book, event: Event) -> BookDecision:
    """The new state of the series' booking and what to tell whom; `book` is never changed."""
    match event:
        case Nominate():
            return _nominate(book, event)
        case Commit():
            return _commit(book, event)
        case Withdraw():
            return _withdraw(book, event)
        case ExpireDeadlines():
            return _expire(book, event.now)
        case Open() | Close() | Reopen():
            return _booking(book, event)
        case Resize():
            return _resize(book, event)


def standing(book: Book, team: Team) -> str:
    """Where a team stands, in words for its council."""
    set_state = book.set_state(team.set_key)
    name = set_state.name if set_state else team.set_key
    if team.status == "confirmed":
        return f"has a confirmed place in {name}"
    if team.status == "waitlisted":
        return f"is number {book.position(team)} on the waiting list for {name}"
    return f"{team.status} from {name}"


def email_domain(email: str | None) -> str:
    """The part of an e-mail address after its @, in lower case; empty when there is none."""
    _, at, domain = (email or "").strip().lower().rpartition("@")
    return domain if at else ""


def colleagues_team(book: Book, email: str | None, set_key: str | None = None) -> Team | None:
    """The active team, in `set_key` if named, whose officers share this address's domain: the
    council of someone not yet in a team, known before the form names it."""
    domain = email_domain(email)
    if not domain:
        return None
    return next(
        (
            t
            for t in book._ordered()
            if t.active
            and set_key in (None, t.set_key)
            and any(email_domain(o.email) == domain for o in t.officers)
        ),
        None,
    )


def _refuse(book: Book, code: RefusalCode, message: str, team: Team | None = None) -> BookDecision:
    return book, (Refused(code, message, team),)


def _nominate(book: Book, event: Nominate) -> BookDecision:
    _aware(event.at)
    repeat = next((t for t in book.teams if t.idempotency_key == event.idempotency_key), None)
    if repeat is not None and repeat.active:
        return book, (_placement(book, repeat, repeat=True),)
    if repeat is not None:
        return _refuse(
            book,
            "not_active",
            f"This sign-up no longer holds a place ({repeat.status}); sign up again to rejoin.",
            repeat,
        )
    if book.team(event.team_id) is not None:
        raise ValueError("a new team needs a new team_id")
    set_state = book.set_state(event.set_key)
    if set_state is None:
        return _refuse(book, "unknown_set", "That set does not exist.")
    if any(t.active and t.set_key == event.set_key and t.officer(event.by) for t in book.teams):
        # A partner who signs up in turn confirms their own place in the team.
        return _commit(book, Commit(event.set_key, event.by, event.at))
    own = book.active_team_of(event.council, event.set_key)
    if own is not None:
        return _refuse(
            book,
            "council_in_set",
            f"{own.council_name} {standing(book, own)}. A council holds one team per set.",
            own,
        )
    if book.one_team_per_series:
        other = book.active_team_of(event.council)
        if other is not None:
            return _refuse(
                book,
                "council_in_series",
                f"{other.council_name} {standing(book, other)}. A council holds one "
                "team in this series.",
                other,
            )
    if set_state.booking == "draft":
        return _refuse(book, "not_open", f"Booking for {set_state.name} has not opened yet.")
    if set_state.booking == "closed":
        return _refuse(
            book, "closed", f"Booking for {set_state.name} is closed: the set is fully booked."
        )
    if event.at >= set_state.first_session_start:
        return _refuse(book, "started", f"{set_state.name} has already started.")
    problem = _incomplete(book.policy, event.officers)
    if problem:
        return _refuse(book, "incomplete", problem)
    emails = {o.email for o in event.officers}
    for team in book.teams:
        if team.active and emails & {o.email for o in team.officers}:
            return _refuse(
                book,
                "officer_elsewhere",
                f"An officer in this nomination is already in a team that "
                f"{standing(book, team)}.",
                team,
            )
    seq = book.next_arrival()
    team = Team(
        team_id=event.team_id,
        set_key=event.set_key,
        council=event.council,
        council_name=event.council_name,
        officers=event.officers,
        accepted_seq=seq,
        accepted_at=event.at,
        status="waitlisted",
        idempotency_key=event.idempotency_key,
    )
    if book.held(event.set_key) < set_state.capacity:
        team = _place(team, set_state, event.at)
    book = replace(book, teams=(*book.teams, team))
    return book, (_placement(book, team),)


def _incomplete(policy: Policy, officers: tuple[Officer, ...]) -> str | None:
    emails = [o.email for o in officers]
    if len(set(emails)) != len(emails):
        return "Each officer needs a different e-mail address."
    if policy == "role_pair":
        roles = sorted(o.role for o in officers)
        if roles != [ROLE_PROCUREMENT, ROLE_SUSTAINABILITY]:
            return (
                "This series needs two officers from your council: one sustainability or "
                "climate officer and one procurement officer."
            )
    elif not 1 <= len(officers) <= 2:
        return "A council nominates one or two officers for this series."
    return None


def _placement(book: Book, team: Team, *, repeat: bool = False) -> Effect:
    if team.status == "confirmed":
        return Confirmed(team, repeat)
    return Waitlisted(team, book.position(team) or 0, repeat)


def _place(team: Team, set_state: SetState, at: datetime) -> Team:
    deadline = None
    if not team.fully_committed:
        deadline = set_state.deadline.deadline(at, set_state.first_session_start)
    return replace(team, status="confirmed", placed_at=at, deadline=deadline, reminded_at=None)


def _commit(book: Book, event: Commit) -> BookDecision:
    _aware(event.at)
    team = next(
        (t for t in book.teams if t.active and t.set_key == event.set_key and t.officer(event.by)),
        None,
    )
    if team is None:
        return _refuse(book, "no_team", "You are not in a team in this set.")
    officer = team.officer(event.by)
    assert officer is not None
    if officer.committed_at is not None:
        return book, (Committed(team, officer.email, repeat=True),)
    changed = replace(
        officer,
        committed_at=event.at,
        aad_object_id=officer.aad_object_id or event.by.aad_object_id,
    )
    officers = tuple(changed if o is officer else o for o in team.officers)
    updated = replace(team, officers=officers)
    if updated.fully_committed:
        updated = replace(updated, deadline=None)
    book = _swap(book, updated)
    return book, (Committed(updated, officer.email),)


def _withdraw(book: Book, event: Withdraw) -> BookDecision:
    _aware(event.at)
    team = book.team(event.team_id)
    if team is None or team.officer(event.by) is None:
        return _refuse(book, "not_officer", "Only an officer of that team can withdraw it.")
    if team.status == "withdrawn":
        return book, (Withdrawn(team, repeat=True),)
    if not team.active:
        return _refuse(book, "not_active", "That team no longer holds a place.", team)
    updated = replace(team, status="withdrawn", ended_at=event.at, deadline=None)
    book = _swap(book, updated)
    book, promotions = _promote(book, team.set_key, event.at)
    return book, (Withdrawn(updated), *promotions)


def _expire(book: Book, now: datetime) -> BookDecision:
    _aware(now)
    effects: list[Effect] = []
    for set_state in book.sets:
        if now >= set_state.first_session_start:
            continue  # places are only lost before the first session
        rule = set_state.deadline
        for team in book.confirmed(set_state.key):
            if team.fully_committed or team.deadline is None:
                continue
            if team.reminded_at is None and now >= rule.remind_at(team.deadline):
                # Nobody loses a place without a reminder: a late sweep extends the deadline.
                deadline = team.deadline
                if now >= deadline:
                    deadline = min(
                        now + timedelta(hours=rule.remind_hours_before),
                        set_state.first_session_start,
                    )
                reminded = replace(team, reminded_at=now, deadline=deadline)
                book = _swap(book, reminded)
                effects.append(Reminded(reminded, deadline))
            elif team.reminded_at is not None and now >= team.deadline:
                lapsed = replace(team, status="lapsed", ended_at=now, deadline=None)
                book = _swap(book, lapsed)
                effects.append(Lapsed(lapsed))
        book, promotions = _promote(book, set_state.key, now)
        effects.extend(promotions)
    return book, tuple(effects)


def _promote(book: Book, set_key: str, at: datetime) -> tuple[Book, list[Effect]]:
    set_state = book.set_state(set_key)
    effects: list[Effect] = []
    if set_state is None or at >= set_state.first_session_start:
        return book, effects
    while book.held(set_key) < set_state.capacity and book.waitlist(set_key):
        head = _place(book.waitlist(set_key)[0], set_state, at)
        book = _swap(book, head)
        effects.append(Promoted(head))
    return book, effects


def _booking(book: Book, event: Open | Close | Reopen) -> BookDecision:
    set_state = book.set_state(event.set_key)
    if set_state is None:
        return _refuse(book, "unknown_set", "That set does not exist.")
    allowed: dict[type, tuple[BookingState, BookingState]] = {
        Open: ("draft", "open"),
        Close: ("open", "closed"),
        Reopen: ("closed", "open"),
    }
    before, after = allowed[type(event)]
    if set_state.booking != before:
        words = {"draft": "not open yet", "open": "already open", "closed": "closed"}
        verb = {Open: "opened", Close: "closed", Reopen: "reopened"}[type(event)]
        return _refuse(
            book,
            "bad_transition",
            f"Booking for {set_state.name} is {words[set_state.booking]}, so it cannot be "
            f"{verb} now.",
        )
    book = _swap_set(book, replace(set_state, booking=after))
    return book, (BookingChanged(set_state.key, after),)


def _resize(book: Book, event: Resize) -> BookDecision:
    set_state = book.set_state(event.set_key)
    if set_state is None:
        return _refuse(book, "unknown_set", "That set does not exist.")
    if event.capacity < 1:
        raise ValueError("capacity must be at least 1")
    held = book.held(event.set_key)
    if event.capacity < held:
        return _refuse(
            book,
            "capacity_below_confirmed",
            f"{set_state.name} already has {held} confirmed teams; its capacity cannot be "
            f"{event.capacity}.",
        )
    book = _swap_set(book, replace(set_state, capacity=event.capacity))
    book, promotions = _promote(book, event.set_key, event.at)
    return book, tuple(promotions)


def _swap(book: Book, team: Team) -> Book:
    return replace(book, teams=tuple(team if t.team_id == team.team_id else t for t in book.teams))


def _swap_set(book: Book, set_state: SetState) -> Book:
    return replace(
        book, sets=tuple(set_state if s.key == set_state.key else s for s in book.sets)
    )


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("booking times must be timezone-aware")
