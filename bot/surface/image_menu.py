"""A cog's message command on an image ("Edit image", "Vary image", "Describe image"): any
install may use it anywhere, and it is on the command tree while its cog is loaded."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.surface.options import ANY_INSTALL, ANYWHERE

MenuCallback = Callable[[discord.Interaction[Any], discord.Message], Coroutine[Any, Any, None]]


class ImageMenuCog(commands.Cog):
    def __init__(self, tree: app_commands.CommandTree, name: str, callback: MenuCallback) -> None:
        """`callback` answers the menu `name` on the message it was used on."""
        self.tree = tree
        self.menu = app_commands.ContextMenu(
            name=name, callback=callback, allowed_contexts=ANYWHERE, allowed_installs=ANY_INSTALL
        )

    async def cog_load(self) -> None:
        self.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.tree.remove_command(self.menu.name, type=self.menu.type)
