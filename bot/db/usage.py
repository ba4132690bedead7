"""Query functions for the usage log; each takes the session of its caller's unit of work and never commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ResultPreview, UsageRecord, UsageStatus
from bot.db.statements import changed, dialect_of


async def get_usage(session: AsyncSession, usage_id: int) -> UsageRecord | None:
    return await session.get(UsageRecord, usage_id)


async def usage_id_of_message(session: AsyncSession, message_id: int) -> int | None:
    """The row whose result is the message `message_id`, if it is one of the bot's results."""
    statement = select(UsageRecord.id).where(UsageRecord.message_id == message_id).order_by(UsageRecord.id.desc())
    return await session.scalar(statement.limit(1))


async def settled_usage_ids(session: AsyncSession, usage_ids: Sequence[int]) -> set[int]:
    """Which of these rows are settled: no longer pending, so their images were made and charged."""
    if not usage_ids:
        return set()
    statement = select(UsageRecord.id).where(UsageRecord.id.in_(usage_ids), UsageRecord.status != UsageStatus.PENDING)
    return set((await session.scalars(statement)).all())


async def claim_settlement(session: AsyncSession, usage_id: int, status: str) -> bool:
    """Move a pending row to `status` (ok, partial); False when some run settled it already, so
    that a result is counted once whatever ran twice."""
    statement = (
        update(UsageRecord)
        .where(UsageRecord.id == usage_id, UsageRecord.status == UsageStatus.PENDING)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return (await changed(session, statement)) == 1


async def member_results(
    session: AsyncSession, guild_id: int | None, user_id: int, *, limit: int
) -> list[tuple[UsageRecord, ResultPreview | None]]:
    """A member's latest delivered results in one guild (None: their personal use), newest
    first, each with its preview if it has one."""
    scope = UsageRecord.guild_id == guild_id if guild_id is not None else UsageRecord.guild_id.is_(None)
    statement = (
        select(UsageRecord, ResultPreview)
        .outerjoin(ResultPreview, ResultPreview.usage_id == UsageRecord.id)
        .where(scope, UsageRecord.user_id == user_id, UsageRecord.message_id.is_not(None))
        .where(UsageRecord.status.in_((UsageStatus.OK, UsageStatus.PARTIAL)))
        .order_by(UsageRecord.id.desc())
        .limit(limit)
    )
    return [(row, preview) for row, preview in (await session.execute(statement)).all()]


@dataclass
class UsageSummary:
    requests: int = 0
    images: int = 0
    cost_usd: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict[str, int])
    top_users: list[tuple[int, int, int]] = field(default_factory=list[tuple[int, int, int]])
    top_models: list[tuple[str, int]] = field(default_factory=list[tuple[str, int]])
    per_day: dict[str, dict[str, int]] = field(default_factory=dict[str, dict[str, int]])


def _conditions(guild_id: int, since: datetime | None, user_id: int | None) -> list[Any]:
    conditions: list[Any] = [UsageRecord.guild_id == guild_id]
    if since is not None:
        conditions.append(UsageRecord.created_at >= since)
    if user_id is not None:
        conditions.append(UsageRecord.user_id == user_id)
    return conditions


async def summarize(
    session: AsyncSession, guild_id: int, since: datetime | None, user_id: int | None = None
) -> UsageSummary:
    """Totals, statuses, top members and models, and requests per day, for one guild."""
    where = _conditions(guild_id, since, user_id)
    summary = UsageSummary()
    totals = select(UsageRecord.status, func.count(), func.sum(UsageRecord.image_count), func.sum(UsageRecord.cost_usd))
    for status, count, images, cost in await session.execute(totals.where(*where).group_by(UsageRecord.status)):
        summary.by_status[status] = count
        summary.requests += count
        summary.images += int(images or 0)
        summary.cost_usd += float(cost or 0.0)
    users = (
        select(UsageRecord.user_id, func.count().label("n"), func.sum(UsageRecord.image_count))
        .where(*where)
        .group_by(UsageRecord.user_id)
        .order_by(text("n DESC"))
        .limit(5)
    )
    summary.top_users = [(user, count, int(images or 0)) for user, count, images in await session.execute(users)]
    models = (
        select(UsageRecord.model, func.count().label("n"))
        .where(*where, UsageRecord.model.is_not(None))
        .group_by(UsageRecord.model)
        .order_by(text("n DESC"))
        .limit(5)
    )
    summary.top_models = [(str(model), int(count)) for model, count in await session.execute(models)]
    day = _utc_day(session)
    for date, status, count in await session.execute(
        select(day, UsageRecord.status, func.count()).where(*where).group_by(day, UsageRecord.status)
    ):
        summary.per_day.setdefault(str(date), {})[status] = count
    return summary


def _utc_day(session: AsyncSession) -> Any:
    """The UTC day of a row's time: PostgreSQL's date() of a timestamptz follows the session's time
    zone, so it is taken at UTC there; SQLite stores UTC already."""
    if dialect_of(session) == "postgresql":
        return func.date(func.timezone("UTC", UsageRecord.created_at))
    return func.date(UsageRecord.created_at)


async def recent_page(
    session: AsyncSession,
    guild_id: int,
    *,
    since: datetime | None = None,
    user_id: int | None = None,
    status: str | None = None,
    command: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[UsageRecord], int]:
    """One page of the guild's rows, newest first, and how many rows match in all."""
    where = _conditions(guild_id, since, user_id)
    if status is not None:
        where.append(UsageRecord.status == status)
    if command is not None:
        where.append(UsageRecord.command == command)
    total = await session.scalar(select(func.count()).select_from(UsageRecord).where(*where)) or 0
    statement = (
        select(UsageRecord)
        .where(*where)
        .order_by(UsageRecord.created_at.desc(), UsageRecord.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all()), total


async def stream_rows(
    session: AsyncSession, guild_id: int, since: datetime | None, batch: int = 500
) -> AsyncIterator[Sequence[UsageRecord]]:
    """The guild's rows, oldest first, in batches, without loading them all."""
    statement = (
        select(UsageRecord)
        .where(*_conditions(guild_id, since, None))
        .order_by(UsageRecord.created_at, UsageRecord.id)
        .execution_options(yield_per=batch)
    )
    result = await session.stream_scalars(statement)
    async for partition in result.partitions(batch):
        yield partition
