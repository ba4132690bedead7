"""The invite link at start: logged by a real bot that is in no server yet, and not by one in a server."""

import logging

from bot.surface.invite import invite_url


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
