"""What a result message says and carries: the prompt shown back (quoted, its markdown escaped),
what was made, and the images as fresh attachments, each fitted to Discord's upload limit."""

from __future__ import annotations

import asyncio
import io

import discord

from bot.i18n import _
from bot.images import ImagesResult, ModelSpec
from bot.imaging import EncodedImage, fit_to_limit
from bot.threads import BoundedThreads

MESSAGE_LIMIT = 2000
_PROMPT_SHARE = 900


def quote(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return discord.utils.escape_markdown(text)


def render_result(
    result: ImagesResult, *, prompt: str | None, model: ModelSpec, dimensions: str, requested: int, locale: str
) -> str:
    """The reply's text: the prompt shown back, the revised prompt, and what was made."""
    lines = []
    if prompt:
        lines.append(_("**Prompt:** {prompt}", prompt=quote(prompt, _PROMPT_SHARE)).render(locale))
    revised = next((image.revised_prompt for image in result.images if image.revised_prompt), None)
    if revised and revised.strip() != (prompt or "").strip():
        lines.append(_("**Revised prompt:** {prompt}", prompt=quote(revised, _PROMPT_SHARE)).render(locale))
    count = len(result.images)
    made = _("{count} image", count=count) if count == 1 else _("{count} images", count=count)
    lines.append(f"-# {model.name} · {dimensions} · {made.render(locale)}")
    if result.failures:
        missing = _(
            "{missing} of {requested} images could not be made ({reason}); run the command again for more.",
            missing=requested - count,
            requested=requested,
            reason=result.failures[0].kind.replace("_", " "),
        )
        lines.append("-# " + missing.render(locale))
    return "\n".join(lines)[:MESSAGE_LIMIT]


async def encode(threads: BoundedThreads, result: ImagesResult, limit: int) -> list[EncodedImage]:
    """Each image re-encoded, in worker threads, until it fits in `limit` bytes."""
    return list(await asyncio.gather(*(threads.run(fit_to_limit, image.data, limit) for image in result.images)))


def as_files(images: list[EncodedImage], stem: str, *, spoiler: bool = False) -> list[discord.File]:
    """Fresh attachments (a discord.File is spent once sent), hidden as spoilers if asked."""
    return [
        discord.File(io.BytesIO(image.data), filename=f"{stem}-{index}.{image.extension}", spoiler=spoiler)
        for index, image in enumerate(images, start=1)
    ]


def dimensions_of(images: list[EncodedImage]) -> str:
    """ "1024x1024", or "512x512, 1024x1024" when they differ."""
    return ", ".join(dict.fromkeys(f"{image.width}x{image.height}" for image in images))
