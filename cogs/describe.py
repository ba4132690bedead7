"""/describe and the "Describe image" message command: four prompts that would make a picture
like an image, each with an Imagine button. Added only when `describe.model` is set."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.flow.describe import Describer
from bot.flow.locales import Locales
from bot.flow.sources import SourceImage, message_image
from bot.surface.describe_items import ImagineButton, description_message
from bot.surface.image_menu import ImageMenuCog


class Describe(ImageMenuCog):
    def __init__(
        self,
        describer: Describer,
        locales: Locales,
        tree: app_commands.CommandTree,
        imagine_button: type[ImagineButton],
    ) -> None:
        """`imagine_button`: the Imagine button class bound to `describer` (the one registered)."""
        self.describer = describer
        self.imagine_button = imagine_button
        self.locales = locales
        super().__init__(tree, "Describe image", self.describe_message_image)

    @app_commands.command(name="describe", description="Four prompts that would make a picture like an image")
    @app_commands.describe(image="The image to describe (PNG, JPEG, WebP, GIF, BMP or TIFF)")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def describe(self, interaction: discord.Interaction, image: discord.Attachment) -> None:
        await self._answer(interaction, SourceImage.from_attachment(image))

    async def describe_message_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: prompts for its first image."""
        await self._answer(interaction, message_image(message))

    async def _answer(self, interaction: discord.Interaction, image: SourceImage) -> None:
        usage_id, prompts = await self.describer.describe(interaction, image)
        locale = await self.locales.for_interaction(interaction)
        text, view = description_message(self.imagine_button, usage_id, prompts, locale)
        await interaction.edit_original_response(
            content=text, view=view, allowed_mentions=discord.AllowedMentions.none()
        )
