"""Query functions for delivery: attempts, and results kept for members who did not get them.
Each takes the session of its caller's unit of work and never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DeliveryAttempt, DeliveryOutcome, KeptResult, UsageRecord


def log_attempt(session: AsyncSession, usage_id: int, route: str, outcome: str) -> None:
    session.add(DeliveryAttempt(usage_id=usage_id, route=route, outcome=outcome))


async def _make_room(session: AsyncSession, incoming: int, cap_bytes: int) -> int:
    """Drop the oldest kept results (of anyone; never images held for a delivery under way) until
    what is stored, plus `incoming` bytes, fits in `cap_bytes`. Returns how many were dropped;
    their rows say expired."""
    total = (await session.scalar(select(func.coalesce(func.sum(KeptResult.size), 0))) or 0) + incoming
    dropped: list[KeptResult] = []
    if total > cap_bytes:
        for old in await session.scalars(select(KeptResult).where(~KeptResult.held).order_by(KeptResult.id)):
            if total <= cap_bytes:
                break
            dropped.append(old)
            total -= old.size
    await _expire(session, dropped)
    return len(dropped)


async def keep(session: AsyncSession, results: list[KeptResult], cap_bytes: int) -> int:
    """Keep `results`, first making room for them under `cap_bytes`; returns how many old ones went."""
    dropped = await _make_room(session, sum(result.size for result in results), cap_bytes)
    session.add_all(results)
    return dropped


async def keep_held(session: AsyncSession, usage_id: int, cap_bytes: int) -> int:
    """Discord would not take a result: its held images become kept ones, for /results, room made
    for them under `cap_bytes` (they are stored already); returns how many old ones went."""
    dropped = await _make_room(session, 0, cap_bytes)
    held = await session.scalars(select(KeptResult).where(KeptResult.usage_id == usage_id, KeptResult.held))
    for result in held:
        result.held = False
    return dropped


async def held_for(session: AsyncSession, usage_id: int) -> list[KeptResult]:
    """The images held for a settled result that has not reached its member yet, in order."""
    statement = select(KeptResult).where(KeptResult.usage_id == usage_id, KeptResult.held).order_by(KeptResult.id)
    return list((await session.scalars(statement)).all())


async def release_held(session: AsyncSession, usage_id: int) -> None:
    """The result reached its member: its held images are not needed any more."""
    await session.execute(delete(KeptResult).where(KeptResult.usage_id == usage_id, KeptResult.held))


async def kept_for(session: AsyncSession, user_id: int) -> list[KeptResult]:
    """A member's kept results, oldest first (never those held for a delivery under way)."""
    statement = select(KeptResult).where(KeptResult.user_id == user_id, ~KeptResult.held).order_by(KeptResult.id)
    return list((await session.scalars(statement)).all())


async def hand_over(session: AsyncSession, results: list[KeptResult]) -> None:
    """The member has their kept results: remove them, and mark their rows delivered late."""
    usage_ids = {result.usage_id for result in results}
    await session.execute(delete(KeptResult).where(KeptResult.id.in_([result.id for result in results])))
    await _mark(session, usage_ids, DeliveryOutcome.DELIVERED_LATE)


async def prune_kept(session: AsyncSession, now: datetime) -> int:
    """Remove kept results past their time; their rows say expired. Returns how many went."""
    expired = list((await session.scalars(select(KeptResult).where(KeptResult.expires_at <= now))).all())
    await _expire(session, expired)
    return len(expired)


async def _expire(session: AsyncSession, results: list[KeptResult]) -> None:
    if not results:
        return
    await session.execute(delete(KeptResult).where(KeptResult.id.in_([result.id for result in results])))
    await _mark(session, {result.usage_id for result in results}, DeliveryOutcome.EXPIRED)


async def _mark(session: AsyncSession, usage_ids: set[int], delivery: str) -> None:
    if usage_ids:
        await session.execute(
            update(UsageRecord)
            .where(UsageRecord.id.in_(usage_ids))
            .values(delivery=delivery)
            .execution_options(synchronize_session=False)
        )
