"""Talking to an image through the real bot: replies and mentions in plain words edit the image
they point at (no words: vary it), the result is a regular message that replies to the member,
and replying to it goes on from there."""

import asyncio
import io

from PIL import Image

from bot.clock import utcnow
from bot.db.safety import block_member
from bot.flow.answers import missing_permissions
from tests.helpers import answer_to, settings, usage_rows
from tests.standins.discord_data import ChannelOption, UserOption, user_payload
from tests.standins.discord_messages import ATTACH_FILES, READ_MESSAGE_HISTORY, SEND_MESSAGES
from tests.standins.images_rules import make_png


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


async def imagine(discord_api, *, user=None, **options):
    state = await discord_api.send_slash_command("imagine", {"prompt": "a harbour", **options}, user=user)
    return await discord_api.wait_for_reply(state)


def png(width: int, height: int) -> bytes:
    return make_png(width, height, f"photo {width}x{height}")


async def test_a_mention_in_a_reply_to_a_result_edits_that_image_and_the_chain_goes_on(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api)
    # A slash command's result is an interaction response: a reply to it needs the mention.
    asked = await discord_api.send_member_message("make it night", reply_to=result, mention_bot=True)
    first = await answer_to(discord_api, asked)
    edit = images_api.requests[-1]
    assert edit.operation == "/v1/images/edits" and edit.fields["prompt"] == "make it night"
    assert pixels(edit.files["image"][0]) == pixels(result.attachment_bytes()[0])
    assert len(first.attachment_bytes()) == 1 and "make it night" in first.text and not first.pings

    # A plain reply to the bot's own message, ping on reply kept: no mention needed.
    again = await discord_api.send_member_message("add a moon", reply_to=first)
    second = await answer_to(discord_api, again)
    assert images_api.requests[-1].fields["prompt"] == "add a moon"
    assert pixels(images_api.requests[-1].files["image"][0]) == pixels(first.attachment_bytes()[0])
    rows = await usage_rows(bot, 3, delivered=True)
    assert [(row.command, row.via, row.prompt) for row in rows] == [
        ("imagine", None, "a harbour"),
        ("reply", "reply", "make it night"),
        ("reply", "reply", "add a moon"),
    ]
    assert [row.parent_id for row in rows] == [None, rows[0].id, rows[1].id]
    assert rows[2].message_id == int(second.id)
    assert second.components  # the same buttons as any result


async def test_a_mention_without_words_makes_a_variation(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    result = await imagine(discord_api)
    await answer_to(discord_api, await discord_api.send_member_message("", reply_to=result, mention_bot=True))
    assert "variation" in images_api.requests[-1].fields["prompt"]
    [_, row] = await usage_rows(bot, 2, delivered=True)
    assert (row.command, row.prompt, row.status) == ("reply", None, "ok")


async def test_an_image_attached_to_a_mention_is_edited(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    photo = png(96, 64)
    asked = await discord_api.send_member_message(
        "make it blue", mention_bot=True, attachments=[("cat.png", photo, "image/png")]
    )
    assert (await answer_to(discord_api, asked)).attachment_bytes()
    [edit] = images_api.requests
    assert edit.fields["prompt"] == "make it blue" and Image.open(io.BytesIO(edit.files["image"][0])).size == (96, 64)


async def test_a_number_picks_the_image_of_a_result_of_several(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    result = await imagine(discord_api, n=2)
    asked = await discord_api.send_member_message("2: make it night", reply_to=result, mention_bot=True)
    await answer_to(discord_api, asked)
    edit = images_api.requests[-1]
    assert edit.fields["prompt"] == "make it night"
    assert pixels(edit.files["image"][0]) == pixels(result.attachment_bytes()[1])


async def test_in_the_bots_dms_no_mention_is_needed(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    asked = await discord_api.send_member_message(
        "make it night", place="dm", attachments=[("cat.png", png(64, 64), "image/png")]
    )
    assert (await answer_to(discord_api, asked)).attachment_bytes()
    [row] = await usage_rows(bot, delivered=True)
    assert (row.guild_id, row.command, row.status) == (None, "reply", "ok")


async def test_another_members_photo_needs_the_intent(make_config, start_bot, discord_api, images_api):
    """Without MESSAGE_CONTENT, Discord blanks another member's attachments: the bot says what works
    instead and asks nothing of the provider. With it, the photo is edited."""
    other = user_payload("4244", "photographer")
    bot = await start_bot(make_config())
    photo = await discord_api.send_member_message(
        "my cat", user=other, attachments=[("cat.png", png(64, 64), "image/png")]
    )
    asked = await discord_api.send_member_message("make it night", reply_to=photo, mention_bot=True)
    refusal = await answer_to(discord_api, asked, done=False)
    assert "Apps → Edit image" in refusal.text and refusal.pings == {f"user:{discord_api.member['id']}"}
    assert not images_api.requests
    [row] = await usage_rows(bot)
    assert (row.command, row.status) == ("reply", "invalid")
    await bot.close()

    await start_bot(make_config(discord={"message_content": True}))
    asked = await discord_api.send_member_message("make it night", reply_to=photo, mention_bot=True)
    assert (await answer_to(discord_api, asked)).attachment_bytes()
    assert images_api.requests[-1].fields["prompt"] == "make it night"


async def test_messages_not_for_the_bot_cost_no_rest_call(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    before = len(discord_api.calls)
    await discord_api.send_member_message("hello everyone")
    other = user_payload("4245", "someone")
    said = await discord_api.send_member_message("nice", user=other)
    await discord_api.send_member_message("a reply between members", reply_to=said)
    robot = user_payload("4246", "another-bot", bot=True)
    await discord_api.send_member_message("beep", user=robot, mention_bot=True)
    await discord_api.send_member_message("hook", webhook=True, mention_bot=True)
    sentinel = await discord_api.send_member_message("", mention_bot=True)  # answered: the last one
    await answer_to(discord_api, sentinel, done=False)
    calls = [call.operation_id for call in discord_api.calls[before:]]
    assert calls == ["create_message"]  # only the answer to the sentinel: "attach an image..."


async def test_a_refused_reply_is_short_private_to_its_author_and_logged(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    await settings(discord_api, "block", {"action": "add", "member": UserOption(discord_api.member)})
    result_owner = user_payload("4247", "painter")
    result = await imagine(discord_api, user=result_owner)
    asked = await discord_api.send_member_message("make it night", reply_to=result, mention_bot=True)

    await discord_api.wait_for(lambda: any("blocked you" in answer.text for answer in replies_to(discord_api, asked)))
    [refusal] = replies_to(discord_api, asked)  # the refusal alone: no "in the queue" status came before it
    assert "blocked you" in refusal.text and len(refusal.text) < 300
    assert refusal.pings == {f"user:{discord_api.member['id']}"}
    rows = await usage_rows(bot, 2)
    assert [(row.command, row.status) for row in rows] == [("imagine", "ok"), ("reply", "blocked")]
    assert len(images_api.requests) == 1


def replies_to(discord_api, message) -> list:
    """The messages in the general channel that reply to `message`."""
    listing = discord_api.channel_messages.get(discord_api.channel_id, [])
    return [m for m in listing if (m.payload.get("message_reference") or {}).get("message_id") == message.id]


async def refusal_calls(discord_api, text: str, reply_to, says: str) -> list[str]:
    """The Discord REST calls the bot makes for the member's reply `text` until it answers with
    `says` (a refusal: the last thing it sends)."""
    before = len(discord_api.calls)
    asked = await discord_api.send_member_message(text, reply_to=reply_to, mention_bot=True)
    await discord_api.wait_for(lambda: any(says in answer.text for answer in replies_to(discord_api, asked)))
    return [call.operation_id for call in discord_api.calls[before:]]


async def test_a_member_blocked_for_good_costs_one_rest_call_a_reply(make_config, start_bot, discord_api, images_api):
    """Each reply of a blocked member gets its refusal, and nothing else: no status posted and
    deleted first."""
    bot = await start_bot(make_config())
    result = await imagine(discord_api, user=user_payload("4247", "painter"))
    async with bot.sessions() as session:
        guild, member = int(discord_api.guild_id), int(discord_api.member["id"])
        await block_member(session, guild, member, until=None, reason="moderator", blocked_by=1, now=utcnow())
        await session.commit()
    for text in ("make it night", "make it day", ""):
        assert await refusal_calls(discord_api, text, result, "blocked you") == ["create_message"]
    rows = await usage_rows(bot, 4)
    assert [(row.command, row.status) for row in rows] == [("imagine", "ok")] + [("reply", "blocked")] * 3
    assert len(images_api.requests) == 1


async def test_a_filtered_word_a_cooldown_and_another_channel_cost_one_rest_call_a_reply(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api)
    await settings(discord_api, "filter-add", {"pattern": "dragon"})
    assert await refusal_calls(discord_api, "add a dragon", result, "word filter") == ["create_message"]
    await settings(discord_api, "limits", {"cooldown_seconds": 3600})
    assert await refusal_calls(discord_api, "add a moon", result, "Slow down") == ["create_message"]
    await settings(discord_api, "channels", {"action": "add", "channel": ChannelOption(discord_api.art_channel_id)})
    assert await refusal_calls(discord_api, "add a moon", result, "This bot works in") == ["create_message"]
    rows = await usage_rows(bot, 4)
    assert [row.status for row in rows] == ["ok", "filtered", "limited", "invalid"]
    assert len(images_api.requests) == 1


async def test_a_chain_of_three_edits_goes_on_across_a_restart(make_config, start_bot, discord_api, images_api):
    config = make_config()
    bot = await start_bot(config)
    photo = await discord_api.send_member_message(
        "a lighthouse", mention_bot=True, attachments=[("l.png", png(80, 80), "image/png")]
    )
    first = await answer_to(discord_api, photo)
    await usage_rows(bot, delivered=True)
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())

    bot = await start_bot(config)
    second = await answer_to(discord_api, await discord_api.send_member_message("add fog", reply_to=first))
    third = await answer_to(discord_api, await discord_api.send_member_message("add a ship", reply_to=second))
    prompts = [request.fields["prompt"] for request in images_api.requests]
    assert prompts == ["a lighthouse", "add fog", "add a ship"]
    assert pixels(images_api.requests[2].files["image"][0]) == pixels(second.attachment_bytes()[0])
    rows = await usage_rows(bot, 3, delivered=True)
    assert [row.parent_id for row in rows] == [None, rows[0].id, rows[1].id]
    assert rows[2].message_id == int(third.id)


async def test_history_shows_a_chain_as_one_entry_with_its_steps(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await imagine(discord_api)
    photo = await discord_api.send_member_message(
        "a lighthouse", mention_bot=True, attachments=[("l.png", png(80, 80), "image/png")]
    )
    first = await answer_to(discord_api, photo)
    second = await answer_to(discord_api, await discord_api.send_member_message("add fog", reply_to=first))
    await usage_rows(bot, 3, delivered=True)
    page = await discord_api.wait_for_reply(await discord_api.send_slash_command("history"))
    lines = [line for line in page.text.splitlines() if line.startswith("**")]
    entries = [line for line in lines if line[2].isdigit()]
    assert len(entries) == 2
    assert entries[0].startswith("**1.** a lighthouse → add fog") and second.id in entries[0]
    assert entries[1].startswith("**2.** a harbour")


async def deny_bot(bot, discord_api, permissions: int) -> None:
    """Take `permissions` from the bot in the general channel, and wait for its cache to know."""
    updated = asyncio.ensure_future(bot.wait_for("guild_channel_update", timeout=10))
    await discord_api.deny_bot(discord_api.channel_id, permissions)
    await updated
    assert missing_permissions(bot.get_channel(int(discord_api.channel_id)))


def dm_messages(discord_api):
    return discord_api.channel_messages.get(discord_api.dm_channel_id, [])


async def test_where_the_bot_may_not_attach_files_it_answers_in_dms_and_logs_why(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(make_config())
    await deny_bot(bot, discord_api, ATTACH_FILES)
    before = len(discord_api.calls)
    await discord_api.send_member_message(
        "make it blue", mention_bot=True, attachments=[("cat.png", png(64, 64), "image/png")]
    )
    await discord_api.wait_for(lambda: any(m.payload["attachments"] for m in dm_messages(discord_api)))
    why, result = dm_messages(discord_api)
    assert f"<#{discord_api.channel_id}>" in why.text and "Attach Files" in why.text
    assert result.attachment_bytes() and not why.pings and not result.pings
    # Not even tried in the channel: the gateway's cache said the bot may not.
    assert all(discord_api.channel_id not in call.path for call in discord_api.calls[before:])
    assert "the bot lacks Attach Files there" in caplog.text
    [row] = await usage_rows(bot, delivered=True)
    assert (row.command, row.status, row.delivery, row.message_id) == ("reply", "ok", "delivered", int(result.id))

    # The chain goes on in the DMs, with no mention needed there.
    await answer_to(discord_api, await discord_api.send_member_message("add a moon", place="dm", reply_to=result))
    rows = await usage_rows(bot, 2, delivered=True)
    assert rows[1].parent_id == rows[0].id


async def test_a_permission_taken_while_the_job_runs_sends_the_result_to_dms(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(make_config())
    images_api.gate = asyncio.Event()
    asked = await discord_api.send_member_message(
        "make it blue", mention_bot=True, attachments=[("cat.png", png(64, 64), "image/png")]
    )
    status = await answer_to(discord_api, asked, done=False)  # "in the queue", in the channel
    await images_api.wait_for_requests(1)
    await deny_bot(bot, discord_api, ATTACH_FILES)
    images_api.gate.set()
    await discord_api.wait_for(lambda: any(m.payload["attachments"] for m in dm_messages(discord_api)))
    [result] = dm_messages(discord_api)
    assert result.text.startswith(f"I couldn't post this in <#{discord_api.channel_id}>: I lack the Attach Files")
    assert not discord_api.messages[status.id].payload["attachments"]
    assert "the bot lacks Attach Files in channel" in caplog.text
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery, row.cost_usd > 0) == ("ok", "delivered_late", True)


async def test_with_no_channel_and_no_dms_nothing_is_made_and_the_log_says_why(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(make_config())
    discord_api.closed_dm_channels.add(discord_api.dm_channel_id)
    await deny_bot(bot, discord_api, SEND_MESSAGES | READ_MESSAGE_HISTORY)
    await discord_api.send_member_message(
        "make it blue", mention_bot=True, attachments=[("cat.png", png(64, 64), "image/png")]
    )
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code) == ("invalid", "missing_permission")
    # Discord takes Attach Files away with Send Messages: the bot names all it lacks.
    assert "Send Messages, Attach Files, Read Message History" in row.error_detail
    assert "the bot lacks Send Messages, Attach Files, Read Message History there" in caplog.text
    assert "does not take DMs either" in caplog.text
    assert not images_api.requests and not discord_api.channel_messages.get(discord_api.channel_id)
