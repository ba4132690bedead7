"""The job queue shared by every process on one PostgreSQL database.

Jobs wait in the `job` table. A process claims the next one (fairly, within the caps, across all
processes) and holds it with a lease that a task of its own renews every third of
`lease_seconds`, whatever the claiming loop is waiting for; leases are on the database's clock.
A job whose lease lapsed, because its process died, is claimed again by another: run once more
if its cost was never settled, or else only delivered, from the results held for it. Every end
of a claimed job is guarded by the claim, so a process that lost one changes nothing. Each unit
of work here is its own; the runner calls them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.jobs import (
    Caps,
    claim_next,
    finish_claimed,
    mark_delivering,
    queued_places,
    renew_leases,
    requeue_claimed,
    take_queued,
)
from bot.db.models import Job, UsageRecord, UsageStatus


@dataclass(frozen=True)
class Claimed:
    """A claimed job, and whether its cost was settled by an earlier run (deliver it, make nothing)."""

    job: Job
    settled: bool = False


def process_name() -> str:
    """This process, as its claims name it: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SharedQueue:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *, lease_seconds: float, caps: Caps
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self._caps = caps
        self.owner = process_name()

    async def claim(self) -> Claimed | None:
        """The next job this process may start, claimed; a job run before is counted on its usage
        row, and is only delivered if that row was settled."""
        settled = False
        async with self._sessions() as session:
            job = await claim_next(session, owner=self.owner, lease=self.lease, caps=self._caps)
            if job is None:
                await session.commit()
                return None
            if job.runs > 1:
                record = await session.get(UsageRecord, job.usage_id)
                if record is not None:
                    settled = record.status != UsageStatus.PENDING
                    if not settled:
                        record.runs = job.runs
            await session.commit()
        return Claimed(job, settled)

    async def provider_done(self, job: Job) -> None:
        async with self._sessions() as session:
            await mark_delivering(session, job.id, self.owner)
            await session.commit()

    async def renew(self) -> None:
        async with self._sessions() as session:
            await renew_leases(session, self.owner, self.lease)
            await session.commit()

    async def finish(self, job: Job, state: str) -> bool:
        """End a job this process holds; False (and nothing changed) when its claim was lost."""
        async with self._sessions() as session:
            ended = await finish_claimed(session, job.id, self.owner, state, self._clock.now())
            await session.commit()
        return ended

    async def requeue(self, job: Job, wait: float) -> bool:
        """Put a job this process holds back in the queue for `wait` seconds."""
        async with self._sessions() as session:
            queued = await requeue_claimed(session, job.id, self.owner, timedelta(seconds=wait))
            await session.commit()
        return queued

    async def take_queued(self, job: Job, state: str) -> bool:
        """End a job that has not started, unless some process claimed it first."""
        async with self._sessions() as session:
            taken = await take_queued(session, job.id, state)
            await session.commit()
        return taken

    async def places(self) -> dict[int, int]:
        async with self._sessions() as session:
            return await queued_places(session)
