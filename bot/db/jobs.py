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

from sqlalchemy import ColumnElement, Select, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.clock import aware, utcnow
from bot.db.models import UNFINISHED, Job, JobState
from bot.db.statements import changed, dialect_of

CLAIM_LOCK = zlib.crc32(b"imagebot:claim") - 2**31  # one advisory lock key for every process
CANDIDATES = 500


async def unfinished_jobs(session: AsyncSession) -> list[Job]:
    """Jobs left queued or running, oldest first."""
    statement = select(Job).where(Job.state.in_(UNFINISHED)).order_by(Job.id)
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class Caps:
    max_running: int
    per_guild: int
    per_member: int


async def database_now(session: AsyncSession) -> datetime:
    """The database server's clock, which every process of a shared queue compares leases by."""
    if dialect_of(session) == "postgresql":
        moment = await session.scalar(select(func.clock_timestamp()))
        assert moment is not None
        return aware(moment)
    return utcnow()


def _last_turn(
    guild_id: ColumnElement[int | None] | InstrumentedAttribute[int | None],
) -> ColumnElement[datetime | None]:
    """When the guild last had a job started: one probe of `ix_job_guild_started` per guild asked
    about, however many finished jobs the table holds."""
    earlier = aliased(Job)
    return case(
        (
            guild_id.is_(None),
            select(func.max(earlier.started_at)).where(earlier.guild_id.is_(None)).scalar_subquery(),
        ),
        else_=select(func.max(earlier.started_at)).where(earlier.guild_id == guild_id).scalar_subquery(),
    )


def _fair_order(now: datetime) -> Select[Job]:
    """Claimable jobs in the order they should start: those whose process died first, then guilds
    by their last turn (never served first), then arrival. A job waiting out a provider's
    Retry-After is not claimable before its time."""
    lapsed = and_(Job.state.in_((JobState.RUNNING, JobState.DELIVERING)), Job.lease_until < now)
    waiting = and_(Job.state == JobState.QUEUED, or_(Job.not_before.is_(None), Job.not_before <= now))
    return (
        select(Job)
        .where(or_(waiting, lapsed))
        .order_by((Job.state == JobState.QUEUED).asc(), _last_turn(Job.guild_id).asc().nulls_first(), Job.id)
    )


async def claim_next(session: AsyncSession, *, owner: str, lease: timedelta, caps: Caps) -> Job | None:
    """Claim the next job for `owner`, fairly and within the caps across every process; None when
    nothing may start. Claims are serialized by a transaction-scoped advisory lock, so the caps
    hold; leases are on the database's clock. The caller commits."""
    await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    now = await database_now(session)
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


async def queued_places(session: AsyncSession) -> dict[int, int]:
    """Every queued job's place in line (1 is next), in the order `claim_next` takes them."""
    now = await database_now(session)
    ids = (await session.scalars(_fair_order(now).where(Job.state == JobState.QUEUED).with_only_columns(Job.id))).all()
    return {job_id: place for place, job_id in enumerate(ids, start=1)}


def _claimed(job_id: int, owner: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.claimed_by == owner, Job.state.in_((JobState.RUNNING, JobState.DELIVERING)))


async def renew_leases(session: AsyncSession, owner: str, lease: timedelta) -> int:
    """Extend the claims `owner` holds to a lease from the database's now; returns how many."""
    until = await database_now(session) + lease
    statement = (
        update(Job)
        .where(Job.claimed_by == owner, Job.state.in_((JobState.RUNNING, JobState.DELIVERING)))
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return await changed(session, statement)


async def mark_delivering(session: AsyncSession, job_id: int, owner: str) -> None:
    """The provider is done with the job: it stops counting against the caps."""
    statement = (
        update(Job)
        .where(_claimed(job_id, owner), Job.state == JobState.RUNNING)
        .values(state=JobState.DELIVERING)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def finish_claimed(session: AsyncSession, job_id: int, owner: str, state: str, now: datetime) -> bool:
    """End a job `owner` still holds; False when its claim was lost (another process took it)."""
    statement = (
        update(Job)
        .where(_claimed(job_id, owner))
        .values(state=state, interaction_token=None, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return (await changed(session, statement)) == 1


async def requeue_claimed(session: AsyncSession, job_id: int, owner: str, wait: timedelta) -> bool:
    """Put a job `owner` holds back in the queue until `wait` from the database's now (a provider's
    Retry-After); its run is not counted as one a crash cut short."""
    not_before = await database_now(session) + wait
    statement = (
        update(Job)
        .where(_claimed(job_id, owner))
        .values(
            state=JobState.QUEUED,
            claimed_by=None,
            lease_until=None,
            not_before=not_before,
            runs=Job.runs - 1,
            waits=Job.waits + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return (await changed(session, statement)) == 1


async def take_queued(session: AsyncSession, job_id: int, state: str) -> bool:
    """Move a still-queued job to `state` (cancelled, interrupted); False if it already started."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=state, interaction_token=None)
        .execution_options(synchronize_session=False)
    )
    return (await changed(session, statement)) == 1


async def prune_jobs(session: AsyncSession, before: datetime) -> int:
    """Remove jobs that finished before `before`, with their params (prompts, attachment links)."""
    statement = delete(Job).where(Job.state.not_in(UNFINISHED), Job.finished_at < before)
    return await changed(session, statement.execution_options(synchronize_session=False))
