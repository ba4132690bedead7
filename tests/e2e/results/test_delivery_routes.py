"""What Discord refuses after the provider was paid: the result still reaches the member, or is
kept for /results, and the usage row records the cost and every attempt either way."""

import asyncio

from sqlalchemy import select

from bot.db.models import KeptResult
from tests.helpers import EDIT_REPLY, delivery_of, send_imagine_of_two, usage_rows


async def delivery_becomes(bot, value: str, timeout: float = 10.0) -> bool:
    """Whether the row's delivery comes to say `value` (the bot records it after the member has the files)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        [row] = await usage_rows(bot)
        if row.delivery == value:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_too_large_for_the_guild_is_re_encoded_smaller_and_sent_again(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    images_api.noise_images = True
    discord_api.fail_next(EDIT_REPLY, 413, 40005, "Request entity too large", uploads=True)
    reply = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    sizes = [len(data) for data in reply.attachment_bytes()]
    assert len(sizes) == 2 and all(0 < size <= 2 * 1024 * 1024 for size in sizes)
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery, row.message_id) == ("ok", "delivered", int(reply.id))
    assert row.cost_usd > 0 and row.output_tokens
    assert await delivery_of(bot, row) == [("reply", "413/40005"), ("reply", "ok")]


async def test_a_reply_that_is_gone_becomes_a_channel_message_for_the_member(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    discord_api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
    await send_imagine_of_two(discord_api)
    channel = discord_api.channel_id
    [message] = await discord_api.wait_for(lambda: discord_api.channel_messages.get(channel))
    assert message.text.startswith(f"<@{discord_api.member['id']}> **Prompt:** a paid fox")
    assert message.pings == {f"user:{discord_api.member['id']}"} and message.attachment_bytes()
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery, row.message_id) == ("ok", "delivered_late", int(message.id))
    assert await delivery_of(bot, row) == [("reply", "404/10015"), ("channel", "ok")]


async def test_with_the_reply_and_the_channel_closed_the_result_goes_to_the_members_dms(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    discord_api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
    discord_api.fail_next("create_message", 403, 50013, "Missing Permissions", uploads=True)
    await send_imagine_of_two(discord_api)
    [message] = await discord_api.wait_for(lambda: discord_api.channel_messages.get(discord_api.dm_channel_id), 10)
    assert len(message.payload["attachments"]) == 2 and not message.pings
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery, row.message_id) == ("ok", "delivered_late", int(message.id))
    assert await delivery_of(bot, row) == [("reply", "404/10015"), ("channel", "403/50013"), ("dm", "ok")]
    opened = [call for call in discord_api.calls if call.operation_id == "create_dm"]
    assert [str(call.body["recipient_id"]) for call in opened] == [discord_api.member["id"]]


async def test_with_every_route_closed_the_result_is_kept_and_handed_over_by_results(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    discord_api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
    discord_api.fail_next("create_message", 403, 50013, "Missing Permissions", uploads=True)
    discord_api.closed_dm_channels.add(discord_api.dm_channel_id)  # and the member takes no DMs
    state = await send_imagine_of_two(discord_api)
    notice = await discord_api.wait_for_reply(state)
    assert notice.ephemeral and "kept for 24 hours: press the button or run /results" in notice.text
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery) == ("ok", "kept") and row.cost_usd > 0
    assert await delivery_of(bot, row) == [("reply", "404/10015"), ("channel", "403/50013"), ("dm", "403/50007")]

    other = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("results", user=discord_api.moderator)
    )
    assert other.ephemeral and other.text == "Nothing is waiting for you." and not other.attachment_bytes()
    handed = await discord_api.wait_for_reply(await discord_api.send_slash_command("results"))
    assert handed.ephemeral and len(handed.attachment_bytes()) == 2
    assert await delivery_becomes(bot, "delivered_late")
    async with bot.sessions() as session:
        assert list((await session.scalars(select(KeptResult))).all()) == []


async def test_the_button_on_the_private_notice_hands_over_the_kept_images(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    discord_api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
    discord_api.fail_next("create_message", 403, 50013, "Missing Permissions", uploads=True)
    discord_api.closed_dm_channels.add(discord_api.dm_channel_id)
    notice = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    [button] = [component for row in notice.payload["components"] for component in row["components"]]
    assert button["custom_id"] == "ib:results" and button["label"] == "Get my images"
    await usage_rows(bot, delivered=True)
    someone_else = await discord_api.click(notice, "ib:results", user=discord_api.moderator)
    assert "Nothing is waiting for you." in (await discord_api.wait_for_reply(someone_else)).text
    pressed = await discord_api.click(notice, "ib:results")
    handed = await discord_api.wait_for_reply(pressed)
    assert handed.ephemeral and handed.attachment_bytes()
    assert await delivery_becomes(bot, "delivered_late")


async def test_results_refits_the_kept_images_when_discord_says_they_are_too_large(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    images_api.noise_images = True  # images that do not compress: each about 3 MB as a PNG
    discord_api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
    discord_api.fail_next("create_message", 403, 50013, "Missing Permissions", uploads=True)
    discord_api.closed_dm_channels.add(discord_api.dm_channel_id)
    await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    await usage_rows(bot, delivered=True)
    discord_api.fail_next("execute_webhook", 413, 40005, "Request entity too large", uploads=True)
    handed = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("results", attachment_size_limit=4 * 1024 * 1024)
    )
    sent = [call for call in discord_api.calls if call.operation_id == "execute_webhook" and call.files]
    assert len(sent) == 2  # refused as too large once, then sent smaller
    assert len(handed.attachment_bytes()) == 2 and all(
        len(data) <= 2 * 1024 * 1024 for data in handed.attachment_bytes()
    )
    assert await delivery_becomes(bot, "delivered_late")
