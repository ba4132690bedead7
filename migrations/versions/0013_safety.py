"""Safety: guild word filters, timed member blocks, the moderation level, and what screening
found on each usage row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "word_filter",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("pattern", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "pattern", name=op.f("pk_word_filter")),
    )
    op.create_table(
        "member_block",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("blocked_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_member_block")),
    )
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("flags", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("screened", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("review", sa.String(length=16), nullable=True))
        batch.create_index("ix_usage_guild_status_created", ["guild_id", "status", "created_at"])
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(sa.Column("moderation_level", sa.String(length=8), server_default="auto", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("moderation_level")
    with op.batch_alter_table("usage") as batch:
        batch.drop_index("ix_usage_guild_status_created")
        batch.drop_column("review")
        batch.drop_column("screened")
        batch.drop_column("flags")
    op.drop_table("member_block")
    op.drop_table("word_filter")
