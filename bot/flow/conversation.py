"""Talking to an image: a member replies to an image, or mentions the bot in a message that
carries one, in plain words, and the bot edits it (no words: varies it). Replying to the result
goes on from there, again and again; replying to an older message of the chain branches from it.

What the bot can read is Discord's to say (`../shared/README.md`): without the privileged
MESSAGE_CONTENT intent, another member's message arrives without its attachments unless it
mentions the bot, so an image in someone else's message cannot be used by a reply; the bot says
what works instead. Its own messages, DMs to it, and messages that mention it are always whole.
A message the bot is not addressed in costs nothing: no REST call, no row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.errors import InvalidRequest
from bot.flow.sources import SourceImage, image_attachments
from bot.i18n import Text, _

log = logging.getLogger(__name__)

# "2: make it night", "#2 make it night": which image of a result of several.
_INDEX = re.compile(r"^\s*(?:#(\d{1,2})\b|(\d{1,2})\s*:)\s*")
CANNOT_SEE = _(
    "I can't see the images in other members' messages here. Right-click the message → Apps → "
    "Edit image, attach the image to a message that mentions me, or ask the bot's operator to turn "
    "on the message content intent."
)
PING_ON_REPLY = _("I couldn't read that reply. Mention me in it, or keep “ping on reply” on when you reply.")


@dataclass(frozen=True)
class Ask:
    """What a message asks of an image: the words of the edit (empty: a variation), the image,
    and the bot's message it continues, if it replies to one."""

    words: str
    image: SourceImage
    continues: int | None  # the id of the bot's message replied to


def read_words(content: str, bot_id: int) -> tuple[str, int]:
    """The words addressed to the bot, without its mention, and the image they pick (0-based)."""
    text = re.sub(rf"<@!?{bot_id}>", " ", content)
    index = 0
    match = _INDEX.match(text)
    if match:
        index = int(match.group(1) or match.group(2)) - 1
        text = text[match.end() :]
    return " ".join(text.split()), max(index, 0)


def _image(message: discord.Message, index: int) -> SourceImage | None:
    images = image_attachments(message)
    if not images:
        return None
    if index >= len(images):
        raise InvalidRequest(_("That message has only {count} images.", count=len(images)))
    return SourceImage.from_attachment(images[index])


class Conversation:
    def __init__(self, *, me: Callable[[], int | None], message_content: bool) -> None:
        """`me` is the bot's user id once connected; `message_content` whether the bot asked for
        the privileged intent (and so sees every message whole)."""
        self._me = me
        self._message_content = message_content

    def addressed(self, message: discord.Message) -> bool:
        """Whether the message is for the bot at all: in its DMs, or mentioning it, or replying to
        one of its messages; never from a bot or a webhook. Decided from the event alone."""
        me = self._me()
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me:
            return False
        if message.guild is None:
            return True
        if any(user.id == me for user in message.mentions):
            return True
        target = message.reference.resolved if message.reference is not None else None
        return isinstance(target, discord.Message) and target.author.id == me

    def read(self, message: discord.Message, target: discord.Message | None) -> Ask:
        """What the message asks for, or the short refusal that says what works instead. `target`
        is the message it replies to (read from the event, or fetched)."""
        me = self._me()
        assert me is not None
        mentioned = any(user.id == me for user in message.mentions)
        if message.guild is not None and not mentioned and not self._message_content:
            raise InvalidRequest(PING_ON_REPLY)  # a reply without the ping arrives without its words
        words, index = read_words(message.content, me)
        own = _image(message, index)
        if own is not None:
            return Ask(words, own, None)
        if target is None:
            raise InvalidRequest(self._nothing_to_edit(message))
        image = _image(target, index)
        if image is not None:
            return Ask(words, image, target.id if target.author.id == me else None)
        if target.author.id != me and not self._message_content and not target.attachments:
            raise InvalidRequest(CANNOT_SEE)
        raise InvalidRequest(_("That message has no image. Reply to a message with an image, or attach one."))

    @staticmethod
    def _nothing_to_edit(message: discord.Message) -> Text:
        if message.guild is None:
            return _("Send me an image with the words of what to change, or reply to an image with them.")
        return _("Attach an image to your message, or reply to a message with an image, and say what to change.")
