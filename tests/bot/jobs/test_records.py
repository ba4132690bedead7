"""A job's states saved: a finished job forgets its interaction token and gets its end time. A job
that never ran ends with its row failed and its reservation given back, unless its row was settled
already (left for its delivery), and a claimed job only while this process holds the claim."""

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import PERSONAL, Policy, Requester, day_period, images_subject
from bot.billing.prices import PriceTable
from bot.clock import SystemClock, utcnow
from bot.db.jobs import Caps
from bot.db.models import Job, JobState, UsageRecord, UsageStatus
from bot.db.policy import counter_value
from bot.images import ModelRegistry
from bot.jobs.records import JobRecords
from bot.jobs.shared import SharedQueue
from bot.metrics import Metrics

MEMBER = 20
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GPT = ModelRegistry().get("gpt-image-2")
POLICY = Policy(PriceTable(), personal_images_per_day=10)


def records(sessions, metrics: Metrics, shared: SharedQueue | None = None) -> JobRecords:
    return JobRecords(sessions=sessions, policy=POLICY, metrics=metrics, shared=shared)


async def admitted(sessions: async_sessionmaker[AsyncSession], n: int = 2, **fields) -> Job:
    """A personal request's row, its images reserved, and its queued job."""
    async with sessions() as session:
        record = UsageRecord(user_id=MEMBER, command="imagine", status="pending", n=n, model=GPT.name, created_at=NOW)
        session.add(record)
        await session.flush()
        await POLICY.admit(session, Requester(None, 5, MEMBER), record, GPT, "1024x1024", "low", n)
        values = {
            "kind": "imagine",
            "state": JobState.QUEUED,
            "guild_id": None,
            "user_id": MEMBER,
            "locale": "en-US",
            "params": {},
            "application_id": 2,
            "interaction_token": "token",
            "attachment_limit": 10_000_000,
            "interaction_at": NOW,
        }
        job = Job(usage_id=record.id, **(values | fields))
        session.add(job)
        await session.commit()
    return job


async def reserved(sessions) -> float:
    async with sessions() as session:
        return await counter_value(session, PERSONAL, images_subject(MEMBER), day_period(NOW))


async def stored(sessions, job: Job) -> tuple[Job, UsageRecord]:
    async with sessions() as session:
        found, record = await session.get(Job, job.id), await session.get(UsageRecord, job.usage_id)
        assert found is not None and record is not None
        return found, record


def finished(metrics: Metrics, outcome: str) -> float | None:
    return metrics.registry.get_sample_value("imagebot_requests_total", {"command": "other", "outcome": outcome})


async def test_an_unfinished_state_keeps_the_token_and_a_finished_one_forgets_it(sessions):
    saver = records(sessions, Metrics(models=[]))
    job = await admitted(sessions)
    await saver.save(job, JobState.RUNNING, started_at=NOW)
    found, _ = await stored(sessions, job)
    assert (found.state, found.interaction_token, found.started_at, found.finished_at) == (
        "running",
        "token",
        NOW,
        None,
    )
    await saver.save(job, JobState.DONE, message_id=99)
    found, _ = await stored(sessions, job)
    assert (found.state, found.interaction_token, found.message_id) == ("done", None, 99)
    assert found.finished_at is not None


async def test_an_unrun_job_ends_with_its_row_failed_and_its_reservation_given_back(sessions):
    metrics = Metrics(models=[])
    job = await admitted(sessions)
    assert await reserved(sessions) == 2
    assert await records(sessions, metrics).end_unrun(
        job, JobState.CANCELLED, "cancelled", "cancelled", "by the member"
    )
    found, record = await stored(sessions, job)
    assert (found.state, found.interaction_token) == ("cancelled", None)
    assert (record.status, record.error_code, record.error_detail) == ("cancelled", "cancelled", "by the member")
    assert (record.reserved_images, await reserved(sessions)) == (0, 0)
    assert finished(metrics, "cancelled") == 1


async def test_a_job_whose_row_was_settled_is_left_for_its_delivery(sessions):
    metrics = Metrics(models=[])
    job = await admitted(sessions)
    async with sessions() as session:
        record = await session.get(UsageRecord, job.usage_id)
        record.status = UsageStatus.OK
        await session.commit()
    assert not await records(sessions, metrics).end_unrun(job, JobState.INTERRUPTED, "failed", "restart", "x")
    found, record = await stored(sessions, job)
    assert (found.state, record.status, await reserved(sessions)) == ("queued", "ok", 2)
    assert finished(metrics, "failed") is None


async def test_a_claimed_job_ends_only_while_this_process_holds_it(postgres_sessions):
    first, second = (
        SharedQueue(postgres_sessions, SystemClock(), lease_seconds=60, caps=Caps(5, 5, 5)) for _ in range(2)
    )
    await admitted(postgres_sessions)
    claimed = await first.claim()
    assert claimed is not None
    async with postgres_sessions() as session:  # the first process stops renewing: its lease lapses
        await session.execute(update(Job).values(lease_until=NOW))
        await session.commit()
    taken_over = await second.claim()
    assert taken_over is not None and taken_over.job.id == claimed.job.id
    assert not await records(postgres_sessions, Metrics(models=[]), first).end_unrun(
        claimed.job, JobState.INTERRUPTED, "failed", "restart", "x"
    )
    found, record = await stored(postgres_sessions, claimed.job)
    assert (found.state, found.claimed_by, record.status, record.reserved_images) == (
        "running",
        second.owner,
        "pending",
        2,
    )
    assert await records(postgres_sessions, Metrics(models=[]), second).end_unrun(
        taken_over.job, JobState.INTERRUPTED, "failed", "restart", "x"
    )
    found, record = await stored(postgres_sessions, claimed.job)
    assert (found.state, found.interaction_token, record.status, record.reserved_images) == (
        "interrupted",
        None,
        "failed",
        0,
    )
    assert found.finished_at is not None and found.finished_at <= utcnow()
