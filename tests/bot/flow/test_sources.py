"""Which of a message's attachments are images to use: one rule for every place that picks them."""

from types import SimpleNamespace

from bot.flow.sources import image_attachments


def attachment(filename: str, content_type: str | None) -> SimpleNamespace:
    return SimpleNamespace(filename=filename, content_type=content_type)


def test_images_are_picked_in_order_and_an_svg_drawing_never():
    photo, notes = attachment("a.png", "image/png"), attachment("notes.txt", "text/plain")
    drawing, rendering = attachment("result.svg", "image/svg+xml"), attachment("result.png", None)
    legacy = attachment("old.JPG", "application/octet-stream")  # no image type, an image's name
    message = SimpleNamespace(attachments=[photo, notes, drawing, rendering, legacy])
    assert image_attachments(message) == [photo, rendering, legacy]


def test_a_message_that_is_gone_has_no_images():
    assert image_attachments(None) == []
