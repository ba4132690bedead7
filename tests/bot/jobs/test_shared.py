"""The shared queue as one process sees it: its name (host, pid, a random part), claims (a job run
before counted on its row, and only delivered when that row was settled), leases renewed, jobs
finished, requeued and taken while queued only while the claim holds, and places in line."""

import os
import socket

from sqlalchemy import update

from bot.clock import SystemClock, utcnow
from bot.db.jobs import Caps
from bot.db.models import Job, JobState, UsageRecord, UsageStatus
from bot.jobs.shared import SharedQueue, process_name
from tests.helpers import queued_job

CAPS = Caps(max_running=5, per_guild=5, per_member=5)


def queue(sessions, lease_seconds: float = 60) -> SharedQueue:
    return SharedQueue(sessions, SystemClock(), lease_seconds=lease_seconds, caps=CAPS)


async def queued(sessions, count: int = 1, *, status: str = UsageStatus.PENDING, runs: int = 0) -> list[Job]:
    async with sessions() as session:
        jobs = []
        for _ in range(count):
            record = UsageRecord(user_id=1, command="imagine", status=status)
            session.add(record)
            await session.flush()
            jobs.append(queued_job(record.id, runs=runs))
        session.add_all(jobs)
        await session.commit()
    return jobs


async def stored(sessions, job: Job) -> tuple[Job, UsageRecord]:
    async with sessions() as session:
        found, record = await session.get(Job, job.id), await session.get(UsageRecord, job.usage_id)
        assert found is not None and record is not None
        return found, record


async def lapse(sessions) -> None:
    async with sessions() as session:
        await session.execute(update(Job).values(lease_until=utcnow().replace(year=2000)))
        await session.commit()


def test_a_process_is_named_by_its_host_and_pid_and_a_random_part():
    host, pid, random = process_name().split(":")
    assert (host, pid) == (socket.gethostname()[:30], str(os.getpid()))
    assert len(random) == 8 and process_name() != process_name()


async def test_a_first_claim_is_not_settled_and_nothing_more_is_claimed(postgres_sessions):
    (job,) = await queued(postgres_sessions)
    mine = queue(postgres_sessions)
    claimed = await mine.claim()
    assert claimed is not None and (claimed.job.id, claimed.settled) == (job.id, False)
    assert await mine.claim() is None
    found, record = await stored(postgres_sessions, job)
    assert (found.claimed_by, found.runs, record.runs) == (mine.owner, 1, None)


async def test_a_job_run_again_is_counted_on_its_row_unless_its_row_was_settled(postgres_sessions):
    pending, settled = await queued(postgres_sessions, 1, runs=1) + await queued(
        postgres_sessions, 1, status=UsageStatus.OK, runs=1
    )
    mine = queue(postgres_sessions)
    first, second = await mine.claim(), await mine.claim()
    assert first is not None and second is not None
    assert [(first.job.id, first.settled), (second.job.id, second.settled)] == [(pending.id, False), (settled.id, True)]
    assert [record.runs for _, record in [await stored(postgres_sessions, job) for job in (pending, settled)]] == [
        2,
        None,
    ]


async def test_a_lost_claim_changes_nothing(postgres_sessions):
    first, second = await queued(postgres_sessions, 2)
    mine, theirs = queue(postgres_sessions), queue(postgres_sessions)
    claimed = [await mine.claim(), await mine.claim()]
    assert [each and each.job.id for each in claimed] == [first.id, second.id]
    await lapse(postgres_sessions)
    await theirs.claim()
    await theirs.claim()
    await mine.provider_done(first)
    await mine.renew()
    assert not await mine.finish(first, JobState.DONE)
    assert not await mine.requeue(second, 30)
    for job in (first, second):
        found, _ = await stored(postgres_sessions, job)
        assert (found.state, found.claimed_by, found.runs) == (JobState.RUNNING, theirs.owner, 2)


async def test_the_holder_renews_finishes_and_requeues(postgres_sessions):
    first, second = await queued(postgres_sessions, 2)
    mine = queue(postgres_sessions)
    await mine.claim()
    await mine.claim()
    await lapse(postgres_sessions)
    await mine.renew()
    assert await queue(postgres_sessions).claim() is None  # the leases hold again
    await mine.provider_done(first)
    assert (await stored(postgres_sessions, first))[0].state == JobState.DELIVERING
    assert await mine.finish(first, JobState.DONE)
    assert await mine.requeue(second, 3600)
    done, _ = await stored(postgres_sessions, first)
    back, _ = await stored(postgres_sessions, second)
    assert (done.state, done.finished_at is not None) == (JobState.DONE, True)
    assert (back.state, back.claimed_by, back.waits) == (JobState.QUEUED, None, 1)
    assert await mine.places() == {}  # waiting out its hour


async def test_only_a_job_not_yet_claimed_is_taken(postgres_sessions):
    first, second, third = await queued(postgres_sessions, 3)
    mine = queue(postgres_sessions)
    assert await mine.places() == {first.id: 1, second.id: 2, third.id: 3}
    await mine.claim()
    assert await mine.places() == {second.id: 1, third.id: 2}
    assert not await mine.take_queued(first, JobState.CANCELLED)
    assert await mine.take_queued(second, JobState.CANCELLED)
    assert await mine.places() == {third.id: 1}
