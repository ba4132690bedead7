"""The guild policy on a real database: checks, reservations, settlement, release, months, races."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.billing.policy import (
    BUDGET,
    PERSONAL,
    Policy,
    Quota,
    Requester,
    check_channel,
    choose_size,
    day_period,
    images_subject,
    month_period,
    next_month,
)
from bot.billing.prices import PriceTable
from bot.db.models import GuildSettings, UsageRecord
from bot.db.policy import counter_value, get_settings
from bot.db.safety import block_member, unblock_member
from bot.errors import Blocked, InvalidRequest, LimitReached
from bot.images import GeneratedImage, ImagesResult, ModelRegistry, TokenUsage

GUILD, MEMBER = 10, 20
MODELS = ModelRegistry()
GPT = MODELS.get("gpt-image-2")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
policy = Policy(PriceTable(), personal_images_per_day=10)
member = Requester(GUILD, 30, MEMBER)


async def configure(sessions, **values) -> None:
    async with sessions() as session:
        settings = await get_settings(session, GUILD)
        for name, value in values.items():
            setattr(settings, name, value)
        session.add(settings)
        await session.commit()


async def admit(sessions, n=1, *, quality="low", requester=member, created_at=NOW) -> UsageRecord:
    """One request's row and reservation, in one unit of work as intake makes it."""
    async with sessions() as session:
        record = UsageRecord(
            guild_id=requester.guild_id,
            user_id=requester.user_id,
            command="imagine",
            status="pending",
            n=n,
            quality=quality,
            model=GPT.name,
            created_at=created_at,
        )
        session.add(record)
        await session.flush()
        await policy.admit(session, requester, record, GPT, "1024x1024", quality, n)
        await session.commit()
    return record


async def counters(sessions, when=NOW) -> tuple[float, float]:
    async with sessions() as session:
        return (
            await counter_value(session, GUILD, images_subject(MEMBER), day_period(when)),
            await counter_value(session, GUILD, BUDGET, month_period(when)),
        )


def made(count: int, usage: TokenUsage | None = None) -> ImagesResult:
    return ImagesResult(images=[GeneratedImage(b"png")] * count, usage=usage)


async def test_admit_reserves_images_and_the_estimated_cost(sessions):
    record = await admit(sessions, 3)
    assert (record.reserved_images, record.reserved_usd) == (3, pytest.approx(0.033))
    assert await counters(sessions) == (3, pytest.approx(0.033))


async def test_the_daily_limit_refuses_and_leaves_the_counters_as_they_were(sessions):
    await configure(sessions, images_per_day=4)
    await admit(sessions, 3)
    with pytest.raises(LimitReached) as refused:
        await admit(sessions, 2)
    assert refused.value.code == "daily_limit" and "4 images a day" in str(refused.value.message)
    assert await counters(sessions) == (3, pytest.approx(0.033))


async def test_a_refused_budget_rolls_back_the_images_reserved_with_it(sessions):
    await configure(sessions, monthly_budget_usd=0.05)
    await admit(sessions, 4)
    with pytest.raises(LimitReached) as refused:
        await admit(sessions, 2)
    assert refused.value.code == "budget"
    assert await counters(sessions) == (4, pytest.approx(0.044))


async def test_two_racing_requests_cannot_both_take_the_last_slot(sessions):
    await configure(sessions, images_per_day=1)
    outcomes = await asyncio.gather(admit(sessions), admit(sessions), return_exceptions=True)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["LimitReached", "UsageRecord"]
    assert (await counters(sessions))[0] == 1


async def test_settle_counts_what_was_made_at_the_real_cost(sessions):
    record = await admit(sessions, 2, quality="high")
    usage = TokenUsage(input_tokens=50, output_tokens=4000, total_tokens=4050)
    async with sessions() as session:
        assert await policy.settle(session, record, made(1, usage)) is None
        await session.commit()
    assert record.cost_usd == pytest.approx((50 * 5 + 4000 * 40) / 1e6)
    assert (record.reserved_images, record.reserved_usd) == (0, 0.0)
    assert await counters(sessions) == (1, pytest.approx(record.cost_usd))


async def test_release_gives_the_reservation_back(sessions):
    record = await admit(sessions, 2)
    async with sessions() as session:
        await policy.release(session, record)
        await session.commit()
    assert await counters(sessions) == (0, pytest.approx(0))
    assert (record.reserved_images, record.reserved_usd) == (0, 0.0)


async def test_a_request_settled_after_midnight_counts_in_the_month_it_was_made(sessions):
    last_second = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
    record = await admit(sessions, 1, created_at=last_second)
    async with sessions() as session:
        await policy.settle(session, record, made(1))
        await session.commit()
    assert (await counters(sessions, last_second))[1] == pytest.approx(0.011)
    assert (await counters(sessions, NOW))[1] == 0
    assert next_month(datetime(2026, 12, 5, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


async def test_budget_alerts_go_out_once_at_80_and_once_at_100_percent(sessions):
    await configure(sessions, monthly_budget_usd=0.21, alert_channel_id=77)
    alerts = []
    for _ in range(5):
        record = await admit(sessions, 1, quality="medium")
        async with sessions() as session:
            alerts.append(await policy.settle(session, record, made(1)))
            await session.commit()
    sent = [(index, alert.channel_id, alert.render("en-US")) for index, alert in enumerate(alerts) if alert]
    assert [index for index, _, _ in sent] == [3, 4]
    assert [channel for _, channel, _ in sent] == [77, 77]
    assert "used 80% of its $0.21 monthly image budget ($0.17)" in sent[0][2] and "refused" not in sent[0][2]
    assert "New requests are refused until next month." in sent[1][2]


def test_channels_and_sizes_follow_the_guilds_settings():
    settings = GuildSettings(guild_id=GUILD, channel_ids=[31], allowed_models=[], allowed_sizes=[], exempt_role_ids=[5])
    with pytest.raises(InvalidRequest, match="works in <#31>"):
        check_channel(settings, member)
    check_channel(settings, Requester(GUILD, 31, MEMBER))
    assert Requester(GUILD, 31, MEMBER, frozenset({5})).exempt(settings)
    settings.allowed_sizes = ["100x100", "1536x1024"]
    assert choose_size(settings, GPT, None) == "1536x1024"
    with pytest.raises(InvalidRequest, match="not allowed here"):
        choose_size(settings, GPT, "1024x1024")
    settings.allowed_models = ["dall-e-2"]
    with pytest.raises(InvalidRequest, match="`gpt-image-2` is not allowed"):
        choose_size(settings, GPT, None)


async def test_a_block_refuses_before_the_channels_say_for_good_or_until_when_and_reserves_nothing(sessions):
    await configure(sessions, channel_ids=[31])
    async with sessions() as session:
        await block_member(session, GUILD, MEMBER, until=None, reason="moderator", blocked_by=1, now=NOW)
        await session.commit()
    with pytest.raises(Blocked, match="A moderator has blocked you from using this bot here"):
        await admit(sessions)
    async with sessions() as session:
        ends = NOW + timedelta(days=7)
        await block_member(session, GUILD, MEMBER, until=ends, reason="moderator", blocked_by=1, now=NOW)
        await session.commit()
    with pytest.raises(Blocked, match=f"the block ends <t:{int(ends.timestamp())}:R>"):
        await admit(sessions)
    async with sessions() as session:
        await unblock_member(session, GUILD, MEMBER)
        await session.commit()
    with pytest.raises(InvalidRequest, match="works in <#31>"):
        await admit(sessions)
    assert await counters(sessions) == (0, 0)


async def test_personal_use_counts_against_the_members_own_daily_limit(sessions):
    personal = Requester(None, 5, MEMBER)
    first = await admit(sessions, 6, requester=personal)
    assert (first.reserved_images, first.reserved_usd) == (6, 0.0)
    with pytest.raises(LimitReached, match="outside servers") as refused:
        await admit(sessions, 5, requester=personal)
    assert refused.value.code == "daily_limit"
    async with sessions() as session:
        await policy.release(session, first)
        await session.commit()
        assert await counter_value(session, PERSONAL, images_subject(MEMBER), day_period(NOW)) == 0
    await admit(sessions, 10, requester=personal)
    assert await counters(sessions) == (0, 0)  # no guild's counters move


async def test_no_personal_use_when_the_operator_allows_none(sessions):
    closed = Policy(PriceTable(), personal_images_per_day=0)
    async with sessions() as session:
        record = UsageRecord(guild_id=None, user_id=MEMBER, command="imagine", status="pending", n=1, created_at=NOW)
        session.add(record)
        await session.flush()
        with pytest.raises(InvalidRequest, match="only works in servers"):
            await closed.admit(session, Requester(None, 5, MEMBER), record, GPT, None, None, 1)


async def quota_at(sessions, when=NOW, requester=member) -> Quota:
    async with sessions() as session:
        return await policy.quota(session, requester, when)


async def test_quota_counts_todays_images_the_cooldown_and_the_budget_the_policy_reserved(sessions):
    await configure(sessions, images_per_day=5, cooldown_seconds=60, monthly_budget_usd=1.0)
    await admit(sessions, 3)
    quota = await quota_at(sessions, NOW + timedelta(seconds=30))
    assert (quota.block, quota.exempt, quota.images_used, quota.images_per_day, quota.images_left) == (
        None,
        False,
        3,
        5,
        2,
    )
    assert quota.next_request == NOW + timedelta(seconds=60)
    assert (quota.spent_usd, quota.budget_usd) == (pytest.approx(0.033), 1.0)
    assert quota.budget_percent == pytest.approx(3.3)
    assert (quota.images_reset, quota.budget_reset) == (
        datetime(2026, 11, 26, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    tomorrow = await quota_at(sessions, NOW + timedelta(days=1))
    assert (tomorrow.images_used, tomorrow.images_left, tomorrow.spent_usd) == (0, 5, pytest.approx(0.033))


async def test_quota_of_an_exempt_role_has_no_daily_limit_nor_cooldown_but_the_guilds_budget(sessions):
    await configure(sessions, images_per_day=1, cooldown_seconds=60, monthly_budget_usd=2.0, exempt_role_ids=[7])
    exempt = Requester(GUILD, 30, MEMBER, frozenset({7}))
    await admit(sessions, 2, requester=exempt)
    quota = await quota_at(sessions, requester=exempt)
    assert (quota.exempt, quota.images_used, quota.images_per_day, quota.images_left) == (True, 2, None, None)
    assert quota.next_request is None
    assert quota.budget_percent == pytest.approx(1.1)


async def test_quota_without_limits_or_requests_says_none_hold(sessions):
    quota = await quota_at(sessions)
    assert (quota.images_used, quota.images_per_day, quota.images_left) == (0, None, None)
    assert (quota.next_request, quota.budget_usd, quota.budget_percent) == (None, None, None)


async def test_quota_shows_the_block_in_force_from_the_block_store(sessions):
    async with sessions() as session:
        ends = NOW + timedelta(days=1)
        await block_member(session, GUILD, MEMBER, until=ends, reason="strikes", blocked_by=None, now=NOW)
        await session.commit()
    blocked = await quota_at(sessions)
    assert blocked.block is not None and blocked.block.until == ends
    assert (await quota_at(sessions, ends + timedelta(seconds=1))).block is None
