"""Replies: a job a message asked for is answered by the bot's own message; a usage row says it
came by a reply and which row it continues.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("via", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("parent_id", RowId, nullable=True))
        batch.create_index("ix_usage_message_id", ["message_id"])
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=16), server_default="interaction", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("usage") as batch:
        batch.drop_index("ix_usage_message_id")
        batch.drop_column("parent_id")
        batch.drop_column("via")
