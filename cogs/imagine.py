"""/imagine: generate images from a prompt."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.billing.usage import guild_scope
from bot.flow.catalog import ModelCatalog
from bot.flow.intake import Intake
from bot.flow.references import References
from bot.flow.styles import Styles
from bot.surface.options import ModelSettings, choices, complete_model_settings


class Imagine(ModelSettings):
    def __init__(self, intake: Intake, catalog: ModelCatalog, styles: Styles, references: References) -> None:
        self.intake = intake
        self.catalog = catalog
        self.styles = styles
        self.references = references

    @app_commands.command(name="imagine", description="Generate images from a text prompt")
    @app_commands.describe(
        prompt="Describe the image you want",
        size="Image size; the choices depend on the model",
        quality="Image quality; the choices depend on the model",
        n="How many images, 1 to 10",
        model="The image model to use",
        style="A style your prompt is set in: this server's or a built-in one",
        spoiler="Hide the images behind a spoiler",
        complexity="How busy the image is; the choices depend on the model",
        background="Transparent, opaque or auto; the choices depend on the model",
        draft="A fast, cheap draft first, with Enhance on the one you like",
        format="image, or an animated gif or an svg drawing where the model makes them",
        frames="A GIF's frames, 2 to 16",
        frame_ms="How long each GIF frame shows, in milliseconds (20 or more)",
        reference="A saved reference the picture is made from (see /references)",
        reference_2="Another saved reference",
        reference_3="Another saved reference",
    )
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @complete_model_settings()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 4000],
        size: str | None = None,
        quality: str | None = None,
        n: app_commands.Range[int, 1, 10] = 1,
        model: str | None = None,
        style: app_commands.Range[str, 1, 32] | None = None,
        spoiler: bool = False,
        complexity: str | None = None,
        background: str | None = None,
        draft: bool | None = None,
        format: str | None = None,
        frames: app_commands.Range[int, 2, 16] | None = None,
        frame_ms: app_commands.Range[int, 20, 60_000] | None = None,
        reference: app_commands.Range[str, 1, 32] | None = None,
        reference_2: app_commands.Range[str, 1, 32] | None = None,
        reference_3: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        names = [name for name in (reference, reference_2, reference_3) if name]
        # the member's own references, then the server's, by name
        saved = await self.references.resolve(guild_scope(interaction), interaction.user.id, names) if names else []
        await self.intake.generate(
            interaction,
            command="imagine",
            prompt=prompt,
            model=model,
            size=size,
            quality=quality,
            n=n,
            style=style,
            spoiler=spoiler,
            complexity=complexity,
            background=background,
            draft=draft,
            format=format or "image",
            frames=frames,
            frame_ms=frame_ms,
            references=saved,
        )

    @imagine.autocomplete("reference")
    @imagine.autocomplete("reference_2")
    @imagine.autocomplete("reference_3")
    async def _complete_reference(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        entries = await self.references.usable(guild_scope(interaction), interaction.user.id)
        return choices(dict.fromkeys(entry.name for entry in entries), current)  # their own first, once

    @imagine.autocomplete("style")
    async def _complete_style(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await self.styles.names(guild_scope(interaction)), current)  # the scope apply uses

    @imagine.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self.catalog.offered, current)

    @imagine.autocomplete("format")
    async def _complete_format(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self.catalog.picked(getattr(interaction.namespace, "model", None)).result_formats(), current)
