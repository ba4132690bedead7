"""Helpers for command options shared by the cogs: autocomplete choices, the fit option, and
where commands may be used.

Members' commands (/imagine, /edit, /vary, the two message menus, /results) may be installed to a
user as well as a guild, and used in guilds, the bot's DMs and group DMs; moderators' commands
stay in guilds that added the bot."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.flow.catalog import ModelCatalog
from bot.images import ModelSpec

AUTOCOMPLETE_LIMIT = 25
ANY_INSTALL = app_commands.AppInstallationType(guild=True, user=True)
ANYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
GUILD_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
IN_GUILDS = app_commands.AppCommandContext(guild=True)

FIT_CHOICES = [
    app_commands.Choice(name="crop to a square (keeps the centre)", value="crop"),
    app_commands.Choice(name="pad to a square (keeps everything)", value="pad"),
]


Callback = TypeVar("Callback", bound=Callable[..., Any])


def numbered_attachments(stem: str, count: int, description: str, *, start: int = 1) -> Callable[[Callback], Callback]:
    """Declare `{stem}_{start}` … `{stem}_{count}`, optional attachment options, on a command's
    callback, which takes them as `**attachments` (see `given`). Discord's attachment option
    takes one file, so several files are several options; this writes them once."""

    def declare(callback: Callback) -> Callback:
        signature = inspect.signature(callback)
        named = [
            parameter for parameter in signature.parameters.values() if parameter.kind is not parameter.VAR_KEYWORD
        ]
        numbered = [
            inspect.Parameter(
                f"{stem}_{number}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=discord.Attachment | None
            )
            for number in range(start, count + 1)
        ]
        callback.__signature__ = signature.replace(parameters=[*named, *numbered])  # discord.py reads the options here
        return app_commands.describe(**{parameter.name: description for parameter in numbered})(callback)

    return declare


def given(attachments: Mapping[str, discord.Attachment | None]) -> list[discord.Attachment]:
    """The numbered attachments a member gave, in their numbers' order."""
    numbered = sorted(attachments.items(), key=lambda item: int(item[0].rpartition("_")[2]))
    return [attachment for _, attachment in numbered if attachment is not None]


def choices(values: Iterable[str], current: str) -> list[app_commands.Choice[str]]:
    """The values containing what the member typed so far, as autocomplete choices."""
    current = current.lower()
    matching = [value for value in values if current in value.lower()]
    return [app_commands.Choice(name=value, value=value) for value in matching][:AUTOCOMPLETE_LIMIT]


class ModelSettings(commands.Cog):
    """The autocompletes of what the command's chosen `model` decides: its sizes, qualities,
    complexities and backgrounds. A cog with a `catalog` inherits it and puts
    `@complete_model_settings()` on the command; discord.py calls these bound to the cog."""

    catalog: ModelCatalog

    def _chosen(self, interaction: discord.Interaction) -> ModelSpec:
        return self.catalog.picked(getattr(interaction.namespace, "model", None))

    async def complete_size(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self._chosen(interaction).sizes, current)

    async def complete_quality(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(self._chosen(interaction).qualities, current)

    async def complete_complexity(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self._chosen(interaction).complexities, current)

    async def complete_background(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self._chosen(interaction).backgrounds, current)


def complete_model_settings() -> Callable[[Callback], Callback]:
    """The `ModelSettings` autocompletes on a command's size, quality, complexity and background."""
    return app_commands.autocomplete(
        size=ModelSettings.complete_size,
        quality=ModelSettings.complete_quality,
        complexity=ModelSettings.complete_complexity,
        background=ModelSettings.complete_background,
    )
