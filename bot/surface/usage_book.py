"""/usage's book and reports: the pages of recent requests, the summary of a period (totals, a
chart of requests per day, a member's latest prompts) and the CSV export of the guild's rows.

The cog (cogs/usage.py) checks who asks and answers; everything here is scoped to the guild it
is given. The CSV is written in the worker threads, a batch of rows at a time, and a cell a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.charts import day_range, render_usage_chart
from bot.db.models import UsageRecord, UsageStatus
from bot.db.usage import UsageSummary, recent_page, stream_rows, summarize
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.i18n import Text, _
from bot.surface.checks import guild_of, require_moderator
from bot.surface.pages import PAGE_SIZE, Pages, footer
from bot.threads import BoundedThreads

CHART_NAME = "usage.png"  # the summary's chart, as its embed shows it
CHART_DAYS = 30  # an open period's chart: its last 30 days
LONGEST_CHART_DAYS = 90  # all time: at most the last 90 days that have requests
MEMBERS_RECENT = 5  # /usage user: the member's latest prompts

STATUS_LABELS: dict[str, Text] = {
    UsageStatus.OK: _("ok"),
    UsageStatus.PARTIAL: _("partial"),
    UsageStatus.REFUSED: _("refused"),
    UsageStatus.FAILED: _("failed"),
    UsageStatus.LIMITED: _("limited"),
    UsageStatus.INVALID: _("invalid"),
    UsageStatus.BLOCKED: _("blocked"),
    UsageStatus.PENDING: _("pending"),
    UsageStatus.FLAGGED: _("flagged"),
    UsageStatus.FILTERED: _("filtered"),
}
STATUS_CHOICES = [
    app_commands.Choice(name=STATUS_LABELS[status].message, value=status)
    for status in (
        UsageStatus.OK,
        UsageStatus.PARTIAL,
        UsageStatus.REFUSED,
        UsageStatus.FAILED,
        UsageStatus.LIMITED,
        UsageStatus.INVALID,
        UsageStatus.BLOCKED,
        UsageStatus.FLAGGED,
        UsageStatus.FILTERED,
    )
]
CSV_COLUMNS = [column.name for column in UsageRecord.__table__.columns]


@dataclass(frozen=True)
class RecentFilters:
    """What /usage recent was asked to show: one member, one outcome, one command (None: any)."""

    user_id: int | None
    status: str | None
    command: str | None

    def as_args(self) -> str:
        """`member.status.command`, for the page buttons; a command name is at most 32 letters
        of `-_a-z0-9`, and one that is not cannot match any row."""
        command = re.sub(r"[^-_a-z0-9]", "", self.command or "")[:32] if self.command is not None else ""
        if self.command is not None and not command:
            command = "-"  # asked for a command no row can have
        return f"{self.user_id or ''}.{self.status or ''}.{command}"

    @classmethod
    def from_args(cls, args: str) -> RecentFilters:
        user, _, rest = args.partition(".")
        status, _, command = rest.partition(".")
        return cls(int(user) if user.isdigit() else None, status or None, command or None)


class RecentRequests:
    """/usage recent's pages, newest first."""

    code = "r"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], locales: Locales, pages: Pages) -> None:
        self.sessions, self.locales, self.pages = sessions, locales, pages
        pages.add(self)

    async def open(self, interaction: discord.Interaction, offset: int, args: str, *, turn: bool) -> None:
        require_moderator(interaction)  # on every turn: custom ids are anyone's to forge
        if not turn:
            await interaction.response.defer(ephemeral=True, thinking=True)  # the page and its count are queries
        filters, guild_id = RecentFilters.from_args(args), guild_of(interaction)
        locale = await self.locales.for_interaction(interaction)
        async with self.sessions() as session:
            rows, total = await recent_page(
                session,
                guild_id,
                user_id=filters.user_id,
                status=filters.status,
                command=filters.command,
                offset=offset,
                limit=PAGE_SIZE,
            )
        embed = discord.Embed(
            title=_("Recent requests").render(locale),
            description=recent_lines(rows, locale)[:4096],
            colour=discord.Colour.blurple(),
        )
        embed.set_footer(text=footer(offset, len(rows), total, locale))
        await self.pages.answer(
            interaction, self, embed, offset=offset, total=total, locale=locale, args=args, turn=turn
        )


def summary_embed(summary: UsageSummary, title: str, locale: str) -> discord.Embed:
    def add(name: Text, value: str, inline: bool = True) -> None:
        embed.add_field(name=name.render(locale), value=value, inline=inline)

    by_status = summary.by_status
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())
    add(_("Requests"), str(summary.requests))
    add(_("Images"), str(summary.images))
    add(_("Estimated cost"), f"${summary.cost_usd:.2f}")
    add(_("Refused"), str(by_status.get(UsageStatus.REFUSED, 0)))
    add(_("Failed"), str(by_status.get(UsageStatus.FAILED, 0)))
    add(_("Limited or blocked"), str(by_status.get(UsageStatus.LIMITED, 0) + by_status.get(UsageStatus.BLOCKED, 0)))
    members = "\n".join(
        _("<@{user}> · {count} requests · {images} images", user=user, count=count, images=images).render(locale)
        for user, count, images in summary.top_users
    )
    models = "\n".join(f"`{model}` · {count}" for model, count in summary.top_models)
    add(_("Top members"), members or "—", inline=False)
    add(_("Top models"), models or "—", inline=False)
    embed.set_image(url=f"attachment://{CHART_NAME}")
    return embed


def recent_lines(rows: list[UsageRecord], locale: str) -> str:
    lines = []
    for row in rows:
        prompt = quote(row.prompt, 80) if row.prompt else "—"
        status = STATUS_LABELS.get(row.status, _(row.status)).render(locale)
        command = row.command if row.via == "reply" else f"/{row.command}"  # a reply is no slash command
        lines.append(
            f"{discord.utils.format_dt(row.created_at, 'f')} <@{row.user_id}> `{command}` **{status}** "
            f"{prompt}" + (f" [↗]({row.jump_link()})" if row.message_id is not None else "")
        )
    return "\n".join(lines) or _("No requests match.").render(locale)


def chart_days(since: datetime | None, now: datetime, per_day: dict[str, dict[str, int]]) -> list[str]:
    """The days the chart shows: from `since` to `now`; for all time (None), from the first day
    with requests, at most the last 90, or the last 30 days when there are none."""
    if since is None and per_day:
        return day_range(datetime.fromisoformat(min(per_day)).date(), now.date())[-LONGEST_CHART_DAYS:]
    return day_range((since or now - timedelta(days=CHART_DAYS - 1)).date(), now.date())


class UsageReports:
    """/usage summary and /usage user's report, and /usage export's CSV, of one guild's rows."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], threads: BoundedThreads) -> None:
        self.sessions, self.threads = sessions, threads

    async def summary(
        self,
        guild_id: int,
        since: datetime | None,
        now: datetime,
        *,
        title: str,
        locale: str,
        user_id: int | None = None,
    ) -> tuple[discord.Embed, discord.File]:
        """The period's totals as an embed, with its chart (drawn in the worker threads) as the
        file the embed shows; for one member (`user_id`), with their latest prompts."""
        async with self.sessions() as session:
            summary = await summarize(session, guild_id, since, user_id)
            recent = (
                []
                if user_id is None
                else (await recent_page(session, guild_id, since=since, user_id=user_id, limit=MEMBERS_RECENT))[0]
            )
        labels = {status: label.render(locale) for status, label in STATUS_LABELS.items()}
        chart = await self.threads.run(
            render_usage_chart,
            chart_days(since, now, summary.per_day),
            summary.per_day,
            _("Requests per day").render(locale),
            labels,
        )
        embed = summary_embed(summary, title, locale)
        if user_id is not None:
            embed.add_field(
                name=_("Recent prompts").render(locale), value=recent_lines(recent, locale)[:1024], inline=False
            )
        return embed, discord.File(io.BytesIO(chart), filename=CHART_NAME)

    async def export(self, handle: BinaryIO, guild_id: int, since: datetime | None) -> int:
        """Append the guild's rows since `since` (None: all) to `handle` as UTF-8 CSV, a header
        first; returns how many rows."""
        await self.threads.run(write_csv, handle, [CSV_COLUMNS])
        rows = 0
        async with self.sessions() as session:
            async for batch in stream_rows(session, guild_id, since):
                values = [[csv_value(getattr(row, column)) for column in CSV_COLUMNS] for row in batch]
                await self.threads.run(write_csv, handle, values)
                rows += len(values)
        return rows


def write_csv(handle: BinaryIO, rows: list[list[object]]) -> None:
    """Append rows to the file as UTF-8 CSV."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    handle.write(text.getvalue().encode())


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: object) -> object:
    """A cell as a spreadsheet will show it, never run it: text that a spreadsheet would take for
    a formula (it starts with = + - @, a tab or CR) gets an apostrophe in front, as OWASP advises."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
