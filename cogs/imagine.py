"""/imagine: generate images from a prompt."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ImageBot
from bot.images import ModelSpec

AUTOCOMPLETE_LIMIT = 25


def choices(values: tuple[str, ...] | list[str], current: str) -> list[app_commands.Choice[str]]:
    current = current.lower()
    matching = [value for value in values if current in value.lower()]
    return [app_commands.Choice(name=value, value=value) for value in matching][:AUTOCOMPLETE_LIMIT]


def model_in_namespace(bot: ImageBot, interaction: discord.Interaction) -> ModelSpec:
    """The model the member has picked so far in the command being typed, else the default."""
    name = getattr(interaction.namespace, "model", None)
    return bot.models.get(name if name in bot.offered_models() else bot.config.images.model)


class Imagine(commands.Cog):
    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    @app_commands.command(name="imagine", description="Generate images from a text prompt")
    @app_commands.describe(
        prompt="Describe the image you want",
        size="Image size; the choices depend on the model",
        quality="Image quality; the choices depend on the model",
        n="How many images, 1 to 10",
        model="The image model to use",
    )
    @app_commands.guild_only()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 4000],
        size: str | None = None,
        quality: str | None = None,
        n: app_commands.Range[int, 1, 10] = 1,
        model: str | None = None,
    ) -> None:
        await self.bot.service.generate(
            interaction, command="imagine", prompt=prompt, model=model, size=size, quality=quality, n=n
        )

    @imagine.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self.bot.offered_models(), current)

    @imagine.autocomplete("size")
    async def _complete_size(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(model_in_namespace(self.bot, interaction).sizes, current)

    @imagine.autocomplete("quality")
    async def _complete_quality(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(model_in_namespace(self.bot, interaction).qualities, current)


async def setup(bot: ImageBot) -> None:
    await bot.add_cog(Imagine(bot))
