"""Follow-ups: who agreed to be written to first (and where), the messages planned for them,
and the weekly pulse scores (bot/followups/store.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followup_consents",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("language", sa.String(8)),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("planned_at", sa.DateTime()),
    )
    op.create_table(
        "followup_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("kb_entry", sa.String(64)),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, index=True),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("answer", sa.String(16)),
        sa.UniqueConstraint("user_id", "kind", "reason", name="uq_followup_messages_reason"),
    )
    op.create_table(
        "pulse_scores",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("week", sa.Date(), nullable=False, index=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "week", name="uq_pulse_scores_user_week"),
    )


def downgrade() -> None:
    op.drop_table("pulse_scores")
    op.drop_table("followup_messages")
    op.drop_table("followup_consents")
