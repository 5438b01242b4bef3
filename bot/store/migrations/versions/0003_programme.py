"""Programme and booking: series, sets, sessions, teams, officers and challenge versions.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    op.create_table(
        "series",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("theme", sa.String(500), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("one_team_per_series", sa.Boolean, nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("presenters_per_session", sa.Integer, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "set_def",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("series_key", sa.String(100), sa.ForeignKey("series.key"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booking", sa.String(10), nullable=False),
        sa.Column("facilitators", sa.JSON, nullable=False),
        sa.Column("deadline", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "session_slot",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
    )
    op.create_table(
        "team",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("series_key", sa.String(100), sa.ForeignKey("series.key"), nullable=False),
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), nullable=False, index=True),
        sa.Column("council", sa.String(200), nullable=False),
        sa.Column("council_name", sa.String(200), nullable=False),
        sa.Column("accepted_seq", sa.Integer, nullable=False),
        sa.Column("accepted_at", TS, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(600), nullable=False, unique=True),
        sa.Column("placed_at", TS, nullable=True),
        sa.Column("deadline", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.UniqueConstraint("series_key", "accepted_seq", name="uq_team_series_seq"),
    )
    op.create_table(
        "officer",
        sa.Column("team_id", sa.String(64), sa.ForeignKey("team.team_id"), primary_key=True),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("aad_object_id", sa.String(100), nullable=True, index=True),
        sa.Column("committed_at", TS, nullable=True),
    )
    op.create_index("ix_officer_email", "officer", ["email"])
    op.create_table(
        "challenge_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), nullable=False),
        sa.Column("officer_email", sa.String(320), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("set_key", "officer_email", "number", name="uq_challenge_version"),
    )
