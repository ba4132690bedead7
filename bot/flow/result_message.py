"""What a result message says and carries: the prompt shown back (quoted, its markdown escaped),
what was made, and the images as fresh attachments, each fitted to Discord's upload limit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot.i18n import _
from bot.images import ImagesResult, ModelSpec
from bot.imaging import EncodedImage, fit_to_limit, is_svg
from bot.svg import svg_files
from bot.threads import BoundedThreads

MESSAGE_LIMIT = 2000
_PROMPT_SHARE = 900
SMALLEST_UPLOAD = 256 * 1024  # files are not shrunk below this to get past a 413
TOO_LARGE = 40005

T = TypeVar("T")


def too_large(error: discord.HTTPException) -> bool:
    """Whether Discord refused the files as too large (413 / 40005)."""
    return error.status == 413 or error.code == TOO_LARGE


async def sent_smaller(
    send: Callable[[int], Awaitable[T]],
    limit: int,
    refused: Callable[[discord.HTTPException, int], None] | None = None,
) -> T:
    """`send(limit)`, its files fitted to `limit` bytes, sent again at half the limit each time
    Discord says they are too large, down to SMALLEST_UPLOAD; `refused(error, limit)` hears of each
    refusal that is tried again. Any other refusal, or one at the smallest size, is raised."""
    while True:
        try:
            return await send(limit)
        except discord.HTTPException as error:
            if not too_large(error) or limit <= SMALLEST_UPLOAD:
                raise
            if refused is not None:
                refused(error, limit)
            limit = max(SMALLEST_UPLOAD, limit // 2)


def quote(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return discord.utils.escape_markdown(text)


def render_result(
    result: ImagesResult, *, prompt: str | None, model: ModelSpec, dimensions: str, requested: int, locale: str
) -> str:
    """The result's text: the prompt shown back, the revised prompt, and what was made."""
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


def _fitted(data: bytes, limit: int) -> list[EncodedImage]:
    return [fit_to_limit(data, limit)]


async def posted_as(threads: BoundedThreads, data: bytes, limit: int) -> list[EncodedImage]:
    """The files one made image is posted as, each within `limit` bytes, made in a worker thread:
    the image fitted (an animated GIF keeps every frame); an SVG drawing cleaned, as its PNG
    rendering and then the SVG file."""
    return await threads.run(svg_files if is_svg(data) else _fitted, data, limit)


async def encode(threads: BoundedThreads, result: ImagesResult, limit: int) -> list[EncodedImage]:
    """Each image's files (see `posted_as`): the pictures first, in order (what the gallery shows
    and the buttons number), then any SVG files."""
    posted = await asyncio.gather(*(posted_as(threads, image.data, limit) for image in result.images))
    return [files[0] for files in posted] + [extra for files in posted for extra in files[1:]]


def as_files(images: list[EncodedImage], stem: str, *, spoiler: bool = False) -> list[discord.File]:
    """Fresh attachments (a discord.File is spent once sent), hidden as spoilers if asked; the
    pictures and the SVG files are numbered each in their own order."""
    numbers: dict[bool, int] = {}
    files = []
    for image in images:
        drawing = image.extension == "svg"
        numbers[drawing] = numbers.get(drawing, 0) + 1
        name = f"{stem}-{numbers[drawing]}.{image.extension}"
        files.append(discord.File(io.BytesIO(image.data), filename=name, spoiler=spoiler))
    return files


def dimensions_of(images: list[EncodedImage]) -> str:
    """ "1024x1024", or "512x512, 1024x1024" when they differ (of the pictures: an SVG has its rendering's)."""
    shown = [image for image in images if image.extension != "svg"]
    return ", ".join(dict.fromkeys(f"{image.width}x{image.height}" for image in shown))
