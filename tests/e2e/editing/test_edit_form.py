"""The Edit form through the real bot: the prompt, and, both optional, a mask to upload or the
area to change as cells of a 3x3 grid (transparent in exactly those cells on the fitted image),
and, for a model that takes markup, notes drawn on the image to upload instead."""

from PIL import Image

from tests.helpers import decode, encode, markup_png, open_edit_form, usage_rows

MARKUP_MODEL = "gpt-image-2.6-flare"  # takes markup


def photo(size=(600, 300), colour="teal") -> bytes:
    return encode(Image.new("RGB", size, colour))


def form_components(menu) -> dict[str, dict]:
    return {label["component"].get("custom_id", "prompt"): label["component"] for label in menu.modal["components"]}


async def test_the_form_offers_an_optional_upload_and_an_optional_grid(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    components = form_components(await open_edit_form(discord_api, photo()))
    assert components["mask"]["type"] == 19 and components["mask"]["required"] is False
    assert "markup" not in components  # gpt-image-2 takes no markup
    grid = components["area"]
    assert grid["type"] == 22 and grid["required"] is False and (grid["min_values"], grid["max_values"]) == (0, 9)
    assert [option["label"] for option in grid["options"]] == [
        "top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right",
    ]  # fmt: skip


async def test_two_grid_cells_are_transparent_in_the_mask_and_everything_else_opaque(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    menu = await open_edit_form(discord_api, photo())
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
    menu = await open_edit_form(discord_api, photo((200, 200)))
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
    submitted = await discord_api.submit_modal(await open_edit_form(discord_api, photo()), ["make it night"])
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    assert "mask" not in images_api.requests[0].files


async def test_for_a_model_that_takes_markup_the_form_sends_the_uploaded_notes_instead_of_a_mask(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(images={"model": MARKUP_MODEL}))
    menu = await open_edit_form(discord_api, photo())
    upload = form_components(menu)["markup"]
    assert upload["type"] == 19 and upload["required"] is False and len(menu.modal["components"]) <= 5
    notes = discord_api.upload("notes.png", markup_png((600, 300), (500, 0, 600, 100)))
    submitted = await discord_api.submit_modal(menu, ["a kite where it's marked"], uploads={"markup": [notes]})
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    [request] = images_api.requests
    assert "mask" not in request.files
    markup = decode(request.files["markup"][0])
    assert markup.size == (600, 300) and markup.getpixel((550, 50))[3] == 255 and markup.getpixel((50, 250))[3] == 0
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "ok")


async def test_notes_with_an_area_of_the_grid_are_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(images={"model": MARKUP_MODEL}))
    menu = await open_edit_form(discord_api, photo())
    notes = discord_api.upload("notes.png", markup_png((600, 300), (500, 0, 600, 100)))
    submitted = await discord_api.submit_modal(menu, ["a kite"], uploads={"markup": [notes]}, checked={"area": ["2"]})
    reply = await discord_api.wait_for_reply(submitted)
    assert reply.ephemeral and "not both" in reply.text
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("edit", "invalid")
