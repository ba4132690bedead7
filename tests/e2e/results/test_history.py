"""/history end to end: a member's latest results here, 10 a page, privately, as one Components
V2 message with previews, prompts, links, Reroll and Vary; capped at 50; separate for personal
use; following /forget-me and prompt retention."""

from datetime import timedelta

from sqlalchemy import select

from bot.clock import utcnow
from bot.db.models import ResultPreview, UsageRecord
from tests.helpers import button_ids, decode, settings, usage_rows


async def imagine(discord_api, prompt: str, n: int = 1, **where):
    state = await discord_api.send_slash_command("imagine", {"prompt": prompt, "n": n}, **where)
    return await discord_api.wait_for_reply(state)


async def turn(discord_api, page, custom_id):
    """Press Newer or Older: the page is replaced in place."""
    state = await discord_api.click(page, custom_id)
    await discord_api.wait_for(lambda: len(state.original.history) > len(page.history))
    return state.original


async def history(discord_api, **options):
    return await discord_api.wait_for_reply(await discord_api.send_slash_command("history", {}, **options))


async def test_history_pages_through_the_members_results_with_previews(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    results = [
        await imagine(discord_api, f"fox number {number}", **({"n": 3} if number == 11 else {})) for number in range(12)
    ]
    await imagine(discord_api, "someone else's fox", user=discord_api.moderator)
    rows = await usage_rows(bot, 13, delivered=True)
    first = await history(discord_api)
    assert first.ephemeral and first.payload["flags"] & 1 << 15
    assert "page 1 of 2" in first.text
    assert first.text.index("fox number 11") < first.text.index("fox number 2") and "fox number 1 " not in first.text
    assert "someone else" not in first.text
    assert (
        f"https://discord.com/channels/{discord_api.guild_id}/{discord_api.channel_id}/{results[11].id}" in first.text
    )
    [gallery] = [component for component in first.components if component["type"] == 12]
    assert len(gallery["items"]) == 10 and len(first.attachment_bytes()) == 10
    sheet = decode(first.attachment_bytes()[0])  # the newest: three images side by side
    assert sheet.width == 480 and sheet.height < sheet.width / 2
    ids = button_ids(first)
    assert ids[:2] == [f"ib:reroll:{rows[11].id}", f"ib:reroll:{rows[10].id}"] and f"ib:hvary:{rows[2].id}" in ids
    member = discord_api.member["id"]
    assert ids[-2:] == [f"ib:pg:h:{member}:0:n:", f"ib:pg:h:{member}:10:o:"]

    older = await turn(discord_api, first, f"ib:pg:h:{member}:10:o:")
    assert older.id == first.id and "page 2 of 2" in older.text and "fox number 0" in older.text
    assert len(older.attachment_bytes()) == 2

    reroll = await discord_api.wait_for_reply(await discord_api.click(older, f"ib:reroll:{rows[0].id}"))
    assert reroll.attachment_bytes() and images_api.requests[-1].fields["prompt"] == "fox number 0"
    varied = await discord_api.wait_for_reply(await discord_api.click(older, f"ib:hvary:{rows[1].id}"))
    assert varied.attachment_bytes()
    sent = decode(images_api.requests[-1].files["image"][0])
    assert sent.getpixel((0, 0)) == decode(results[1].attachment_bytes()[0]).getpixel((0, 0))


async def test_history_keeps_the_latest_fifty(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    member = int(discord_api.member["id"])
    async with bot.sessions() as session:
        for number in range(55):
            session.add(
                UsageRecord(
                    guild_id=int(discord_api.guild_id),
                    channel_id=int(discord_api.channel_id),
                    user_id=member,
                    command="imagine",
                    status="ok",
                    n=1,
                    prompt=f"old fox {number}",
                    message_id=number + 1,
                    image_count=1,
                )
            )
        await session.commit()
    first = await history(discord_api)
    assert "page 1 of 5" in first.text and "old fox 54" in first.text
    assert not [component for component in first.components if component["type"] == 12]  # no previews kept
    last = first
    for page in range(1, 5):
        last = await turn(discord_api, last, f"ib:pg:h:{member}:{page * 10}:o:")
    assert "page 5 of 5" in last.text and "old fox 5 " in last.text and "old fox 4 " not in last.text


async def test_personal_history_is_its_own_and_forget_me_and_retention_are_followed(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    await imagine(discord_api, "a guild fox")
    hidden = await discord_api.send_slash_command("imagine", {"prompt": "a private fox", "spoiler": True}, place="dm")
    await discord_api.wait_for_reply(hidden)
    await usage_rows(bot, 2, delivered=True)  # a result is in the history once its delivery is recorded
    personal = await history(discord_api, place="dm")
    assert "a private fox" in personal.text and "a guild fox" not in personal.text
    [item] = next(component for component in personal.components if component["type"] == 12)["items"]
    assert item["spoiler"] and personal.payload["attachments"][0]["filename"].startswith("SPOILER_")
    assert f"https://discord.com/channels/@me/{discord_api.dm_channel_id}/" in personal.text

    await settings(discord_api, "retention", {"days": 1})
    async with bot.sessions() as session:
        [row] = (await session.scalars(select(UsageRecord).where(UsageRecord.guild_id.is_not(None)))).all()
        row.created_at = utcnow() - timedelta(days=2)
        await session.commit()
    await bot.parts.retention.prune()
    guild = await history(discord_api)
    assert "(prompt removed)" in guild.text and "reroll" not in " ".join(button_ids(guild))
    assert not guild.attachment_bytes()  # its preview went with its prompt

    await discord_api.wait_for_reply(await discord_api.send_slash_command("forget-me", {}, place="dm"))
    gone = await history(discord_api, place="dm")
    assert gone.ephemeral and "no results here yet" in gone.text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(ResultPreview))).all()


async def test_a_preview_is_made_when_first_shown_even_after_its_links_expired(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, "an old fox")
    [row] = await usage_rows(bot, delivered=True)
    async with bot.sessions() as session:
        [preview] = (await session.scalars(select(ResultPreview))).all()
        assert preview.data is None  # nothing decoded as the result was delivered
        preview.image_urls = [url.rsplit("/", 2)[0] + "/1/expired.png" for url in preview.image_urls]
        await session.commit()  # the links Discord gave have expired
    reads = len([call for call in discord_api.calls if call.operation_id == "get_message"])
    page = await history(discord_api)
    assert [call.operation_id for call in discord_api.calls].count("get_message") == reads + 1  # read again, once
    [sheet] = page.attachment_bytes()
    made, original = decode(sheet).convert("RGB"), decode(result.attachment_bytes()[0]).convert("RGB")
    middle = made.getpixel((240, 240)), original.getpixel((512, 512))
    assert max(abs(a - b) for a, b in zip(*middle, strict=True)) < 16  # the result's image, made small
    again = await history(discord_api)
    assert again.attachment_bytes() == [sheet]
    assert [call.operation_id for call in discord_api.calls].count("get_message") == reads + 1  # kept: no more reads
    async with bot.sessions() as session:
        assert (await session.get(ResultPreview, row.id)).data == sheet


async def test_a_result_the_bot_cannot_read_again_is_listed_without_a_preview(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    await imagine(discord_api, "a fox abroad", place="foreign")
    await usage_rows(bot, delivered=True)
    async with bot.sessions() as session:
        [preview] = (await session.scalars(select(ResultPreview))).all()
        preview.image_urls = ["https://cdn.discordapp.com/attachments/1/2/gone.png"]
        await session.commit()
    page = await history(discord_api, place="foreign")
    assert "a fox abroad" in page.text and not page.attachment_bytes()
