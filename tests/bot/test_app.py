"""The wiring's own logic: discord.py pointed at a Discord-compatible server (only where the
config says so), the process that speaks for the application (shard 0, or every shard), the
command names usage rows are counted by."""

from collections.abc import Iterator

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from bot.app import ImageBot, command_names, point_discord_at
from bot.config.sections import DiscordConfig


@pytest.fixture
def discord_addresses() -> Iterator[None]:
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def test_discord_is_reached_where_the_config_says(discord_addresses):
    before = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_discord_at(DiscordConfig())
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_discord_at(DiscordConfig(api_base_url="http://127.0.0.1:9/api/v10", gateway_url="ws://127.0.0.1:9/"))
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    assert yarl.URL("ws://127.0.0.1:9") == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


@pytest.mark.parametrize(
    ("shards", "speaks"),
    [({}, True), ({"shard_count": 3, "shard_ids": [0, 2]}, True), ({"shard_count": 3, "shard_ids": [1]}, False)],
)
async def test_shard_zero_speaks_for_the_application(make_config, discord_addresses, shards, speaks):
    bot = ImageBot(make_config(discord=shards))  # built, never logged in: nothing to close
    assert bot.runs_shard_zero is speaks
    assert bot.shard_ids == shards.get("shard_ids") and bot.shard_count == shards.get("shard_count")
    assert not bot.intents.message_content and bot.intents.guild_messages and not bot.intents.members
    assert not await bot._gateway_connected()


def test_message_menus_are_named_without_their_image_suffix():
    tree = discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))

    async def callback(interaction: discord.Interaction, message: discord.Message) -> None: ...

    tree.add_command(discord.app_commands.ContextMenu(name="Blend image", callback=callback))
    assert "blend" in command_names(tree) and "blend image" not in command_names(tree)
