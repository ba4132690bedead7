"""The job scheduler: a fair queue with bounded concurrency, live positions, cancel, recovery.

Jobs run at most `max_running` at a time, `per_guild` per guild and `per_member` per member.
Guilds take turns: the next job comes from the guild served least recently (a guild never served
first), so a busy guild cannot starve the others. Before a job starts, the images client's rate-limit headers are
honoured. Members see their position while they wait, with a Cancel button.

On start, jobs a crash left queued or running are re-queued if their interaction can still
be answered, and otherwise marked interrupted with one message to the member. On shutdown, new
requests are refused, running jobs get `shutdown_grace` seconds, and the rest are interrupted.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import discord
from sqlalchemy import select

from bot.db.models import Job, JobState, UsageRecord, UsageStatus, utcnow
from bot.i18n import Text, _
from bot.usage import finish_failed

if TYPE_CHECKING:
    from bot.app import ImageBot

log = logging.getLogger(__name__)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Scheduler:
    def __init__(self, bot: ImageBot, *, max_running: int, per_guild: int, per_member: int,
                 shutdown_grace: float) -> None:
        self.bot = bot
        self.max_running, self.per_guild, self.per_member = max_running, per_guild, per_member
        self.shutdown_grace = shutdown_grace
        self.accepting = True
        self._queues: OrderedDict[int | None, deque[Job]] = OrderedDict()
        self._served: dict[int | None, int] = {}
        self._turns = 0
        self._running: dict[int, tuple[Job, asyncio.Task[None]]] = {}
        self._shown: dict[int, int] = {}
        self._recovered: set[int] = set()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # Queue order ------------------------------------------------------------------------------

    def _guilds_by_turn(self, served: dict[int | None, int]) -> list[int | None]:
        """Guilds with queued jobs, least recently served first; ties keep queue order."""
        return sorted(self._queues, key=lambda guild_id: served.get(guild_id, -1))

    def _order(self) -> list[Job]:
        """Queued jobs in the order guilds' turns would start them, capacity aside."""
        queues = {guild_id: list(queue) for guild_id, queue in self._queues.items()}
        served = dict(self._served)
        order: list[Job] = []
        turn = self._turns
        while any(queues.values()):
            guild_id = min((guild for guild, queue in queues.items() if queue), key=lambda g: served.get(g, -1))
            order.append(queues[guild_id].pop(0))
            served[guild_id] = turn = turn + 1
        return order

    def position(self, job_id: int) -> int | None:
        for index, job in enumerate(self._order(), start=1):
            if job.id == job_id:
                return index
        return None

    def _startable(self) -> Job | None:
        if len(self._running) >= self.max_running:
            return None
        running = [job for job, _ in self._running.values()]
        for guild_id in self._guilds_by_turn(self._served):
            if sum(1 for job in running if job.guild_id == guild_id) >= self.per_guild:
                continue
            queue = self._queues[guild_id]
            for job in queue:
                if sum(1 for other in running if other.user_id == job.user_id) < self.per_member:
                    queue.remove(job)
                    if not queue:
                        del self._queues[guild_id]
                    self._turns += 1
                    self._served[guild_id] = self._turns
                    return job
        return None

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="imagebot-scheduler")

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while self.accepting and (job := self._startable()) is not None:
                    await self.bot.images.wait_for_rate_limit()
                    self._running[job.id] = (job, asyncio.create_task(self._run(job), name=f"imagebot-job-{job.id}"))
                await self._show_positions()
            except Exception:
                log.exception("the scheduler hit an error; it carries on with the next wake-up")

    async def submit(self, job: Job) -> None:
        self._queues.setdefault(job.guild_id, deque()).append(job)
        self._wake.set()

    async def _run(self, job: Job) -> None:
        try:
            await self._save_state(job, JobState.RUNNING, started_at=utcnow())
            await self.bot.service.run_job(job)
        except Exception:
            log.exception("job %s could not be run or recorded", job.id)
        finally:
            self._running.pop(job.id, None)
            self._shown.pop(job.id, None)
            self._wake.set()

    async def _save_state(self, job: Job, state: str, **fields: object) -> None:
        job.state = state
        for name, value in fields.items():
            setattr(job, name, value)
        if state not in JobState.UNFINISHED:
            job.interaction_token = None
            job.finished_at = utcnow()
        async with self.bot.db() as session:
            session.add(job)
            await session.commit()

    async def finish(self, job: Job, state: str) -> None:
        await self._save_state(job, state)

    async def _show_positions(self) -> None:
        for index, job in enumerate(self._order(), start=1):
            if self._shown.get(job.id) == index:
                continue
            self._shown[job.id] = index
            note = _("🔁 The bot restarted; your request is back in the queue.").render(job.locale) + "\n" \
                if job.id in self._recovered else ""
            text = note + _("⏳ In the queue: #{position}. It starts when it reaches the front.",
                            position=index).render(job.locale)
            await self.bot.service.show_status(job, text, cancellable=True)

    # Cancel -----------------------------------------------------------------------------------

    def queued_job(self, job_id: int) -> Job | None:
        return next((job for queue in self._queues.values() for job in queue if job.id == job_id), None)

    async def cancel(self, job: Job) -> None:
        """Remove a queued job; its reservation is given back and its row says cancelled."""
        queue = self._queues.get(job.guild_id)
        if queue is not None and job in queue:
            queue.remove(job)
            if not queue:
                del self._queues[job.guild_id]
        await self._end_without_running(job, JobState.CANCELLED, UsageStatus.CANCELLED, "cancelled",
                                        "cancelled by a member")
        self._wake.set()

    async def _end_without_running(self, job: Job, state: str, status: str, code: str, detail: str) -> None:
        async with self.bot.db() as session:
            record = await session.get(UsageRecord, job.usage_id)
        if record is not None and record.status == UsageStatus.PENDING:
            finish_failed(record, status=status, code=code, detail=detail)
            await self.bot.policy.release(record)
            await self.bot.log_usage(record)
        await self._save_state(job, state)

    # Recovery and shutdown --------------------------------------------------------------------

    async def recover(self) -> None:
        """Re-queue what a crash left unfinished, or tell the member, once, that it was lost."""
        async with self.bot.db() as session:
            statement = select(Job).where(Job.state.in_(JobState.UNFINISHED)).order_by(Job.id)
            jobs = list((await session.scalars(statement)).all())
        for job in jobs:
            if self.bot.service.token_valid(job):
                await self._save_state(job, JobState.QUEUED)
                self._recovered.add(job.id)
                log.info("re-queued job %s after a restart", job.id)
                await self.submit(job)
            else:
                log.info("job %s outlived its interaction during a restart; telling the member", job.id)
                await self._interrupt(job, _("Your request from {when} was interrupted when the bot restarted. "
                                             "Please run it again.", when=discord.utils.format_dt(
                                                 aware(job.interaction_at), "f")))

    async def _interrupt(self, job: Job, message: Text) -> None:
        await self.bot.service.tell_member(job, message.render(job.locale))
        await self._end_without_running(job, JobState.INTERRUPTED, UsageStatus.FAILED, "interrupted",
                                        "interrupted by a restart")

    async def shutdown(self) -> None:
        """Refuse new requests, let running jobs finish within the grace period, interrupt the rest."""
        self.accepting = False
        if self._loop_task is not None:
            self._loop_task.cancel()
        running = [task for _, task in self._running.values()]
        if running:
            await asyncio.wait(running, timeout=self.shutdown_grace)
        message = _("The bot is restarting and had to stop your request. Please run it again in a minute.")
        for job, task in list(self._running.values()):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._interrupt(job, message)
        for queue in list(self._queues.values()):
            for job in list(queue):
                await self._interrupt(job, message)
        self._queues.clear()


def lifetime_left(job: Job, lifetime: timedelta) -> timedelta:
    return aware(job.interaction_at) + lifetime - datetime.now(timezone.utc)
