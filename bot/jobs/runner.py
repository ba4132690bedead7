"""The runner: starts queued jobs as the fair queue allows, records their states, and recovers
and stops them.

Starting a job awaits nothing but the provider's rate limit: the database write that marks it
running, and everything the job says to Discord, happen in the job's own task. A job is made
at most once: one whose usage row was settled (the provider made and charged for its images)
is never run again, only delivered from the results held for it. On start, jobs a crash left
are delivered if settled, else re-queued if their interaction can still be answered, and
otherwise marked interrupted with one message to the member. A job the provider asked to wait
longer than a retry waits goes back in the queue until then. On shutdown, new requests are
refused, running jobs get `shutdown_grace` seconds, and the rest are interrupted, except those
already settled, which are left for the next start (or another process) to deliver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy
from bot.clock import aware, utcnow
from bot.db.jobs import unfinished_jobs
from bot.db.models import Job, JobState, UsageStatus
from bot.db.usage import settled_usage_ids
from bot.i18n import Text, _
from bot.jobs.queue import FairQueue
from bot.jobs.records import JobRecords
from bot.jobs.shared import Claimed, SharedQueue
from bot.jobs.work import JobWork, RetryLater, Waiting
from bot.metrics import Metrics

log = logging.getLogger(__name__)

RESTARTING = _("The bot is restarting and had to stop your request. Please run it again in a minute.")


POLL_SECONDS = 0.5  # with a shared queue: how often to look for jobs other processes queued


class Runner:
    """Jobs wait in `queue` (this process's) or, with `shared`, in the database for every
    process; `start(work)` recovers what a crash left and starts running them."""

    def __init__(
        self,
        *,
        queue: FairQueue[Job],
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        before_start: Callable[[], Awaitable[None]],
        shutdown_grace: float,
        metrics: Metrics,
        shared: SharedQueue | None = None,
    ) -> None:
        """`before_start` is awaited before each start: the provider's rate limit. With `shared`,
        jobs are claimed from the database instead of `queue`, and a dead process's jobs are taken
        over when their lease lapses (so there is no recovery at start)."""
        self._queue = queue
        self._shared = shared
        self._submitted: dict[int, Job] = {}  # shared queue: this process's queued jobs, for status and Cancel
        self._places: dict[int, int] = {}
        self._sessions = sessions
        self._started_work: JobWork | None = None
        self._before_start = before_start
        self._shutdown_grace = shutdown_grace
        self._records = JobRecords(sessions=sessions, policy=policy, metrics=metrics, shared=shared)
        self.accepting = True
        self._tasks: dict[int, tuple[Job, asyncio.Task[None]]] = {}
        self._recovered: set[int] = set()
        self._settled: set[int] = set()  # recovered jobs whose cost was settled: deliver, do not make
        self._later: dict[int, tuple[Job, asyncio.TimerHandle]] = {}  # this process's jobs waiting out a Retry-After
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._renew_task: asyncio.Task[None] | None = None

    @property
    def _work(self) -> JobWork:
        if self._started_work is None:
            raise RuntimeError("the job runner has not been started")
        return self._started_work

    # Queue ------------------------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        if self._shared is not None:
            self._submitted[job.id] = job
        else:
            self._queue.push(job.id, job.guild_id, job.user_id, job)
        self._wake.set()

    def queued_job(self, job_id: int) -> Job | None:
        if self._shared is not None:
            return self._submitted.get(job_id)
        return self._queue.get(job_id)

    def waiting(self) -> list[Waiting]:
        """Every queued job of this process with its place in line; one pass over the queue (with
        a shared queue, the places read at the runner's last look)."""
        if self._shared is not None:
            return [
                Waiting(job, place) for job_id, place in self._places.items() if (job := self._submitted.get(job_id))
            ]
        return [
            Waiting(job, position, job.id in self._recovered)
            for job_id, position in self._queue.positions().items()
            if (job := self._queue.get(job_id)) is not None
        ]

    def in_flight(self) -> int:
        """Jobs started and not yet ended: running at the provider, or delivering their result."""
        return len(self._tasks)

    async def cancel(self, job: Job) -> bool:
        """Remove a queued job; its reservation is given back and its row says cancelled. False
        when it has started meanwhile."""
        if self._shared is not None:
            removed = await self._shared.take_queued(job, JobState.CANCELLED)
            self._submitted.pop(job.id, None)
        else:
            removed = self._queue.remove(job.id) is not None
        if removed:
            await self._work.stop_updates(job)
            await self._records.end_unrun(
                job, JobState.CANCELLED, UsageStatus.CANCELLED, "cancelled", "cancelled by a member"
            )
        return removed

    # Running ----------------------------------------------------------------------------------

    async def start(self, work: JobWork) -> None:
        """Run jobs with `work` from now on: first those a crash left, then the queue as it fills."""
        self._started_work = work
        if self._shared is None:
            await self._recover()
            self._loop_task = asyncio.create_task(self._loop(), name="imagebot-jobs")
        else:
            self._renew_task = asyncio.create_task(self._renew(self._shared), name="imagebot-leases")
            self._loop_task = asyncio.create_task(self._shared_loop(self._shared), name="imagebot-jobs")

    def _launch(self, job: Job) -> None:
        self._tasks[job.id] = (job, asyncio.create_task(self._run(job), name=f"imagebot-job-{job.id}"))

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while self.accepting and (job := self._queue.pop()) is not None:
                    if job.id not in self._settled:
                        await self._before_start()
                    self._launch(job)
            except Exception:
                log.exception("the job runner hit an error; it carries on with the next wake-up")

    async def _renew(self, shared: SharedQueue) -> None:
        """Renew this process's leases every third of a lease, whatever else the runner waits for
        (the provider's rate limit can hold a start longer than a lease)."""
        while True:
            try:
                await shared.renew()
            except Exception:
                log.exception("could not renew this process's job leases; trying again shortly")
            await asyncio.sleep(shared.lease.total_seconds() / 3)

    async def _shared_loop(self, shared: SharedQueue) -> None:
        """Claim jobs from the shared queue whenever woken, and at least every POLL_SECONDS (other
        processes queue jobs too)."""
        while True:
            try:
                while self.accepting and (claimed := await shared.claim()) is not None:
                    self._submitted.pop(claimed.job.id, None)
                    await self._start_claimed(claimed)
                mine = list(self._submitted.values())
                self._places = await shared.places()
                for job in mine:
                    if job.id not in self._places and self._submitted.pop(job.id, None) is not None:
                        await self._work.stop_updates(job)  # another process took it: stop showing its place
            except Exception:
                log.exception("the job runner hit an error; it carries on at its next look")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            self._wake.clear()

    async def _start_claimed(self, claimed: Claimed) -> None:
        """Start a claimed job. One whose cost an earlier run settled is only delivered; one that
        another process was running when it died, unsettled, runs once more (its result still
        reaches the member: in the channel once the interaction has expired)."""
        job = claimed.job
        if claimed.settled:
            log.info("job %s: its process died delivering it; delivering what was made, making nothing", job.id)
            self._settled.add(job.id)
            self._launch(job)
            return
        if job.runs > 2:
            log.info("job %s lost its process twice; it is not run a third time; telling the member", job.id)
            await self._interrupt(job, RESTARTING)
            return
        if job.runs == 2:
            log.info("job %s: its process died while running it; running it again", job.id)
        await self._before_start()
        self._launch(job)

    async def _run(self, job: Job) -> None:
        """Run one job. Its start is recorded beside the work rather than before it, so the provider
        call waits on no commit (a shared queue's claim has recorded it already); its place among the
        running ones is given back as soon as the provider is done with it, since delivering the
        result takes no provider capacity."""
        shared, marks = self._shared, []

        def provider_done() -> None:
            if shared is not None:
                if not marks:
                    marks.append(asyncio.create_task(shared.provider_done(job)))
            else:
                self._queue.finish(job.id)
            self._wake.set()

        if shared is None:
            marks.append(asyncio.create_task(self._records.save(job, JobState.RUNNING, started_at=utcnow())))
        try:
            if job.id in self._settled:
                provider_done()
                outcome: bool | RetryLater = await self._work.redeliver(job)
            else:
                outcome = await self._work.run(job, provider_done)
            await asyncio.gather(*marks)
            if isinstance(outcome, RetryLater):
                await self._wait_in_queue(job, outcome.seconds)
            else:
                await self._end(job, JobState.DONE if outcome else JobState.FAILED)
        except Exception:
            log.exception("job %s could not be run or recorded", job.id)
        finally:
            self._tasks.pop(job.id, None)
            self._recovered.discard(job.id)
            self._settled.discard(job.id)
            provider_done()
            await asyncio.gather(*marks, return_exceptions=True)

    async def _end(self, job: Job, state: str) -> None:
        """Record a job's end; with a shared queue only while this process still holds its claim."""
        if self._shared is None:
            await self._records.save(job, state)
        elif not await self._shared.finish(job, state):
            log.warning("job %s: this process lost its claim before recording %s; left as it is", job.id, state)

    async def _wait_in_queue(self, job: Job, seconds: float) -> None:
        """Back in the queue for `seconds`: the shared queue holds it until then; here, a timer."""
        log.info("job %s: the provider asked to wait %.0fs; it waits in the queue", job.id, seconds)
        if self._shared is not None:
            await self._shared.requeue(job, seconds)
            return
        await self._records.save(
            job, JobState.QUEUED, not_before=utcnow() + timedelta(seconds=seconds), waits=job.waits + 1
        )

        def resubmit() -> None:
            self._later.pop(job.id, None)
            if self.accepting:
                self.submit(job)

        self._later[job.id] = (job, asyncio.get_running_loop().call_later(seconds, resubmit))

    async def _interrupt(self, job: Job, message: Text) -> None:
        """Tell the member and end the job, unless its images were made and paid for: then it is
        left for its delivery after the restart."""
        async with self._sessions() as session:
            settled = await settled_usage_ids(session, [job.usage_id])
        if settled:
            log.info("job %s: its images were made and paid for; they are delivered after the restart", job.id)
            return
        await self._work.tell(job, message)
        await self._records.end_unrun(
            job, JobState.INTERRUPTED, UsageStatus.FAILED, "interrupted", "interrupted by a restart"
        )

    # Recovery and shutdown --------------------------------------------------------------------

    async def _recover(self) -> None:
        """Deliver what a crash left settled, re-queue what it left unfinished, or tell the member,
        once, that it was lost."""
        async with self._sessions() as session:
            jobs = await unfinished_jobs(session)
            settled = await settled_usage_ids(session, [job.usage_id for job in jobs])
        for job in jobs:
            if job.usage_id in settled:
                log.info("job %s was settled before a restart; delivering what was made, making nothing", job.id)
                self._settled.add(job.id)
                self.submit(job)
            elif self._work.answerable(job):
                await self._records.save(job, JobState.QUEUED)
                self._recovered.add(job.id)
                log.info("re-queued job %s after a restart", job.id)
                self.submit(job)
            else:
                log.info("job %s outlived its interaction during a restart; telling the member", job.id)
                when = discord.utils.format_dt(aware(job.interaction_at), "f")
                await self._interrupt(
                    job,
                    _(
                        "Your request from {when} was interrupted when the bot restarted. Please run it again.",
                        when=when,
                    ),
                )

    async def shutdown(self) -> None:
        """Refuse new requests, let running jobs finish within the grace period, interrupt the rest
        (leases are renewed until then)."""
        self.accepting = False
        if self._started_work is None:
            return
        if self._loop_task is not None:
            self._loop_task.cancel()
        running = [task for _, task in self._tasks.values()]
        if running:
            await asyncio.wait(running, timeout=self._shutdown_grace)
        for job, task in list(self._tasks.values()):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._interrupt(job, RESTARTING)
        if self._renew_task is not None:
            self._renew_task.cancel()
            await asyncio.gather(self._renew_task, return_exceptions=True)
        if self._shared is not None:
            return  # queued jobs stay in the shared queue, for the other processes or the next start
        for job, timer in list(self._later.values()):
            timer.cancel()
            await self._interrupt(job, RESTARTING)
        self._later.clear()
        for job in self._queue.queued():
            self._queue.remove(job.id)
            await self._interrupt(job, RESTARTING)
