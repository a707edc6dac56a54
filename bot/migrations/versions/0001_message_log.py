"""The adoption log: one row per message and per reply.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("team", sa.String(64)),
        sa.Column("language", sa.String(8)),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.Float()),
        sa.Column("sentiment_label", sa.String(16)),
        sa.Column("sentiment_score", sa.Float()),
        sa.Column("kb_entry", sa.String(64)),
        sa.Column("feedback", sa.String(16)),
        sa.UniqueConstraint("event_id", name="uq_message_log_event_id"),
    )
    op.create_index("ix_message_log_ts", "message_log", ["ts"])
    op.create_index("ix_message_log_user_id", "message_log", ["user_id"])


def downgrade() -> None:
    op.drop_table("message_log")
