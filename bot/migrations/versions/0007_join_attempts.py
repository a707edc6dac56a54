"""Join-code attempts: wrong Telegram join codes per account (by pseudonym), so that the code
cannot be guessed without limit and a restart does not reset the count. A row is kept only
while it counts (an hour after the last wrong code).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "join_attempts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("join_attempts")
