"""/blend: two to five images made into one picture."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.flow.catalog import ModelCatalog
from bot.flow.intake import BLEND_IMAGES, Intake
from bot.flow.sources import SourceImage
from bot.surface.options import choices, given, numbered_attachments

FIRST_OPTIONAL = 3  # image_1 and image_2 are required; image_3 … image_5 are not


class Blend(commands.Cog):
    def __init__(self, intake: Intake, catalog: ModelCatalog) -> None:
        self.intake = intake
        self.catalog = catalog

    @app_commands.command(name="blend", description="Blend two to five images into one picture")
    @app_commands.describe(
        image_1="The first image (PNG, JPEG, WebP, GIF, BMP or TIFF)",
        image_2="The second image",
        prompt="Optional: what the blend should be or look like",
        size="Output size; the choices depend on the model",
        model="The image model to use",
    )
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @numbered_attachments("image", BLEND_IMAGES[1], "Another image", start=FIRST_OPTIONAL)
    async def blend(
        self,
        interaction: discord.Interaction,
        image_1: discord.Attachment,
        image_2: discord.Attachment,
        prompt: app_commands.Range[str, 1, 1000] | None = None,
        size: str | None = None,
        model: str | None = None,
        **more: discord.Attachment | None,
    ) -> None:
        images = [image_1, image_2, *given(more)]
        await self.intake.blend(
            interaction,
            images=[SourceImage.from_attachment(image) for image in images],
            words=prompt,
            model=model,
            size=size,
        )

    @blend.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        fewest = BLEND_IMAGES[0]
        offered = [name for name in self.catalog.offered if self.catalog.get(name).edit_problem(fewest) is None]
        return choices(offered, current)

    @blend.autocomplete("size")
    async def _complete_size(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self.catalog.picked(getattr(interaction.namespace, "model", None)).sizes, current)
