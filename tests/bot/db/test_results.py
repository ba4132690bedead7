"""Kept results: capped in size (oldest dropped first), expired on time, handed over once."""

from datetime import timedelta

from sqlalchemy import select

from bot.clock import utcnow
from bot.db.models import KeptResult, UsageRecord
from bot.db.results import hand_over, keep, kept_for, prune_kept


async def rows(sessions, count: int) -> list[UsageRecord]:
    async with sessions() as session:
        records = [UsageRecord(user_id=1, command="imagine", status="ok", n=1) for _ in range(count)]
        session.add_all(records)
        await session.commit()
    return records


def kept(record: UsageRecord, size: int, *, age: timedelta = timedelta(0), user_id: int = 1) -> KeptResult:
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
