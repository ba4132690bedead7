"""The Edit form through the real bot: the prompt, and, both optional, a mask to upload or the
area to change as cells of a 3x3 grid (transparent in exactly those cells on the fitted image)."""

from PIL import Image

from tests.helpers import decode, encode, usage_rows


def photo(size=(600, 300), colour="teal") -> bytes:
    return encode(Image.new("RGB", size, colour))


async def open_form(discord_api, image: bytes):
    message = discord_api.post_message([discord_api.upload("photo.png", image)])
    menu = await discord_api.send_message_command("Edit image", message)
    await discord_api.wait_for(lambda: menu.modal)
    return menu


def form_components(menu) -> dict[str, dict]:
    return {label["component"].get("custom_id", "prompt"): label["component"] for label in menu.modal["components"]}


async def test_the_form_offers_an_optional_upload_and_an_optional_grid(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    components = form_components(await open_form(discord_api, photo()))
    assert components["mask"]["type"] == 19 and components["mask"]["required"] is False
    grid = components["area"]
    assert grid["type"] == 22 and grid["required"] is False and (grid["min_values"], grid["max_values"]) == (0, 9)
    assert [option["label"] for option in grid["options"]] == [
        "top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right",
    ]  # fmt: skip


async def test_two_grid_cells_are_transparent_in_the_mask_and_everything_else_opaque(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    menu = await open_form(discord_api, photo())
    submitted = await discord_api.submit_modal(menu, ["a red balloon"], checked={"area": ["0", "5"]})
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    [request] = images_api.requests
    image, mask = decode(request.files["image"][0]), decode(request.files["mask"][0])
    assert mask.size == image.size == (600, 300) and mask.mode == "RGBA"
    alpha = mask.getchannel("A")
    width, height = mask.size
    for y in range(0, height, 7):
        for x in range(0, width, 7):
            cell = (y * 3 // height) * 3 + x * 3 // width
            assert alpha.getpixel((x, y)) == (0 if cell in (0, 5) else 255), (x, y)
    [row] = await usage_rows(bot, delivered=True)
    assert (row.command, row.status, row.prompt) == ("edit", "ok", "a red balloon")


async def test_an_uploaded_black_and_white_mask_wins_over_the_grid(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    menu = await open_form(discord_api, photo((200, 200)))
    drawn = Image.new("L", (200, 200), 0)
    drawn.paste(255, (150, 150, 200, 200))  # white: change the bottom-right corner
    mask_upload = discord_api.upload("mask.png", encode(drawn))
    submitted = await discord_api.submit_modal(
        menu, ["add a cat"], uploads={"mask": [mask_upload]}, checked={"area": ["0"]}
    )
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    alpha = decode(images_api.requests[0].files["mask"][0]).getchannel("A")
    assert alpha.getpixel((175, 175)) == 0 and alpha.getpixel((10, 10)) == 255


async def test_with_neither_the_whole_image_changes(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    submitted = await discord_api.submit_modal(await open_form(discord_api, photo()), ["make it night"])
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    assert "mask" not in images_api.requests[0].files
