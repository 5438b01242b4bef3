"""The store's interface: use-case methods only, so that the rules never see SQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.rules.airtime import AirtimeSettings
from bot.rules.attendance import Apology, Member, SessionAttendance
from bot.rules.booking import Book, Effect, Tally, Team, Who
from bot.rules.evaluation import Answer
from bot.rules.programme import Programme
from bot.rules.records import (
    ActionItem,
    ActionReview,
    Reflection,
    ReflectionKind,
    SessionRun,
)


@dataclass(frozen=True)
class ConversationRef:
    """Where the bot can reach someone or some chat later (proactive messages)."""

    key: str  # "user:<aadObjectId>" for a personal chat, "chat:<conversationId>" otherwise
    conversation_id: str
    service_url: str
    channel_id: str
    tenant_id: str
    kind: str
    reference: dict[str, Any]
    updated_at: datetime
    email: str | None = None  # as the channel reports the person's profile, lower case


@dataclass(frozen=True)
class Notice:
    """A message to deliver later, proactively: it is queued in the same transaction as the change
    it reports, so it is sent only if that change was committed, and never lost."""

    recipient: str  # "user:<aadObjectId>", "email:<address>" or "chat:<conversationId>"
    body: dict[str, Any]  # {"text": ...} or {"card": {...}}
    dedupe_key: str | None = None  # a second notice with the same key is dropped
    due_at: datetime | None = None  # None: at once


@dataclass(frozen=True)
class Pending:
    id: int
    recipient: str
    body: dict[str, Any]
    attempts: int
    kind: str = "message"  # what the notice is, e.g. "session-reminder" (bot.features.mail_text)
    dedupe_key: str | None = None


@dataclass(frozen=True)
class ChallengeRecord:
    """One version of an officer's challenge: confidential, readable only within its set."""

    set_key: str
    officer_email: str
    title: str
    text: str
    answers: tuple[bool | None, ...]


@dataclass(frozen=True)
class BookChange:
    """What a decision on a series' booking produced: saved, with its notices, in one transaction."""

    book: Book
    effects: tuple[Effect, ...] = ()
    notices: tuple[Notice, ...] = ()
    challenges: tuple[ChallengeRecord, ...] = ()


@dataclass(frozen=True)
class BookScope:
    """What a batch of nominations needs of a series' teams: those of these councils, officers
    (by e-mail address or Entra object id) and cards (idempotency keys). Everything else is
    counted, not loaded, so a decision costs the same however long the waiting lists are."""

    councils: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    aad_ids: frozenset[str] = frozenset()
    idempotency_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BookSlice:
    """A book as loaded for a decision, with the set versions its save is conditional on, and the
    challenge versions to save with it."""

    book: Book
    versions: Mapping[str, int]
    challenges: tuple[ChallengeRecord, ...] = ()


@dataclass(frozen=True)
class SessionMeeting:
    """A session and the Teams meeting made for it (None where not made yet)."""

    set_key: str
    number: int
    starts_at: datetime
    ends_at: datetime
    event_id: str | None = None
    join_url: str | None = None
    ical_uid: str | None = None
    meeting_id: str | None = None
    chat_id: str | None = None
    app_installed_at: datetime | None = None
    attendees: tuple[str, ...] | None = None  # the e-mail addresses the invitation last held
    scheduled_start: datetime | None = None  # the times the event last held
    scheduled_end: datetime | None = None


@dataclass(frozen=True)
class CollectionDue:
    """A session whose attendance report should be read now (or, with `give_up`, no longer)."""

    set_key: str
    number: int
    meeting_id: str
    starts_at: datetime
    ends_at: datetime
    attempts: int
    give_up: bool = False


@dataclass(frozen=True)
class ProgrammeSaved:
    created: tuple[str, ...]  # keys of series and sets created
    updated: tuple[str, ...]
    effects: tuple[Effect, ...] = ()  # e.g. a capacity change refused below the confirmed teams
    # (series key, set key, new capacity): a capacity change is a booking decision, made by the
    # caller through the rules (bot.features.booking.save_programme), never by the store.
    resizes: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class Scrubbed:
    """What an erasure or a retention purge removed: counts by kind, never the data itself."""

    counts: tuple[tuple[str, int], ...]  # (what, how many), in a fixed order
    officers: int = 0
    # Text columns of tables this code does not know that still hold the person's name, e-mail
    # address or id ("table.column"), for the admin to look at; empty when everything went.
    leftovers: tuple[str, ...] = ()

    def count(self, what: str) -> int:
        return dict(self.counts).get(what, 0)


# Between sessions (issue 12) ---------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeStatus:
    """How one notice went out, for the programme team: never its text."""

    id: int
    person: str  # an e-mail address where known, else the recipient key
    kind: str
    set_key: str | None
    status: str  # pending, teams, email, failed
    at: datetime  # when it went out, or last failed; when it was queued while pending
    reason: str | None


@dataclass(frozen=True)
class ReminderCandidate:
    """A session reminder that may fall due, and the notice to queue if it is sent."""

    set_key: str
    number: int
    starts_at: datetime
    lead_minutes: int
    officer_email: str
    due_at: datetime
    placed_at: datetime | None
    skip: str | None  # why not to send it when due (apologies, started), else None
    notice: Notice | None


@dataclass(frozen=True)
class Topic:
    """A deep-dive topic proposed in a set: visible only inside it (and to admins)."""

    id: int
    set_key: str
    title: str = field(repr=False)
    votes: int = 0
    mine: bool = False  # the asker voted for it
    proposed_by_me: bool = False


class BetweenStore(ABC):
    """Delivery records, session reminders, refined challenges and topics (bot.store.sql_between)."""

    @abstractmethod
    async def claim_email(self, notice_id: int, now: datetime, reason: str) -> bool:
        """Take the right to e-mail this notice, noting why Teams did not do; False if it was taken
        before (never e-mail twice)."""

    @abstractmethod
    async def release_email(self, notice_id: int) -> None:
        """Graph refused the e-mail for certain (it was not sent): a later attempt may try again."""

    @abstractmethod
    async def notice_failed(self, notice_id: int, reason: str, now: datetime,
                            retry_at: datetime | None) -> None:
        """Record a failure; `retry_at` None stops retrying (an e-mail whose fate is unknown)."""

    @abstractmethod
    async def report_failures(self, now: datetime,
                              build: Callable[[list[NoticeStatus]], list[Notice]]) -> int:
        """Queue, once, what `build` makes of the failed notices not yet reported to the admins."""

    @abstractmethod
    async def notice_statuses(self, set_key: str | None = None, *, everything: bool = False,
                              limit: int = 500) -> list[NoticeStatus]:
        """Newest first; without `everything`, only those that did not go by Teams."""

    @abstractmethod
    async def email_of(self, recipient: str) -> str | None:
        """The e-mail address behind a recipient key, from the officers and the conversations."""

    @abstractmethod
    async def notice_context(self, notice: Pending) -> dict[str, str]:
        """Schedule facts for a notice's e-mail, from the set or team it names: "set" (the set's
        title) and "council" where known. Never anything a person wrote in a set."""

    @abstractmethod
    async def any_service_url(self, tenant_id: str | None = None) -> str | None:
        """A Teams service URL seen lately (to start a personal chat with)."""

    @abstractmethod
    async def reminder_leads(self) -> dict[str, tuple[int, ...]]:
        """The lead times in minutes from the programme file, by "series:<key>" and "set:<key>"."""

    @abstractmethod
    async def claim_reminders(self, set_key: str, candidates: Sequence[ReminderCandidate], now: datetime,
                              grace: timedelta) -> list[ReminderCandidate]:
        """For one set's sessions still to come: drop the kept reminders no longer among the
        candidates; keep every candidate (first seen after its due time plus `grace`: skipped), then send,
        once across instances, those due now: each marked sent or skipped with its notice queued in
        the same transaction. Returns those sent."""

    @abstractmethod
    async def save_challenge(self, record: ChallengeRecord, now: datetime) -> int:
        """Add a version (a restatement of the current one adds none); the current version's number."""

    @abstractmethod
    async def challenge_versions(self, set_key: str, officer_email: str) -> int: ...

    @abstractmethod
    async def propose_topic(self, set_key: str, title: str, by: str, now: datetime) -> int:
        """The topic's id (an existing one with the same title in the set is reused)."""

    @abstractmethod
    async def vote_topic(self, topic_id: int, voter: str, vote: bool, now: datetime) -> bool:
        """Vote for (or take back the vote on) a topic; False if the topic does not exist."""

    @abstractmethod
    async def topics(self, set_key: str, voter: str | None = None) -> list[Topic]:
        """The set's topics, most votes first."""

    @abstractmethod
    async def topic_set(self, topic_id: int) -> str | None: ...


class Store(BetweenStore):
    @abstractmethod
    async def ping(self) -> None:
        """Raise if the store cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def first_sighting(self, activity_id: str, now: datetime) -> bool:
        """Record an incoming activity id; False if it was seen before (a channel retry)."""

    @abstractmethod
    async def record_response(self, activity_id: str, response: dict[str, Any]) -> None:
        """Keep the answer given to an invoke, so that a retry gets the same answer."""

    @abstractmethod
    async def response_for(self, activity_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def forget_before(self, activities: datetime, notices: datetime) -> int:
        """Housekeeping: drop activity ids seen before `activities` (Teams retries within
        minutes) and notices delivered before `notices`; returns how many rows went."""

    @abstractmethod
    async def save_conversation(self, ref: ConversationRef) -> None: ...

    @abstractmethod
    async def conversation(self, key: str) -> ConversationRef | None: ...

    @abstractmethod
    async def conversation_by_email(self, email: str) -> ConversationRef | None: ...

    @abstractmethod
    async def enqueue(self, notices: list[Notice], now: datetime) -> None: ...

    @abstractmethod
    async def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[Pending]:
        """Take due notices for delivery; another instance will not take them until the lease ends."""

    @abstractmethod
    async def delivered(self, notice_id: int, at: datetime, channel: str = "teams") -> None:
        """The notice went out, by `channel` ("teams" or "email")."""

    @abstractmethod
    async def not_delivered(self, notice_id: int, error: str, retry_at: datetime) -> None: ...

    # Programme and booking -------------------------------------------------------------------

    @abstractmethod
    async def save_programme(self, programme: Programme, now: datetime) -> ProgrammeSaved:
        """Create or update series and sets by key; loading the same file twice changes nothing."""

    @abstractmethod
    async def programme(self, *, fresh: bool = False) -> Programme:
        """The series and sets; possibly a moment old unless `fresh` (another instance's change)."""

    @abstractmethod
    async def book(self, series_key: str) -> Book: ...

    # The booking seam: one method per guarantee. Features decide (bot.features.booking) between
    # `load_book` and `save_book`, outside any transaction; the store never calls the rules.

    @abstractmethod
    async def load_book(self, series_key: str, scope: BookScope | None = None) -> BookSlice:
        """The series' booking for a decision: whole (scope None), or only the teams `scope` names,
        with the rest counted per set (`Book.unloaded`, `Book.ahead`) and the last arrival number."""

    @abstractmethod
    async def save_book(self, before: BookSlice, after: BookSlice, notices: Sequence[Notice],
                        now: datetime) -> bool:
        """Save what changed from `before` to `after`, its challenge versions and `notices`, in one
        transaction, only if no other decision touching the same sets was saved since `before` was
        loaded (capacity and waiting-list order), the arrival number is still free (arrival
        order), and no council or officer would hold two active places (one team per council).
        False: nothing was written; load and decide again."""

    @abstractmethod
    async def booking_tallies(self) -> dict[str, Tally]:
        """Every set's confirmed teams and waiting list, counted (the sign-up card's places left)."""

    async def change_book(self, series_key: str, change: Callable[[Book], BookChange],
                          now: datetime) -> BookChange:
        """For scripts and test seeding: load the whole book, let `change` decide outside any
        transaction, save if unchanged (retrying a lost race). Features use bot.features.booking."""
        while True:
            before = await self.load_book(series_key)
            result = change(before.book)
            after = BookSlice(result.book, before.versions, result.challenges)
            if await self.save_book(before, after, result.notices, now):
                return result

    @abstractmethod
    async def teams_of(self, who: Who) -> list[Team]:
        """The teams in which this person is an officer, by Entra object id or e-mail address."""

    @abstractmethod
    async def series_of_team(self, team_id: str) -> str | None: ...

    @abstractmethod
    async def latest_challenge(self, set_key: str, officer_email: str) -> ChallengeRecord | None: ...

    # Meetings (issue 4) -----------------------------------------------------------------------

    @abstractmethod
    async def session_meetings(self, set_key: str) -> list[SessionMeeting]: ...

    @abstractmethod
    async def record_meeting(self, set_key: str, number: int, changes: Mapping[str, Any]) -> None:
        """Keep what Graph made for a session, step by step, so that a rerun finishes the rest."""

    @abstractmethod
    async def link_chat(self, chat_id: str, set_key: str, by: str, now: datetime) -> None: ...

    @abstractmethod
    async def set_of_chat(self, chat_id: str) -> str | None:
        """The set whose meeting chat this is (made by Graph, or linked by its facilitator)."""

    # Sessions in the meeting ------------------------------------------------------------------

    @abstractmethod
    async def session_run(self, set_key: str, number: int) -> SessionRun | None: ...

    @abstractmethod
    async def session_run_in_chat(self, chat_id: str) -> SessionRun | None:
        """The run in this chat: the one running, or else the one changed last."""

    @abstractmethod
    async def session_runs_of(self, set_key: str) -> list[SessionRun]:
        """Every run of the set, by session number."""

    @abstractmethod
    async def save_session_run(self, run: SessionRun, expected_version: int | None,
                               notices: list[Notice], now: datetime) -> bool:
        """Compare-and-set: save `run` only if the stored version is still `expected_version` (None:
        only if there is no run yet), queueing `notices` in the same transaction. False: another
        turn or instance saved first, nothing was written, and the caller must not act."""

    @abstractmethod
    async def set_session_card(self, set_key: str, number: int, activity_id: str) -> None: ...

    @abstractmethod
    async def due_session_runs(self, now: datetime, limit: int = 50) -> list[SessionRun]:
        """Runs whose clock has something to do at `now` (a warning, a heads-up)."""

    @abstractmethod
    async def set_presence(self, chat_id: str, member: str, in_meeting: bool, now: datetime) -> None: ...

    @abstractmethod
    async def presence(self, chat_id: str) -> dict[str, bool]:
        """Who the meeting's participant events said is in (True) or has left (False)."""

    @abstractmethod
    async def airtime_settings(self, series_key: str) -> AirtimeSettings:
        """The series' session timings and phase shares; the defaults unless an admin set them."""

    @abstractmethod
    async def save_airtime_settings(self, series_key: str, settings: AirtimeSettings) -> None: ...

    @abstractmethod
    async def save_actions(self, set_key: str, team_id: str, number: int, officer_email: str,
                           texts: list[str], now: datetime) -> None:
        """Replace the team's actions set in session `number` (at most five, blanks dropped)."""

    @abstractmethod
    async def actions_of(self, set_key: str, team_id: str, number: int) -> list[ActionItem]: ...

    @abstractmethod
    async def save_review(self, set_key: str, team_id: str, number: int, review: ActionReview,
                          officer_email: str, now: datetime) -> None:
        """Record the review of the actions the team set in session `number`."""

    @abstractmethod
    async def review_of(self, set_key: str, team_id: str, number: int) -> ActionReview | None: ...

    @abstractmethod
    async def add_reflection(self, set_key: str, number: int, author: str,
                             texts: list[tuple[ReflectionKind, str]]) -> bool:
        """Keep a member's reflections without their name; False if they had already answered."""

    @abstractmethod
    async def reflections(self, set_key: str, number: int) -> list[Reflection]: ...

    # Attendance (issue 6) ---------------------------------------------------------------------

    @abstractmethod
    async def teams_with_apologies(self, set_key: str, session_number: int) -> frozenset[str]:
        """Teams whose every officer has sent apologies for that session: left out of its running order."""

    @abstractmethod
    async def set_members(self, set_key: str) -> list[Member]:
        """The officers of the set's confirmed teams."""

    @abstractmethod
    async def apologies(self, set_key: str) -> list[Apology]:
        """Every apology for the set's sessions, withdrawn ones included."""

    @abstractmethod
    async def save_apology(self, apology: Apology, notices: Sequence[Notice], now: datetime) -> None:
        """Send (or resend with a new reason) an apology, and queue its notices, in one transaction."""

    @abstractmethod
    async def withdraw_apology(self, set_key: str, session_number: int, officer_email: str,
                               notices: Sequence[Notice], now: datetime) -> bool:
        """False if there was no standing apology to withdraw."""

    @abstractmethod
    async def save_attendance(self, set_key: str, session_number: int, taken: SessionAttendance,
                              reports: Sequence[str], notices: Sequence[Notice], now: datetime) -> None:
        """Replace the session's attendance with `taken` (collecting again never duplicates)."""

    @abstractmethod
    async def attendance(self, set_key: str) -> dict[int, SessionAttendance]:
        """The collected attendance of the set, by session number."""

    @abstractmethod
    async def claim_collections(self, now: datetime, *, grace: timedelta, retry: timedelta,
                                wait: timedelta) -> list[CollectionDue]:
        """Sessions whose attendance is due to be read (ended `grace` ago, with a meeting, not
        collected, last tried over `retry` ago), taken so that another instance skips them for
        `retry`; and, marked `give_up`, those tried and still missing `wait` after their end.
        A session that ended over `wait` ago and was never tried is left alone."""

    @abstractmethod
    async def collection_failed(self, set_key: str, session_number: int, error: str,
                                notices: Sequence[Notice], now: datetime) -> None: ...

    # Evaluation, pulse, erasure and retention (issue 13) -------------------------------------

    @abstractmethod
    async def save_evaluation(self, set_key: str, respondent: str, team_id: str, answer: Answer,
                              now: datetime) -> bool:
        """Keep (or replace) an officer's evaluation of a set; True if it is their first."""

    @abstractmethod
    async def evaluation_of(self, set_key: str, respondent: str) -> Answer | None: ...

    @abstractmethod
    async def evaluation_answers(self, set_key: str) -> list[Answer]:
        """Every answer for the set, in no meaningful order, without who gave it."""

    @abstractmethod
    async def evaluation_respondents(self, set_key: str) -> frozenset[str]:
        """Who has answered (lower-case e-mail addresses), only to remind the others."""

    @abstractmethod
    async def save_pulse(self, set_key: str, number: int, respondent: str, score: int,
                         now: datetime) -> None: ...

    @abstractmethod
    async def pulse_scores(self, set_key: str) -> dict[int, list[int]]:
        """The pulse scores by session number, without who gave them."""

    @abstractmethod
    async def claim_sending(self, set_key: str, what: str, notices: Sequence[Notice],
                            now: datetime) -> bool:
        """Record that `what` ("evaluation", "reminder", "pulse:N") was sent for the set, queueing its
        notices in the same transaction; False, and nothing queued, if it had been already."""

    @abstractmethod
    async def sent_at(self, set_key: str, what: str) -> datetime | None: ...

    @abstractmethod
    async def ended_runs(self) -> frozenset[tuple[str, int]]:
        """(set, session) of every session run that its facilitator has ended."""

    @abstractmethod
    async def erase_officer(self, email: str, now: datetime, *, dry_run: bool = False) -> Scrubbed:
        """Remove the officer's personal data and free text everywhere, keeping anonymous counts;
        with `dry_run`, only say what would go."""

    @abstractmethod
    async def purge_set(self, set_key: str, now: datetime, *, dry_run: bool = False) -> Scrubbed | None:
        """Remove the personal data of a finished set; None if it was purged already (on any
        instance): the purge happens once."""

    @abstractmethod
    async def purged_sets(self) -> dict[str, datetime]: ...
