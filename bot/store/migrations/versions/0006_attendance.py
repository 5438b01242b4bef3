"""Apologies and attendance: the register of each session (issue 6).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "apology",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("officer_email", sa.String(320), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
    )
    # One row per person per session: collecting again deletes the session's rows and writes
    # them anew in one transaction, so it replaces and never duplicates.
    op.create_table(
        "attendance",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
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
        sa.Column("first_join", TS, nullable=True),
        sa.Column("last_leave", TS, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("facilitator", sa.Boolean, nullable=False),
        sa.Column("collected_at", TS, nullable=False),
    )
    op.create_table(
        "attendance_collection",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("collected_at", TS, nullable=True),
        sa.Column("reports", sa.JSON, nullable=True),
        sa.Column("gave_up_at", TS, nullable=True),
    )
