"""/edit and "Edit image" end to end, with real images uploaded to the Discord stand-in."""

import pytest
from PIL import Image

from tests.helpers import decode, encode, markup_png, usage_rows


def photo(size=(640, 480), colour="teal") -> bytes:
    return encode(Image.new("RGB", size, colour), "JPEG")


async def test_edit_with_a_black_and_white_mask(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    image = discord_api.upload("cat.jpg", photo())
    mask_image = Image.new("L", (320, 240), 0)
    mask_image.paste(255, (0, 0, 160, 240))
    mask = discord_api.upload("mask.png", encode(mask_image))
    state = await discord_api.send_slash_command("edit", {"image": image, "prompt": "a red scarf", "mask": mask})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 1 and "a red scarf" in reply.text

    [request] = images_api.requests
    assert request.operation == "/v1/images/edits" and request.fields["model"] == "gpt-image-2"
    sent_mask = decode(request.files["mask"][0])
    assert sent_mask.size == (640, 480) and sent_mask.mode == "RGBA"
    assert sent_mask.getpixel((10, 10))[3] == 0 and sent_mask.getpixel((600, 10))[3] == 255
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.prompt) == ("edit", "ok", "a red scarf")


async def test_edit_takes_reference_images_up_to_the_model_limit(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    options = {"image": discord_api.upload("a.png", photo()), "prompt": "a gift basket of these"}
    for index in range(1, 4):
        options[f"reference_{index}"] = discord_api.upload(f"r{index}.webp", encode(Image.new("RGB", (64, 64)), "WEBP"))
    state = await discord_api.send_slash_command("edit", options)
    await discord_api.wait_for_reply(state)
    assert len(images_api.requests[0].files["image"]) == 4


async def test_partly_transparent_image_is_its_own_mask(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    image = Image.new("RGBA", (256, 256), (200, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 128, 128))
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("hole.png", encode(image)), "prompt": "fill the hole"}
    )
    await discord_api.wait_for_reply(state)
    assert decode(images_api.requests[0].files["mask"][0]).getpixel((5, 5))[3] == 0


async def test_dalle2_edit_gets_a_square_png(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "edit",
        {
            "image": discord_api.upload("wide.jpg", photo((900, 500))),
            "prompt": "snow",
            "model": "dall-e-2",
            "fit": "pad",
        },
    )
    await discord_api.wait_for_reply(state)
    sent = decode(images_api.requests[0].files["image"][0])
    assert sent.format == "PNG" and sent.width == sent.height == 512


@pytest.mark.parametrize(
    ("upload", "options", "message"),
    [
        (("notes.txt", b"hello, not an image", "text/plain"), {}, "not an image"),
        (("empty.png", b"", "image/png"), {}, "empty file"),
        (("bomb.png", encode(Image.new("1", (20_000, 20_000))), "image/png"), {}, "more pixels"),
        (("cut.jpg", photo()[:400], "image/jpeg"), {}, "truncated or corrupt"),
        (("ok.jpg", photo(), "image/jpeg"), {"model": "dall-e-3"}, "can't edit images"),
    ],
)
async def test_bad_images_are_refused_with_a_row(
    make_config, start_bot, discord_api, images_api, upload, options, message
):
    bot = await start_bot(make_config(images={"offered_models": ["gpt-image-2", "dall-e-3"]}))
    attachment = discord_api.upload(*upload)
    state = await discord_api.send_slash_command("edit", {"image": attachment, "prompt": "x", **options})
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and message in reply.text
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "invalid")


async def test_files_over_the_download_cap_are_refused_before_reading(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(imaging={"max_download_mb": 0.01}))
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("big.png", encode(Image.effect_noise((200, 200), 100))), "prompt": "x"}
    )
    reply = await discord_api.wait_for_reply(state)
    assert "the limit is 10 kB" in reply.text
    assert [row.status for row in await usage_rows(bot)] == ["invalid"]


async def test_images_outside_discord_are_never_fetched(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    attachment = discord_api.upload("cat.png", photo())
    attachment["url"] = images_api.base_url.removesuffix("/v1").replace("127.0.0.1", "localhost") + "/files/x.png"
    state = await discord_api.send_slash_command("edit", {"image": attachment, "prompt": "x"})
    reply = await discord_api.wait_for_reply(state)
    assert "isn't hosted on Discord" in reply.text


@pytest.mark.parametrize(("fill", "message"), [(0, "marks nothing to change"), (255, "marks the whole image")])
async def test_empty_and_full_masks_are_refused(make_config, start_bot, discord_api, images_api, fill, message):
    await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "edit",
        {
            "image": discord_api.upload("a.png", photo()),
            "prompt": "x",
            "mask": discord_api.upload("m.png", encode(Image.new("L", (64, 64), fill))),
        },
    )
    reply = await discord_api.wait_for_reply(state)
    assert message in reply.text


async def test_edit_image_message_command_opens_a_modal(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    message = discord_api.post_message(
        [discord_api.upload("first.png", photo(colour="navy")), discord_api.upload("second.png", photo(colour="red"))]
    )
    menu = await discord_api.send_message_command("Edit image", message)
    await discord_api.wait_for(lambda: menu.modal)
    submitted = await discord_api.submit_modal(menu, ["make it night time"])
    reply = await discord_api.wait_for_reply(submitted)
    assert "make it night time" in reply.text and reply.attachment_bytes()
    sent = decode(images_api.requests[0].files["image"][0])
    assert sent.getpixel((5, 5))[2] > 100 and sent.getpixel((5, 5))[0] < 50
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "ok")


async def test_message_without_an_image_gets_a_clear_answer(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    message = discord_api.post_message([], content="just words")
    state = await discord_api.send_message_command("Edit image", message)
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and "has no image attached" in reply.text


MARKUP_MODEL = "gpt-image-2.6-flare"  # takes markup


async def test_edit_with_markup_sends_it_fitted_to_the_image_and_no_mask(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(images={"model": MARKUP_MODEL}))
    markup = discord_api.upload("notes.png", markup_png((320, 240), (0, 0, 80, 60)))
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("cat.jpg", photo()), "prompt": "a hat where it's marked", "markup": markup}
    )
    assert (await discord_api.wait_for_reply(state)).attachment_bytes()
    [request] = images_api.requests
    assert request.fields["model"] == MARKUP_MODEL and "mask" not in request.files
    sent = decode(request.files["markup"][0])
    assert (sent.format, sent.mode, sent.size) == ("PNG", "RGBA", (640, 480))  # drawn at half the image's size
    assert sent.getpixel((80, 60)) == (255, 59, 48, 255) and sent.getpixel((500, 400))[3] == 0
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "ok")


@pytest.mark.parametrize(
    ("model", "with_mask", "message"),
    [
        ("gpt-image-2", False, "`gpt-image-2` doesn't take markup"),
        (MARKUP_MODEL, True, "not both"),
    ],
)
async def test_markup_is_refused_before_any_call_where_it_cannot_go(
    make_config, start_bot, discord_api, images_api, model, with_mask, message
):
    bot = await start_bot(make_config(images={"model": model}))
    options = {
        "image": discord_api.upload("cat.jpg", photo()),
        "prompt": "a hat",
        "markup": discord_api.upload("notes.png", markup_png((640, 480), (0, 0, 80, 60))),
    }
    if with_mask:
        options["mask"] = discord_api.upload("mask.png", encode(Image.new("L", (640, 480), 0)))
    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("edit", options))
    assert reply.ephemeral and message in reply.text
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "invalid")


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        (encode(Image.new("RGB", (64, 64), "red")), "PNG with a transparent background"),
        (encode(Image.new("RGBA", (64, 64), (255, 0, 0, 128)), "WEBP"), "PNG with a transparent background"),
        (encode(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), "markup is empty"),
    ],
)
async def test_a_markup_that_is_no_transparent_png_is_refused_before_the_provider(
    make_config, start_bot, discord_api, images_api, markup, message
):
    bot = await start_bot(make_config(images={"model": MARKUP_MODEL}))
    options = {
        "image": discord_api.upload("cat.jpg", photo()),
        "prompt": "a hat",
        "markup": discord_api.upload("notes.png", markup),
    }
    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("edit", options))
    assert message in reply.text
    assert images_api.requests == []
    assert [row.status for row in await usage_rows(bot)] == ["invalid"]
