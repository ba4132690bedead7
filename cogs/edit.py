"""/edit and the "Edit image" message command: change an image from a prompt, with an optional mask."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.flow.catalog import ModelCatalog
from bot.flow.intake import Intake
from bot.flow.sources import SourceImage, message_image
from bot.surface.image_menu import ImageMenuCog
from bot.surface.options import (
    FIT_CHOICES,
    ModelSettings,
    choices,
    complete_model_settings,
    given,
    numbered_attachments,
)

# Discord allows 25 options a command: the image, the prompt, the mask, the markup and 10 settings
# leave 11 for references (12 images in all; a GPT image model takes 16).
REFERENCE_OPTIONS = 11


class Edit(ModelSettings, ImageMenuCog):
    def __init__(
        self,
        intake: Intake,
        catalog: ModelCatalog,
        tree: app_commands.CommandTree,
        open_edit_form: Callable[[discord.Interaction, SourceImage], Awaitable[None]],
        offer_painting: Callable[[discord.Interaction, SourceImage], Awaitable[None]] | None,
    ) -> None:
        """`open_edit_form` asks for the prompt of an edit in a form; `offer_painting`, when the
        painting page is served, offers its link after an edit without a mask."""
        self.offer_painting = offer_painting
        self.intake = intake
        self.catalog = catalog
        self.open_edit_form = open_edit_form
        super().__init__(tree, "Edit image", self.edit_message_image)

    @app_commands.command(name="edit", description="Change an image from a prompt; a mask limits where")
    @app_commands.describe(
        image="The image to edit (PNG, JPEG, WebP, GIF, BMP or TIFF)",
        prompt="What should change",
        mask="Optional: white (or transparent) where the image should change, black where it stays",
        markup="Optional: a transparent PNG with notes, arrows or circles drawn on the image (not with a mask)",
        size="Output size; the choices depend on the model",
        n="How many results, 1 to 10",
        model="The image model to use",
        fit="For models that need square images: crop or pad",
        quality="Image quality; the choices depend on the model",
        complexity="How busy the image is; the choices depend on the model",
        background="Transparent, opaque or auto; the choices depend on the model",
        format="image, or an animated gif where the model makes them",
        frames="A GIF's frames, 2 to 16",
        frame_ms="How long each GIF frame shows, in milliseconds (20 or more)",
    )
    @app_commands.choices(fit=FIT_CHOICES)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @numbered_attachments("reference", REFERENCE_OPTIONS, "Another reference image")
    @complete_model_settings()
    async def edit(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, 4000],
        mask: discord.Attachment | None = None,
        markup: discord.Attachment | None = None,
        size: str | None = None,
        n: app_commands.Range[int, 1, 10] = 1,
        model: str | None = None,
        fit: str = "crop",
        quality: str | None = None,
        complexity: str | None = None,
        background: str | None = None,
        format: str | None = None,
        frames: app_commands.Range[int, 2, 16] | None = None,
        frame_ms: app_commands.Range[int, 20, 60_000] | None = None,
        **references: discord.Attachment | None,
    ) -> None:
        source = SourceImage.from_attachment(image)
        await self.intake.edit(
            interaction,
            command="edit",
            image=source,
            prompt=prompt,
            mask=SourceImage.from_attachment(mask) if mask else None,
            markup=SourceImage.from_attachment(markup) if markup else None,
            references=[SourceImage.from_attachment(reference) for reference in given(references)],
            model=model,
            size=size,
            n=n,
            fit=fit,
            quality=quality,
            complexity=complexity,
            background=background,
            format=format or "image",
            frames=frames,
            frame_ms=frame_ms,
        )
        if mask is None and markup is None and self.offer_painting is not None:
            await self.offer_painting(interaction, source)

    @edit.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        offered = [name for name in self.catalog.offered if self.catalog.get(name).edit_problem() is None]
        return choices(offered, current)

    @edit.autocomplete("format")
    async def _complete_format(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(
            self.catalog.picked(getattr(interaction.namespace, "model", None)).result_formats(edit=True), current
        )

    async def edit_message_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: ask for the prompt, then edit its first image."""
        await self.open_edit_form(interaction, message_image(message))
