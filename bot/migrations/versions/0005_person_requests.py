"""Requests to talk to a person: the reply that confirmed one is marked in the log, and a
trainer's "done" is kept beside it (erasing the person erases both).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_log") as table:
        table.add_column(sa.Column("request", sa.String(16), nullable=True))
    op.create_table(
        "handled_requests",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("handled_by", sa.String(64), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handled_requests")
    with op.batch_alter_table("message_log") as table:
        table.drop_column("request")
