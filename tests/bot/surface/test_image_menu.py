"""An image's message command: on the tree while its cog is loaded, off it once unloaded, usable
by any install anywhere, and answered by the cog's callback."""

import discord
from discord import app_commands

from bot.surface.image_menu import ImageMenuCog
from bot.surface.options import ANY_INSTALL, ANYWHERE


async def test_the_menu_is_on_the_tree_while_its_cog_is_loaded():
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    answered = []

    async def vary(interaction: discord.Interaction, message: discord.Message) -> None:
        answered.append((interaction, message))

    cog = ImageMenuCog(tree, "Vary image", vary)
    message_menu = discord.AppCommandType.message
    assert tree.get_command("Vary image", type=message_menu) is None
    await cog.cog_load()
    menu = tree.get_command("Vary image", type=message_menu)
    assert menu is cog.menu and menu.type is message_menu
    assert (menu.allowed_contexts, menu.allowed_installs) == (ANYWHERE, ANY_INSTALL)
    await menu.callback("interaction", "message")
    assert answered == [("interaction", "message")]
    await cog.cog_unload()
    assert tree.get_command("Vary image", type=message_menu) is None
