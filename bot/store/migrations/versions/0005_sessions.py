"""In-meeting sessions: the run of each session, who is in the meeting, actions and reflections (issue 5).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "session_run",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.String(400), nullable=False, index=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("card_activity_id", sa.String(200), nullable=True),
        sa.Column("next_due", TS, nullable=True, index=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "meeting_presence",
        sa.Column("chat_id", sa.String(400), primary_key=True),
        sa.Column("member", sa.String(320), primary_key=True),
        sa.Column("in_meeting", sa.Boolean, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "action_item",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("team_id", sa.String(64), sa.ForeignKey("team.team_id"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("officer_email", sa.String(320), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
    )
    op.create_table(
        "action_review",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("team_id", sa.String(64), sa.ForeignKey("team.team_id"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("worked_well", sa.Text, nullable=False),
        sa.Column("worked_less_well", sa.Text, nullable=False),
        sa.Column("learning", sa.Text, nullable=False),
        sa.Column("officer_email", sa.String(320), nullable=False),
        sa.Column("reviewed_at", TS, nullable=False),
    )
    op.create_table(
        "reflection",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), nullable=False),
        sa.Column("session_number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_reflection_session", "reflection", ["set_key", "session_number"])
    op.create_table(
        "reflection_sent",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("author", sa.String(320), primary_key=True),
    )
