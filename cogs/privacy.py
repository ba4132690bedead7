"""/quota and /forget-me: what members can see and do about their own usage."""

from __future__ import annotations

from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy, Quota, Requester, block_refusal
from bot.clock import utcnow
from bot.db.policy import forget_member
from bot.db.references import forget_member_references
from bot.flow.locales import Locales
from bot.i18n import Text, _
from bot.surface.checks import guild_of


def quota_lines(quota: Quota) -> list[Text]:
    """/quota's answer: the block, if any, then today's images, the cooldown and the budget."""
    lines = [] if quota.block is None else [block_refusal(quota.block)]
    used = f"{quota.images_used:g}"
    if quota.exempt:
        lines.append(_("Images today: **{used}** (your role is exempt from limits).", used=used))
    elif quota.images_per_day:
        lines.append(
            _(
                "Images today: **{used}** of {limit} ({left} left); resets {when}.",
                used=used,
                limit=quota.images_per_day,
                left=quota.images_left,
                when=discord.utils.format_dt(quota.images_reset, "R"),
            )
        )
    else:
        lines.append(_("Images today: **{used}**; no daily limit here.", used=used))
    if quota.next_request is not None:
        lines.append(
            _("Next request: now.")
            if quota.next_request <= quota.at
            else _("Next request: {when}.", when=discord.utils.format_dt(quota.next_request, "R"))
        )
    if (percent := quota.budget_percent) is not None:
        lines.append(
            _(
                "Server budget this month: {percent}% used; resets {when}.",
                percent=f"{percent:.0f}",
                when=discord.utils.format_dt(quota.budget_reset, "R"),
            )
        )
    return lines


class Privacy(commands.Cog):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], locales: Locales, policy: Policy) -> None:
        self.sessions = sessions
        self.locales = locales
        self.policy = policy

    @app_commands.command(name="quota", description="What you have used here today, and what is left")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        requester = replace(Requester.from_interaction(interaction), guild_id=guild_of(interaction))
        async with self.sessions() as session:
            quota = await self.policy.quota(session, requester, utcnow())
        locale = await self.locales.for_interaction(interaction)
        text = "\n".join(line.render(locale) for line in quota_lines(quota))
        await interaction.response.send_message(text, ephemeral=True)

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
