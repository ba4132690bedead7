"""/usage: moderators review the guild's requests, see totals and a chart, and export CSV.

The group needs Manage Server by default, and the cog checks it again at run time because
server admins can change who sees a command. Every query is scoped to the invoking guild; the
pages, the reports and the CSV are bot/surface/usage_book.py's.
"""

from __future__ import annotations

import tempfile

import discord
from discord import app_commands

from bot.clock import utcnow
from bot.flow.locales import Locales
from bot.i18n import _
from bot.surface.checks import ModeratorCog, guild_of, moderator_group
from bot.surface.pages import Book
from bot.surface.periods import PERIOD_CHOICES, PERIODS, period_start
from bot.surface.usage_book import STATUS_CHOICES, RecentFilters, UsageReports


class Usage(ModeratorCog):
    usage = moderator_group("usage", "Review this server's image requests")

    def __init__(self, locales: Locales, reports: UsageReports, recent: Book, flagged: Book) -> None:
        """`recent` and `flagged` are the books of /usage recent and /usage flagged (bot/surface/usage_book.py,
        bot/surface/flags.py)."""
        self.locales = locales
        self.reports = reports
        self.recent_requests = recent
        self.flagged_requests = flagged

    async def _answer_summary(
        self, interaction: discord.Interaction, period: str, user: discord.abc.User | None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        now = utcnow()
        who = user.display_name if user else (interaction.guild.name if interaction.guild else "")
        title = _("Usage · {who} · {period}", who=who, period=PERIODS[period]).render(locale)
        embed, chart = await self.reports.summary(
            guild_of(interaction),
            period_start(period, now),
            now,
            title=title,
            locale=locale,
            user_id=user.id if user else None,
        )
        await interaction.followup.send(
            embed=embed, file=chart, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @usage.command(name="summary", description="Requests, images, refusals, failures and cost, with a chart")
    @app_commands.describe(period="Which period (default: last 30 days)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def summary(self, interaction: discord.Interaction, period: str = "30d") -> None:
        await self._answer_summary(interaction, period, None)

    @usage.command(name="user", description="The same for one member, with their recent prompts")
    @app_commands.describe(member="Whose usage", period="Which period (default: last 30 days)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def user(self, interaction: discord.Interaction, member: discord.User, period: str = "30d") -> None:
        await self._answer_summary(interaction, period, member)

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
            rows = await self.reports.export(handle, guild_of(interaction), since)
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
