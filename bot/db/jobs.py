"""Query functions for the job table; each takes the session of its caller's unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Job, JobState


async def unfinished_jobs(session: AsyncSession) -> list[Job]:
    """Jobs left queued or running, oldest first."""
    statement = select(Job).where(Job.state.in_(JobState.UNFINISHED)).order_by(Job.id)
    return list((await session.scalars(statement)).all())
