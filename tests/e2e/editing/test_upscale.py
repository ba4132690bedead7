"""Upscale through the real bot: the result's image edited at twice its size, up to the model's
largest with its shape kept, with high input fidelity; none on an image already at the largest
or on a model without custom sizes; a picker on several images; after a restart; and only where
the member may act on the result."""

from bot.flow.intake import UPSCALE_PROMPT
from tests.helpers import button_ids, decode, imagine, usage_rows

OTHER_GUILD = "777000000000000001"


def dimensions(data: bytes) -> str:
    image = decode(data)
    return f"{image.width}x{image.height}"


async def upscaled(discord_api, result, custom_id: str):
    return await discord_api.wait_for_reply(await discord_api.click(result, custom_id))


async def test_upscale_doubles_the_image_then_stops_at_the_models_largest(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, size="1024x1024", quality="medium")
    [row] = await usage_rows(bot)
    double = await upscaled(discord_api, result, f"ib:upscale:{row.id}:0")
    sent = images_api.requests[-1]
    assert sent.operation == "/v1/images/edits"
    assert (sent.fields["size"], sent.fields["input_fidelity"], sent.fields["model"], sent.fields["quality"]) == (
        "2048x2048",
        "high",
        "gpt-image-2",
        "medium",
    )
    assert sent.fields["prompt"] == UPSCALE_PROMPT and sent.fields["n"] == 1
    [given] = sent.files["image"]
    assert decode(given).tobytes() == decode(result.attachment_bytes()[0]).tobytes()  # the result's own image
    assert [dimensions(data) for data in double.attachment_bytes()] == ["2048x2048"]
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].command, rows[1].parent_id, rows[1].size, rows[1].status) == ("upscale", row.id, "2048x2048", "ok")

    largest = await upscaled(discord_api, double, f"ib:upscale:{rows[1].id}:0")
    assert images_api.requests[-1].fields["size"] == "2160x2160"  # the largest square within 3840x2160
    assert [dimensions(data) for data in largest.attachment_bytes()] == ["2160x2160"]
    rows = await usage_rows(bot, 3, delivered=True)
    assert (rows[2].command, rows[2].parent_id) == ("upscale", rows[1].id)
    assert not any(action.startswith("ib:upscale") for action in button_ids(largest))


async def test_no_upscale_at_the_largest_size_or_on_a_model_without_custom_sizes(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    wide = await imagine(discord_api, size="3840x2160")
    listed = await imagine(discord_api, model="gpt-image-1-mini", size="1024x1024")
    several = await imagine(discord_api, model="gpt-image-1-mini", n=3)
    rows = await usage_rows(bot, 3, delivered=True)
    assert [dimensions(data) for data in wide.attachment_bytes()] == ["3840x2160"]
    for result in (wide, listed, several):
        assert not any("upscale" in custom_id for custom_id in button_ids(result))
    assert f"ib:z2:{rows[0].id}:0" in button_ids(wide)


async def test_on_several_images_the_picker_upscales_the_one_chosen(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, size="1536x1024", n=3)
    [row] = await usage_rows(bot)
    picker = await discord_api.wait_for_reply(await discord_api.click(result, f"ib:pickupscale:{row.id}"))
    [menu] = [child for action_row in picker.payload["components"] for child in action_row["components"]]
    assert [(option["label"], option["value"]) for option in menu["options"]] == [
        ("1 · Upscale", "0:upscale"),
        ("2 · Upscale", "1:upscale"),
        ("3 · Upscale", "2:upscale"),
    ]
    reply = await discord_api.wait_for_reply(await discord_api.choose(picker, menu["custom_id"], ["1:upscale"]))
    assert [dimensions(data) for data in reply.attachment_bytes()] == ["3072x2048"]
    sent = images_api.requests[-1]
    assert sent.fields["size"] == "3072x2048"
    assert decode(sent.files["image"][0]).tobytes() == decode(result.attachment_bytes()[1]).tobytes()
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].command, rows[1].parent_id) == ("upscale", row.id)


async def test_ten_drafts_carry_every_picker_within_discords_forty_components(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(make_config())
    result = await imagine(discord_api, n=10, draft=True)
    top = result.payload["components"]
    rows = [[child["custom_id"].split(":")[1] for child in row["components"]] for row in top[2:]]
    assert rows[-2:] == [["reroll", "remix", "delete", "reframe", "pickupscale"], ["pickenhance"]]
    assert 2 + sum(1 + len(row) for row in rows) == 34


async def test_upscale_works_after_a_restart_and_only_where_the_result_is(
    make_config, start_bot, discord_api, images_api
):
    config = make_config()
    bot = await start_bot(config)
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())
    restarted = await start_bot(config)

    elsewhere = await discord_api.click(result, f"ib:upscale:{row.id}:0", guild_id=OTHER_GUILD)
    refused = await discord_api.wait_for_reply(elsewhere)
    assert refused.ephemeral and "can't be upscaled" in refused.text and len(images_api.requests) == 1

    reply = await upscaled(discord_api, result, f"ib:upscale:{row.id}:0")
    assert [dimensions(data) for data in reply.attachment_bytes()] == ["2048x2048"]
    rows = await usage_rows(restarted, 3, delivered=True)
    assert [(r.command, r.parent_id, r.status) for r in rows] == [
        ("imagine", None, "ok"),
        ("upscale", None, "invalid"),
        ("upscale", row.id, "ok"),
    ]
