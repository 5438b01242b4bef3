"""Meetings: per session, the Teams meeting that Graph created for it, and the chat it lives in.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("session_slot") as batch:
        batch.add_column(sa.Column("event_id", sa.String(400), nullable=True))
        batch.add_column(sa.Column("join_url", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("ical_uid", sa.String(400), nullable=True))
        batch.add_column(sa.Column("meeting_id", sa.String(400), nullable=True))
        batch.add_column(sa.Column("chat_id", sa.String(400), nullable=True))
        batch.add_column(sa.Column("app_installed_at", TS, nullable=True))
        batch.add_column(sa.Column("attendees", sa.JSON, nullable=True))
        batch.add_column(sa.Column("scheduled_start", TS, nullable=True))
        batch.add_column(sa.Column("scheduled_end", TS, nullable=True))
    op.create_index("ix_session_slot_chat_id", "session_slot", ["chat_id"])
    op.create_table(
        "meeting_chat",
        sa.Column("chat_id", sa.String(400), primary_key=True),
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("linked_by", sa.String(100), nullable=False),
    )
