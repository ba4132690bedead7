"""The invite link: the application's id, both scopes, and the permissions the bot uses; logged at
start by a bot that is in no server yet."""

import logging
from urllib.parse import parse_qs, urlsplit

import discord

from bot.flow.answers import ANSWER_PERMISSIONS
from bot.surface.invite import BOT_PERMISSIONS, invite_url


def test_the_link_carries_the_application_both_scopes_and_the_permissions():
    link = urlsplit(invite_url(1234567890123456789))
    assert (link.scheme, link.netloc, link.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(link.query)
    assert query["client_id"] == ["1234567890123456789"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert {name for name, value in granted if value} == {
        "read_messages",  # discord.py's name for View Channels
        "send_messages",
        "send_messages_in_threads",
        "attach_files",
        "read_message_history",
        "embed_links",
    }


def test_the_link_asks_every_permission_the_bot_checks_before_answering_in_a_channel():
    checked = {flag for flag, _ in ANSWER_PERMISSIONS} | {"send_messages_in_threads"}
    assert all(getattr(BOT_PERMISSIONS, flag) for flag in checked)


async def test_a_bot_in_no_server_logs_the_invite_link_at_start(make_config, start_bot, discord_api, caplog):
    discord_api.bot_in_guild = False
    bot = await start_bot(make_config())
    assert not bot.guilds
    link = invite_url(int(discord_api.application_id))
    assert f"the bot is in no server yet; add it to one with {link}" in [
        record.getMessage() for record in caplog.records if record.levelno == logging.WARNING
    ]


async def test_a_bot_in_a_server_does_not_log_the_invite_link(make_config, start_bot, discord_api, caplog):
    bot = await start_bot(make_config())
    assert len(bot.guilds) == 1
    assert "oauth2/authorize" not in caplog.text
