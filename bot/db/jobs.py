"""Query functions for the job table; each takes the session of its caller's unit of work.

The shared queue (several processes on one PostgreSQL database) lives here too: a process claims
the next job with `claim_next`, holds it with a lease it renews, and a job whose lease lapsed
(its process died) is claimed again by another.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Job, JobState

CLAIM_LOCK = zlib.crc32(b"imagebot:claim") - 2**31  # one advisory lock key for every process
CANDIDATES = 500


async def unfinished_jobs(session: AsyncSession) -> list[Job]:
    """Jobs left queued or running, oldest first."""
    statement = select(Job).where(Job.state.in_(JobState.UNFINISHED)).order_by(Job.id)
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class Caps:
    max_running: int
    per_guild: int
    per_member: int


def _fair_order(now: datetime):  # type: ignore[no-untyped-def]
    """Claimable jobs in the order they should start: those whose process died first, then guilds
    by their last turn (never served first), then arrival."""
    last_turn = (
        select(Job.guild_id, func.max(Job.started_at).label("turn"))
        .where(Job.started_at.is_not(None))
        .group_by(Job.guild_id)
        .subquery()
    )
    lapsed = and_(Job.state.in_((JobState.RUNNING, JobState.DELIVERING)), Job.lease_until < now)
    return (
        select(Job)
        .outerjoin(last_turn, Job.guild_id.is_not_distinct_from(last_turn.c.guild_id))
        .where(or_(Job.state == JobState.QUEUED, lapsed))
        .order_by((Job.state == JobState.QUEUED).asc(), last_turn.c.turn.asc().nulls_first(), Job.id)
    )


async def claim_next(session: AsyncSession, *, owner: str, now: datetime, lease: timedelta, caps: Caps) -> Job | None:
    """Claim the next job for `owner`, fairly and within the caps across every process; None when
    nothing may start. Claims are serialized by a transaction-scoped advisory lock, so the caps
    hold; the caller commits."""
    await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    running = (
        await session.execute(
            select(Job.guild_id, Job.user_id).where(Job.state == JobState.RUNNING, Job.lease_until >= now)
        )
    ).all()
    if len(running) >= caps.max_running:
        return None
    guilds, members = Counter(row.guild_id for row in running), Counter(row.user_id for row in running)
    for job in (await session.scalars(_fair_order(now).limit(CANDIDATES))).all():
        if guilds[job.guild_id] < caps.per_guild and members[job.user_id] < caps.per_member:
            job.state, job.claimed_by, job.lease_until = JobState.RUNNING, owner, now + lease
            job.started_at, job.runs = now, job.runs + 1
            return job
    return None


async def queued_places(session: AsyncSession, now: datetime) -> dict[int, int]:
    """Every queued job's place in line (1 is next), in the order `claim_next` takes them."""
    ids = (await session.scalars(_fair_order(now).where(Job.state == JobState.QUEUED).with_only_columns(Job.id))).all()
    return {job_id: place for place, job_id in enumerate(ids, start=1)}


async def renew_leases(session: AsyncSession, owner: str, until: datetime) -> int:
    """Extend the claims `owner` holds; returns how many."""
    statement = (
        update(Job)
        .where(Job.claimed_by == owner, Job.state.in_((JobState.RUNNING, JobState.DELIVERING)))
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount


async def mark_delivering(session: AsyncSession, job_id: int, owner: str) -> None:
    """The provider is done with the job: it stops counting against the caps."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.claimed_by == owner, Job.state == JobState.RUNNING)
        .values(state=JobState.DELIVERING)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def take_queued(session: AsyncSession, job_id: int, state: str) -> bool:
    """Move a still-queued job to `state` (cancelled, interrupted); False if it already started."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=state, interaction_token=None)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount == 1
