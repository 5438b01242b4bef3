"""Evaluation answers, the after-session pulse, what the sweep sent, retention purges (issue 13).

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evaluation_answer",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("respondent", sa.String(320), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("benefit_self", sa.Integer, nullable=False),
        sa.Column("benefit_team", sa.Integer, nullable=False),
        sa.Column("benefit_council", sa.Integer, nullable=False),
        sa.Column("challenge_moved", sa.Integer, nullable=False),
        sa.Column("helped", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("recommend", sa.Boolean, nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "pulse_answer",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("session_number", sa.Integer, primary_key=True),
        sa.Column("respondent", sa.String(320), primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("answered_at", TS, nullable=False),
    )
    op.create_table(
        "evaluation_sent",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("what", sa.String(40), primary_key=True),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
    )
    op.create_table(
        "set_purge",
        sa.Column("set_key", sa.String(100), sa.ForeignKey("set_def.key"), primary_key=True),
        sa.Column("purged_at", TS, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_table(
        "reflection_author",
        sa.Column("reflection_id", sa.Integer, sa.ForeignKey("reflection.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("author_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_reflection_author_author_hash", "reflection_author", ["author_hash"])


def downgrade() -> None:
    op.drop_index("ix_reflection_author_author_hash", "reflection_author")
    for table in ("reflection_author", "set_purge", "evaluation_sent", "pulse_answer", "evaluation_answer"):
        op.drop_table(table)
