"""Guild policy: settings, their change log, usage counters; cost and reservations on usage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("cost_usd", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reserved_usd", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reserved_images", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("usage") as batch:
        batch.alter_column("reserved_usd", server_default=None)
        batch.alter_column("reserved_images", server_default=None)
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("images_per_day", sa.Integer(), nullable=True),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=True),
        sa.Column("monthly_budget_usd", sa.Float(), nullable=True),
        sa.Column("alert_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("allowed_models", sa.JSON(), nullable=False),
        sa.Column("allowed_sizes", sa.JSON(), nullable=False),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("exempt_role_ids", sa.JSON(), nullable=False),
        sa.Column("blocked_user_ids", sa.JSON(), nullable=False),
        sa.Column("prompt_retention_days", sa.Integer(), nullable=True),
        sa.Column("budget_alert_period", sa.String(length=7), nullable=True),
        sa.Column("budget_alert_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "settings_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("setting", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_change")),
    )
    op.create_index(op.f("ix_settings_change_guild_id"), "settings_change", ["guild_id"])
    op.create_table(
        "usage_counter",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "subject", "period", name=op.f("pk_usage_counter")),
    )


def downgrade() -> None:
    op.drop_table("usage_counter")
    op.drop_index(op.f("ix_settings_change_guild_id"), table_name="settings_change")
    op.drop_table("settings_change")
    op.drop_table("guild_settings")
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("message_id")
        batch.drop_column("reserved_images")
        batch.drop_column("reserved_usd")
        batch.drop_column("cost_usd")
