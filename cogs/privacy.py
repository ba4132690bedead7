"""/quota and /forget-me: what members can see and do about their own usage."""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import (
    BUDGET,
    Requester,
    block_refusal,
    day_period,
    images_subject,
    month_period,
    next_day,
    next_month,
)
from bot.clock import utcnow
from bot.db.policy import counter_value, forget_member, get_settings, last_request_at
from bot.db.references import forget_member_references
from bot.db.safety import block_in_force
from bot.flow.locales import Locales
from bot.i18n import _
from bot.surface.checks import guild_of


class Privacy(commands.Cog):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], locales: Locales) -> None:
        self.sessions = sessions
        self.locales = locales

    @app_commands.command(name="quota", description="What you have used here today, and what is left")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        now = utcnow()
        guild_id, user_id = guild_of(interaction), interaction.user.id
        async with self.sessions() as session:
            settings = await get_settings(session, guild_id)
            used = await counter_value(session, guild_id, images_subject(user_id), day_period(now))
            spent = await counter_value(session, guild_id, BUDGET, month_period(now))
            last = await last_request_at(session, guild_id, user_id, None)
            block = await block_in_force(session, guild_id, user_id, now)
        exempt = Requester.from_interaction(interaction).exempt(settings)
        lines = []
        if block is not None:
            lines.append(block_refusal(block))
        if settings.images_per_day and not exempt:
            left = max(0, settings.images_per_day - int(used))
            lines.append(
                _(
                    "Images today: **{used}** of {limit} ({left} left); resets {when}.",
                    used=f"{used:g}",
                    limit=settings.images_per_day,
                    left=left,
                    when=discord.utils.format_dt(next_day(now), "R"),
                )
            )
        elif exempt:
            lines.append(_("Images today: **{used}** (your role is exempt from limits).", used=f"{used:g}"))
        else:
            lines.append(_("Images today: **{used}**; no daily limit here.", used=f"{used:g}"))
        if settings.cooldown_seconds and not exempt and last is not None:
            ready = last + timedelta(seconds=settings.cooldown_seconds)
            lines.append(
                _("Next request: now.")
                if ready <= now
                else _("Next request: {when}.", when=discord.utils.format_dt(ready, "R"))
            )
        if settings.monthly_budget_usd:
            percent = spent / settings.monthly_budget_usd * 100
            lines.append(
                _(
                    "Server budget this month: {percent}% used; resets {when}.",
                    percent=f"{percent:.0f}",
                    when=discord.utils.format_dt(next_month(now), "R"),
                )
            )
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_message("\n".join(line.render(locale) for line in lines), ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete your prompts and history from this bot, everywhere")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.sessions() as session:
            count = await forget_member(session, interaction.user.id)
            references = await forget_member_references(session, interaction.user.id)
            await session.commit()
        done = (
            _("Done: your prompts and your name are gone from {count} request.", count=count)
            if count == 1
            else _("Done: your prompts and your name are gone from {count} requests.", count=count)
        )
        keep = _("Counts without your name stay, so servers' totals still add up.")
        locale = await self.locales.for_interaction(interaction)
        told = [done.render(locale), keep.render(locale)]
        if references:
            told.append(_("Your saved references are gone too: {count}.", count=references).render(locale))
        await interaction.followup.send(" ".join(told), ephemeral=True)
