"""Checks shared by command families."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.surface.options import GUILD_INSTALL, IN_GUILDS


class ModeratorCog(commands.Cog):
    """A cog for moderators only. Its commands are hidden from members by default permissions,
    and this check enforces Manage Server again at run time, since server admins can change who
    sees a command."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        require_moderator(interaction)
        return True


def moderator_group(name: str, description: str) -> app_commands.Group:
    """A ModeratorCog's command group: in guilds only, installed to guilds, and hidden by default
    from members without Manage Server."""
    return app_commands.Group(
        name=name,
        description=description,
        allowed_contexts=IN_GUILDS,
        allowed_installs=GUILD_INSTALL,
        default_permissions=discord.Permissions(manage_guild=True),
    )


def require_moderator(interaction: discord.Interaction) -> None:
    """Manage Server in the interaction's channel, or the one error path's refusal."""
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])


def guild_of(interaction: discord.Interaction) -> int:
    """The guild of a command that only runs in guilds (`allowed_contexts` says so to Discord)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
