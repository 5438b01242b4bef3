"""The tables, as SQLAlchemy Core metadata; migrations create them, queries use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("the store takes timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

processed_activity = sa.Table(
    "processed_activity",
    metadata,
    sa.Column("activity_id", sa.String(200), primary_key=True),
    sa.Column("received_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("response", sa.JSON, nullable=True),
)

conversation_ref = sa.Table(
    "conversation_ref",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("conversation_id", sa.String(500), nullable=False),
    sa.Column("service_url", sa.String(500), nullable=False),
    sa.Column("channel_id", sa.String(50), nullable=False),
    sa.Column("tenant_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("reference", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recipient", sa.String(400), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("dedupe_key", sa.String(300), nullable=True, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
)

setting = sa.Table(
    "setting",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

series = sa.Table(
    "series",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("theme", sa.String(500), nullable=False),
    sa.Column("policy", sa.String(20), nullable=False),
    sa.Column("one_team_per_series", sa.Boolean, nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("presenters_per_session", sa.Integer, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

set_def = sa.Table(
    "set_def",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("series_key", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("booking", sa.String(10), nullable=False),
    sa.Column("facilitators", sa.JSON, nullable=False),
    sa.Column("deadline", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # Bumped by every saved booking decision that touches the set: a save is conditional on it.
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)

session_slot = sa.Table(
    "session_slot",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    # What Graph created for the session (see graph.meetings), and what the invitation last held.
    sa.Column("event_id", sa.String(400), nullable=True),
    sa.Column("join_url", sa.String(2000), nullable=True),
    sa.Column("ical_uid", sa.String(400), nullable=True),
    sa.Column("meeting_id", sa.String(400), nullable=True),
    sa.Column("chat_id", sa.String(400), nullable=True),
    sa.Column("app_installed_at", UtcDateTime(), nullable=True),
    sa.Column("attendees", sa.JSON, nullable=True),
    sa.Column("scheduled_start", UtcDateTime(), nullable=True),
    sa.Column("scheduled_end", UtcDateTime(), nullable=True),
)

meeting_chat = sa.Table(
    "meeting_chat",
    metadata,
    sa.Column("chat_id", sa.String(400), primary_key=True),
    sa.Column("set_key", sa.String(100), nullable=False),
    sa.Column("linked_at", UtcDateTime(), nullable=False),
    sa.Column("linked_by", sa.String(100), nullable=False),
)

team = sa.Table(
    "team",
    metadata,
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("series_key", sa.String(100), nullable=False),
    sa.Column("set_key", sa.String(100), nullable=False),
    sa.Column("council", sa.String(200), nullable=False),
    sa.Column("council_name", sa.String(200), nullable=False),
    sa.Column("accepted_seq", sa.Integer, nullable=False),
    sa.Column("accepted_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("idempotency_key", sa.String(600), nullable=False),
    sa.Column("placed_at", UtcDateTime(), nullable=True),
    sa.Column("deadline", UtcDateTime(), nullable=True),
    sa.Column("reminded_at", UtcDateTime(), nullable=True),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    # "series:<key>|<council>" or "set:<key>|<council>" while active, else NULL: unique.
    sa.Column("claim", sa.String(400), nullable=True, unique=True),
)

officer = sa.Table(
    "officer",
    metadata,
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("aad_object_id", sa.String(100), nullable=True),
    sa.Column("committed_at", UtcDateTime(), nullable=True),
    # "series:<key>|<email>" while the team is active, else NULL: unique.
    sa.Column("claim", sa.String(450), nullable=True, unique=True),
)

challenge_version = sa.Table(
    "challenge_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("set_key", sa.String(100), nullable=False),
    sa.Column("officer_email", sa.String(320), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# Attendance (issue 6) -------------------------------------------------------------------------

apology = sa.Table(
    "apology",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    sa.Column("officer_email", sa.String(320), primary_key=True),
    sa.Column("team_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
)

attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    # "officer:<email>" for an officer of the set, "other:<identity>" for anyone else who joined.
    sa.Column("subject", sa.String(400), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("team_id", sa.String(64), nullable=True),
    sa.Column("council_name", sa.String(200), nullable=True),
    sa.Column("tenant_id", sa.String(100), nullable=True),
    sa.Column("role", sa.String(30), nullable=True),
    sa.Column("status", sa.String(10), nullable=True),
    sa.Column("seconds", sa.Integer, nullable=False),
    sa.Column("first_join", UtcDateTime(), nullable=True),
    sa.Column("last_leave", UtcDateTime(), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("facilitator", sa.Boolean, nullable=False),
    sa.Column("collected_at", UtcDateTime(), nullable=False),
)

attendance_collection = sa.Table(
    "attendance_collection",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("collected_at", UtcDateTime(), nullable=True),
    sa.Column("reports", sa.JSON, nullable=True),
    sa.Column("gave_up_at", UtcDateTime(), nullable=True),
)

# In-meeting sessions ----------------------------------------------------------------------------------

session_run = sa.Table(
    "session_run",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("chat_id", sa.String(400), nullable=False, index=True),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # compare-and-set: a save names the one it read
    sa.Column("card_activity_id", sa.String(200), nullable=True),
    sa.Column("next_due", UtcDateTime(), nullable=True, index=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

meeting_presence = sa.Table(
    "meeting_presence",
    metadata,
    sa.Column("chat_id", sa.String(400), primary_key=True),
    sa.Column("member", sa.String(320), primary_key=True),  # Entra object id or e-mail, lower case
    sa.Column("in_meeting", sa.Boolean, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

action_item = sa.Table(
    "action_item",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),  # the session it was set in
    sa.Column("position", sa.Integer, primary_key=True),  # 1 to 5
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("officer_email", sa.String(320), nullable=False),  # who recorded it
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=True),  # done, partly, not_done: set at the review
    sa.Column("reviewed_at", UtcDateTime(), nullable=True),
)

action_review = sa.Table(
    "action_review",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),  # the session whose actions it reviews
    sa.Column("worked_well", sa.Text, nullable=False),
    sa.Column("worked_less_well", sa.Text, nullable=False),
    sa.Column("learning", sa.Text, nullable=False),
    sa.Column("officer_email", sa.String(320), nullable=False),
    sa.Column("reviewed_at", UtcDateTime(), nullable=False),
)

reflection = sa.Table(
    "reflection",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("set_key", sa.String(100), nullable=False),
    sa.Column("session_number", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # team or individual; no author: anonymous
    sa.Column("text", sa.Text, nullable=False),
)

reflection_sent = sa.Table(
    "reflection_sent",
    metadata,
    # Who has answered, kept apart from what they wrote, only to stop a second answer.
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    sa.Column("author", sa.String(320), primary_key=True),
)

# Between sessions (issue 12) ------------------------------------------------------------------
# The outbox's delivery columns (kind, set_key, status, status_at, email_claimed_at, reported_at)
# are declared on `outbox` above by `_outbox_delivery`, so that one table object holds them all.


def _outbox_delivery() -> None:
    for column in (
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("set_key", sa.String(100), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("status_at", UtcDateTime(), nullable=True),
        sa.Column("email_claimed_at", UtcDateTime(), nullable=True),
        sa.Column("reported_at", UtcDateTime(), nullable=True),
    ):
        outbox.append_column(column)


_outbox_delivery()

reminder_lead = sa.Table(
    "reminder_lead",
    metadata,
    sa.Column("scope", sa.String(120), primary_key=True),
    sa.Column("minutes", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

session_reminder = sa.Table(
    "session_reminder",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    sa.Column("starts_at", UtcDateTime(), primary_key=True),
    sa.Column("lead_minutes", sa.Integer, primary_key=True),
    sa.Column("officer_email", sa.String(320), primary_key=True),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("reason", sa.String(40), nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
)

topic = sa.Table(
    "topic",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("set_key", sa.String(100), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("title_key", sa.String(200), nullable=False),
    sa.Column("proposed_by", sa.String(320), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("set_key", "title_key", name="uq_topic_set_title"),
)

topic_vote = sa.Table(
    "topic_vote",
    metadata,
    sa.Column("topic_id", sa.Integer, sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("voter", sa.String(320), primary_key=True),
    sa.Column("voted_at", UtcDateTime(), nullable=False),
)

# Evaluation, pulse, erasure and retention (issue 13) -------------------------------------------
# Answers are keyed by the officer's e-mail address so that they can be changed; erasure and the
# retention purge replace it with a random "erased-…" key, keeping the scores for the figures.

evaluation_answer = sa.Table(
    "evaluation_answer",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("respondent", sa.String(320), primary_key=True),
    sa.Column("team_id", sa.String(64), nullable=False),
    sa.Column("benefit_self", sa.Integer, nullable=False),
    sa.Column("benefit_team", sa.Integer, nullable=False),
    sa.Column("benefit_council", sa.Integer, nullable=False),
    sa.Column("challenge_moved", sa.Integer, nullable=False),
    sa.Column("helped", sa.Text, nullable=False),
    sa.Column("change", sa.Text, nullable=False),
    sa.Column("recommend", sa.Boolean, nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

pulse_answer = sa.Table(
    "pulse_answer",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("session_number", sa.Integer, primary_key=True),
    sa.Column("respondent", sa.String(320), primary_key=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=False),
)

# What the evaluation sweep has sent, claimed in the transaction that queues it: "evaluation",
# "reminder", "pulse:<session>". A second instance finds the row and sends nothing.
evaluation_sent = sa.Table(
    "evaluation_sent",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("what", sa.String(40), primary_key=True),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False),
)

set_purge = sa.Table(
    "set_purge",
    metadata,
    sa.Column("set_key", sa.String(100), primary_key=True),
    sa.Column("purged_at", UtcDateTime(), nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),  # counts only
)

# Whose reflection is whose, only so that erasure can find it: a hash of the author, never shown.
reflection_author = sa.Table(
    "reflection_author",
    metadata,
    sa.Column("reflection_id", sa.Integer, primary_key=True),
    sa.Column("author_hash", sa.String(64), nullable=False, index=True),
)
