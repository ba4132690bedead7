"""/results: images the bot made for a member but Discord would not take, handed over privately."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands


class Results(commands.Cog):
    def __init__(self, hand_over_kept: Callable[[discord.Interaction], Awaitable[None]]) -> None:
        """`hand_over_kept` is the same action as the button on the private notice."""
        self.hand_over_kept = hand_over_kept

    @app_commands.command(name="results", description="Get images that were made for you but could not be delivered")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def results(self, interaction: discord.Interaction) -> None:
        await self.hand_over_kept(interaction)
