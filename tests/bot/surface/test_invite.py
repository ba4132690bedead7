"""The invite link: the application's id, both scopes, and the permissions the bot uses (logged at
start by a bot in no server yet: tests/e2e/operations/test_invite_link.py)."""

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
