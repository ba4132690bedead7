"""Images a member points at: an attachment of a command, or of a message, or a saved reference."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.errors import InvalidRequest
from bot.i18n import _

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class SourceImage:
    """Where to fetch an image and what Discord says its size is."""

    url: str
    size: int | None
    filename: str

    @classmethod
    def from_attachment(cls, attachment: discord.Attachment) -> SourceImage:
        return cls(attachment.url, attachment.size, attachment.filename)


@dataclass(frozen=True)
class SavedReference:
    """A reference image saved in the database (/references), read by its row's id when a job runs."""

    reference_id: int


InputSource = SourceImage | SavedReference  # where a job's input image comes from


def is_drawing(filename: str) -> bool:
    """An SVG drawing's file (an SVG result posts one beside its rendering): no image model takes
    one as input, and Discord shows none inline."""
    return filename.lower().endswith(".svg")


def is_image(attachment: discord.Attachment) -> bool:
    """An attachment to use as an image (an SVG result's rendering, never its SVG file)."""
    content_type = (attachment.content_type or "").split(";")[0]
    if is_drawing(attachment.filename) or content_type == "image/svg+xml":
        return False
    return content_type.startswith("image/") or attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def image_attachments(message: discord.Message | None) -> list[discord.Attachment]:
    """The message's attachments to use as images, in order (none when the message is gone)."""
    return [attachment for attachment in message.attachments if is_image(attachment)] if message else []


def message_image(message: discord.Message | None, index: int = 0) -> SourceImage:
    """The message's `index`-th image attachment, or a clear refusal."""
    if message is None:
        raise InvalidRequest(_("That result message is gone."))
    images = image_attachments(message)
    if not images:
        raise InvalidRequest(_("That message has no image attached. Right-click a message with an image."))
    if index >= len(images):
        raise InvalidRequest(_("That image is no longer on the message."))
    return SourceImage.from_attachment(images[index])
