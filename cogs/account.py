"""/quota and /forget-me: what members can see and do about their own usage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ImageBot
from bot.db.policy import counter_value, forget_member, get_settings, last_request_at
from bot.policy import BUDGET, day_period, images_subject, is_exempt, month_period, next_day, next_month


class Account(commands.Cog):
    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    @app_commands.command(name="quota", description="What you have used here today, and what is left")
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        now = datetime.now(timezone.utc)
        guild_id, user_id = interaction.guild_id, interaction.user.id
        async with self.bot.db() as session:
            settings = await get_settings(session, guild_id)
            used = await counter_value(session, guild_id, images_subject(user_id), day_period(now))
            spent = await counter_value(session, guild_id, BUDGET, month_period(now))
            last = await last_request_at(session, guild_id, user_id, None)
        exempt = is_exempt(interaction, settings)
        lines = []
        if user_id in settings.blocked_user_ids:
            lines.append("A moderator has blocked you from using this bot here.")
        if settings.images_per_day and not exempt:
            left = max(0, settings.images_per_day - int(used))
            lines.append(f"Images today: **{used:g}** of {settings.images_per_day} ({left} left); resets "
                         f"{discord.utils.format_dt(next_day(now), 'R')}.")
        else:
            lines.append(f"Images today: **{used:g}**" + (" (your role is exempt from limits)." if exempt else
                                                         "; no daily limit here."))
        if settings.cooldown_seconds and not exempt and last is not None:
            ready = (last if last.tzinfo else last.replace(tzinfo=timezone.utc)) + timedelta(
                seconds=settings.cooldown_seconds)
            lines.append(f"Next request: {'now' if ready <= now else discord.utils.format_dt(ready, 'R')}.")
        if settings.monthly_budget_usd:
            percent = spent / settings.monthly_budget_usd * 100
            lines.append(f"Server budget this month: {percent:.0f}% used; resets "
                         f"{discord.utils.format_dt(next_month(now), 'R')}.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete your prompts and history from this bot, everywhere")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        async with self.bot.db() as session:
            count = await forget_member(session, interaction.user.id)
        await interaction.response.send_message(
            f"Done: your prompts and your name are gone from {count} request{'s' if count != 1 else ''}. "
            "Counts without your name stay, so servers' totals still add up.", ephemeral=True)


async def setup(bot: ImageBot) -> None:
    await bot.add_cog(Account(bot))
