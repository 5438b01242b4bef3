"""Foundation: processed activities (deduplication) and conversation references.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_activity",
        sa.Column("activity_id", sa.String(200), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.JSON, nullable=True),
    )
    op.create_index("ix_processed_activity_received_at", "processed_activity", ["received_at"])
    op.create_table(
        "conversation_ref",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("conversation_id", sa.String(500), nullable=False),
        sa.Column("service_url", sa.String(500), nullable=False),
        sa.Column("channel_id", sa.String(50), nullable=False),
        sa.Column("tenant_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("reference", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
