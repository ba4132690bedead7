"""Safe to run in a public server, through the real bot: word filters, screening before any paid
call, the provider's moderation level in age-restricted channels, strikes, and moderators acting
on a notice."""

import io
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import select, update

from bot.clock import utcnow
from bot.db.models import KeptResult, MemberBlock, SettingsChange
from tests.helpers import BYPASSES, settings, usage_rows
from tests.standins.discord_data import ChannelOption, UserOption
from tests.standins.images_rules import make_png

SCREENED = {"moderation": {"enabled": True}}
RED = (220, 20, 20)


async def imagine(discord_api, prompt: str, **kwargs):
    return await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": prompt}, **kwargs)
    )


async def with_alerts(discord_api) -> None:
    await settings(discord_api, "alerts", {"channel": ChannelOption(discord_api.alerts_channel_id)})


def notices(discord_api):
    return discord_api.channel_messages.get(discord_api.alerts_channel_id, [])


def buttons(message) -> list[str]:
    return [component["custom_id"] for component in message.components if component["type"] == 2]


def solid_png(colour: tuple[int, int, int], size: int = 96) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_flagged_prompt_is_refused_privately_without_a_paid_call_and_moderators_hear(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    await with_alerts(discord_api)
    images_api.moderation.words["knife fight"] = ("violence",)
    refused = await imagine(discord_api, "a knife fight in an alley")
    assert refused.ephemeral and "flagged this request (violence)" in refused.text
    assert not images_api.requests  # no paid call
    [moderated] = images_api.moderation_requests
    assert moderated["model"] == "omni-moderation-latest"
    assert moderated["input"] == [{"type": "text", "text": "a knife fight in an alley"}]
    [row] = await usage_rows(bot)
    assert (row.status, row.flags, row.screened, row.cost_usd) == ("flagged", "violence", True, None)
    await discord_api.wait_for(lambda: notices(discord_api))
    [notice] = notices(discord_api)
    assert f"<@{discord_api.member['id']}>" in notice.text and "violence" in notice.text
    assert "a knife fight in an alley" in notice.text and not notice.pings
    assert f"https://discord.com/channels/{discord_api.guild_id}/{discord_api.channel_id}" in notice.text
    assert buttons(notice) == [f"ib:flag:{action}:{row.id}" for action in ("b1", "b7", "bf", "dismiss")]

    served = await imagine(discord_api, "a quiet alley")
    assert served.attachment_bytes() and len(images_api.moderation_requests) == 2
    assert (await usage_rows(bot, 2))[1].screened is True


async def test_a_flagged_input_image_is_refused_and_each_image_is_screened_on_its_own(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    images_api.moderation.colours.append((RED, ("violence", "violence/graphic")))
    photo = discord_api.upload("red.png", solid_png(RED))
    calm = discord_api.upload("calm.png", make_png(96, 96, "a meadow"))
    state = await discord_api.send_slash_command(
        "edit", {"image": calm, "prompt": "add more of it", "reference_1": photo}
    )
    refused = await discord_api.wait_for_reply(state)
    assert "flagged this request (violence, violence/graphic)" in refused.text
    assert not images_api.requests
    inputs = [request["input"] for request in images_api.moderation_requests]
    assert sorted(item[0]["type"] for item in inputs) == ["image_url", "image_url", "text"]
    assert all(len(items) == 1 for items in inputs)  # one image a request: the live API takes no more
    assert all(
        item[0]["image_url"]["url"].startswith("data:image/jpeg;base64,") for item in inputs if "image_url" in item[0]
    )
    [row] = await usage_rows(bot)
    assert (row.status, row.flags) == ("flagged", "violence,violence/graphic")


async def test_a_moderation_outage_serves_the_request_and_the_row_says_not_screened(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(make_config(**SCREENED))
    images_api.moderation.fault = "down"
    served = await imagine(discord_api, "a lighthouse")
    assert served.attachment_bytes()
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.screened) == ("ok", False)
    assert "screening failed for 1 of 1 inputs" in caplog.text


async def test_word_filters_refuse_before_anything_is_sent_whatever_the_spelling(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    added = await settings(discord_api, "filter-add", {"pattern": "Dra*on"})
    assert "Added the filter **dra\\*on**" in added.text
    await settings(discord_api, "filter-add", {"pattern": "blood"})
    for prompt in ("a DRAGON", "a dra\u200bgon", "a \uff44\uff52\uff41\uff47\uff4f\uff4f\uff4e", "bloodmoon", "BLOOD"):
        refused = await imagine(discord_api, prompt)
        assert refused.ephemeral and "word filter does not allow that prompt" in refused.text, prompt
    for prompt in ("a dra gon", "a drone", "a bloo d"):
        assert (await imagine(discord_api, prompt)).attachment_bytes(), prompt
    rows = await usage_rows(bot, 8)
    assert [row.status for row in rows] == ["filtered"] * 5 + ["ok"] * 3
    assert [row.flags for row in rows[:5]] == ["dra*on", "dra*on", "dra*on", "blood", "blood"]
    assert len(images_api.moderation_requests) == 3 and len(images_api.requests) == 3  # only the served ones
    shown = await settings(discord_api, "show", {})
    [field] = [field for field in shown.payload["embeds"][0]["fields"] if field["name"] == "Word filters"]
    assert field["value"] == "dra\\*on, blood"
    removed = await settings(discord_api, "filter-remove", {"pattern": "DRA*ON"})
    assert "Removed the filter" in removed.text
    assert (await imagine(discord_api, "a dragon")).attachment_bytes()


async def test_every_way_round_a_filter_the_review_found_is_refused_and_two_real_words_are_not(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    added = await settings(discord_api, "filter-add", {"pattern": "DR4G0N"})
    assert "Added the filter **dragon**" in added.text and "You typed **DR4G0N**" in added.text
    plain = await settings(discord_api, "filter-add", {"pattern": "Blood"})
    assert "Added the filter **blood**" in plain.text and "You typed" not in plain.text
    bypasses = [f"a {spelling} over the hills" for spellings in BYPASSES.values() for spelling in spellings]
    for prompt in bypasses:
        refused = await imagine(discord_api, prompt)
        assert refused.ephemeral and "word filter does not allow that prompt" in refused.text, prompt
    served = await imagine(discord_api, "take a drag on the pipe by the fire")
    assert served.attachment_bytes()
    rows = await usage_rows(bot, len(bypasses) + 1)
    assert [(row.status, row.flags) for row in rows] == [("filtered", "dragon")] * len(bypasses) + [("ok", None)]
    assert [request.fields["prompt"] for request in images_api.requests] == ["take a drag on the pipe by the fire"]
    assert len(images_api.moderation_requests) == 1  # screening saw only the served prompt


async def test_a_filter_is_plain_text_and_there_are_at_most_a_hundred(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    refused = await settings(discord_api, "filter-add", {"pattern": "**"})
    assert "A filter is 1 to 100 characters" in refused.text
    for index in range(100):
        await settings(discord_api, "filter-add", {"pattern": f"word {chr(97 + index // 26)}{chr(97 + index % 26)}"})
    full = await settings(discord_api, "filter-add", {"pattern": "one more"})
    assert "has 100 filters already" in full.text


async def test_low_moderation_is_sent_only_in_an_age_restricted_channel(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(make_config())
    await settings(discord_api, "moderation", {"level": "low"})
    await imagine(discord_api, "a portrait")
    await imagine(discord_api, "a portrait", channel_id=discord_api.nsfw_channel_id)
    await imagine(discord_api, "a portrait", place="dm")
    assert [request.fields.get("moderation") for request in images_api.requests] == ["auto", "low", "auto"]


async def test_in_an_age_restricted_channel_at_low_sexual_does_not_refuse_but_minors_always_does(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    await settings(discord_api, "moderation", {"level": "low"})
    images_api.moderation.words.update({"nude study": ("sexual",), "schoolgirl": ("sexual", "sexual/minors")})
    nsfw = {"channel_id": discord_api.nsfw_channel_id}
    assert (await imagine(discord_api, "a nude study", **nsfw)).attachment_bytes()
    assert "flagged this request (sexual)" in (await imagine(discord_api, "a nude study")).text
    assert "(sexual/minors)" in (await imagine(discord_api, "a schoolgirl", **nsfw)).text
    rows = await usage_rows(bot, 3)
    assert [row.status for row in rows] == ["ok", "flagged", "flagged"]


async def test_three_flags_block_the_member_for_a_day_and_the_block_ends_by_itself(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    await with_alerts(discord_api)
    images_api.moderation.words["gore"] = ("violence/graphic",)
    for index in range(2):
        assert "flagged" in (await imagine(discord_api, f"gore {index}")).text
    third = await imagine(discord_api, "gore again")
    assert "3 flagged requests in 7 days, so you can't use the bot here for 24 hours" in third.text
    await discord_api.wait_for(lambda: len(notices(discord_api)) == 3)
    assert "they are blocked for 24 hours" in notices(discord_api)[-1].text
    blocked = await imagine(discord_api, "a calm sea")
    assert "the block ends <t:" in blocked.text and len(images_api.moderation_requests) == 3
    async with bot.sessions() as session:
        [block] = (await session.scalars(select(MemberBlock))).all()
        assert (block.reason, block.blocked_by) == ("strikes", None)
        assert timedelta(hours=23) < block.until - utcnow() <= timedelta(hours=24)
        # A day goes by: the block's end is in the past.
        await session.execute(update(MemberBlock).values(until=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert (await imagine(discord_api, "a calm sea")).attachment_bytes()
    rows = await usage_rows(bot, 5)
    assert [row.status for row in rows] == ["flagged"] * 3 + ["blocked", "ok"]


async def test_the_notices_buttons_block_and_delete_after_a_restart(make_config, start_bot, discord_api, images_api):
    config = make_config(**SCREENED)
    bot = await start_bot(config)
    await with_alerts(discord_api)
    result = await imagine(discord_api, "a harbour at dusk")
    # The member replies to the bot's result, and screening flags that image now.
    images_api.moderation.every_image = ("violence",)
    await discord_api.send_member_message("make it bloodier", reply_to=result, mention_bot=True)
    await discord_api.wait_for(lambda: notices(discord_api))
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())

    bot = await start_bot(config)
    [notice] = notices(discord_api)
    [made, row] = await usage_rows(bot, 2)
    assert (row.status, row.parent_id) == ("flagged", made.id)
    custom_ids = buttons(notice)
    assert custom_ids[-1] == f"ib:flag:delete:{row.id}"

    by_member = await discord_api.click(notice, f"ib:flag:b7:{row.id}")
    assert "Only moderators" in (await discord_api.wait_for_reply(by_member)).text
    click = await discord_api.click(notice, f"ib:flag:b7:{row.id}", user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)
    notice = discord_api.messages[notice.id]
    assert f"<@{discord_api.moderator['id']}> blocked <@{discord_api.member['id']}> until <t:" in notice.text
    assert buttons(notice) == custom_ids[3:]  # Dismiss and Delete left
    async with bot.sessions() as session:
        [block] = (await session.scalars(select(MemberBlock))).all()
    assert (block.reason, block.blocked_by) == ("moderator", int(discord_api.moderator["id"]))
    assert timedelta(days=6) < block.until - utcnow() <= timedelta(days=7)
    assert "blocked from using this bot" in (await imagine(discord_api, "a calm sea")).text

    click = await discord_api.click(notice, f"ib:flag:delete:{row.id}", user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)
    assert discord_api.messages[result.id].payload.get("deleted")
    assert buttons(discord_api.messages[notice.id]) == custom_ids[3:4]


async def test_a_notices_buttons_act_only_in_their_own_guild(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(**SCREENED))
    await with_alerts(discord_api)
    images_api.moderation.words["gore"] = ("violence/graphic",)
    await imagine(discord_api, "gore")
    await discord_api.wait_for(lambda: notices(discord_api))
    [notice] = notices(discord_api)
    [row] = await usage_rows(bot)
    # The same notice's button, pressed by a moderator of another server that has the bot.
    state = await discord_api.click(
        notice, f"ib:flag:bf:{row.id}", user=discord_api.moderator, guild_id="9100000000000001"
    )
    assert "not about this server" in (await discord_api.wait_for_reply(state)).text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(MemberBlock))).all()


async def test_usage_flagged_lists_flagged_and_filtered_requests_with_the_same_actions(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    images_api.moderation.words["gore"] = ("violence/graphic",)
    await settings(discord_api, "filter-add", {"pattern": "dragon"})
    for index in range(6):
        await imagine(discord_api, f"gore {index}" if index % 2 else f"a dragon {index}")
    await imagine(discord_api, "a calm sea", user=discord_api.moderator)
    await usage_rows(bot, 7)
    state = await discord_api.send_slash_command(
        "usage", {"period": "today"}, subcommand="flagged", user=discord_api.moderator
    )
    page = await discord_api.wait_for_reply(state)
    listed = page.payload["embeds"][0]["description"]
    assert listed.count("\n") == 5 and "calm sea" not in listed
    assert "**flagged** violence/graphic" in listed and "**filtered** dragon" in listed
    [menu] = [component for component in page.components if component["type"] == 3]
    newest = menu["options"][0]["value"]
    opened = await discord_api.choose(page, menu["custom_id"], [newest], user=discord_api.moderator)
    notice = await discord_api.wait_for_reply(opened)
    assert buttons(notice) == [f"ib:flag:{action}:{newest}" for action in ("b1", "b7", "bf", "dismiss")]
    click = await discord_api.click(notice, f"ib:flag:bf:{newest}", user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)
    assert "A moderator has blocked you" in (await imagine(discord_api, "a calm sea")).text


async def test_with_check_results_a_flagged_result_is_charged_and_never_posted(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(moderation={"enabled": True, "check_results": True}))
    await with_alerts(discord_api)
    assert (await imagine(discord_api, "a harbour")).attachment_bytes()  # screened, and clean
    images_api.moderation.every_image = ("violence/graphic",)
    told = await imagine(discord_api, "another harbour")
    assert told.ephemeral and "flagged the images that were made (violence/graphic)" in told.text
    assert not told.attachment_bytes() and len(images_api.requests) == 2
    rows = await usage_rows(bot, 2)
    assert (rows[1].status, rows[1].delivery, rows[1].flags) == ("flagged", "withheld", "violence/graphic")
    assert rows[1].cost_usd and rows[1].image_count == 1
    await discord_api.wait_for(lambda: notices(discord_api))
    assert "made and charged, and not posted" in notices(discord_api)[0].text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(KeptResult))).all()


def blocked_members(reply) -> str:
    """The "Blocked members" field of a /settings card."""
    [field] = [field for field in reply.payload["embeds"][0]["fields"] if field["name"] == "Blocked members"]
    return field["value"]


async def quota(discord_api) -> str:
    return (await discord_api.wait_for_reply(await discord_api.send_slash_command("quota"))).text


async def press(discord_api, notice, custom_id: str) -> None:
    click = await discord_api.click(notice, custom_id, user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)


async def test_one_block_store_a_notices_block_for_good_is_lifted_by_settings_and_every_block_is_shown(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(**SCREENED))
    await with_alerts(discord_api)
    images_api.moderation.words["gore"] = ("violence/graphic",)
    member, moderator = discord_api.member["id"], int(discord_api.moderator["id"])
    await imagine(discord_api, "gore")
    await discord_api.wait_for(lambda: notices(discord_api))
    [flagged] = await usage_rows(bot)
    await press(discord_api, notices(discord_api)[0], f"ib:flag:bf:{flagged.id}")
    assert "A moderator has blocked you" in (await imagine(discord_api, "a calm sea")).text
    assert "A moderator has blocked you from using this bot here." in await quota(discord_api)
    assert blocked_members(await settings(discord_api, "show", {})) == f"<@{member}> for good"

    lifted = await settings(discord_api, "block", {"action": "remove", "member": UserOption(discord_api.member)})
    assert blocked_members(lifted) == "none"
    assert (await imagine(discord_api, "a calm sea")).attachment_bytes()
    assert "blocked" not in await quota(discord_api)

    # A notice's timed block shows with its end; /settings block add makes it one for good, by whom.
    await imagine(discord_api, "gore again")
    await discord_api.wait_for(lambda: len(notices(discord_api)) == 2)
    flagged_again = (await usage_rows(bot, 4))[-1]
    await press(discord_api, notices(discord_api)[1], f"ib:flag:b1:{flagged_again.id}")
    assert "You are blocked from using this bot here; the block ends <t:" in await quota(discord_api)
    assert blocked_members(await settings(discord_api, "show", {})).startswith(f"<@{member}> until <t:")
    added = await settings(discord_api, "block", {"action": "add", "member": UserOption(discord_api.member)})
    assert blocked_members(added) == f"<@{member}> for good"
    assert "A moderator has blocked you from using this bot here." in await quota(discord_api)
    assert "A moderator has blocked you" in (await imagine(discord_api, "a calm sea")).text
    async with bot.sessions() as session:
        [block] = (await session.scalars(select(MemberBlock))).all()
        changes = (await session.scalars(select(SettingsChange).order_by(SettingsChange.id))).all()
    assert (block.until, block.reason, block.blocked_by) == (None, "moderator", moderator)
    logged = [(change.setting, change.old_value, change.new_value) for change in changes]
    assert logged[0][0] == "alert_channel_id"
    assert logged[1:4] == [
        (f"block {member}", None, "bf"),
        (f"block {member}", "for good", None),
        (f"block {member}", None, "b1"),
    ]
    assert logged[4][0::2] == (f"block {member}", "for good")
    assert timedelta(hours=23) < datetime.fromisoformat(logged[4][1]) - utcnow() <= timedelta(hours=24)
    assert len(logged) == 5
    cleared = await settings(discord_api, "block", {"action": "clear"})
    assert blocked_members(cleared) == "none"
    assert (await imagine(discord_api, "a calm sea")).attachment_bytes()
