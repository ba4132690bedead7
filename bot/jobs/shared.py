"""The job queue shared by every process on one PostgreSQL database.

Jobs wait in the `job` table. A process claims the next one (fairly, within the caps, across all
processes) and holds it with a lease it renews every third of `lease_seconds`; a job whose lease
lapsed, because its process died, is claimed again by another and run once more. Each unit of
work here is its own; the runner calls them from its loop.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.jobs import Caps, claim_next, mark_delivering, queued_places, renew_leases, take_queued
from bot.db.models import Job, UsageRecord


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

    async def claim(self) -> Job | None:
        """The next job this process may start, claimed; a job run before is counted on its usage row."""
        async with self._sessions() as session:
            job = await claim_next(session, owner=self.owner, now=self._clock.now(), lease=self.lease, caps=self._caps)
            if job is not None and job.runs > 1:
                record = await session.get(UsageRecord, job.usage_id)
                if record is not None:
                    record.runs = job.runs
            await session.commit()
        return job

    async def provider_done(self, job: Job) -> None:
        async with self._sessions() as session:
            await mark_delivering(session, job.id, self.owner)
            await session.commit()

    async def renew(self) -> None:
        async with self._sessions() as session:
            await renew_leases(session, self.owner, self._clock.now() + self.lease)
            await session.commit()

    async def take_queued(self, job: Job, state: str) -> bool:
        """End a job that has not started, unless some process claimed it first."""
        async with self._sessions() as session:
            taken = await take_queued(session, job.id, state)
            await session.commit()
        return taken

    async def places(self) -> dict[int, int]:
        async with self._sessions() as session:
            return await queued_places(session, self._clock.now())
