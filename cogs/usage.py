"""/usage: moderators review the guild's requests, see totals and a chart, and export CSV.

The group needs Manage Server by default, and the cog checks it again at run time because
server admins can change who sees a command. Every query is scoped to the invoking guild.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.charts import day_range, render_usage_chart
from bot.clock import utcnow
from bot.db.models import UsageRecord, UsageStatus
from bot.db.usage import UsageSummary, recent_page, stream_rows, summarize
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.i18n import Text, _
from bot.surface.checks import ModeratorCog, guild_of, require_moderator
from bot.surface.options import GUILD_INSTALL, IN_GUILDS
from bot.surface.pages import PAGE_SIZE, Book, Pages, footer
from bot.surface.periods import PERIOD_CHOICES, PERIODS, period_start
from bot.threads import BoundedThreads

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
    embed.set_image(url="attachment://usage.png")
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


class Usage(ModeratorCog):
    usage = app_commands.Group(
        name="usage",
        description="Review this server's image requests",
        allowed_contexts=IN_GUILDS,
        allowed_installs=GUILD_INSTALL,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        threads: BoundedThreads,
        locales: Locales,
        pages: Pages,
        flagged: Book,
    ) -> None:
        """`pages` turns /usage recent's pages (this cog's book) and `flagged`'s (bot/surface/flags.py)."""
        self.sessions = sessions
        self.threads = threads
        self.locales = locales
        self.recent_requests = RecentRequests(sessions, locales, pages)
        self.flagged_requests = flagged
        pages.add(self.recent_requests)

    async def _summary_reply(
        self, interaction: discord.Interaction, period: str, user: discord.abc.User | None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        now = utcnow()
        since = period_start(period, now)
        async with self.sessions() as session:
            summary = await summarize(session, guild_of(interaction), since, user.id if user else None)
            recent = (
                (await recent_page(session, guild_of(interaction), since=since, user_id=user.id, limit=5))[0]
                if user
                else []
            )
        days = day_range((since or now - timedelta(days=29)).date(), now.date())
        if since is None and summary.per_day:
            days = day_range(datetime.fromisoformat(min(summary.per_day)).date(), now.date())[-90:]
        who = user.display_name if user else (interaction.guild.name if interaction.guild else "")
        title = _("Usage · {who} · {period}", who=who, period=PERIODS[period]).render(locale)
        labels = {status: label.render(locale) for status, label in STATUS_LABELS.items()}
        chart = await self.threads.run(
            render_usage_chart, days, summary.per_day, _("Requests per day").render(locale), labels
        )
        embed = summary_embed(summary, title, locale)
        if user:
            embed.add_field(
                name=_("Recent prompts").render(locale), value=recent_lines(recent, locale)[:1024], inline=False
            )
        await interaction.followup.send(
            embed=embed,
            file=discord.File(io.BytesIO(chart), filename="usage.png"),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @usage.command(name="summary", description="Requests, images, refusals, failures and cost, with a chart")
    @app_commands.describe(period="Which period (default: last 30 days)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def summary(self, interaction: discord.Interaction, period: str = "30d") -> None:
        await self._summary_reply(interaction, period, None)

    @usage.command(name="user", description="The same for one member, with their recent prompts")
    @app_commands.describe(member="Whose usage", period="Which period (default: last 30 days)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def user(self, interaction: discord.Interaction, member: discord.User, period: str = "30d") -> None:
        await self._summary_reply(interaction, period, member)

    @usage.command(name="recent", description="The latest requests, newest first")
    @app_commands.describe(member="Only this member", status="Only this outcome", command="Only this command")
    @app_commands.choices(status=STATUS_CHOICES)
    async def recent(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        status: str | None = None,
        command: str | None = None,
    ) -> None:
        filters = RecentFilters(
            user_id=member.id if member else None,
            status=status,
            command=command.strip().lstrip("/").lower() if command else None,
        )
        await self.recent_requests.open(interaction, 0, filters.as_args(), turn=False)

    @usage.command(name="flagged", description="Requests the safety check flagged or a word filter refused")
    @app_commands.describe(period="Which period (default: last 30 days)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def flagged(self, interaction: discord.Interaction, period: str = "30d") -> None:
        await self.flagged_requests.open(interaction, 0, period, turn=False)

    @usage.command(name="export", description="Download the requests as a CSV file")
    @app_commands.describe(period="Which period (default: all time)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def export(self, interaction: discord.Interaction, period: str = "all") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        since = period_start(period, utcnow())
        with tempfile.TemporaryFile("w+b", suffix=".csv") as handle:
            await self.threads.run(_write_csv, handle, [CSV_COLUMNS])
            rows = 0
            async with self.sessions() as session:
                async for batch in stream_rows(session, guild_of(interaction), since):
                    values = [[_csv_value(getattr(row, column)) for column in CSV_COLUMNS] for row in batch]
                    await self.threads.run(_write_csv, handle, values)
                    rows += len(values)
            size = handle.tell()
            if size > interaction.filesize_limit:
                await interaction.followup.send(
                    _(
                        "The export is {size} MB, more than Discord takes. Pick a shorter period.",
                        size=f"{size / 1_048_576:.1f}",
                    ).render(locale),
                    ephemeral=True,
                )
                return
            handle.seek(0)
            await interaction.followup.send(
                _("{rows} requests, {period}.", rows=rows, period=PERIODS[period]).render(locale),
                file=discord.File(handle, filename=f"usage-{guild_of(interaction)}-{period}.csv"),
                ephemeral=True,
            )


def _write_csv(handle: BinaryIO, rows: list[list[object]]) -> None:
    """Append rows to the file as UTF-8 CSV."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    handle.write(text.getvalue().encode())


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: object) -> object:
    """A cell as a spreadsheet will show it, never run it: text that a spreadsheet would take for
    a formula (it starts with = + - @, a tab or CR) gets an apostrophe in front, as OWASP advises."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
