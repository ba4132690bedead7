"""/vary and "Vary image" end to end."""

from PIL import Image

from tests.helpers import decode, encode, usage_rows


async def test_vary_with_a_gpt_image_model_is_an_edit_with_high_fidelity(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    image = discord_api.upload("tall.webp", encode(Image.new("RGB", (300, 500), "orange"), "WEBP"))
    state = await discord_api.send_slash_command("vary", {"image": image, "n": 2})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 2
    assert "variation" not in reply.text.lower().split("-#")[0]
    [request] = images_api.requests
    assert request.operation == "/v1/images/edits" and request.fields["input_fidelity"] == "high"
    assert decode(request.files["image"][0]).size == (300, 500)
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.image_count) == ("vary", "ok", 2)


async def test_vary_with_dalle2_uses_the_variations_endpoint(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    image = discord_api.upload("photo.gif", encode(Image.new("P", (700, 400), 5), "GIF"))
    state = await discord_api.send_slash_command("vary", {"image": image, "model": "dall-e-2", "n": 3})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 3
    [request] = images_api.requests
    assert request.operation == "/v1/images/variations" and request.fields["response_format"] == "b64_json"
    sent = decode(request.files["image"][0])
    assert sent.format == "PNG" and sent.size == (256, 256)


async def test_vary_image_message_command_runs_at_once(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    message = discord_api.post_message(
        [
            discord_api.upload("notes.txt", b"words", "text/plain"),
            discord_api.upload("cat.bmp", encode(Image.new("RGB", (64, 64)), "BMP")),
        ]
    )
    state = await discord_api.send_message_command("Vary image", message)
    reply = await discord_api.wait_for_reply(state)
    assert state.callback_type == 5 and reply.attachment_bytes()
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("vary", "ok")
