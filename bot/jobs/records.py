"""A job's states as the database records them: saved in a unit of work of their own, and the
end of a job that never ran, with its usage row finished and its reservation given back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy
from bot.billing.usage import finish_failed
from bot.clock import utcnow
from bot.db.jobs import finish_claimed
from bot.db.models import UNFINISHED, Job, UsageRecord, UsageStatus
from bot.jobs.shared import SharedQueue
from bot.metrics import Metrics


class JobRecords:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        metrics: Metrics,
        shared: SharedQueue | None,
    ) -> None:
        """With `shared`, a job this process claimed ends only while it still holds the claim."""
        self._sessions, self._policy, self._metrics, self._shared = sessions, policy, metrics, shared

    async def save(self, job: Job, state: str, **fields: object) -> None:
        """Record `state` (and `fields`); a finished job forgets its interaction token."""
        async with self._sessions() as session:
            self._set_state(session, job, state, **fields)
            await session.commit()

    @staticmethod
    def _set_state(session: AsyncSession, job: Job, state: str, **fields: object) -> None:
        job.state = state
        for name, value in fields.items():
            setattr(job, name, value)
        if state not in UNFINISHED:
            job.interaction_token = None
            job.finished_at = utcnow()
        session.add(job)

    async def end_unrun(self, job: Job, state: str, status: str, code: str, detail: str) -> bool:
        """End a job that did not get to run: its row finished and its reservation released, with
        its state, at once. A job whose row was settled is left as it is, for its delivery after a
        restart; False then. A claimed job of a shared queue ends only while this process holds it."""
        async with self._sessions() as session:
            record = await session.get(UsageRecord, job.usage_id)
            if record is not None and record.status != UsageStatus.PENDING:
                return False
            if self._shared is not None and job.claimed_by == self._shared.owner:
                if not await finish_claimed(session, job.id, self._shared.owner, state, utcnow()):
                    return False
            else:
                self._set_state(session, job, state)
            if record is not None:
                finish_failed(record, status=status, code=code, detail=detail)
                await self._policy.release(session, record)
                self._metrics.request_finished(record.command, status)
            await session.commit()
        return True
