"""A guild's own API key (sealed), which key paid for each request, and when moderators were
last told that their key failed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guild_api_key",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("last_four", sa.String(length=4), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=True),
        sa.Column("set_by", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_api_key")),
    )
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("paid_by", sa.String(length=16), nullable=True))
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(sa.Column("key_notice_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("key_notice_at")
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("paid_by")
    op.drop_table("guild_api_key")
