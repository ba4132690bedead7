"""/imagine: generate images from a prompt."""

from __future__ import annotations

import hashlib

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ImageBot
from bot.delivery import prepare_files, render_result
from bot.errors import InvalidRequest
from bot.images import ModelSpec
from bot.usage import finish_ok, start_record

AUTOCOMPLETE_LIMIT = 25


def provider_user_id(user_id: int) -> str:
    """A stable pseudonymous id for the provider's abuse monitoring; never the Discord id."""
    return "discord-" + hashlib.sha256(str(user_id).encode()).hexdigest()[:24]


def check_request(model: ModelSpec, prompt: str, size: str | None, quality: str | None) -> None:
    """Refuse, before any provider call, what the model cannot do."""
    for problem in (
        model.prompt_problem(prompt),
        model.size_problem(size) if size else None,
        model.quality_problem(quality) if quality else None,
    ):
        if problem:
            raise InvalidRequest(problem + ".")


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
        record = start_record(
            interaction, command="imagine", model=model or self.bot.config.images.model,
            size=size, quality=quality, n=n, prompt=prompt,
        )
        spec = self.bot.resolve_model(model)
        check_request(spec, prompt, size, quality)
        await interaction.response.defer(thinking=True)

        result = await self.bot.images.generate(
            prompt, model=spec, n=n, size=size, quality=quality, user=provider_user_id(interaction.user.id)
        )
        files, dimensions = await prepare_files(
            self.bot.threads, result, size_limit=interaction.filesize_limit, stem=f"imagine-{interaction.id}"
        )
        content = render_result(result, prompt=prompt, model=spec, dimensions=dimensions, requested=n)
        await interaction.edit_original_response(
            content=content, attachments=files, allowed_mentions=discord.AllowedMentions.none()
        )
        finish_ok(interaction, record, result)
        await self.bot.log_usage(record)

    def _model_for(self, interaction: discord.Interaction) -> ModelSpec:
        name = getattr(interaction.namespace, "model", None)
        return self.bot.models.get(name if name in self.bot.offered_models() else self.bot.config.images.model)

    @imagine.autocomplete("model")
    async def _complete_model(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.offered_models(), current)

    @imagine.autocomplete("size")
    async def _complete_size(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self._model_for(interaction).sizes, current)

    @imagine.autocomplete("quality")
    async def _complete_quality(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self._model_for(interaction).qualities, current)


def _choices(values: tuple[str, ...] | list[str], current: str) -> list[app_commands.Choice[str]]:
    current = current.lower()
    return [app_commands.Choice(name=value, value=value) for value in values if current in value.lower()][
        :AUTOCOMPLETE_LIMIT
    ]


async def setup(bot: ImageBot) -> None:
    await bot.add_cog(Imagine(bot))
