"""Answer variants: which of a knowledge entry's short answers a reply gave (a stable id derived
from its text, bot/knowledge/replies.variant_id), so that the Answers page can compare the variants of one entry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.add_column(sa.Column("answer_variant", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("answer_variant")
