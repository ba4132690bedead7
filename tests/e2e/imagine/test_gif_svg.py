"""GIF and SVG results through the real bot (issue #30): an animated GIF posted with every frame,
made to fit a small upload limit without losing one; an SVG from a hostile provider posted clean
beside its rendering; and the choices a model does not take refused before any call."""

from __future__ import annotations

import io
import itertools

from PIL import Image, ImageChops, ImageSequence
from sqlalchemy import select

from bot.db.models import ResultPreview
from tests.helpers import decode, photo, todays_config, usage_rows


def frames_of(data: bytes) -> list[Image.Image]:
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


def file_components(message) -> list[dict]:
    return [component for component in message.components if component["type"] == 13]


async def test_a_gif_of_four_frames_arrives_as_an_animated_gif_of_four_frames(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config))
    offered = await discord_api.autocomplete("imagine", {"prompt": "a fox", "format": ""}, "format")
    assert [choice["value"] for choice in offered] == ["image", "gif", "svg"]
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a fox running", "format": "gif", "frames": 4, "frame_ms": 120}
    )
    reply = await discord_api.wait_for_reply(state)
    [request] = images_api.requests
    assert (request.fields["output_format"], request.fields["frame_count"], request.fields["frame_duration_ms"]) == (
        "gif",
        4,
        120,
    )
    assert "stream" not in request.fields and "output_compression" not in request.fields
    [attachment] = reply.payload["attachments"]
    assert attachment["filename"].endswith(".gif")
    [gallery] = [component for component in reply.components if component["type"] == 12]
    assert [item["media"]["content_type"] for item in gallery["items"]] == ["image/gif"]
    [gif] = reply.attachment_bytes()
    frames = frames_of(gif)
    assert len(frames) == 4 and Image.open(io.BytesIO(gif)).info["duration"] == 120
    assert all(ImageChops.difference(a, b).getbbox() for a, b in itertools.pairwise(frames))
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery) == ("ok", "delivered")

    page = await discord_api.wait_for_reply(await discord_api.send_slash_command("history", {}))
    assert [component for component in page.components if component["type"] == 12]  # its preview is shown


async def test_an_oversized_gif_is_made_to_fit_with_every_frame_kept(make_config, start_bot, discord_api, images_api):
    await start_bot(todays_config(make_config))
    images_api.noise_images = True  # incompressible frames: the provider's GIF is megabytes
    limit = 400 * 1024
    state = await discord_api.send_slash_command(
        "imagine",
        {"prompt": "static", "format": "gif", "frames": 6, "size": "1024x1024"},
        attachment_size_limit=limit,
    )
    [gif] = (await discord_api.wait_for_reply(state)).attachment_bytes()
    assert len(images_api.made[0]) > limit >= len(gif)
    assert len(frames_of(gif)) == 6


async def test_a_hostile_svg_is_posted_clean_beside_its_rendering(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(todays_config(make_config))
    images_api.svg_answer = "hostile"
    state = await discord_api.send_slash_command("imagine", {"prompt": "a logo", "format": "svg"})
    reply = await discord_api.wait_for_reply(state)
    [request] = images_api.requests
    assert request.fields["output_format"] == "svg" and "svg" not in request.fields
    names = [attachment["filename"] for attachment in reply.payload["attachments"]]
    assert [name.rsplit(".", 1)[-1] for name in names] == ["png", "svg"]
    rendering, drawing = reply.attachment_bytes()
    [gallery] = [component for component in reply.components if component["type"] == 12]
    assert [item["media"]["url"].rsplit("/", 1)[-1] for item in gallery["items"]] == [names[0]]
    [shown] = file_components(reply)
    assert shown["name"] == names[1]

    text = drawing.decode()
    assert "<circle" in text and "<path" in text  # the drawing is kept
    for hostile in ("DOCTYPE", "ENTITY", "lol", "script", "onload", "onclick", "evil.example", "javascript:"):
        assert hostile not in text
    assert "foreignObject" not in text and "@import" not in text and "/etc/passwd" not in text
    picture = decode(rendering)
    assert picture.format == "PNG" and max(picture.size) == 1024
    assert len(picture.getcolors(1 << 16) or []) >= 2  # drawn, not blank

    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery, row.image_count) == ("ok", "delivered", 1)
    async with bot.sessions() as session:
        [preview] = (await session.scalars(select(ResultPreview))).all()
    assert len(preview.image_urls) == 1 and preview.image_urls[0].endswith(".png")  # the rendering, not the SVG
    [vary] = [c["custom_id"] for c in reply.components if c.get("custom_id", "").startswith("ib:vary:")]
    await discord_api.wait_for_reply(await discord_api.click(reply, vary))
    assert decode(images_api.requests[-1].files["image"][0]).size == picture.size  # the rendering is varied


async def test_an_svg_that_does_not_parse_is_refused_charged_once_and_never_posted(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config))
    images_api.svg_answer = "broken"
    state = await discord_api.send_slash_command("imagine", {"prompt": "a logo", "format": "svg"})
    told = await discord_api.wait_for(
        lambda: next((m for m in [state.original, *state.followups] if m and "can't be posted" in m.text), None)
    )
    assert "the SVG does not parse as XML" in told.text and "The request was charged." in told.text
    assert not any(m.payload["attachments"] for m in [state.original, *state.followups] if m)
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code, row.delivery) == ("failed", "unusable_result", "withheld")
    assert row.cost_usd > 0 and len(images_api.requests) == 1


async def test_a_format_the_model_does_not_take_is_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config, offered_models=["gpt-image-2.6-flare", "gpt-image-2.5-flare"]))
    offered = await discord_api.autocomplete(
        "imagine", {"prompt": "a fox", "model": "gpt-image-2.5-flare", "format": ""}, "format"
    )
    assert [choice["value"] for choice in offered] == ["image"]
    refusals = [
        ({"model": "gpt-image-2.5-flare", "format": "gif"}, "`gpt-image-2.5-flare` makes these formats: image."),
        ({"frames": 4}, "Frames and frame_ms are for GIFs: set format to gif, or leave them empty."),
        (
            {"format": "svg", "frame_ms": 100},
            "Frames and frame_ms are for GIFs: set format to gif, or leave them empty.",
        ),
    ]
    for options, refusal in refusals:
        state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", **options})
        assert (await discord_api.wait_for_reply(state)).payload["content"] == refusal
    image = discord_api.upload("fox.png", photo())
    masked = await discord_api.send_slash_command(
        "edit", {"image": image, "prompt": "a hat", "mask": discord_api.upload("m.png", photo()), "format": "gif"}
    )
    assert (await discord_api.wait_for_reply(masked)).payload["content"] == (
        "A GIF is made without a mask. Leave the mask out, or set format to image."
    )
    drawing = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("fox.png", photo()), "prompt": "a hat", "format": "svg"}
    )
    assert "An edit can't make an SVG" in (await discord_api.wait_for_reply(drawing)).payload["content"]
    rows = await usage_rows(bot, 5)
    assert [row.status for row in rows] == ["invalid"] * 5 and images_api.requests == []


async def test_an_edit_makes_a_gif_without_a_mask(make_config, start_bot, discord_api, images_api):
    await start_bot(todays_config(make_config))
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("fox.png", photo()), "prompt": "make it dance", "format": "gif"}
    )
    [gif] = (await discord_api.wait_for_reply(state)).attachment_bytes()
    [request] = images_api.requests
    assert request.fields["output_format"] == "gif" and "mask" not in request.files
    assert len(frames_of(gif)) == 9  # the API's default
