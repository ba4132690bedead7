"""The usage log's queries: a result's row by its message, which rows are settled, a settlement
claimed once, a member's delivered results, a guild's summary and pages, and its rows streamed in
batches."""

from datetime import UTC, datetime, timedelta

from bot.db.models import ResultPreview, UsageRecord, UsageStatus
from bot.db.usage import (
    claim_settlement,
    get_usage,
    member_results,
    recent_page,
    settled_usage_ids,
    stream_rows,
    summarize,
    usage_id_of_message,
)

GUILD, OTHER_GUILD, MEMBER, OTHER_MEMBER = 10, 11, 20, 21
DAY = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)


def row(status: str = UsageStatus.OK, **fields) -> UsageRecord:
    values = {"guild_id": GUILD, "user_id": MEMBER, "command": "imagine", "image_count": 1, "created_at": DAY}
    return UsageRecord(status=status, **(values | fields))


async def added(sessions, *records: UsageRecord) -> list[int]:
    async with sessions() as session:
        session.add_all(records)
        await session.commit()
    return [record.id for record in records]


async def test_a_message_is_traced_to_its_latest_row(sessions):
    first, second, _ = await added(sessions, row(message_id=5), row(message_id=5), row(message_id=6))
    async with sessions() as session:
        assert await usage_id_of_message(session, 5) == second != first
        assert await usage_id_of_message(session, 7) is None
        assert (await get_usage(session, first)).message_id == 5
        assert await get_usage(session, 999) is None


async def test_settled_rows_are_those_no_longer_pending(sessions):
    ok, pending, failed = await added(sessions, row(), row(UsageStatus.PENDING), row(UsageStatus.FAILED))
    async with sessions() as session:
        assert await settled_usage_ids(session, [ok, pending, failed, 999]) == {ok, failed}
        assert await settled_usage_ids(session, []) == set()


async def test_a_settlement_is_claimed_once(sessions):
    (pending,) = await added(sessions, row(UsageStatus.PENDING))
    async with sessions() as session:
        assert await claim_settlement(session, pending, UsageStatus.PARTIAL)
        await session.commit()
    async with sessions() as session:
        assert not await claim_settlement(session, pending, UsageStatus.OK)
        assert (await get_usage(session, pending)).status == UsageStatus.PARTIAL


async def test_a_members_results_are_the_delivered_ones_in_one_scope_newest_first(sessions):
    ids = await added(
        sessions,
        row(message_id=1),
        row(UsageStatus.PARTIAL, message_id=2),
        row(UsageStatus.FAILED, message_id=3),  # not a result
        row(message_id=None),  # not delivered
        row(message_id=4, guild_id=OTHER_GUILD),
        row(message_id=5, guild_id=None),
        row(message_id=6, user_id=OTHER_MEMBER),
        row(message_id=7),
    )
    async with sessions() as session:
        session.add(ResultPreview(usage_id=ids[1], image_urls=["https://cdn.example/a.png"]))
        await session.commit()
    async with sessions() as session:
        results = await member_results(session, GUILD, MEMBER, limit=10)
        assert [(record.message_id, preview and preview.image_urls) for record, preview in results] == [
            (7, None),
            (2, ["https://cdn.example/a.png"]),
            (1, None),
        ]
        assert [record.message_id for record, _ in await member_results(session, GUILD, MEMBER, limit=2)] == [7, 2]
        assert [record.message_id for record, _ in await member_results(session, None, MEMBER, limit=10)] == [5]


async def test_the_summary_counts_statuses_members_models_and_utc_days(sessions):
    await added(
        sessions,
        row(model="gpt-image-2", image_count=2, cost_usd=0.5),
        row(model="gpt-image-2", image_count=1, cost_usd=0.25, created_at=DAY + timedelta(hours=1)),
        row(UsageStatus.FAILED, model="dall-e-3", image_count=0, user_id=OTHER_MEMBER),
        row(model=None, image_count=1, cost_usd=None),
        row(guild_id=OTHER_GUILD, image_count=9, cost_usd=9.0),
        row(created_at=DAY - timedelta(days=30), image_count=4),
    )
    async with sessions() as session:
        summary = await summarize(session, GUILD, DAY - timedelta(days=1))
        everything = await summarize(session, GUILD, None)
        members = await summarize(session, GUILD, None, user_id=OTHER_MEMBER)
        nothing = await summarize(session, 12, None)
    assert (summary.requests, summary.images, summary.cost_usd) == (4, 4, 0.75)
    assert summary.by_status == {"ok": 3, "failed": 1}
    assert summary.top_users == [(MEMBER, 3, 4), (OTHER_MEMBER, 1, 0)]
    assert summary.top_models == [("gpt-image-2", 2), ("dall-e-3", 1)]
    assert summary.per_day == {"2026-03-14": {"ok": 2, "failed": 1}, "2026-03-15": {"ok": 1}}
    assert (everything.requests, everything.images) == (5, 8)
    assert (members.requests, members.by_status) == (1, {"failed": 1})
    assert (nothing.requests, nothing.top_users, nothing.per_day) == (0, [], {})


async def test_a_page_is_newest_first_with_the_count_of_all_matching(sessions):
    ids = await added(
        sessions,
        *(row(created_at=DAY + timedelta(minutes=minute)) for minute in range(5)),
        row(UsageStatus.FAILED, command="edit"),
        row(guild_id=OTHER_GUILD),
    )
    async with sessions() as session:
        page, total = await recent_page(session, GUILD, offset=1, limit=2)
        assert ([record.id for record in page], total) == ([ids[3], ids[2]], 6)
        failed, total = await recent_page(session, GUILD, status=UsageStatus.FAILED)
        assert ([record.id for record in failed], total) == ([ids[5]], 1)
        edits, total = await recent_page(session, GUILD, command="imagine", since=DAY + timedelta(minutes=3))
        assert ([record.id for record in edits], total) == ([ids[4], ids[3]], 2)
        assert await recent_page(session, GUILD, user_id=OTHER_MEMBER) == ([], 0)


async def test_rows_stream_oldest_first_in_batches(sessions):
    ids = await added(sessions, *(row(created_at=DAY - timedelta(minutes=minute)) for minute in range(5)))
    await added(sessions, row(guild_id=OTHER_GUILD))
    async with sessions() as session:
        batches = [[record.id for record in batch] async for batch in stream_rows(session, GUILD, None, batch=2)]
        recent = [
            record.id async for batch in stream_rows(session, GUILD, DAY - timedelta(minutes=1)) for record in batch
        ]
    assert batches == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    assert recent == [ids[1], ids[0]]
