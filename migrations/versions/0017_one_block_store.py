"""One block store: the members on a guild's settings list (`/settings block` until now) become
member blocks for good, beside those a notice's buttons and strikes made, and the list goes.
A member on the list who also had a timed block is now blocked for good, as the list said.

The downgrade puts every block for good back on the list, the only block the earlier
`/settings block remove` could lift, and leaves the timed ones where they are.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

guild_settings = sa.table(
    "guild_settings",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("blocked_user_ids", sa.JSON()),
    sa.column("allowed_models", sa.JSON()),
    sa.column("allowed_sizes", sa.JSON()),
    sa.column("channel_ids", sa.JSON()),
    sa.column("exempt_role_ids", sa.JSON()),
    sa.column("budget_alert_percent", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
member_block = sa.table(
    "member_block",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("until", sa.DateTime(timezone=True)),
    sa.column("reason", sa.String(length=16)),
    sa.column("blocked_by", sa.BigInteger()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    listed = bind.execute(sa.select(guild_settings.c.guild_id, guild_settings.c.blocked_user_ids)).all()
    now = datetime.now(UTC)
    for guild_id, user_ids in listed:
        for user_id in dict.fromkeys(user_ids or []):
            where = (member_block.c.guild_id == guild_id) & (member_block.c.user_id == user_id)
            bind.execute(sa.delete(member_block).where(where))
            bind.execute(
                sa.insert(member_block).values(
                    guild_id=guild_id, user_id=user_id, until=None, reason="moderator", blocked_by=None, created_at=now
                )
            )
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("blocked_user_ids")


def downgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(sa.Column("blocked_user_ids", sa.JSON(), nullable=False, server_default="[]"))
    bind = op.get_bind()
    for_good = bind.execute(
        sa.select(member_block.c.guild_id, member_block.c.user_id)
        .where(member_block.c.until.is_(None))
        .order_by(member_block.c.guild_id, member_block.c.created_at, member_block.c.user_id)
    ).all()
    listed: dict[int, list[int]] = {}
    for guild_id, user_id in for_good:
        listed.setdefault(guild_id, []).append(user_id)
    present = set(bind.execute(sa.select(guild_settings.c.guild_id)).scalars())
    for guild_id, user_ids in listed.items():
        if guild_id in present:
            bind.execute(
                sa.update(guild_settings).where(guild_settings.c.guild_id == guild_id).values(blocked_user_ids=user_ids)
            )
        else:
            defaults = {"allowed_models": [], "allowed_sizes": [], "channel_ids": [], "exempt_role_ids": []}
            bind.execute(
                sa.insert(guild_settings).values(
                    guild_id=guild_id,
                    blocked_user_ids=user_ids,
                    budget_alert_percent=0,
                    updated_at=datetime.now(UTC),
                    **defaults,
                )
            )
    bind.execute(sa.delete(member_block).where(member_block.c.until.is_(None)))
