"""Request bodies: which parameters a model is sent, and multipart forms for uploads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict, Unpack

import aiohttp

from bot.images.formats import OutputFormat
from bot.images.models import ModelSpec
from bot.images.results import InputImage


class PictureOptions(TypedDict, total=False):
    """What a generation or an edit may be asked for besides its prompt and images: the size (None:
    the model's default size), and the quality, output format, end user, complexity and background
    (each left out when None)."""

    size: str | None
    quality: str | None
    user: str | None
    output: OutputFormat | None
    complexity: str | None
    background: str | None


def common_options(model: ModelSpec, **chosen: Unpack[PictureOptions]) -> dict[str, Any]:
    """The parameters generations and edits share, each only if the model takes it (intake has
    refused, before any call, a choice of the member's that the model does not take)."""
    options: dict[str, Any] = {"model": model.name}
    size = chosen.get("size") or model.default_size
    if size:
        options["size"] = size
    quality, complexity, background = chosen.get("quality"), chosen.get("complexity"), chosen.get("background")
    if quality and quality in model.qualities:
        options["quality"] = quality
    if complexity and complexity in model.complexities:
        options["complexity"] = complexity
    if background and background in model.backgrounds:
        options["background"] = background
    output = chosen.get("output")
    if output is not None and output.format in model.output_formats:
        options["output_format"] = output.format
        if output.compression is not None and output.format in ("jpeg", "webp"):
            options["output_compression"] = output.compression
        if output.format == "gif" and output.frames is not None:
            options["frame_count"] = output.frames
        if output.format == "gif" and output.frame_ms is not None:
            options["frame_duration_ms"] = output.frame_ms
    user = chosen.get("user")
    if model.response_format:
        options["response_format"] = "b64_json"
    if user and model.known:
        options["user"] = user
    return options


def generation_options(model: ModelSpec, *, moderation: str | None, **chosen: Unpack[PictureOptions]) -> dict[str, Any]:
    """A generation's parameters: the shared ones and its `moderation`, which edits never send."""
    options = common_options(model, **chosen)
    if moderation and model.moderation:
        options["moderation"] = moderation
    return options


def multipart(
    images: Sequence[InputImage],
    mask: InputImage | None,
    fields: dict[str, Any],
    *,
    markup: InputImage | None = None,
) -> Callable[[], aiohttp.FormData]:
    """A builder for the multipart body: a FormData can be sent only once, so each attempt builds anew.
    One image goes as the field `image`; several as repeated `image[]` fields, as OpenAI's own
    example does (the live API refuses a repeated `image` with `duplicate_parameter`). A `markup`
    goes as the file part `markup`, never beside a mask."""
    if mask is not None and markup is not None:
        raise ValueError("an edit takes a mask or a markup, not both")
    image_field = "image" if len(images) == 1 else "image[]"

    def build() -> aiohttp.FormData:
        form = aiohttp.FormData()
        for image in images:
            form.add_field(image_field, image.data, filename=image.filename, content_type=image.content_type)
        if mask is not None:
            form.add_field("mask", mask.data, filename=mask.filename, content_type=mask.content_type)
        if markup is not None:
            form.add_field("markup", markup.data, filename=markup.filename, content_type=markup.content_type)
        for name, value in fields.items():
            form.add_field(name, ("true" if value else "false") if isinstance(value, bool) else str(value))
        return form

    return build
