"""/describe and "Describe image" end to end: the image to the chat stand-in as a data URL, four
prompts back with Imagine buttons that run /imagine, after a restart too; billing from tokens;
the refusals."""

import base64
import io

import pytest
from PIL import Image

from tests.helpers import encode, usage_rows
from tests.standins.discord_data import StoredMessage


def picture(colour, size=(600, 400)) -> bytes:
    return encode(Image.new("RGB", size, colour), "PNG")


async def described(discord_api, state):
    """The description's message, once it carries its buttons, or the failure that came instead."""
    await discord_api.wait_for(
        lambda: state.followups or (state.original is not None and state.original.payload["components"])
    )
    return state.followups[-1] if state.followups else state.original


def imagine_buttons(message) -> list[str]:
    return [c["custom_id"] for c in message.components if c.get("custom_id", "").startswith("ib:imagine:")]


async def test_describe_sends_the_image_as_a_data_url_and_answers_four_prompts(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "describe", {"image": discord_api.upload("red.png", picture((200, 30, 30), (2000, 1000)))}
    )
    message = await described(discord_api, state)
    [chat] = images_api.chat_requests
    assert chat.body["model"] == "gpt-5.4-mini" and chat.authorization == f"Bearer {images_api.api_key}"
    assert chat.image_url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(chat.image_url.split(",", 1)[1])))
    assert sent.size == (1024, 512)  # fitted, its longer edge at most 1024
    assert chat.body["response_format"]["type"] == "json_schema"
    assert images_api.requests == []  # no image was made
    assert not message.ephemeral
    for prompt in (
        "A wide abstract painting in red tones",
        "A minimalist red poster, flat colour, wide format",
        "A red photograph of a calm surface, soft light",
        "An oil painting dominated by red, thick brushstrokes",
    ):
        assert prompt in message.text
    assert [c["label"] for c in message.components if c.get("custom_id", "").startswith("ib:imagine:")] == [
        "Imagine 1",
        "Imagine 2",
        "Imagine 3",
        "Imagine 4",
    ]
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.model, row.image_count) == ("describe", "ok", "gpt-5.4-mini", 0)
    assert row.input_tokens > 255 and row.output_tokens > 0
    assert row.cost_usd == pytest.approx((row.input_tokens * 0.75 + row.output_tokens * 4.5) / 1_000_000)
    assert row.reserved_usd == 0 and row.reserved_images == 0


async def test_imagine_2_runs_the_second_prompt_after_a_restart(make_config, start_bot, discord_api, images_api):
    config = make_config()
    bot = await start_bot(config)
    state = await discord_api.send_slash_command(
        "describe", {"image": discord_api.upload("blue.png", picture((30, 60, 200), (300, 500)))}
    )
    message = await described(discord_api, state)
    buttons = imagine_buttons(message)
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())
    bot = await start_bot(config)

    pressed = await discord_api.click(message, buttons[1], user=discord_api.moderator)
    result = await discord_api.wait_for_reply(pressed)
    assert result.attachment_bytes()
    [made] = images_api.requests
    assert made.operation == "/v1/images/generations"
    assert made.fields["prompt"] == "A minimalist blue poster, flat colour, tall format"
    rows = await usage_rows(bot, 2)
    assert [(row.command, row.status) for row in rows] == [("describe", "ok"), ("imagine", "ok")]
    assert rows[1].user_id != rows[0].user_id  # anyone where it was posted may press it; the request is theirs


async def test_the_describe_image_menu_describes_a_messages_first_image(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    message = discord_api.post_message([discord_api.upload("green.png", picture((30, 160, 60)))])
    state = await discord_api.send_message_command("Describe image", message)
    answer = await described(discord_api, state)
    assert "A wide abstract painting in green tones" in answer.text and len(imagine_buttons(answer)) == 4
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("describe", "ok")


async def test_no_describe_command_when_the_model_is_empty(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config(describe={"model": ""}))
    names = {command["name"] for command in discord_api.commands[None]}
    assert "describe" not in names and "Describe image" not in names
    assert {"imagine", "blend", "Edit image"} <= names


async def test_a_server_without_the_chat_endpoint_gets_one_clear_line(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    images_api.chat_answer = "missing"
    state = await discord_api.send_slash_command("describe", {"image": discord_api.upload("a.png", picture("red"))})
    reply = await described(discord_api, state)
    assert reply.ephemeral
    assert reply.text == "This bot's image service has no chat endpoint, so it can't describe images."
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.error_code) == ("describe", "failed", "unavailable")
    assert row.reserved_usd == 0 and not row.cost_usd


async def test_an_answer_that_is_not_json_fails_clearly_with_one_row(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    images_api.chat_answer = "not_json"
    state = await discord_api.send_slash_command("describe", {"image": discord_api.upload("a.png", picture("red"))})
    reply = await described(discord_api, state)
    assert reply.ephemeral and reply.text == "The description model did not answer with prompts. Please try again."
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.error_code) == ("describe", "failed", "unusable_answer")
    assert row.cost_usd > 0  # the tokens were spent


async def test_a_flagged_image_is_never_described(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(moderation={"enabled": True}))
    images_api.moderation.colours.append(((200, 30, 30), ("violence",)))
    state = await discord_api.send_slash_command(
        "describe", {"image": discord_api.upload("a.png", picture((200, 30, 30)))}
    )
    reply = await described(discord_api, state)
    assert reply.ephemeral and "safety check flagged" in reply.text
    assert images_api.chat_requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("describe", "flagged")


async def test_a_forged_imagine_button_acts_only_where_its_description_was_posted(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "describe", {"image": discord_api.upload("r.png", picture((200, 30, 30)))}
    )
    [first, *_] = imagine_buttons(await described(discord_api, state))
    message = await described(discord_api, state)
    elsewhere = StoredMessage(payload={**message.payload, "channel_id": discord_api.nsfw_channel_id})
    refused = await discord_api.wait_for_reply(await discord_api.click(elsewhere, first))
    assert "That description is gone" in refused.text and refused.ephemeral
    assert not images_api.requests


async def test_imagine_works_at_once_too(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "describe", {"image": discord_api.upload("g.png", picture((30, 160, 60)))}
    )
    message = await described(discord_api, state)
    pressed = await discord_api.click(message, imagine_buttons(message)[0])
    assert (await discord_api.wait_for_reply(pressed)).attachment_bytes()
