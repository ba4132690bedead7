"""The job runner over the real fair queue and SQLite, with a recording JobWork: guilds take turns
as running jobs end, each job's end recorded by its outcome; a queued job cancelled with its
status stopped (a started one not); a job another process took stops showing its place; at
start, what a crash left delivered, re-queued or told once; at shutdown, running jobs get their
grace, the rest, queued or waiting out a Retry-After, are interrupted with one message, and a
settled job is left for its delivery. The same through the real bot is tests/e2e/jobs/."""

import asyncio

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.clock import SystemClock
from bot.db.jobs import Caps
from bot.db.models import Job, JobState, UsageRecord, UsageStatus
from bot.jobs.queue import FairQueue
from bot.jobs.runner import RESTARTING, Runner
from bot.jobs.shared import SharedQueue
from bot.jobs.work import RetryLater
from bot.metrics import Metrics
from tests.helpers import RecordingWork, queued_job

WAIT = 10.0  # seconds a step may take before the test fails


class RateLimit:
    """`before_start`, counted."""

    def __init__(self) -> None:
        self.waits = 0

    async def __call__(self) -> None:
        self.waits += 1


def runner(
    sessions, *, max_running: int = 1, grace: float = WAIT, shared: SharedQueue | None = None, limit=None
) -> Runner:
    return Runner(
        queue=FairQueue(max_running=max_running, per_guild=max_running, per_member=1),
        sessions=sessions,
        policy=Policy(PriceTable(), personal_images_per_day=10),
        before_start=limit or RateLimit(),
        shutdown_grace=grace,
        metrics=Metrics(models=[]),
        shared=shared,
    )


async def job_row(
    sessions, guild_id: int | None, user_id: int, *, state: str = JobState.QUEUED, status: str = UsageStatus.PENDING
) -> Job:
    async with sessions() as session:
        record = UsageRecord(guild_id=guild_id, user_id=user_id, command="imagine", status=status)
        session.add(record)
        await session.flush()
        job = queued_job(record.id, state=state, guild_id=guild_id, user_id=user_id, interaction_token="token")
        session.add(job)
        await session.commit()
    return job


async def stored(sessions, job: Job) -> tuple[str, str]:
    """The job's state and its usage row's status."""
    async with sessions() as session:
        found, record = await session.get(Job, job.id), await session.get(UsageRecord, job.usage_id)
        assert found is not None and record is not None
        return found.state, record.status


async def test_guilds_take_turns_and_each_end_is_recorded_by_its_outcome(sessions):
    jobs, work = runner(sessions), RecordingWork()
    await jobs.start(work)
    first, second = await job_row(sessions, 1, 11), await job_row(sessions, 1, 12)
    other_guild = await job_row(sessions, 2, 21)
    work.outcomes[other_guild.id] = False
    for job in (first, second, other_guild):
        jobs.submit(job)

    assert await work.next_started() == first.id
    assert jobs.in_flight() == 1
    assert [(w.job.id, w.position) for w in jobs.waiting()] == [(other_guild.id, 1), (second.id, 2)]
    work.release(first)
    assert await work.next_started() == other_guild.id  # the guild not served yet goes before guild 1's second
    work.release(other_guild)
    assert await work.next_started() == second.id
    assert jobs.waiting() == []
    work.release(second)
    await jobs.shutdown()  # waits for the running job's end

    assert work.calls == [("run", first.id), ("run", other_guild.id), ("run", second.id)]
    assert await stored(sessions, first) == (JobState.DONE, UsageStatus.PENDING)
    assert (await stored(sessions, other_guild))[0] == JobState.FAILED
    assert (await stored(sessions, second))[0] == JobState.DONE
    assert jobs.in_flight() == 0 and work.told == []


async def test_each_start_waits_for_the_providers_rate_limit(sessions):
    limit = RateLimit()
    jobs, work = runner(sessions, limit=limit), RecordingWork()
    await jobs.start(work)
    assert limit.waits == 0
    job = await job_row(sessions, 1, 11)
    jobs.submit(job)
    assert await work.next_started() == job.id
    assert limit.waits == 1
    work.release(job)
    await jobs.shutdown()


async def test_a_queued_job_is_cancelled_with_its_status_stopped_and_a_started_one_is_not(sessions):
    jobs, work = runner(sessions), RecordingWork()
    await jobs.start(work)
    running, queued = await job_row(sessions, 1, 11), await job_row(sessions, 1, 12)
    jobs.submit(running)
    jobs.submit(queued)
    assert await work.next_started() == running.id
    assert jobs.queued_job(queued.id) is queued

    assert await jobs.cancel(queued) is True
    assert await jobs.cancel(running) is False
    assert jobs.queued_job(queued.id) is None and jobs.waiting() == []
    assert work.calls == [("run", running.id), ("stop_updates", queued.id)]
    assert await stored(sessions, queued) == (JobState.CANCELLED, UsageStatus.CANCELLED)
    work.release(running)
    await jobs.shutdown()
    assert await stored(sessions, running) == (JobState.DONE, UsageStatus.PENDING)
    assert work.calls == [("run", running.id), ("stop_updates", queued.id)]  # the cancelled job never ran


async def test_a_job_another_process_took_stops_showing_its_place(postgres_sessions):
    sessions = postgres_sessions  # the shared queue's claims take PostgreSQL's advisory lock
    caps = Caps(max_running=5, per_guild=5, per_member=5)
    here = SharedQueue(sessions, SystemClock(), lease_seconds=60, caps=caps)
    elsewhere = SharedQueue(sessions, SystemClock(), lease_seconds=60, caps=caps)
    job = await job_row(sessions, 1, 11)
    jobs = runner(sessions, shared=here)
    jobs.submit(job)
    assert jobs.queued_job(job.id) is job
    claimed = await elsewhere.claim()
    assert claimed is not None and claimed.job.id == job.id

    work = RecordingWork()
    await jobs.start(work)
    await asyncio.wait_for(work.stopped.wait(), WAIT)
    await jobs.shutdown()
    assert work.calls == [("stop_updates", job.id)]
    assert jobs.queued_job(job.id) is None and jobs.waiting() == []
    assert await stored(sessions, job) == (JobState.RUNNING, UsageStatus.PENDING)  # the other process's to end


async def test_at_start_a_crashs_jobs_are_delivered_requeued_or_told_once(sessions):
    settled = await job_row(sessions, 1, 11, state=JobState.RUNNING, status=UsageStatus.OK)
    answerable = await job_row(sessions, 2, 21, state=JobState.RUNNING)
    expired = await job_row(sessions, 3, 31, state=JobState.QUEUED)
    limit = RateLimit()
    jobs = runner(sessions, max_running=2, limit=limit)
    work = RecordingWork(answerable_ids=frozenset({answerable.id}))
    await jobs.start(work)

    assert await work.next_started() == answerable.id
    work.release(answerable)
    await jobs.shutdown()
    assert sorted(work.calls) == sorted([("redeliver", settled.id), ("run", answerable.id)])
    assert limit.waits == 1  # delivering what was made waits for no provider
    [(told, message)] = work.told
    assert told == expired.id and "was interrupted when the bot restarted" in message
    assert await stored(sessions, settled) == (JobState.DONE, UsageStatus.OK)
    assert await stored(sessions, answerable) == (JobState.DONE, UsageStatus.PENDING)
    assert await stored(sessions, expired) == (JobState.INTERRUPTED, UsageStatus.FAILED)


async def test_a_requeued_job_waits_in_line_marked_recovered(sessions):
    first = await job_row(sessions, 1, 11, state=JobState.RUNNING)
    second = await job_row(sessions, 1, 12, state=JobState.RUNNING)
    jobs = runner(sessions)
    work = RecordingWork(answerable_ids=frozenset({first.id, second.id}))
    await jobs.start(work)
    assert await work.next_started() == first.id
    assert [(w.job.id, w.recovered) for w in jobs.waiting()] == [(second.id, True)]
    assert (await stored(sessions, second))[0] == JobState.QUEUED
    work.release(first)
    work.release(second)
    assert await work.next_started() == second.id
    await jobs.shutdown()


async def test_shutdown_lets_running_jobs_end_within_the_grace_and_interrupts_the_rest(sessions):
    jobs, work = runner(sessions, max_running=3, grace=2.0), RecordingWork()
    await jobs.start(work)
    ends, stuck, paid = await job_row(sessions, 1, 11), await job_row(sessions, 2, 21), await job_row(sessions, 3, 31)
    queued = await job_row(sessions, 1, 12)
    for job in (ends, stuck, paid, queued):
        jobs.submit(job)
    assert {await work.next_started() for _ in range(3)} == {ends.id, stuck.id, paid.id}
    async with sessions() as session:
        record = await session.get(UsageRecord, paid.usage_id)
        assert record is not None
        record.status = UsageStatus.OK  # its images were made and paid for as the shutdown came
        await session.commit()

    asyncio.get_running_loop().call_soon(work.release, ends)  # ends once the shutdown has begun
    await jobs.shutdown()
    assert not jobs.accepting
    assert sorted(work.told) == sorted([(stuck.id, str(RESTARTING)), (queued.id, str(RESTARTING))])
    assert await stored(sessions, ends) == (JobState.DONE, UsageStatus.PENDING)
    assert await stored(sessions, stuck) == (JobState.INTERRUPTED, UsageStatus.FAILED)
    assert await stored(sessions, queued) == (JobState.INTERRUPTED, UsageStatus.FAILED)
    assert await stored(sessions, paid) == (JobState.RUNNING, UsageStatus.OK)  # delivered after the restart
    assert jobs.in_flight() == 0 and jobs.waiting() == []

    jobs.submit(await job_row(sessions, 4, 41))  # refused: nothing starts any more
    assert work.started.empty()


async def test_a_job_told_to_wait_goes_back_in_line_and_a_shutdown_interrupts_it(sessions):
    jobs, work = runner(sessions), RecordingWork()
    await jobs.start(work)
    job = await job_row(sessions, 1, 11)
    work.outcomes[job.id] = RetryLater(3600)
    jobs.submit(job)
    assert await work.next_started() == job.id
    work.release(job)
    await jobs.shutdown()  # the grace covers the job's return to the queue
    assert work.told == [(job.id, str(RESTARTING))]
    assert await stored(sessions, job) == (JobState.INTERRUPTED, UsageStatus.FAILED)
    async with sessions() as session:
        found = await session.get(Job, job.id)
        assert found is not None and found.waits == 1 and found.not_before is not None


async def test_shutting_down_a_runner_never_started_interrupts_nothing(sessions):
    jobs = runner(sessions)
    job = await job_row(sessions, 1, 11)
    jobs.submit(job)
    await jobs.shutdown()
    assert not jobs.accepting
    assert await stored(sessions, job) == (JobState.QUEUED, UsageStatus.PENDING)
