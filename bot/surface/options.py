"""Helpers for command options shared by the cogs: autocomplete choices, the fit option, and
where commands may be used.

Members' commands (/imagine, /edit, /vary, the two message menus, /results) may be installed to a
user as well as a guild, and used in guilds, the bot's DMs and group DMs; moderators' commands
stay in guilds that added the bot."""

from __future__ import annotations

from collections.abc import Iterable

from discord import app_commands

AUTOCOMPLETE_LIMIT = 25
ANY_INSTALL = app_commands.AppInstallationType(guild=True, user=True)
ANYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
GUILD_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
IN_GUILDS = app_commands.AppCommandContext(guild=True)

FIT_CHOICES = [
    app_commands.Choice(name="crop to a square (keeps the centre)", value="crop"),
    app_commands.Choice(name="pad to a square (keeps everything)", value="pad"),
]


def choices(values: Iterable[str], current: str) -> list[app_commands.Choice[str]]:
    """The values containing what the member typed so far, as autocomplete choices."""
    current = current.lower()
    matching = [value for value in values if current in value.lower()]
    return [app_commands.Choice(name=value, value=value) for value in matching][:AUTOCOMPLETE_LIMIT]
