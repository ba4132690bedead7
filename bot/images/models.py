"""What each image model can do, in one table that config can extend.

The table decides which parameters the client sends: a parameter a model does not take is
never sent. Models the table does not know are allowed with conservative defaults (one
1024x1024 image, no optional parameters), and `[images.models."name"]` in config describes
them properly, optionally starting `like` a known model. Each model may carry the date OpenAI
retires it and its replacement; config extends those as OpenAI announces more.

December 2026: `gpt-image-2.6-flare` (fast) and `gpt-image-2.6-sunburst` (detail) are current,
with 2.5 before them; `gpt-image-1.5`, `gpt-image-1-mini` and `chatgpt-image-latest` shut down on
2026-12-01; `gpt-image-2` no longer makes transparent backgrounds (since 2026-09-30).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from bot.i18n import Text, _

_SIZE_PATTERN = re.compile(r"^([0-9]{2,5})x([0-9]{2,5})$")
# The C0 control characters but tab, newline and carriage return, and DEL: no prompt needs one,
# a provider may choke on them, and PostgreSQL cannot store a NUL.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character_problem(prompt: str) -> Text | None:
    """What to tell a member whose prompt holds a control character (see `_CONTROL_CHARACTER`),
    or None. Every way a prompt comes in checks it, through `ModelSpec.prompt_problem` or here."""
    found = _CONTROL_CHARACTER.search(prompt)
    if found is None:
        return None
    return _(
        "The prompt holds a control character ({code}) that can't be sent. Type the prompt again as plain text.",
        code=f"U+{ord(found.group()):04X}",
    )


# An animated GIF (2.6): 2 to 16 frames, each shown at least 20 ms (openai-images.openapi.yaml).
MIN_GIF_FRAMES, MAX_GIF_FRAMES, MIN_FRAME_MS = 2, 16, 20


@dataclass(frozen=True)
class CustomSizeRule:
    """Arbitrary WIDTHxHEIGHT sizes, as `gpt-image-2` takes them."""

    multiple_of: int = 16
    max_long_edge: int = 3840
    max_short_edge: int = 2160
    max_aspect_ratio: float = 3.0

    def problem(self, width: int, height: int) -> Text | None:
        if min(width, height) < self.multiple_of:
            return _("Width and height must be at least {multiple} pixels.", multiple=self.multiple_of)
        if width % self.multiple_of or height % self.multiple_of:
            return _("Width and height must both be multiples of {multiple}.", multiple=self.multiple_of)
        if max(width, height) > self.max_long_edge or min(width, height) > self.max_short_edge:
            return _("The largest size is {size}.", size=f"{self.max_long_edge}x{self.max_short_edge}")
        if max(width, height) / min(width, height) > self.max_aspect_ratio:
            return _("The aspect ratio must be between 1:3 and 3:1.")
        return None

    def enlarged(self, width: int, height: int, factor: int = 2) -> tuple[int, int] | None:
        """`width` x `height` made `factor` times larger, or less where the limits stop it, the shape
        kept (each side rounded down to the multiple); None when that is no larger, or breaks the rule."""
        scale = min(Fraction(factor), Fraction(self.max_long_edge, max(width, height)))
        scale = min(scale, Fraction(self.max_short_edge, min(width, height)))
        step = self.multiple_of
        larger = (int(width * scale) // step * step, int(height * scale) // step * step)
        if (larger[0] <= width and larger[1] <= height) or self.problem(*larger) is not None:
            return None
        return larger


def _sides(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    sizes: tuple[str, ...] = ("1024x1024",)
    custom_sizes: CustomSizeRule | None = None
    default_size: str | None = None
    max_n: int = 1
    qualities: tuple[str, ...] = ()
    complexities: tuple[str, ...] = ()  # how busy the image is: low, medium, high
    backgrounds: tuple[str, ...] = ()  # transparent, opaque, auto
    output_formats: tuple[str, ...] = ()  # png, jpeg, webp; gif and svg on 2.6
    response_format: bool = False
    max_prompt_chars: int = 1000
    edits: bool = False
    masks: bool = False
    markup: bool = False  # edits guided by a drawn-on transparent overlay instead of a mask
    max_edit_images: int = 0
    variations: bool = False
    streaming: bool = False
    input_fidelity: bool = False
    moderation: bool = False
    square_inputs: bool = True
    max_input_mb: int = 4
    known: bool = True
    retires: date | None = None  # when OpenAI turns the model off on its own API
    replacement: str | None = None  # what to use instead, once it is retired

    def size_problem(self, size: str) -> Text | None:
        """Why `size` does not suit this model, or None when it does."""
        if size in self.sizes:
            return None
        match = _SIZE_PATTERN.match(size)
        if self.custom_sizes is not None and match:
            return self.custom_sizes.problem(int(match.group(1)), int(match.group(2)))
        if self.custom_sizes is not None:
            return _(
                "`{model}` makes these sizes: {sizes}, or WIDTHxHEIGHT in multiples of 16.",
                model=self.name,
                sizes=", ".join(self.sizes),
            )
        return _("`{model}` makes these sizes: {sizes}.", model=self.name, sizes=", ".join(self.sizes))

    def canvas_size(self, width: float, height: float) -> tuple[int, int]:
        """The size to make for a canvas of `width` x `height` (zoom out, pan): with custom sizes,
        that canvas itself within the model's limits, in multiples of 16; otherwise the listed size
        nearest its shape (the largest square for a model that takes square inputs only)."""
        rule = self.custom_sizes
        if rule is not None:
            ratio = max(width, height) / min(width, height)
            if ratio > rule.max_aspect_ratio:  # widen the short side: more canvas, never a crop
                width, height = (
                    (width, width / rule.max_aspect_ratio)
                    if width > height
                    else (height / rule.max_aspect_ratio, height)
                )
            long_edge, short_edge = max(width, height), min(width, height)
            scale = min(1.0, rule.max_long_edge / long_edge, rule.max_short_edge / short_edge)
            step = rule.multiple_of
            return (max(step, int(width * scale) // step * step), max(step, int(height * scale) // step * step))
        listed = [_sides(size) for size in self.sizes if _SIZE_PATTERN.match(size)]
        if self.square_inputs:
            squares = [size for size in listed if size[0] == size[1]] or [(1024, 1024)]
            return max(squares)
        shape = math.log(width / height)
        return min(
            listed or [(1024, 1024)], key=lambda size: (abs(math.log(size[0] / size[1]) - shape), -size[0] * size[1])
        )

    def upscale_size(self, width: int, height: int) -> str | None:
        """The size an Upscale of a `width` x `height` image asks for: twice as large, up to the
        largest the model makes, its shape kept; None on a model without custom sizes or edits, or
        for an image already at the largest."""
        if self.upscale_problem() is not None or self.custom_sizes is None:  # (the latter for the type checker)
            return None
        larger = self.custom_sizes.enlarged(width, height)
        return f"{larger[0]}x{larger[1]}" if larger is not None else None

    def quality_problem(self, quality: str) -> Text | None:
        if quality in self.qualities:
            return None
        if not self.qualities:
            return _("`{model}` has no quality setting; leave quality empty.", model=self.name)
        return _("`{model}` offers these qualities: {qualities}.", model=self.name, qualities=", ".join(self.qualities))

    def complexity_problem(self, complexity: str) -> Text | None:
        if complexity in self.complexities:
            return None
        if not self.complexities:
            return _("`{model}` has no complexity setting; leave complexity empty.", model=self.name)
        return _(
            "`{model}` offers these complexities: {complexities}.",
            model=self.name,
            complexities=", ".join(self.complexities),
        )

    def background_problem(self, background: str) -> Text | None:
        if background in self.backgrounds:
            return None
        if not self.backgrounds:
            return _("`{model}` has no background setting; leave background empty.", model=self.name)
        return _(
            "`{model}` offers these backgrounds: {backgrounds}.",
            model=self.name,
            backgrounds=", ".join(self.backgrounds),
        )

    # What the model can do with images given to it: each refusal is written here, once, and every
    # way in (a command, a reply to an image, the painting page) asks these.

    def edit_problem(self, images: int = 1, *, masked: bool = False, markup: bool = False) -> Text | None:
        """Why this model can't make an edit of `images` inputs in all (the image and its references),
        with a mask (or a grid area) when `masked` and markup when `markup`; None when it can. A model
        that edits takes one image at least, as the client sends it."""
        if not self.edits:
            return _("`{model}` can't edit images. Pick a GPT image model.", model=self.name)
        if masked and not self.masks:
            return _("`{model}` doesn't take masks. Leave the mask out or pick another model.", model=self.name)
        if markup and (problem := self.markup_problem(with_mask=masked)) is not None:
            return problem
        if images > max(self.max_edit_images, 1):
            return _(
                "`{model}` takes at most {limit} images in all; you gave {count}.",
                model=self.name,
                limit=max(self.max_edit_images, 1),
                count=images,
            )
        return None

    def markup_problem(self, *, with_mask: bool = False) -> Text | None:
        """Why this model can't take markup (notes drawn on a transparent overlay), or None: the
        model must take it, and a markup says where to edit, so it never comes with a mask (or a
        grid area)."""
        if not self.markup:
            return _("`{model}` doesn't take markup. Leave the markup out or pick another model.", model=self.name)
        if with_mask:
            return _("Send either a mask (or an area) or markup, not both: the markup already says where to edit.")
        return None

    def variation_problem(self) -> Text | None:
        """Why this model can't make variations of an image (by its own endpoint, or as an edit), or None."""
        if self.variations or self.edits:
            return None
        return _("`{model}` can't make variations. Pick a GPT image model.", model=self.name)

    def reframe_problem(self) -> Text | None:
        """Why this model can't zoom out or pan (an edit whose new area is masked), or None."""
        if self.edits and self.masks:
            return None
        return _(
            "`{model}` can't extend images. Make the image with a GPT image model to zoom or pan.", model=self.name
        )

    def upscale_problem(self) -> Text | None:
        """Why this model can't upscale (an edit at a custom size larger than the image's), or None."""
        if self.custom_sizes is not None and self.edits:
            return None
        return _(
            "`{model}` can't upscale images. Make the image with a model that takes custom sizes, "
            "such as `gpt-image-2`.",
            model=self.name,
        )

    def result_formats(self, *, edit: bool = False) -> tuple[str, ...]:
        """What `format` offers: `image` (PNG, WebP or JPEG, as fits), and `gif` and `svg` where the
        model makes them; an edit makes no SVG (the edit endpoint takes no `svg` output)."""
        made = [kind for kind in ("gif", "svg") if kind in self.output_formats and not (edit and kind == "svg")]
        return ("image", *made)

    def format_problem(
        self, format: str, frames: int | None, frame_ms: int | None, *, edit: bool = False
    ) -> Text | None:
        """Why the member's `format`, `frames` and `frame_ms` don't suit this model (frames and
        their length are a GIF's alone), or None when they do."""
        formats = self.result_formats(edit=edit)
        if format not in formats:
            if edit and format == "svg" and "svg" in self.output_formats:
                return _("An edit can't make an SVG; SVGs are made by /imagine. Pick image or gif.")
            return _("`{model}` makes these formats: {formats}.", model=self.name, formats=", ".join(formats))
        if format != "gif" and (frames is not None or frame_ms is not None):
            return _("Frames and frame_ms are for GIFs: set format to gif, or leave them empty.")
        if frames is not None and not MIN_GIF_FRAMES <= frames <= MAX_GIF_FRAMES:
            return _("A GIF has {low} to {high} frames.", low=MIN_GIF_FRAMES, high=MAX_GIF_FRAMES)
        if frame_ms is not None and frame_ms < MIN_FRAME_MS:
            return _("A GIF frame shows for at least {ms} ms.", ms=MIN_FRAME_MS)
        return None

    def prompt_problem(self, prompt: str) -> Text | None:
        if not prompt.strip():
            return _("The prompt is empty; describe the image you want.")
        if (problem := control_character_problem(prompt)) is not None:
            return problem
        if len(prompt) > self.max_prompt_chars:
            return _(
                "`{model}` takes prompts of up to {limit} characters; yours has {length}.",
                model=self.name,
                limit=self.max_prompt_chars,
                length=len(prompt),
            )
        return None


_GPT_IMAGE = ModelSpec(
    name="gpt-image",
    sizes=("auto", "1024x1024", "1536x1024", "1024x1536"),
    default_size="auto",
    max_n=10,
    qualities=("auto", "low", "medium", "high"),
    backgrounds=("transparent", "opaque", "auto"),
    output_formats=("png", "jpeg", "webp"),
    max_prompt_chars=32000,
    edits=True,
    masks=True,
    max_edit_images=16,
    streaming=True,
    input_fidelity=True,
    moderation=True,
    square_inputs=False,
    max_input_mb=50,
)
# gpt-image-2 takes any WIDTHxHEIGHT within its rule; it lost transparent backgrounds on 2026-09-30.
_GPT_IMAGE_2 = dataclasses.replace(_GPT_IMAGE, custom_sizes=CustomSizeRule(), backgrounds=("opaque", "auto"))
# 2.5 and 2.6, Flare and Sunburst: two more qualities and a complexity; 2.6 adds GIF, SVG and markup.
_GPT_IMAGE_25 = dataclasses.replace(
    _GPT_IMAGE,
    custom_sizes=CustomSizeRule(),
    qualities=("auto", "low", "medium", "high", "xhigh", "max"),
    complexities=("low", "medium", "high"),
)
_GPT_IMAGE_26 = dataclasses.replace(_GPT_IMAGE_25, output_formats=("png", "jpeg", "webp", "gif", "svg"), markup=True)
SHUT_DOWN_2026_12 = date(2026, 12, 1)

BUILTIN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        dataclasses.replace(_GPT_IMAGE_26, name="gpt-image-2.6-flare"),
        dataclasses.replace(_GPT_IMAGE_26, name="gpt-image-2.6-sunburst"),
        dataclasses.replace(_GPT_IMAGE_25, name="gpt-image-2.5-flare"),
        dataclasses.replace(_GPT_IMAGE_25, name="gpt-image-2.5-flare-2026-09-08"),
        dataclasses.replace(_GPT_IMAGE_25, name="gpt-image-2.5-sunburst"),
        dataclasses.replace(_GPT_IMAGE_25, name="gpt-image-2.5-sunburst-2026-09-08"),
        dataclasses.replace(_GPT_IMAGE_2, name="gpt-image-2"),
        dataclasses.replace(_GPT_IMAGE_2, name="gpt-image-2-2026-04-21"),
        dataclasses.replace(
            _GPT_IMAGE, name="gpt-image-1.5", retires=SHUT_DOWN_2026_12, replacement="gpt-image-2.6-sunburst"
        ),
        dataclasses.replace(
            _GPT_IMAGE,
            name="gpt-image-1.5-2025-12-16",
            retires=SHUT_DOWN_2026_12,
            replacement="gpt-image-2.6-sunburst",
        ),
        dataclasses.replace(
            _GPT_IMAGE,
            name="gpt-image-1-mini",
            input_fidelity=False,
            retires=SHUT_DOWN_2026_12,
            replacement="gpt-image-2.6-flare",
        ),
        dataclasses.replace(
            _GPT_IMAGE, name="chatgpt-image-latest", retires=SHUT_DOWN_2026_12, replacement="gpt-image-2.6-sunburst"
        ),
        dataclasses.replace(_GPT_IMAGE, name="gpt-image-1", retires=date(2026, 10, 23), replacement="gpt-image-2"),
        ModelSpec(
            name="dall-e-3",
            sizes=("1024x1024", "1792x1024", "1024x1792"),
            max_n=1,
            qualities=("standard", "hd"),
            response_format=True,
            max_prompt_chars=4000,
            retires=date(2026, 5, 12),
            replacement="gpt-image-2",
        ),
        ModelSpec(
            name="dall-e-2",
            sizes=("256x256", "512x512", "1024x1024"),
            default_size="1024x1024",
            max_n=10,
            response_format=True,
            max_prompt_chars=1000,
            edits=True,
            masks=True,
            max_edit_images=1,
            variations=True,
            retires=date(2026, 5, 12),
            replacement="gpt-image-2",
        ),
    )
}


class ModelOverride(BaseModel):
    """A `[images.models."name"]` table in config: every field optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    like: str | None = None
    sizes: list[str] | None = None
    custom_sizes: bool | None = None
    default_size: str | None = None
    max_n: int | None = Field(default=None, ge=1, le=10)
    qualities: list[str] | None = None
    complexities: list[str] | None = None
    backgrounds: list[str] | None = None
    output_formats: list[str] | None = None
    response_format: bool | None = None
    max_prompt_chars: int | None = Field(default=None, ge=1)
    edits: bool | None = None
    masks: bool | None = None
    markup: bool | None = None
    max_edit_images: int | None = Field(default=None, ge=0, le=16)
    variations: bool | None = None
    streaming: bool | None = None
    input_fidelity: bool | None = None
    moderation: bool | None = None
    square_inputs: bool | None = None
    max_input_mb: int | None = Field(default=None, ge=1, le=50)
    retires: date | None = None
    replacement: str | None = None


class ModelRegistry:
    """The built-in table extended by config; unknown names get conservative defaults."""

    def __init__(self, overrides: dict[str, ModelOverride] | None = None) -> None:
        self._models = dict(BUILTIN_MODELS)
        for name, override in (overrides or {}).items():
            self._models[name] = self._apply(name, override)

    def _apply(self, name: str, override: ModelOverride) -> ModelSpec:
        if override.like is not None:
            if override.like not in self._models:
                raise ValueError(
                    f'images.models."{name}".like: "{override.like}" is not a known model; '
                    f"use one of {', '.join(self._models)}"
                )
            base = dataclasses.replace(self._models[override.like], name=name)
        else:
            base = self._models.get(name, ModelSpec(name=name))
        changes: dict[str, object] = {}
        for field, value in override.model_dump(exclude={"like"}, exclude_none=True).items():
            if field == "custom_sizes":
                changes[field] = CustomSizeRule() if value else None
            elif isinstance(value, list):
                changes[field] = tuple(cast("list[Any]", value))
            else:
                changes[field] = value
        return dataclasses.replace(base, **changes, known=True)

    def get(self, name: str) -> ModelSpec:
        return self._models.get(name) or ModelSpec(name=name, known=False)

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def names(self) -> list[str]:
        return list(self._models)
