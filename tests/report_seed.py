"""A finished programme for the report tests and the demo: two sets of the adaptation series whose
sessions ran in the last weeks, with booking, apologies, attendance, actions and their reviews in the
store, and the pulse and the evaluation answered through the bot's real endpoint (the cards).

Set "adaptation-tue" has four evaluation answers (its free text is reported); "adaptation-thu" has
two, below the default threshold of three (its free text must appear nowhere).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rules import attendance as a
from bot.rules import booking as b
from bot.rules.programme import Programme, parse_programme
from bot.rules.records import ActionReview
from bot.store.base import BookChange, ChallengeRecord, Store
from cards.format import LONDON
from tests.standins.teams import TeamsStandIn, User

SERIES = "adaptation"
TUE, THU = "adaptation-tue", "adaptation-thu"
FACILITATOR = User("00000000-0000-4000-8000-0000000000fa", "Pat Facilitator", "facilitator@lga.gov.uk")


@dataclass(frozen=True)
class Officer:
    user: User
    council: str


def _user(n: int, name: str, email: str) -> User:
    return User(f"00000000-0000-4000-8000-{n:012x}", name, email)


# (set, council, officers)
TEAMS: tuple[tuple[str, str, tuple[User, ...]], ...] = (
    (TUE, "Leeds City Council", (_user(0x101, "Priya Shah", "priya.shah@leeds.gov.uk"),
                                 _user(0x102, "Tom Hughes", "tom.hughes@leeds.gov.uk"))),
    (TUE, "Wigan Council", (_user(0x103, "Kim Lee", "kim.lee@wigan.gov.uk"),)),
    (TUE, "Bury Council", (_user(0x104, "Lee Brown", "lee.brown@bury.gov.uk"),)),
    (TUE, "Cornwall Council", (_user(0x105, "Morwenna Trevithick", "morwenna.t@cornwall.gov.uk"),)),
    (THU, "Bristol City Council", (_user(0x201, "Jo Carter", "jo.carter@bristol.gov.uk"),)),
    (THU, "Manchester City Council", (_user(0x202, "Sam Patel", "sam.patel@manchester.gov.uk"),)),
)
OFFICERS = {u.email: u for _, _, users in TEAMS for u in users}
COUNCILS = tuple(council for _, council, _ in TEAMS)

# Per set and session: each officer's e-mail → "a" attended, "p" apologies (with a reason), "x" absent.
ATTENDANCE: dict[str, dict[int, dict[str, str]]] = {
    TUE: {
        1: {"priya.shah@leeds.gov.uk": "a", "tom.hughes@leeds.gov.uk": "a", "kim.lee@wigan.gov.uk": "a",
            "lee.brown@bury.gov.uk": "a", "morwenna.t@cornwall.gov.uk": "a"},
        2: {"priya.shah@leeds.gov.uk": "a", "tom.hughes@leeds.gov.uk": "p", "kim.lee@wigan.gov.uk": "a",
            "lee.brown@bury.gov.uk": "x", "morwenna.t@cornwall.gov.uk": "a"},
        3: {"priya.shah@leeds.gov.uk": "a", "tom.hughes@leeds.gov.uk": "a", "kim.lee@wigan.gov.uk": "p",
            "lee.brown@bury.gov.uk": "a", "morwenna.t@cornwall.gov.uk": "a"},
    },
    THU: {
        1: {"jo.carter@bristol.gov.uk": "a", "sam.patel@manchester.gov.uk": "a"},
        2: {"jo.carter@bristol.gov.uk": "a", "sam.patel@manchester.gov.uk": "x"},
        3: {"jo.carter@bristol.gov.uk": "p", "sam.patel@manchester.gov.uk": "a"},
    },
}
REASON = "Planning committee for the Aire flood scheme that morning"

# The actions each team sets per session, and the review statuses given in the next session.
ACTION_TEXTS = ("Map which services own the drainage assets", "Brief the portfolio holder on the options")
REVIEWS = ("done", "partly", "not_done")

# Evaluation answers, given through the card: (e-mail, scores, helped, change, recommend).
EVALUATIONS: tuple[tuple[str, tuple[int, int, int, int], str, str, str], ...] = (
    ("priya.shah@leeds.gov.uk", (5, 4, 4, 4),
     "Kim Lee's questions about Leeds City Council's drainage budget helped most.",
     "More time for Tom Hughes to present; write to priya.shah@leeds.gov.uk for the notes.", "yes"),
    ("kim.lee@wigan.gov.uk", (4, 4, 3, 3), "Hearing how Cornwall handled coastal retrofit.",
     "Fewer slides, more questions.", "yes"),
    ("lee.brown@bury.gov.uk", (3, 3, 2, 2), "The coaching questions from Morwenna.",
     "A fourth session.", "no"),
    ("morwenna.t@cornwall.gov.uk", (5, 5, 4, 5), "Being asked what I could influence myself.", "", "yes"),
    ("jo.carter@bristol.gov.uk", (4, 3, 3, 3), "Sam Patel's advice on the Bristol heat plan.",
     "Meet in person once.", "yes"),
    ("sam.patel@manchester.gov.uk", (2, 2, 2, 1), "Nothing in particular.", "Smaller set", "no"),
)
# Pulse answers through the card: (set, session, e-mail, score).
PULSES: tuple[tuple[str, int, str, int], ...] = (
    (TUE, 1, "priya.shah@leeds.gov.uk", 4), (TUE, 1, "kim.lee@wigan.gov.uk", 5),
    (TUE, 1, "lee.brown@bury.gov.uk", 3), (TUE, 2, "priya.shah@leeds.gov.uk", 5),
    (TUE, 2, "morwenna.t@cornwall.gov.uk", 4), (TUE, 3, "tom.hughes@leeds.gov.uk", 5),
    (THU, 1, "jo.carter@bristol.gov.uk", 4), (THU, 2, "jo.carter@bristol.gov.uk", 3),
)
# Texts that must never reach the report (below the threshold, or confidential records).
NEVER_IN_REPORT = ("Sam Patel's advice", "Bristol heat plan", "Meet in person once", "Smaller set", REASON,
                   *ACTION_TEXTS, "Flood resilience across three services", "I listened more than")


CHALLENGE = "Flood resilience across three services"


def challenge_title(email: str) -> str:
    return f"Challenge of {email.split('@')[0].replace('.', ' ')}"


def reason(email: str) -> str:
    return f"{REASON} [{sorted(OFFICERS).index(email)}]"


def reflection_text(email: str, number: int) -> str:
    return f"I listened more than I advised (reflection {sorted(OFFICERS).index(email)}-{number})"


def programme_text(now: datetime) -> str:
    """Three fortnightly sessions on Tuesdays, the last 15 to 21 days ago (the evaluation is open), and
    on the Thursdays after (Thursday set)."""
    last = (now - timedelta(days=15)).astimezone(LONDON).date()
    last -= timedelta(days=(last.weekday() - 1) % 7)  # back to a Tuesday

    def day(days_before_last: int) -> str:
        return (last - timedelta(days=days_before_last)).strftime("%Y-%m-%d")

    return f"""
allowed_domains: []
series:
  - key: {SERIES}
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
sets:
  - key: {TUE}
    series: {SERIES}
    name: Tuesday set
    booking: closed
    facilitators: [{FACILITATOR.email}]
    sessions:
      - {day(28)} 10:30-12:00
      - {day(14)} 10:30-12:00
      - {day(0)} 10:30-12:00
  - key: {THU}
    series: {SERIES}
    name: Thursday set
    booking: closed
    facilitators: [{FACILITATOR.email}]
    sessions:
      - {day(26)} 10:30-12:00
      - {day(12)} 10:30-12:00
      - {day(-2)} 10:30-12:00
"""


def programme(now: datetime) -> Programme:
    return parse_programme(programme_text(now))


async def seed_records(store: Store, now: datetime) -> None:
    """Everything the facilitators and Teams would have put in the store while the sets ran."""
    prog = programme(now)
    opened = parse_programme(programme_text(now).replace("booking: closed", "booking: open"))
    booked_at = now - timedelta(days=80)
    await store.save_programme(opened, booked_at)
    for set_key, council, users in TEAMS:
        officers = tuple(b.Officer(u.email, u.name, "other", u.aad_object_id, booked_at) for u in users)
        event = b.Nominate(set_key, uuid.uuid4().hex, council.lower(), council, officers,
                           f"seed:{council}", b.Who(users[0].aad_object_id, users[0].email), booked_at)

        def change(book: b.Book, event: b.Nominate = event) -> BookChange:
            after, effects = b.decide(book, event)
            return BookChange(after, effects)

        await store.change_book(SERIES, change, booked_at)
    for email, user in OFFICERS.items():
        set_key = next(k for k, _, users in TEAMS if user in users)
        record = ChallengeRecord(set_key, email, challenge_title(email), f"{CHALLENGE} ({user.name})",
                                 (True,) * 6)
        await store.change_book(SERIES, lambda book, r=record: BookChange(book, challenges=(r,)), booked_at)
    await store.save_programme(prog, booked_at)  # booking closed again
    for set_def in prog.sets:
        members = await store.set_members(set_def.key)
        for number, slot in enumerate(set_def.sessions, start=1):
            marks = ATTENDANCE[set_def.key][number]
            for m in members:
                if marks[m.email] == "p":
                    await store.save_apology(a.Apology(set_def.key, number, m.email, m.team_id, reason(m.email),
                                                       slot.start_utc - timedelta(days=2)), [], booked_at)
            standing = [ap for ap in await store.apologies(set_def.key) if ap.session_number == number]
            presences = [
                a.Presence(m.aad_object_id, m.email, None, m.name, "Attendee", 5400,
                           (a.Span(slot.start_utc, slot.end_utc, 5400),))
                for m in members if marks[m.email] == "a"
            ]
            taken = a.take_attendance(members, standing, presences, slot.start_utc, slot.end_utc)
            await store.save_attendance(set_def.key, number, taken, [f"report-{number}"], [], slot.end_utc)
            teams = sorted({m.team_id for m in members})
            first_officer = {m.team_id: m.email for m in reversed(members)}
            for i, team_id in enumerate(teams):
                await store.save_actions(set_def.key, team_id, number, first_officer[team_id],
                                         [f"{x} ({first_officer[team_id]} {number})" for x in ACTION_TEXTS],
                                         slot.end_utc)
                if number > 1:  # the review of last session's actions
                    statuses = ((1, REVIEWS[i % 3]), (2, REVIEWS[(i + 1) % 3]))
                    review = ActionReview(statuses, "Talking to finance early", "Slow replies", "Ask sooner")
                    await store.save_review(set_def.key, team_id, number - 1, review, first_officer[team_id],
                                            slot.start_utc)
            for m in members:
                if marks[m.email] == "a":
                    await store.add_reflection(set_def.key, number, m.email,
                                               [("individual", reflection_text(m.email, number))])


async def answer_through_cards(send: Any, teams: TeamsStandIn, messages_url: str) -> None:
    """The pulse and the evaluation, as officers press the cards' buttons (Action.Execute invokes)."""
    for set_key, number, email, score in PULSES:
        reply = await send(messages_url, teams.card_action(
            OFFICERS[email], "pulse.submit", {"set_key": set_key, "session": number, "pulse": str(score)}))
        assert reply.status == 200 and "Thank you" in str(reply.body), reply.body
    for email, scores, helped, change, recommend in EVALUATIONS:
        set_key = next(s for s, _, users in TEAMS if email in {u.email for u in users})
        data = {"set_key": set_key, "benefit_self": str(scores[0]), "benefit_team": str(scores[1]),
                "benefit_council": str(scores[2]), "challenge_moved": str(scores[3]), "helped": helped,
                "change": change, "recommend": recommend}
        reply = await send(messages_url, teams.card_action(OFFICERS[email], "evaluation.submit", data))
        assert reply.status == 200 and "evaluation is saved" in str(reply.body), reply.body


def today() -> datetime:
    return datetime.now(UTC)
