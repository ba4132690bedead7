"""The checks command families share: Manage Server for moderators, and a guild for guild commands."""

from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from bot.surface.checks import ModeratorCog, guild_of, require_moderator


def interaction(*, manage_guild: bool = False, guild_id: int | None = 7):
    return SimpleNamespace(permissions=discord.Permissions(manage_guild=manage_guild), guild_id=guild_id)


async def test_a_moderator_cog_runs_for_manage_server_only():
    cog = ModeratorCog()
    assert await cog.interaction_check(interaction(manage_guild=True))  # type: ignore[arg-type]
    with pytest.raises(app_commands.MissingPermissions) as refused:
        await cog.interaction_check(interaction())  # type: ignore[arg-type]
    assert refused.value.missing_permissions == ["manage_guild"]


def test_other_permissions_do_not_make_a_moderator():
    others = SimpleNamespace(permissions=discord.Permissions(administrator=False, ban_members=True, kick_members=True))
    with pytest.raises(app_commands.MissingPermissions):
        require_moderator(others)  # type: ignore[arg-type]


def test_a_guild_command_outside_a_guild_is_refused():
    assert guild_of(interaction(guild_id=42)) == 42  # type: ignore[arg-type]
    with pytest.raises(app_commands.NoPrivateMessage):
        guild_of(interaction(guild_id=None))  # type: ignore[arg-type]
