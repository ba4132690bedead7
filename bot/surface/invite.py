"""The OAuth2 link that adds the bot to a server, asking for exactly the permissions it uses."""

from __future__ import annotations

import discord

# What the bot does as itself in a server's channels, and nothing more. Interaction answers go
# through the interaction's webhook; the rest is the bot posting in the channel a member used.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels it answers in, and members' messages with images
    send_messages=True,  # results once the interaction's 15 minutes are over, notices, replies to messages
    send_messages_in_threads=True,  # the same in threads
    attach_files=True,  # the images
    read_message_history=True,  # reply to a member's message, read a result or the message replied to
    embed_links=True,  # /usage, /settings, /history and the flagged list answer with embeds
)
# No reactions, no other members' messages managed, no custom emojis (the buttons use Unicode ones).
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    """https://discord.com/oauth2/authorize?client_id=ID&scope=bot+applications.commands&permissions=N"""
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=SCOPES)
