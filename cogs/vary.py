"""/vary and the "Vary image" message command: variations of an image."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.flow.catalog import ModelCatalog
from bot.flow.intake import Intake
from bot.flow.sources import SourceImage, message_image
from bot.surface.image_menu import ImageMenuCog
from bot.surface.options import FIT_CHOICES, choices


class Vary(ImageMenuCog):
    def __init__(self, intake: Intake, catalog: ModelCatalog, tree: app_commands.CommandTree) -> None:
        self.intake = intake
        self.catalog = catalog
        super().__init__(tree, "Vary image", self.vary_message_image)

    @app_commands.command(name="vary", description="Make variations of an image")
    @app_commands.describe(
        image="The image to vary (PNG, JPEG, WebP, GIF, BMP or TIFF)",
        n="How many variations, 1 to 10",
        model="The image model to use",
        fit="For models that need square images: crop or pad",
    )
    @app_commands.choices(fit=FIT_CHOICES)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def vary(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        n: app_commands.Range[int, 1, 10] = 1,
        model: str | None = None,
        fit: str = "crop",
    ) -> None:
        await self.intake.vary(
            interaction, command="vary", image=SourceImage.from_attachment(image), model=model, n=n, fit=fit
        )

    @vary.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        offered = [name for name in self.catalog.offered if self.catalog.get(name).variation_problem() is None]
        return choices(offered, current)

    async def vary_message_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: variations of its first image, at once."""
        await self.intake.vary(interaction, command="vary", image=message_image(message))
