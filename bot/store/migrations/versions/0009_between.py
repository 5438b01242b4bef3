"""Between sessions: how each notice went out, session reminders, deep-dive topics (issue 12).

Revision ID: 0009
Revises: 0008 (issue 12 was given 0007 after 0006; chained after main's 0008 at the merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as outbox:
        # What the notice is (for the admin's list), and how it went out: pending, teams, email,
        # failed. The e-mail claim is taken before sending, so a retry never sends it twice.
        outbox.add_column(sa.Column("kind", sa.String(40), nullable=True))
        outbox.add_column(sa.Column("set_key", sa.String(100), nullable=True))
        outbox.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="pending"))
        outbox.add_column(sa.Column("status_at", TS, nullable=True))
        outbox.add_column(sa.Column("email_claimed_at", TS, nullable=True))
        outbox.add_column(sa.Column("reported_at", TS, nullable=True))
    op.create_index("ix_outbox_set_status", "outbox", ["set_key", "status"])
    op.create_table(
        "reminder_lead",
        sa.Column("scope", sa.String(120), primary_key=True),  # "series:<key>" or "set:<key>"
        sa.Column("minutes", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "session_reminder",
        sa.Column("set_key", sa.String(100), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("starts_at", TS, primary_key=True),  # a moved session gets reminders of its own
        sa.Column("lead_minutes", sa.Integer, primary_key=True),
        sa.Column("officer_email", sa.String(320), primary_key=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),  # due, sent, skipped
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_index("ix_session_reminder_due", "session_reminder", ["state", "due_at"])
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_key", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.String(200), nullable=False),  # lower case: one topic, one row
        sa.Column("proposed_by", sa.String(320), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("set_key", "title_key", name="uq_topic_set_title"),
    )
    op.create_table(
        "topic_vote",
        sa.Column("topic_id", sa.Integer, sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("voter", sa.String(320), primary_key=True),
        sa.Column("voted_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("topic_vote")
    op.drop_table("topic")
    op.drop_index("ix_session_reminder_due", "session_reminder")
    op.drop_table("session_reminder")
    op.drop_table("reminder_lead")
    op.drop_index("ix_outbox_set_status", "outbox")
    with op.batch_alter_table("outbox") as outbox:
        for name in ("reported_at", "email_claimed_at", "status_at", "status", "set_key", "kind"):
            outbox.drop_column(name)
