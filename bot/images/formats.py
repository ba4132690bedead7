"""The image format a GPT image model is asked for: PNG (its default, sent as nothing) unless a
PNG of the size asked for could pass the upload limit of where the result goes, then WebP at
the operator's compression, so that a 4K result reaches Discord as the provider made it,
instead of being re-encoded by the bot. An operator may pin one format instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.images.models import ModelSpec

OutputChoice = Literal["auto", "png", "webp", "jpeg"]
# The most an RGB PNG can take: three bytes a pixel, plus its filter byte a row and zlib's
# stored-block overhead, about 1% (incompressible noise); a real picture is far smaller.
PNG_WORST_BYTES_PER_PIXEL = 3.05
DEFAULT_PIXELS = 1024 * 1024
_SIZE = re.compile(r"^([0-9]{2,5})x([0-9]{2,5})$")


@dataclass(frozen=True)
class OutputFormat:
    """`format` to ask for; `compression` (0-100) for jpeg and webp; for an animated `gif`, its
    `frames` and each one's `frame_ms` (None: the model's defaults)."""

    format: str
    compression: int | None = None
    frames: int | None = None
    frame_ms: int | None = None


def largest_pixels(spec: ModelSpec, size: str | None) -> int:
    """The pixels of `size`; of "auto" or none, the largest size the model lists."""
    match = _SIZE.match(size or "")
    if match:
        return int(match.group(1)) * int(match.group(2))
    listed = [_SIZE.match(name) for name in spec.sizes]
    return max((int(m.group(1)) * int(m.group(2)) for m in listed if m), default=DEFAULT_PIXELS)


def output_format(
    spec: ModelSpec,
    size: str | None,
    upload_limit: int,
    *,
    choice: OutputChoice,
    compression: int,
    transparent: bool = False,
) -> OutputFormat | None:
    """What to ask `spec` for, for a result of `size` that goes where files of `upload_limit`
    bytes are taken; None: send nothing (the provider's PNG), as for a model without formats.
    A `transparent` result is never asked for as JPEG, which has no transparency."""
    if not spec.output_formats:
        return None
    if choice == "jpeg" and transparent:
        choice = "auto"
    if choice == "auto":
        fits = largest_pixels(spec, size) * PNG_WORST_BYTES_PER_PIXEL <= upload_limit
        choice = "png" if fits or "webp" not in spec.output_formats else "webp"
    if choice == "png" or choice not in spec.output_formats:
        return None
    return OutputFormat(choice, compression)
