"""Pure image functions, `bytes -> bytes`, for running in worker threads.

Nothing here touches Discord or the network, so every rule is testable with images made
in memory. Callers run these through `bot.threads.BoundedThreads`, never on the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 64_000_000
MIN_EDGE = 64
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class ImageDataError(ValueError):
    """The bytes are not an image we can work with; the message says why, for a person."""


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    extension: str
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageDataError("the image is empty")
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageDataError("the file is not an image") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageDataError(f"the image is {width}x{height}, more pixels than we handle")
    return image


def describe(data: bytes) -> EncodedImage:
    """Identify an encoded image without re-encoding it."""
    image = _open(data)
    extension = _EXTENSIONS.get(image.format or "", "png")
    return EncodedImage(data=data, extension=extension, width=image.width, height=image.height)


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def fit_to_limit(data: bytes, limit: int) -> EncodedImage:
    """Return the image as is when it fits in `limit` bytes, else re-encoded until it does.

    Order of attempts: an optimized PNG, then lossy WebP (transparent images) or JPEG
    (opaque ones) at falling quality, then the same at smaller scales. Raises
    `ImageDataError` if even a tiny version cannot fit.
    """
    original = describe(data)
    if len(data) <= limit:
        return original
    image = _open(data)
    image.load()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    lossy_format, extension = ("WEBP", "webp") if has_alpha else ("JPEG", "jpg")

    candidate = _encode(image, "PNG", optimize=True)
    if len(candidate) <= limit:
        return EncodedImage(candidate, "png", image.width, image.height)
    scaled = image
    while min(scaled.size) >= MIN_EDGE:
        for quality in (90, 80, 70, 60):
            candidate = _encode(scaled, lossy_format, quality=quality)
            if len(candidate) <= limit:
                return EncodedImage(candidate, extension, scaled.width, scaled.height)
        new_size = (max(1, int(scaled.width * 0.75)), max(1, int(scaled.height * 0.75)))
        scaled = image.resize(new_size, Image.Resampling.LANCZOS)
    raise ImageDataError(f"the image cannot be made smaller than {limit} bytes")
