"""Numbered attachment options: declared once, seen by discord.py as options of their own, and
handed to the callback in their numbers' order, whatever order the interaction names them in."""

from types import SimpleNamespace

import discord
from discord import app_commands

from bot.surface.options import given, numbered_attachments


def attachment(name):
    return SimpleNamespace(filename=name)  # all `given` reads of an attachment is that it is there


def test_the_options_are_declared_after_the_named_ones_optional_and_described():
    @app_commands.command(name="collage", description="Put images together")
    @numbered_attachments("extra", 3, "Another image")
    async def collage(interaction: discord.Interaction, first: discord.Attachment, **extras: discord.Attachment | None):
        pass

    options = {parameter.name: parameter for parameter in collage.parameters}
    assert list(options) == ["first", "extra_1", "extra_2", "extra_3"]
    assert options["first"].required and not options["extra_3"].required
    assert options["extra_2"].type is discord.AppCommandOptionType.attachment
    assert options["extra_2"].description == "Another image"


async def test_the_callback_gets_the_given_ones_in_order():
    seen = []

    @app_commands.command(name="collage", description="Put images together")
    @numbered_attachments("extra", 12, "Another image")
    async def collage(interaction: discord.Interaction, **extras: discord.Attachment | None):
        seen.extend(attachment.filename for attachment in given(extras))

    await collage.callback(None, extra_10=attachment("ten"), extra_2=attachment("two"), extra_3=None)
    assert seen == ["two", "ten"]
