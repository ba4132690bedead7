"""/vary and the "Vary image" message command: variations of an image."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ImageBot
from bot.service import SourceImage, message_image
from cogs.edit import FIT_CHOICES
from cogs.imagine import choices


class Vary(commands.Cog):
    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(
            name="Vary image", callback=self.vary_message_image,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="vary", description="Make variations of an image")
    @app_commands.describe(
        image="The image to vary (PNG, JPEG, WebP, GIF, BMP or TIFF)",
        n="How many variations, 1 to 10",
        model="The image model to use",
        fit="For models that need square images: crop or pad",
    )
    @app_commands.choices(fit=FIT_CHOICES)
    @app_commands.guild_only()
    async def vary(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        n: app_commands.Range[int, 1, 10] = 1,
        model: str | None = None,
        fit: str = "crop",
    ) -> None:
        await self.bot.service.vary(
            interaction, command="vary", image=SourceImage.from_attachment(image), model=model, n=n, fit=fit
        )

    @vary.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        models = self.bot.models
        offered = [name for name in self.bot.offered_models() if models.get(name).variations or models.get(name).edits]
        return choices(offered, current)

    async def vary_message_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: variations of its first image, at once."""
        await self.bot.service.vary(interaction, command="vary", image=message_image(message))


async def setup(bot: ImageBot) -> None:
    await bot.add_cog(Vary(bot))
