"""Outbox of proactive notices, and the verified e-mail address beside a conversation reference.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_ref") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
    op.create_index("ix_conversation_ref_email", "conversation_ref", ["email"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(400), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(300), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "due_at"])
