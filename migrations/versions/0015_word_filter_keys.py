"""Word filter keys folded the way text now is (bot/wordfilter.py): a key stored by the earlier
folding (NFKC and case folding only), such as `dr4g0n` or `café`, would no longer match the text
it was meant for, so each is replaced by its new key. Where two of a guild's keys now fold to one,
the older is kept. A key that would grow past the column's 100 characters stays as it was.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.wordfilter import MAX_PATTERN_CHARS, pattern_key

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

word_filter = sa.table(
    "word_filter",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("pattern", sa.String(length=100)),
    sa.column("created_by", sa.BigInteger()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _rekeyed(rows: Sequence[sa.Row[tuple[int, str, int, object]]]) -> tuple[list[tuple[int, str]], list[dict]]:
    """The rows to delete, (guild, old key), and the rows to insert with new keys, oldest first wins."""
    kept: dict[tuple[int, str], object] = {}
    deleted: list[tuple[int, str]] = []
    inserted: list[dict] = []
    for guild_id, pattern, created_by, created_at in rows:
        key = pattern_key(pattern)
        if not key.strip("*") or len(key) > MAX_PATTERN_CHARS:
            key = pattern
        if (guild_id, key) in kept or key != pattern:
            deleted.append((guild_id, pattern))
        if (guild_id, key) not in kept:
            kept[guild_id, key] = created_at
            if key != pattern:
                inserted.append(
                    {"guild_id": guild_id, "pattern": key, "created_by": created_by, "created_at": created_at}
                )
    return deleted, inserted


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            word_filter.c.guild_id, word_filter.c.pattern, word_filter.c.created_by, word_filter.c.created_at
        ).order_by(word_filter.c.guild_id, word_filter.c.created_at, word_filter.c.pattern)
    ).all()
    deleted, inserted = _rekeyed(rows)
    for guild_id, pattern in deleted:
        bind.execute(sa.delete(word_filter).where(word_filter.c.guild_id == guild_id, word_filter.c.pattern == pattern))
    if inserted:
        bind.execute(sa.insert(word_filter), inserted)


def downgrade() -> None:
    """The new keys are kept: the earlier folding reads them as the same words."""
