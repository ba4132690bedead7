"""Query functions for a guild's safety: word filters, timed member blocks, and flagged rows.

Each takes the session of its caller's unit of work and never commits. Blocks are written with
one statement that decides by itself (an upsert with a condition), so that several processes
blocking the same member at once agree on one block and know which of them made it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MemberBlock, UsageRecord, UsageStatus, WordFilter
from bot.db.statements import changed, dialect_of

FLAGGED_STATUSES = (UsageStatus.FLAGGED, UsageStatus.FILTERED)


async def filter_patterns(session: AsyncSession, guild_id: int) -> list[str]:
    """The guild's filter patterns (keys), oldest first."""
    rows = await session.scalars(
        select(WordFilter.pattern).where(WordFilter.guild_id == guild_id).order_by(WordFilter.created_at)
    )
    return list(rows)


async def add_filter(session: AsyncSession, guild_id: int, pattern: str, user_id: int) -> bool:
    """Add a pattern key; False when the guild has it already."""
    if await session.get(WordFilter, (guild_id, pattern)) is not None:
        return False
    session.add(WordFilter(guild_id=guild_id, pattern=pattern, created_by=user_id))
    return True


async def remove_filter(session: AsyncSession, guild_id: int, pattern: str) -> bool:
    result = await changed(
        session, delete(WordFilter).where(WordFilter.guild_id == guild_id, WordFilter.pattern == pattern)
    )
    return bool(result)


async def block_member(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    *,
    until: datetime | None,
    reason: str,
    blocked_by: int | None,
    now: datetime,
    only_if_free: bool = False,
) -> bool:
    """Block a member until `until` (None: for good). A moderator's block replaces any other;
    `only_if_free` (strikes) blocks only a member with no block in force. True when this
    statement made the block."""
    insert = postgresql_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = insert(MemberBlock).values(
        guild_id=guild_id, user_id=user_id, until=until, reason=reason, blocked_by=blocked_by, created_at=now
    )
    excluded = statement.excluded
    changes = {
        "until": excluded.until,
        "reason": excluded.reason,
        "blocked_by": excluded.blocked_by,
        "created_at": excluded.created_at,
    }
    condition = (MemberBlock.until.is_not(None)) & (MemberBlock.until <= now) if only_if_free else None
    statement = statement.on_conflict_do_update(index_elements=["guild_id", "user_id"], set_=changes, where=condition)
    result = await changed(session, statement)
    return bool(result)


async def unblock_member(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    """Lift the member's block here, whoever made it; False when there was none."""
    result = await changed(
        session, delete(MemberBlock).where(MemberBlock.guild_id == guild_id, MemberBlock.user_id == user_id)
    )
    return bool(result)


async def unblock_all(session: AsyncSession, guild_id: int) -> int:
    """Lift every block here, whoever made it; how many rows went (ended ones too)."""
    return await changed(session, delete(MemberBlock).where(MemberBlock.guild_id == guild_id))


async def block_in_force(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> MemberBlock | None:
    """The member's block here if it has not ended, as stored now (not as this session last saw it)."""
    return await session.scalar(
        select(MemberBlock)
        .where(
            MemberBlock.guild_id == guild_id,
            MemberBlock.user_id == user_id,
            or_(MemberBlock.until.is_(None), MemberBlock.until > now),
        )
        .execution_options(populate_existing=True)
    )


async def blocks_in_force(session: AsyncSession, guild_id: int, now: datetime) -> list[MemberBlock]:
    """The guild's blocks that have not ended, oldest first, as stored now."""
    rows = await session.scalars(
        select(MemberBlock)
        .where(MemberBlock.guild_id == guild_id, or_(MemberBlock.until.is_(None), MemberBlock.until > now))
        .order_by(MemberBlock.created_at, MemberBlock.user_id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def flags_since(session: AsyncSession, guild_id: int, user_id: int, since: datetime) -> int:
    """How many of the member's requests here screening flagged since `since`."""
    count = await session.scalar(
        select(func.count())
        .select_from(UsageRecord)
        .where(
            UsageRecord.guild_id == guild_id,
            UsageRecord.status == UsageStatus.FLAGGED,
            UsageRecord.created_at >= since,
            UsageRecord.user_id == user_id,
        )
    )
    return int(count or 0)


async def flagged_rows(
    session: AsyncSession, guild_id: int, since: datetime, *, offset: int, limit: int
) -> tuple[list[UsageRecord], int]:
    """A page of the guild's flagged and filtered rows since `since`, newest first, and how many there are."""
    where = (
        UsageRecord.guild_id == guild_id,
        UsageRecord.status.in_(FLAGGED_STATUSES),
        UsageRecord.created_at >= since,
    )
    total = await session.scalar(select(func.count()).select_from(UsageRecord).where(*where))
    rows = await session.scalars(
        select(UsageRecord).where(*where).order_by(UsageRecord.created_at.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)
