"""Painting page links: one ticket per link, used once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paint_ticket",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("interaction_token", sa.String(length=500), nullable=False),
        sa.Column("interaction_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attachment_limit", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_paint_ticket")),
    )
    op.create_index("ix_paint_ticket_created_at", "paint_ticket", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_paint_ticket_created_at", table_name="paint_ticket")
    op.drop_table("paint_ticket")
