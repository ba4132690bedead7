"""Zoom out and pan end to end: the result's image placed on a larger transparent canvas, a mask
transparent where the new pixels go, the result's own prompt, a canvas the model makes; on a
result of several images, through a private picker; and after a restart."""

import pytest

from tests.helpers import button_ids, decode, imagine, usage_rows


def alpha_box(data: bytes):
    """The opaque part of a PNG: where the original sits on the canvas."""
    return decode(data).getchannel("A").getbbox()


@pytest.mark.parametrize(
    ("model", "action", "size", "opaque"),
    [
        ("gpt-image-2", "z2", "2048x2048", (512, 512, 1536, 1536)),  # any multiple of 16: the canvas itself
        ("gpt-image-2", "z15", "1536x1536", (256, 256, 1280, 1280)),
        ("gpt-image-2", "pl", "1536x1024", (512, 0, 1536, 1024)),
        ("gpt-image-1-mini", "pd", "1024x1536", (0, 0, 1024, 1024)),  # the listed size nearest the canvas
        ("dall-e-2", "pr", "1024x1024", (0, 171, 683, 854)),  # square: the canvas scaled into it
    ],
)
async def test_a_zoom_or_pan_is_an_edit_of_the_image_on_a_larger_canvas(
    make_config, start_bot, discord_api, images_api, model, action, size, opaque
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, model=model, size="1024x1024")
    [row] = await usage_rows(bot)
    reply = await discord_api.wait_for_reply(await discord_api.click(result, f"ib:{action}:{row.id}:0"))
    assert reply is not result and reply.attachment_bytes()
    sent = images_api.requests[-1]
    assert sent.operation == "/v1/images/edits" and sent.fields["size"] == size
    assert sent.fields["prompt"] == "a red fox" and sent.fields["model"] == model
    [image], [mask] = sent.files["image"], sent.files["mask"]
    assert f"{decode(image).width}x{decode(image).height}" == size
    assert alpha_box(image) == alpha_box(mask) == opaque  # the original, and the mask opaque over it only
    original = decode(result.attachment_bytes()[0]).convert("RGB")
    placed = decode(image).convert("RGB").crop(opaque).resize(original.size)
    middle = (original.width // 2, original.height // 2)
    assert max(abs(a - b) for a, b in zip(placed.getpixel(middle), original.getpixel(middle), strict=True)) < 16
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[-1].command, rows[-1].prompt, rows[-1].status) == (
        "zoom" if action.startswith("z") else "pan",
        "a red fox",
        "ok",
    )


async def test_on_several_images_a_private_picker_chooses_the_image_and_the_way(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, n=5)
    [row] = await usage_rows(bot)
    assert f"ib:reframe:{row.id}" in button_ids(result)
    picker = await discord_api.wait_for_reply(await discord_api.click(result, f"ib:reframe:{row.id}"))
    assert picker.ephemeral and picker.attachment_bytes() == result.attachment_bytes()  # the images, numbered
    menus = [child for action_row in picker.payload["components"] for child in action_row["components"]]
    assert [len(menu["options"]) for menu in menus] == [25, 5]  # 5 images x 6 ways
    assert menus[0]["options"][0]["label"] == "1 · Zoom out 1.5×" and menus[1]["options"][-1]["value"] == "4:pd"
    chosen = await discord_api.choose(picker, menus[0]["custom_id"], ["3:pu"])
    reply = await discord_api.wait_for_reply(chosen)
    assert reply.attachment_bytes()
    sent = images_api.requests[-1]
    fourth = decode(result.attachment_bytes()[3]).convert("RGB")
    [image] = sent.files["image"]
    box = alpha_box(image)
    assert box[1] > 0 and box[3] == decode(image).height  # the image at the bottom: new sky above it
    assert decode(image).convert("RGB").getpixel((box[0] + 5, box[1] + 5)) == fourth.getpixel((5, 5))
    rows = await usage_rows(bot, 2, delivered=True)
    assert rows[-1].command == "pan"


async def test_zoom_works_after_a_restart(make_config, start_bot, discord_api, images_api):
    config = make_config()
    bot = await start_bot(config)
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    await bot.close()
    restarted = await start_bot(config)
    reply = await discord_api.wait_for_reply(await discord_api.click(result, f"ib:z15:{row.id}:0"))
    assert reply.attachment_bytes()
    rows = await usage_rows(restarted, 2, delivered=True)
    assert rows[-1].command == "zoom"
