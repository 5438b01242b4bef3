"""Booking guarantees held by the database: a version per set, claims for a council and an officer.

A decision on a set's booking is saved only if the set's version is still the one it was decided
on (capacity and order); a council's active team and an officer's active place are unique claims
(one team per council, one place per officer), so two instances cannot both take them.

Revision ID: 0010
Revises: 0009 (issue 15 was given 0009 after 0006; chained after main's 0009 at the merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("set_def") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("claim", sa.String(400), nullable=True))
    with op.batch_alter_table("officer") as batch:
        batch.add_column(sa.Column("claim", sa.String(450), nullable=True))
    # Claims for the teams already booked: active teams hold them, as the store writes them.
    op.execute(
        "UPDATE team SET claim = CASE WHEN (SELECT one_team_per_series FROM series "
        "WHERE series.key = team.series_key) THEN 'series:' || series_key || '|' || council "
        "ELSE 'set:' || set_key || '|' || council END "
        "WHERE status IN ('confirmed', 'waitlisted')"
    )
    op.execute(
        "UPDATE officer SET claim = (SELECT 'series:' || team.series_key || '|' || officer.email "
        "FROM team WHERE team.team_id = officer.team_id AND team.status IN ('confirmed', 'waitlisted'))"
    )
    op.create_index("uq_team_claim", "team", ["claim"], unique=True)
    op.create_index("uq_officer_claim", "officer", ["claim"], unique=True)
    op.create_index("ix_team_set_status_seq", "team", ["set_key", "status", "accepted_seq"])


def downgrade() -> None:
    op.drop_index("ix_team_set_status_seq", "team")
    op.drop_index("uq_officer_claim", "officer")
    op.drop_index("uq_team_claim", "team")
    with op.batch_alter_table("officer") as batch:
        batch.drop_column("claim")
    with op.batch_alter_table("team") as batch:
        batch.drop_column("claim")
    with op.batch_alter_table("set_def") as batch:
        batch.drop_column("version")
