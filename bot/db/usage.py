"""Query functions for the usage log; each takes the session of its unit of work."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import UsageRecord


async def save_usage(session: AsyncSession, record: UsageRecord) -> None:
    """Insert a new row, or write the changes of one saved earlier."""
    session.add(record)
    await session.commit()


async def get_usage(session: AsyncSession, usage_id: int) -> UsageRecord | None:
    return await session.get(UsageRecord, usage_id)


async def recent_usage(session: AsyncSession, guild_id: int | None, limit: int = 50) -> Sequence[UsageRecord]:
    """The guild's latest rows, newest first."""
    statement = (
        select(UsageRecord)
        .where(UsageRecord.guild_id == guild_id)
        .order_by(UsageRecord.created_at.desc(), UsageRecord.id.desc())
        .limit(limit)
    )
    return (await session.scalars(statement)).all()
