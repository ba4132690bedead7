"""Images a member points at: an image attachment (never an SVG drawing's file), or a clear refusal."""

from types import SimpleNamespace

import discord
import pytest

from bot.errors import InvalidRequest
from bot.flow.sources import SourceImage, image_attachments, is_drawing, is_image, message_image


def attachment(filename: str, content_type: str | None = None, number: int = 1) -> discord.Attachment:
    data = {
        "id": str(900 + number),
        "filename": filename,
        "size": 1000 + number,
        "url": f"https://cdn.example.com/{number}/{filename}",
        "proxy_url": f"https://media.example.com/{number}/{filename}",
    }
    if content_type is not None:
        data["content_type"] = content_type
    return discord.Attachment(data=data, state=SimpleNamespace(http=None))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filename", "content_type", "image"),
    [
        ("photo.png", "image/png", True),
        ("photo.bin", "image/webp; charset=binary", True),
        ("scan.TIFF", None, True),
        ("notes.txt", "text/plain", False),
        ("drawing.svg", None, False),
        ("drawing.png", "image/svg+xml", False),
        ("DRAWING.SVG", "image/png", False),
    ],
)
def test_what_counts_as_an_image(filename, content_type, image):
    assert is_image(attachment(filename, content_type)) is image


def test_an_svg_file_is_a_drawing():
    assert is_drawing("result.Svg") and not is_drawing("result.svg.png")


def test_the_message_s_nth_image_skipping_what_is_not_one():
    images = [attachment("a.txt", "text/plain", 1), attachment("b.png", "image/png", 2), attachment("c.jpg", None, 3)]
    message = SimpleNamespace(attachments=images)
    assert message_image(message) == SourceImage("https://cdn.example.com/2/b.png", 1002, "b.png")  # type: ignore[arg-type]
    assert message_image(message, 1).filename == "c.jpg"  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="no longer on the message"):
        message_image(message, 2)  # type: ignore[arg-type]


def test_no_message_or_no_image_is_a_clear_refusal():
    with pytest.raises(InvalidRequest, match="gone"):
        message_image(None)
    with pytest.raises(InvalidRequest, match="no image attached"):
        message_image(SimpleNamespace(attachments=[attachment("a.txt", "text/plain")]))  # type: ignore[arg-type]


def named(filename: str, content_type: str | None) -> SimpleNamespace:
    return SimpleNamespace(filename=filename, content_type=content_type)


def test_images_are_picked_in_order_and_an_svg_drawing_never():
    photo, notes = named("a.png", "image/png"), named("notes.txt", "text/plain")
    drawing, rendering = named("result.svg", "image/svg+xml"), named("result.png", None)
    legacy = named("old.JPG", "application/octet-stream")  # no image type, an image's name
    message = SimpleNamespace(attachments=[photo, notes, drawing, rendering, legacy])
    assert image_attachments(message) == [photo, rendering, legacy]  # type: ignore[arg-type]


def test_a_message_that_is_gone_has_no_images():
    assert image_attachments(None) == []
