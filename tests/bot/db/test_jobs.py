"""The job table's queries: unfinished jobs, the fair order of the shared queue (lapsed claims
first, then the guild whose turn is oldest, then arrival; a job waiting out a Retry-After is not
claimable yet), the caps across processes, leases renewed and lost, jobs finished, requeued, taken
while queued, and pruned."""

from datetime import timedelta

from bot.clock import utcnow
from bot.db.jobs import (
    Caps,
    claim_next,
    database_now,
    finish_claimed,
    mark_delivering,
    prune_jobs,
    queued_places,
    renew_leases,
    requeue_claimed,
    take_queued,
    unfinished_jobs,
)
from bot.db.models import Job, JobState
from tests.helpers import queued_job

OWNER, OTHER = "host:1:a", "host:2:b"
LEASE = timedelta(seconds=60)
ROOMY = Caps(max_running=10, per_guild=10, per_member=10)


def job(state: str = JobState.QUEUED, **fields) -> Job:
    return queued_job(1, state=state, **fields)


async def added(sessions, *jobs: Job) -> list[int]:
    async with sessions() as session:
        session.add_all(jobs)
        await session.commit()
    return [each.id for each in jobs]


async def state_of(sessions, job_id: int) -> Job:
    async with sessions() as session:
        found = await session.get(Job, job_id)
        assert found is not None
        return found


async def claim(sessions, caps: Caps = ROOMY, owner: str = OWNER) -> int | None:
    async with sessions() as session:
        claimed = await claim_next(session, owner=owner, lease=LEASE, caps=caps)
        await session.commit()
        return claimed and claimed.id


async def test_unfinished_jobs_are_the_queued_running_and_delivering_oldest_first(sessions):
    ids = await added(
        sessions, *(job(state) for state in (JobState.DELIVERING, JobState.DONE, JobState.QUEUED, JobState.RUNNING))
    )
    async with sessions() as session:
        assert [each.id for each in await unfinished_jobs(session)] == [ids[0], ids[2], ids[3]]


async def test_claims_go_to_the_guild_whose_turn_is_oldest_then_by_arrival(postgres_sessions):
    now = utcnow()
    await added(
        postgres_sessions, job(JobState.DONE, guild_id=1, started_at=now - timedelta(minutes=1), finished_at=now)
    )
    await added(
        postgres_sessions, job(JobState.DONE, guild_id=2, started_at=now - timedelta(minutes=5), finished_at=now)
    )
    first_1, second_1, first_2, first_3 = await added(
        postgres_sessions, job(guild_id=1), job(guild_id=1), job(guild_id=2), job(guild_id=3)
    )
    async with postgres_sessions() as session:
        assert await queued_places(session) == {first_3: 1, first_2: 2, first_1: 3, second_1: 4}
    claimed = [await claim(postgres_sessions) for _ in range(5)]
    # each claim starts its guild's turn anew: guild 3 (never served), 2, then 1 — and 1 again
    assert claimed == [first_3, first_2, first_1, second_1, None]
    started = await state_of(postgres_sessions, first_3)
    assert (started.state, started.claimed_by, started.runs) == (JobState.RUNNING, OWNER, 1)
    assert started.lease_until - started.started_at == LEASE


async def test_claims_keep_the_caps_across_processes(postgres_sessions):
    a1, a2, c1 = await added(postgres_sessions, job(user_id=1), job(user_id=1), job(user_id=3))
    assert await claim(postgres_sessions, Caps(max_running=5, per_guild=5, per_member=1), OWNER) == a1
    # member 1 is at their cap: their second job waits, the next member's starts
    assert await claim(postgres_sessions, Caps(max_running=5, per_guild=5, per_member=1), OTHER) == c1
    assert await claim(postgres_sessions, Caps(max_running=5, per_guild=2, per_member=5), OTHER) is None
    assert await claim(postgres_sessions, Caps(max_running=2, per_guild=5, per_member=5), OTHER) is None
    async with postgres_sessions() as session:
        await mark_delivering(session, a1, OTHER)  # not OTHER's claim: nothing changes
        await session.commit()
    assert await claim(postgres_sessions, Caps(max_running=2, per_guild=2, per_member=1), OTHER) is None
    async with postgres_sessions() as session:
        await mark_delivering(session, a1, OWNER)  # the provider is done with it: it counts no longer
        await session.commit()
    assert (await state_of(postgres_sessions, a1)).state == JobState.DELIVERING
    assert await claim(postgres_sessions, Caps(max_running=2, per_guild=2, per_member=1), OTHER) == a2


async def test_a_lapsed_claim_is_taken_first_and_the_old_owner_loses_it(postgres_sessions):
    (queued,) = await added(postgres_sessions, job(guild_id=3))
    (lapsed,) = await added(
        postgres_sessions, job(JobState.RUNNING, claimed_by=OTHER, lease_until=utcnow() - timedelta(seconds=1), runs=1)
    )
    assert await claim(postgres_sessions) == lapsed
    assert (await state_of(postgres_sessions, lapsed)).runs == 2
    async with postgres_sessions() as session:
        assert not await finish_claimed(session, lapsed, OTHER, JobState.DONE, utcnow())
        assert await renew_leases(session, OTHER, LEASE) == 0
        assert await renew_leases(session, OWNER, LEASE) == 1
        assert await finish_claimed(session, lapsed, OWNER, JobState.DONE, utcnow())
        await session.commit()
    finished = await state_of(postgres_sessions, lapsed)
    assert (finished.state, finished.interaction_token, finished.finished_at is not None) == (JobState.DONE, None, True)
    assert await claim(postgres_sessions) == queued


async def test_a_requeued_job_waits_out_its_time_and_its_run_is_not_counted(postgres_sessions):
    (waiting,) = await added(postgres_sessions, job())
    assert await claim(postgres_sessions) == waiting
    async with postgres_sessions() as session:
        assert not await requeue_claimed(session, waiting, OTHER, timedelta(hours=1))
        assert await requeue_claimed(session, waiting, OWNER, timedelta(hours=1))
        await session.commit()
    requeued = await state_of(postgres_sessions, waiting)
    assert (requeued.state, requeued.claimed_by, requeued.runs, requeued.waits) == (JobState.QUEUED, None, 0, 1)
    assert await claim(postgres_sessions) is None
    async with postgres_sessions() as session:
        assert await queued_places(session) == {}
        requeued = await session.get(Job, waiting)
        requeued.not_before = await database_now(session) - timedelta(seconds=1)
        await session.commit()
    assert await claim(postgres_sessions) == waiting


async def test_only_a_queued_job_is_taken(sessions):
    queued, running = await added(sessions, job(interaction_token="t"), job(JobState.RUNNING, interaction_token="t"))
    async with sessions() as session:
        assert await take_queued(session, queued, JobState.CANCELLED)
        assert not await take_queued(session, queued, JobState.INTERRUPTED)
        assert not await take_queued(session, running, JobState.CANCELLED)
        await session.commit()
    taken = await state_of(sessions, queued)
    assert (taken.state, taken.interaction_token) == (JobState.CANCELLED, None)
    assert (await state_of(sessions, running)).state == JobState.RUNNING


async def test_only_jobs_finished_before_the_time_are_pruned(sessions):
    now = utcnow()
    old, recent, unfinished = await added(
        sessions,
        job(JobState.DONE, finished_at=now - timedelta(days=8)),
        job(JobState.FAILED, finished_at=now - timedelta(days=1)),
        job(JobState.RUNNING, created_at=now - timedelta(days=30)),
    )
    async with sessions() as session:
        assert await prune_jobs(session, now - timedelta(days=7)) == 1
        await session.commit()
        assert [each.id for each in await unfinished_jobs(session)] == [unfinished]
        assert await session.get(Job, old) is None
        assert await session.get(Job, recent) is not None


async def test_the_database_clock_is_aware_utc(sessions, postgres_sessions):
    for maker in (sessions, postgres_sessions):
        async with maker() as session:
            moment = await database_now(session)
        assert moment.utcoffset() == timedelta(0)
        assert abs(moment - utcnow()) < timedelta(minutes=1)
