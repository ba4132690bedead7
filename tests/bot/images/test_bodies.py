"""Request bodies: a model is sent only the parameters it takes (the size defaulted, the
compression only for JPEG and WebP, the frames only for GIF, base64 asked of the models that need
asking, the member's id only to a model known to take it); multipart forms are built anew for
each attempt, one image as `image` and several as `image[]`, with a mask or a markup, never both."""

import re

import aiohttp
import pytest

from bot.images.bodies import common_options, generation_options, multipart
from bot.images.formats import OutputFormat
from bot.images.models import ModelSpec
from bot.images.results import InputImage

GPT = ModelSpec(
    name="gpt-test",
    sizes=("1024x1024", "auto"),
    default_size="auto",
    qualities=("low", "high"),
    complexities=("low", "high"),
    backgrounds=("transparent", "auto"),
    output_formats=("png", "jpeg", "webp", "gif"),
    moderation=True,
)
DALLE = ModelSpec(name="dall-e-test", sizes=("1024x1024",), response_format=True)


def test_a_model_is_sent_only_what_it_takes():
    everything = {
        "size": "1024x1024",
        "quality": "high",
        "user": "member-hash",
        "output": OutputFormat("webp", compression=80),
        "complexity": "high",
        "background": "transparent",
    }
    assert generation_options(GPT, moderation="low", **everything) == {
        "model": "gpt-test",
        "size": "1024x1024",
        "quality": "high",
        "complexity": "high",
        "background": "transparent",
        "output_format": "webp",
        "output_compression": 80,
        "moderation": "low",
        "user": "member-hash",
    }
    assert generation_options(DALLE, moderation="low", **everything) == {
        "model": "dall-e-test",
        "size": "1024x1024",
        "response_format": "b64_json",
        "user": "member-hash",
    }


def test_an_edit_never_sends_moderation_even_when_given_one():
    stray = {"size": "1024x1024", "moderation": "low"}
    assert "moderation" not in common_options(GPT, **stray)  # type: ignore[typeddict-unknown-key]


def test_no_size_is_the_models_default_or_nothing():
    assert common_options(GPT, size=None, quality=None, user=None) == {"model": "gpt-test", "size": "auto"}
    assert common_options(ModelSpec(name="x"), size=None, quality="hd", user=None) == {"model": "x"}


def test_an_unknown_model_is_not_sent_the_members_id():
    unknown = ModelSpec(name="someone-elses", known=False)
    assert "user" not in common_options(unknown, size=None, quality=None, user="member-hash")


def test_compression_goes_with_jpeg_and_webp_and_frames_with_gif():
    def sent(output: OutputFormat) -> dict[str, object]:
        options = common_options(GPT, size=None, quality=None, user=None, output=output)
        return {key: value for key, value in options.items() if key not in ("model", "size")}

    assert sent(OutputFormat("png", compression=80, frames=4)) == {"output_format": "png"}
    assert sent(OutputFormat("jpeg", compression=0)) == {"output_format": "jpeg", "output_compression": 0}
    assert sent(OutputFormat("gif", compression=80, frames=4, frame_ms=120)) == {
        "output_format": "gif",
        "frame_count": 4,
        "frame_duration_ms": 120,
    }
    assert sent(OutputFormat("gif")) == {"output_format": "gif"}
    assert sent(OutputFormat("svg")) == {}  # a format the model does not make is not asked for


class Collected:
    def __init__(self) -> None:
        self.body = b""

    async def write(self, data: bytes) -> None:
        self.body += data


async def body_of(form: aiohttp.FormData) -> str:
    collected = Collected()
    await form().write(collected)  # pyright: ignore[reportArgumentType]  any writer with write() will do
    return collected.body.decode("latin-1")


def part_names(body: str) -> list[str]:
    return re.findall(r'form-data; name="([^"]+)"', body)


async def test_one_image_is_the_field_image_and_several_are_image_brackets():
    one = InputImage(b"\x89PNG one")
    other = InputImage(b"RIFF two", filename="two.webp", content_type="image/webp")
    single = await body_of(multipart([one], None, {"prompt": "a fox"})())
    assert part_names(single) == ["image", "prompt"]
    several = await body_of(multipart([one, other], None, {"prompt": "a fox", "stream": True, "n": 2})())
    assert part_names(several) == ["image[]", "image[]", "prompt", "stream", "n"]
    assert 'filename="two.webp"' in several and "Content-Type: image/webp" in several
    assert "\r\n\r\ntrue\r\n" in several and "\r\n\r\n2\r\n" in several


async def test_a_mask_or_a_markup_goes_beside_the_image():
    image, overlay = InputImage(b"image"), InputImage(b"overlay", filename="overlay.png")
    assert part_names(await body_of(multipart([image], overlay, {})())) == ["image", "mask"]
    assert part_names(await body_of(multipart([image], None, {}, markup=overlay)())) == ["image", "markup"]
    with pytest.raises(ValueError, match="not both"):
        multipart([image], overlay, {}, markup=overlay)


async def test_each_attempt_builds_a_form_of_its_own():
    build = multipart([InputImage(b"image")], None, {"prompt": "a fox"})
    first, second = build(), build()
    assert first is not second
    assert await body_of(first) != "" and part_names(await body_of(second)) == ["image", "prompt"]
