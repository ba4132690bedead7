"""Kept results: capped in size (oldest dropped first), expired on time, handed over once; held
results; 64-bit ids; finished jobs pruned."""

from datetime import timedelta

from sqlalchemy import select

from bot.clock import utcnow
from bot.db.jobs import prune_jobs
from bot.db.models import Job, KeptResult, UsageRecord
from bot.db.policy import prune_prompts
from bot.db.results import hand_over, held_for, keep, keep_held, kept_for, prune_kept, release_held
from bot.db.usage import get_usage


async def rows(sessions, count: int) -> list[UsageRecord]:
    async with sessions() as session:
        records = [UsageRecord(user_id=1, command="imagine", status="ok", n=1) for _ in range(count)]
        session.add_all(records)
        await session.commit()
    return records


def kept(
    record: UsageRecord, size: int, *, age: timedelta = timedelta(0), user_id: int = 1, held: bool = False
) -> KeptResult:
    made = utcnow() - age
    return KeptResult(
        usage_id=record.id,
        user_id=user_id,
        guild_id=None,
        filename="a.png",
        data=b"x" * size,
        size=size,
        created_at=made,
        expires_at=made + timedelta(hours=24),
        held=held,
    )


async def deliveries(sessions) -> list[str | None]:
    async with sessions() as session:
        return [row.delivery for row in (await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all()]


async def test_the_cap_drops_the_oldest_kept_results_first(sessions):
    first, second, third = await rows(sessions, 3)
    for record, size in ((first, 400), (second, 400), (third, 400)):
        async with sessions() as session:
            await keep(session, [kept(record, size)], cap_bytes=1000)
            await session.commit()
    async with sessions() as session:
        assert [result.usage_id for result in await kept_for(session, 1)] == [second.id, third.id]
    assert await deliveries(sessions) == ["expired", None, None]


async def test_results_past_their_time_expire_and_the_rest_are_handed_over_once(sessions):
    old, fresh, theirs = await rows(sessions, 3)
    async with sessions() as session:
        await keep(
            session,
            [kept(old, 10, age=timedelta(hours=25)), kept(fresh, 10), kept(theirs, 10, user_id=2)],
            cap_bytes=10_000,
        )
        await session.commit()
    async with sessions() as session:
        assert await prune_kept(session, utcnow()) == 1
        await session.commit()
    async with sessions() as session:
        mine = await kept_for(session, 1)
        assert [result.usage_id for result in mine] == [fresh.id]
        await hand_over(session, mine)
        await session.commit()
    async with sessions() as session:
        assert await kept_for(session, 1) == []
        assert [result.usage_id for result in await kept_for(session, 2)] == [theirs.id]
    assert await deliveries(sessions) == ["expired", "delivered_late", None]


async def test_held_images_are_never_handed_over_until_discord_refused_them(sessions):
    """Held from settling until delivered: /results does not see them, and a failed delivery turns
    them into kept ones (the cap counting them)."""
    delivered, refused = await rows(sessions, 2)
    async with sessions() as session:
        session.add_all([kept(delivered, 10, held=True), kept(refused, 10, held=True)])
        await session.commit()
    async with sessions() as session:
        assert await kept_for(session, 1) == []
        assert [result.usage_id for result in await held_for(session, refused.id)] == [refused.id]
        await release_held(session, delivered.id)
        await keep_held(session, refused.id, cap_bytes=10_000)
        await session.commit()
    async with sessions() as session:
        assert [result.usage_id for result in await kept_for(session, 1)] == [refused.id]
        assert await held_for(session, delivered.id) == []


async def test_any_id_a_custom_id_can_carry_is_looked_up_without_an_error(sessions):
    """18 digits fit the 64-bit id columns, on SQLite and PostgreSQL alike: a forged one finds nothing."""
    async with sessions() as session:
        assert await get_usage(session, 999_999_999_999_999_999) is None


async def test_finished_jobs_go_a_day_after_they_end(sessions):
    now = utcnow()

    def job(state: str, finished_hours_ago: float | None) -> Job:
        finished = now - timedelta(hours=finished_hours_ago) if finished_hours_ago is not None else None
        return Job(
            usage_id=1,
            kind="generate",
            state=state,
            user_id=1,
            locale="en-US",
            params={"prompt": "a secret"},
            application_id=1,
            attachment_limit=1,
            interaction_at=now,
            finished_at=finished,
        )

    async with sessions() as session:
        session.add_all([job("done", 25), job("failed", 30), job("done", 2), job("running", None)])
        await session.commit()
    async with sessions() as session:
        assert await prune_jobs(session, now - timedelta(days=1)) == 2
        await session.commit()
    async with sessions() as session:
        assert sorted(job.state for job in (await session.scalars(select(Job))).all()) == ["done", "running"]


async def test_prompt_retention_also_removes_a_guilds_old_kept_images(sessions):
    [record] = await rows(sessions, 1)
    ours, theirs, fresh = (kept(record, 10, age=timedelta(days=days)) for days in (10, 10, 1))
    ours.guild_id, theirs.guild_id, fresh.guild_id = 7, 8, 7
    async with sessions() as session:
        session.add_all([ours, theirs, fresh])
        await session.commit()
    async with sessions() as session:
        await prune_prompts(session, 7, utcnow() - timedelta(days=7))
        await session.commit()
    async with sessions() as session:
        left = (await session.scalars(select(KeptResult).order_by(KeptResult.id))).all()
    assert [(result.guild_id, result.id) for result in left] == [(8, theirs.id), (7, fresh.id)]


async def test_the_cap_never_drops_images_held_for_a_delivery_under_way(sessions):
    delivering, old, new = await rows(sessions, 3)
    async with sessions() as session:
        session.add_all([kept(delivering, 400, held=True), kept(old, 400)])
        await session.commit()
    async with sessions() as session:
        await keep(session, [kept(new, 400)], cap_bytes=900)
        await session.commit()
    async with sessions() as session:
        assert [result.usage_id for result in await held_for(session, delivering.id)] == [delivering.id]
        assert [result.usage_id for result in await kept_for(session, 1)] == [new.id]
    assert await deliveries(sessions) == [None, "expired", None]
