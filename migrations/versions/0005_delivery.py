"""Delivery: its own status on the usage row, every attempt logged, undelivered results kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("usage_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    op.create_index("ix_delivery_attempt_usage_id", "delivery_attempt", ["usage_id"])
    op.create_table(
        "kept_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("usage_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_result")),
    )
    op.create_index("ix_kept_result_user_id", "kept_result", ["user_id", "created_at"])
    op.create_index("ix_kept_result_expires_at", "kept_result", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_kept_result_expires_at", table_name="kept_result")
    op.drop_index("ix_kept_result_user_id", table_name="kept_result")
    op.drop_table("kept_result")
    op.drop_index("ix_delivery_attempt_usage_id", table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("delivery")
