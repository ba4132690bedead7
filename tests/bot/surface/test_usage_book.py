"""/usage's book and reports: filters that survive the page buttons, the lines and embeds a
moderator reads, the chart's days, and a CSV that a spreadsheet shows but never runs."""

import csv
import io
import tempfile
from datetime import UTC, datetime, timedelta

from bot.db.models import UsageRecord, UsageStatus
from bot.db.usage import UsageSummary
from bot.surface.usage_book import (
    CSV_COLUMNS,
    RecentFilters,
    UsageReports,
    chart_days,
    csv_value,
    recent_lines,
    summary_embed,
)
from bot.threads import BoundedThreads

GUILD, OTHER_GUILD, MEMBER = 10, 11, 20
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def row(**values) -> UsageRecord:
    fields = {"guild_id": GUILD, "channel_id": 30, "user_id": MEMBER, "command": "imagine", "status": "ok"}
    return UsageRecord(**{**fields, "created_at": NOW, **values})


def test_filters_go_through_the_page_buttons_and_back():
    filters = RecentFilters(user_id=MEMBER, status=UsageStatus.FAILED, command="edit")
    assert filters.as_args() == f"{MEMBER}.failed.edit"
    assert RecentFilters.from_args(filters.as_args()) == filters
    assert RecentFilters.from_args("..") == RecentFilters(None, None, None)


def test_a_command_no_row_can_have_still_filters_out_every_row():
    filters = RecentFilters(user_id=None, status=None, command="<@1> ímagine")
    assert filters.as_args() == "..1magine"
    assert RecentFilters.from_args(RecentFilters(None, None, "ü").as_args()).command == "-"
    assert len(RecentFilters(None, None, "a" * 100).as_args()) == 2 + 32


def test_cells_a_spreadsheet_would_run_are_written_as_text():
    assert [csv_value(value) for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert (csv_value("a fox"), csv_value(None), csv_value(3), csv_value(NOW)) == ("a fox", "", 3, NOW.isoformat())


def test_the_chart_shows_the_period_or_the_days_that_have_requests():
    assert chart_days(NOW - timedelta(days=6), NOW, {}) == [f"2026-11-{day}" for day in range(19, 26)]
    assert len(last_30 := chart_days(None, NOW, {})) == 30 and last_30[-1] == "2026-11-25"
    assert chart_days(None, NOW, {"2026-11-23": {"ok": 1}}) == ["2026-11-23", "2026-11-24", "2026-11-25"]
    assert len(long := chart_days(None, NOW, {"2024-01-01": {"ok": 1}})) == 90 and long[-1] == "2026-11-25"


def test_recent_lines_name_the_command_the_outcome_in_the_locale_and_link_the_result():
    text = recent_lines(
        [
            row(prompt="a fox", status="failed", message_id=40),
            row(command="edit", via="reply", prompt=None, guild_id=None),
        ],
        "zh-CN",
    )
    first, second = text.splitlines()
    assert f"<@{MEMBER}> `/imagine`" in first and "a fox" in first
    assert "**失败**" in first and first.endswith(f"[↗](https://discord.com/channels/{GUILD}/30/40)")
    assert "`edit`" in second and "—" in second and "↗" not in second
    assert recent_lines([], "en-US") == "No requests match."


def test_the_summary_embed_counts_refusals_failures_and_limits_and_shows_the_chart():
    summary = UsageSummary(
        requests=7,
        images=9,
        cost_usd=0.456,
        by_status={UsageStatus.REFUSED: 1, UsageStatus.FAILED: 2, UsageStatus.LIMITED: 1, UsageStatus.BLOCKED: 2},
        top_users=[(MEMBER, 7, 9)],
    )
    embed = summary_embed(summary, "Usage", "en-US")
    fields = {field.name: field.value for field in embed.fields}
    assert (fields["Requests"], fields["Images"], fields["Estimated cost"]) == ("7", "9", "$0.46")
    assert (fields["Refused"], fields["Failed"], fields["Limited or blocked"]) == ("1", "2", "3")
    assert fields["Top members"] == f"<@{MEMBER}> · 7 requests · 9 images" and fields["Top models"] == "—"
    assert embed.image.url == "attachment://usage.png"


async def test_the_export_holds_the_guilds_rows_since_the_period_began_and_parses_back(sessions):
    async with sessions() as session:
        session.add_all(
            [
                row(prompt="=HYPERLINK(1)", created_at=NOW - timedelta(days=2)),
                row(prompt="old", created_at=NOW - timedelta(days=40)),
                row(prompt="elsewhere", guild_id=OTHER_GUILD),
            ]
        )
        await session.commit()
    reports = UsageReports(sessions, BoundedThreads(1))
    with tempfile.TemporaryFile("w+b") as handle:
        assert await reports.export(handle, GUILD, NOW - timedelta(days=30)) == 1
        handle.seek(0)
        header, *rows = list(csv.reader(io.StringIO(handle.read().decode())))
    assert header == CSV_COLUMNS
    assert [dict(zip(header, values, strict=True))["prompt"] for values in rows] == ["'=HYPERLINK(1)"]


async def test_a_members_summary_adds_their_latest_prompts_and_the_chart_it_names(sessions):
    async with sessions() as session:
        session.add_all([row(prompt="a fox", created_at=NOW - timedelta(hours=1)), row(user_id=21, prompt="a cat")])
        await session.commit()
    reports = UsageReports(sessions, BoundedThreads(1))
    embed, chart = await reports.summary(GUILD, None, NOW, title="Usage", locale="en-US", user_id=MEMBER)
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Requests"] == "1" and "a fox" in fields["Recent prompts"] and "a cat" not in fields["Recent prompts"]
    assert chart.filename == "usage.png" and chart.fp.read(8) == b"\x89PNG\r\n\x1a\n"
    everyone, _ = await reports.summary(GUILD, None, NOW, title="Usage", locale="en-US")
    assert "Recent prompts" not in {field.name for field in everyone.fields}
