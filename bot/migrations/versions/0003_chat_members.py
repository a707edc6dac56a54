"""Chat members: who joined a messaging channel with the join code (pseudonymous).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_members",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chat_members")
