"""/history: a member's latest results here, privately, with Reroll and Vary."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.surface.history import HistoryPages


class History(commands.Cog):
    def __init__(self, pages: HistoryPages) -> None:
        self.pages = pages

    @app_commands.command(name="history", description="Your latest results here, with Reroll and Vary")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def history(self, interaction: discord.Interaction) -> None:
        await self.pages.open(interaction)
