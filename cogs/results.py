"""/results: images the bot made for a member but Discord would not take, handed over privately."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.results import hand_over, kept_for
from bot.flow.locales import Locales
from bot.i18n import _

FILES_PER_MESSAGE = 10


class Results(commands.Cog):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], locales: Locales) -> None:
        self.sessions = sessions
        self.locales = locales

    @app_commands.command(name="results", description="Get images that were made for you but could not be delivered")
    async def results(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        async with self.sessions() as session:
            kept = await kept_for(session, interaction.user.id)
        if not kept:
            await interaction.followup.send(_("Nothing is waiting for you.").render(locale), ephemeral=True)
            return
        for start in range(0, len(kept), FILES_PER_MESSAGE):
            batch = kept[start : start + FILES_PER_MESSAGE]
            files = [discord.File(io.BytesIO(result.data), filename=result.filename) for result in batch]
            await interaction.followup.send(files=files, ephemeral=True)
        async with self.sessions() as session:
            await hand_over(session, kept)
            await session.commit()
