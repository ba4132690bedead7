"""/blend end to end: two to five uploaded images sent as one edit's repeated `image[]` parts."""

from PIL import Image

from tests.helpers import decode, encode, usage_rows


def square(colour) -> bytes:
    return encode(Image.new("RGB", (256, 256), colour))


async def test_blend_of_three_images_sends_one_edit_with_three_image_parts(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    colours = [(200, 20, 20), (20, 200, 20), (20, 20, 200)]
    options = {
        f"image_{number}": discord_api.upload(f"{number}.png", square(colour))
        for number, colour in enumerate(colours, 1)
    }
    state = await discord_api.send_slash_command("blend", {**options, "prompt": "at sunset"})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 1

    [request] = images_api.requests
    assert request.operation == "/v1/images/edits" and request.fields["model"] == "gpt-image-2"
    sent = request.files["image"]
    assert len(sent) == 3 and "mask" not in request.files
    assert [decode(image).convert("RGB").getpixel((5, 5)) for image in sent] == colours
    assert request.fields["prompt"].startswith("Blend these 3 images into one picture")
    assert request.fields["prompt"].endswith(" at sunset")
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.image_count) == ("blend", "ok", 1)


async def test_a_transparent_image_in_a_blend_is_no_mask(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    holed = Image.new("RGBA", (256, 256), (200, 0, 0, 255))
    holed.paste((0, 0, 0, 0), (0, 0, 128, 128))
    state = await discord_api.send_slash_command(
        "blend",
        {
            "image_1": discord_api.upload("holed.png", encode(holed)),
            "image_2": discord_api.upload("b.png", square("navy")),
        },
    )
    await discord_api.wait_for_reply(state)
    [request] = images_api.requests
    assert "mask" not in request.files and len(request.files["image"]) == 2
    assert request.fields["prompt"] == (
        "Blend these 2 images into one picture: combine their subjects, styles and colours into a single, "
        "coherent image."
    )


async def test_a_model_that_takes_fewer_images_is_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    offered = await discord_api.autocomplete(
        "blend", {"image_1": discord_api.upload("a.png", square("red")), "model": ""}, "model"
    )
    assert "dall-e-2" not in [choice["value"] for choice in offered]
    state = await discord_api.send_slash_command(
        "blend",
        {
            "image_1": discord_api.upload("a.png", square("red")),
            "image_2": discord_api.upload("b.png", square("blue")),
            "model": "dall-e-2",
        },
    )
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and reply.text == "`dall-e-2` takes at most 1 images in all; you gave 2."
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.model) == ("blend", "invalid", "dall-e-2")
