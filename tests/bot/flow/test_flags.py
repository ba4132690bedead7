"""After a flagged request: the strike counted, the 24-hour block made on the last one (once,
however many count it at once), and one notice for the moderators with the surface's buttons."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import GuildSettings, Job, MemberBlock, UsageRecord
from bot.flow.flags import NOTICE_PROMPT_CHARS, STRIKE_BLOCK, FlagAlerts, notice_text
from bot.flow.locales import Locales

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GUILD, MEMBER, ALERTS = 10, 30, 70


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


class RecordedAnswers:
    def __init__(self) -> None:
        self.notices: list[tuple[int, str, object]] = []

    async def post_notice(self, channel_id, text, *, view=None):
        self.notices.append((channel_id, text, view))


class RecordedViews:
    def __init__(self) -> None:
        self.made: list[tuple[int, bool, str]] = []

    def flag_notice(self, usage_id, *, deletable, locale):
        self.made.append((usage_id, deletable, locale))
        return f"buttons for {usage_id}"


def alerts(sessions, answers, views) -> FlagAlerts:
    return FlagAlerts(
        sessions=sessions,
        answers=answers,
        locales=Locales(sessions, lambda _guild_id: None),
        views=views,
        clock=FixedClock(),
        flags_before_block=3,
        flag_window=timedelta(days=7),
    )


async def flagged_row(sessions, *, days_ago: float = 0, guild_id: int | None = GUILD, **fields) -> UsageRecord:
    values = {"channel_id": 20, "command": "imagine", "status": "flagged", "flags": "violence", "prompt": "an axe"}
    async with sessions() as session:
        record = UsageRecord(
            guild_id=guild_id, user_id=MEMBER, created_at=NOW - timedelta(days=days_ago), **(values | fields)
        )
        session.add(record)
        await session.commit()
    return record


async def with_alert_channel(sessions) -> None:
    async with sessions() as session:
        session.add(GuildSettings(guild_id=GUILD, alert_channel_id=ALERTS))
        await session.commit()


async def blocks(sessions) -> list[tuple[int, int, datetime | None, str]]:
    async with sessions() as session:
        return [(b.guild_id, b.user_id, b.until, b.reason) for b in await session.scalars(select(MemberBlock))]


def test_the_notice_says_who_where_what_and_whether_anything_was_charged():
    record = UsageRecord(guild_id=GUILD, channel_id=20, user_id=MEMBER, status="flagged", flags="violence")
    record.prompt = "x" * (NOTICE_PROMPT_CHARS + 50)
    text = notice_text(record, "en-US")
    assert f"<@{MEMBER}> in <#20>: violence" in text and "safety check flagged" in text
    assert "Nothing was made or charged" in text and f"https://discord.com/channels/{GUILD}/20" in text
    assert "x" * (NOTICE_PROMPT_CHARS + 1) not in text
    record.status, record.flags, record.cost_usd = "filtered", "dragon", 0.04
    text = notice_text(record, "en-US", strikes=3)
    assert "A word filter refused" in text and ": dragon." in text
    assert "made and charged, and not posted" in text and "3 flags in a short time" in text


async def test_a_strike_below_the_limit_posts_the_notice_and_blocks_no_one(sessions):
    await with_alert_channel(sessions)
    await flagged_row(sessions, days_ago=8)  # outside the window
    record = await flagged_row(sessions)
    answers, views = RecordedAnswers(), RecordedViews()
    assert await alerts(sessions, answers, views).flagged(Job(), record, deletable=True) is None
    assert views.made == [(record.id, True, "en-US")]
    assert answers.notices == [(ALERTS, notice_text(record, "en-US"), f"buttons for {record.id}")]
    assert await blocks(sessions) == []


async def test_the_last_strike_blocks_for_24_hours_once_and_tells_the_member(sessions):
    await with_alert_channel(sessions)
    for _ in range(2):
        await flagged_row(sessions, days_ago=1)
    record = await flagged_row(sessions)
    answers, views = RecordedAnswers(), RecordedViews()
    told = await alerts(sessions, answers, views).flagged(Job(), record)
    assert told is not None and "3 flagged requests in 7 days" in told.render("en-US")
    assert await blocks(sessions) == [(GUILD, MEMBER, NOW + STRIKE_BLOCK, "strikes")]
    assert "3 flags in a short time" in answers.notices[0][1]
    again = await flagged_row(sessions)  # counted by another process at once, or while blocked
    assert await alerts(sessions, answers, views).flagged(Job(), again) is None
    assert "in a short time" not in answers.notices[1][1]
    assert len(await blocks(sessions)) == 1


async def test_without_an_alert_channel_the_strike_counts_and_no_notice_is_posted(sessions):
    for _ in range(3):
        record = await flagged_row(sessions)
    answers, views = RecordedAnswers(), RecordedViews()
    assert await alerts(sessions, answers, views).flagged(Job(), record) is not None
    assert (answers.notices, views.made) == ([], [])
    assert len(await blocks(sessions)) == 1


async def test_outside_a_guild_nothing_is_counted(sessions):
    record = await flagged_row(sessions, guild_id=None)
    answers, views = RecordedAnswers(), RecordedViews()
    assert await alerts(sessions, answers, views).flagged(Job(), record) is None
    assert (answers.notices, await blocks(sessions)) == ([], [])


async def test_a_database_failure_is_logged_and_the_member_hears_only_the_refusal(sessions, caplog):
    record = await flagged_row(sessions)

    def broken():
        raise ConnectionError("the database is down")

    answers, views = RecordedAnswers(), RecordedViews()
    assert await alerts(broken, answers, views).flagged(Job(), record) is None
    assert answers.notices == []
    assert f"could not count the strike of user {MEMBER}" in caplog.text
